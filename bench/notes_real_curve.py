"""Benchmark: a learning curve of the instrument model over the amount of real training data.

Run:  make real-sources && python bench/notes_real_curve.py [--out runs/bench-notes-real]
          [--seeds 0,1,2] [--fractions 0,0.25,0.5,1] [--models cnn,musicnn_msd+logreg]
          [--test-sources freepats,salamander]

The material and protocol of bench/notes_real.py (it shares its rendered and imported notes,
its work folder and its runs at fraction 1): one real source is the test source; the rendered
General MIDI notes (FluidR3_GM, TimGM6mb, MuseScore_General_Full) always train; of the other
real sources, only a fraction of the groups (a note and its augmented copies are one group)
is kept. The kept groups are drawn by a hash of (seed, group), so for one seed the fractions
nest (the quarter is inside the half), and the seed also redraws them. Fraction 0 trains on
rendered notes only. Nothing of the test source is used for training, validation or any
choice. Writes bench/results/notes-real-curve.json.

The question it answers (issue #25): would more real recorded notes close the gap to the 80 %
target on a real source none of the training came from, and at what rate.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import sys
import time
import zlib
from pathlib import Path

from _common import DEMO_CNN, ROOT, SOUNDFONTS, code_digest, mean_std, train_once
from notes_real import FREEPATS, REAL, build, experiment, scores

RENDERED = set(SOUNDFONTS)


def kept(group, seed, fraction):
    """Whether a real training group is in the seed's `fraction` (nested over fractions)."""
    return zlib.crc32(f"{seed}/{group}".encode()) / 2**32 < fraction


def subsample(manifest, seed, fraction, dest):
    """The manifest of bench/notes_real.py's experiment with only `fraction` of the real
    training groups; the rendered training notes and the test notes are all kept."""
    rows = list(csv.DictReader(open(manifest, newline="")))
    out = [r for r in rows if r["split"] == "test" or r["source"] in RENDERED or kept(r["group"], seed, fraction)]
    with dest.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(out)
    train = [r for r in out if r["split"] == "train"]
    return dest, sum(r["source"] not in RENDERED for r in train), len(train)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=ROOT / "runs" / "bench-notes-real")
    ap.add_argument("--salamander", type=Path, default=ROOT / "runs" / "sources" / "salamander")
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--fractions", default="0,0.25,0.5,1")
    ap.add_argument("--models", default="cnn,musicnn_msd+logreg")
    ap.add_argument("--test-sources", default="freepats,salamander")
    ap.add_argument("--pitch-step", type=int, default=6)
    ap.add_argument("--copies", type=int, default=1)
    ap.add_argument("--json", type=Path, default=ROOT / "bench" / "results" / "notes-real-curve.json")
    args = ap.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    fractions = [float(f) for f in args.fractions.split(",")]
    tests = args.test_sources.split(",")
    if set(tests) - set(REAL) or any(not 0 <= f <= 1 for f in fractions):
        sys.exit(f"--test-sources: one of {REAL}; --fractions: numbers in [0, 1]")
    missing = [p for p in [*SOUNDFONTS.values(), FREEPATS] if not Path(p).exists()] + (
        [] if args.salamander.is_dir() else [str(args.salamander)])
    if missing:
        sys.exit(f"missing {missing}: make real-sources")
    env = dict(os.environ, MIRLEARN_CACHE=str(args.out / "cache"))
    digest = code_digest()
    meta = dict(command="python bench/notes_real_curve.py " + " ".join(sys.argv[1:]), code=digest, date=time.strftime("%Y-%m-%d"),
                machine=platform.machine(), cores=os.cpu_count(), seeds=seeds, pitch_step=args.pitch_step, copies=args.copies)
    print(f"# real-data learning curve; {meta['command']}; code {digest}; {meta['date']}, {meta['machine']}, {meta['cores']} cores\n")
    print("| test source | model | fraction of real training groups | real training notes | training notes | instrument accuracy | family accuracy |")
    print("|---|---|---:|---:|---:|---:|---:|")
    results = []
    for test in tests:
        for model in args.models.split(","):
            for frac in fractions:
                res, n_real, n_train = [], [], []
                for seed in seeds:
                    manifests = build(args.out / f"notes-seed{seed}", seed, args.pitch_step, args.copies, args.salamander, digest)
                    man, _, _ = experiment(manifests, test, args.out / f"{test}-seed{seed}.csv")
                    tag = "" if frac == 1 else f"-real{frac:g}"
                    if tag:
                        man, r, n = subsample(man, seed, frac, args.out / f"{test}{tag}-seed{seed}.csv")
                    else:
                        rows = [r for r in csv.DictReader(open(man, newline="")) if r["split"] == "train"]
                        r, n = sum(x["source"] not in RENDERED for x in rows), len(rows)
                    extra = ["--config", DEMO_CNN] if model == "cnn" else []
                    run = args.out / f"{test}{tag}-{model}-seed{seed}"  # fraction 1: bench/notes_real.py's own run
                    train_once(run, ["--data", man, "--model", model, "--seed", seed, *extra], env, digest)
                    res.append(scores([run]))
                    n_real.append(r)
                    n_train.append(n)
                results.append(dict(test_source=test, model=model, fraction=frac, instrument=[x[0] for x in res],
                                    family=[x[1] for x in res], real_training_notes=n_real, training_notes=n_train))
                print(f"| {test} | {model} | {frac:g} | {round(sum(n_real) / len(n_real))} | {round(sum(n_train) / len(n_train))} | "
                      f"{mean_std([x[0] for x in res])} | {mean_std([x[1] for x in res])} |", flush=True)
                args.json.parent.mkdir(parents=True, exist_ok=True)
                args.json.write_text(json.dumps({"meta": meta, "results": results}, indent=1) + "\n")


if __name__ == "__main__":
    main()
