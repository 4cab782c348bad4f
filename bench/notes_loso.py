"""Benchmark: leave-one-SoundFont-out note-level accuracy, with and without each augmentation.

Run:  python bench/notes_loso.py [--out runs/bench-notes-loso] [--seeds 0,1,2] [--model cnn]
                                 [--conditions none,all,-detune,-eq,-reverb,-noise,-jitter,-level]

Renders the 12 default instruments (every 4th pitch, velocities 64 and 110) from three
General MIDI SoundFonts: FluidR3_GM, TimGM6mb and MuseScore_General_Full. Each SoundFont in
turn is the test source and the other two are the training source (``render-notes
--test-soundfont``); a tenth of the training notes, by whole groups, is the validation part
(the CNN stops early on it). Test notes are never augmented.

Conditions: ``none`` (no augmented copies), ``all`` (``--augment`` copies of each training
note drawing from every effect of ``mirlearn.data.augment.EFFECTS``) and ``-EFFECT`` (the
same without that one effect: an ablation). The seed changes the augmented copies (the
render's ``--seed``), the validation carve and the model's initialisation and sampling.

The model is trained on instrument labels; the family accuracy is that of the family of the
predicted instrument (NSynth families of ``mirlearn.data.render.INSTRUMENTS``), so both come
from one model. Prints a Markdown table: per test source and condition, mean ± sample std over
seeds, then each condition's mean over the three test sources (± std of the per-seed means).
Each row is merged into bench/results/notes-loso.json (keyed by test source and condition,
with its code digest, date and per-seed scores) as soon as its seeds are done;
tests/test_benchmark_docs.py holds the docs' tables to that file.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from _common import DEMO_CNN, ROOT, SOUNDFONTS, code_digest, mean_std, train_once

SF = SOUNDFONTS
CNN_CONFIG = DEMO_CNN


def render(out, test_sf, condition, n_copies, seed, pitch_step, digest):
    """Render (or reuse) the notes of one test source, condition and seed."""
    from mirlearn.data.augment import EFFECTS

    stamp = out / "bench_code.txt"
    if stamp.is_file() and stamp.read_text() == digest:
        return out
    cmd = [sys.executable, "-m", "mirlearn", "datasets", "render-notes", "--test-soundfont", test_sf,
           "--pitch-step", str(pitch_step), "--out", str(out), "--seed", str(seed), "--no-progress"]
    for path in SF.values():
        cmd += ["--soundfont", path]
    if condition != "none":
        effects = [e for e in EFFECTS if condition == "all" or e != condition[1:]]
        cmd += ["--augment", str(n_copies), "--augment-effects", ",".join(effects)]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"render failed:\n{r.stdout}\n{r.stderr}")
    stamp.write_text(digest)
    return out


def scores(run_dir):
    """(instrument accuracy, family accuracy) from a run's test predictions."""
    from mirlearn.data.render import INSTRUMENTS

    family = {name: inst.family for name, inst in INSTRUMENTS.items()}
    with open(run_dir / "predictions.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    inst = np.mean([r["true"] == r["predicted"] for r in rows])
    fam = np.mean([family[r["true"]] == family[r["predicted"]] for r in rows])
    return float(inst), float(fam), len(rows)


def main():
    from mirlearn.data.augment import EFFECTS

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=ROOT / "runs" / "bench-notes-loso")
    ap.add_argument("--pitch-step", type=int, default=4)
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--model", default="cnn", help="a model name of 'mirlearn train' (cnn: configs/demo-cnn.yaml)")
    ap.add_argument("--copies", type=int, default=2, help="augmented copies per training note (default 2)")
    ap.add_argument("--conditions", default=",".join(["none", "all", *(f"-{e}" for e in EFFECTS)]))
    ap.add_argument("--test-sources", default=",".join(SF))
    args = ap.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    conditions = args.conditions.split(",")
    for c in conditions:
        if c not in ("none", "all") and c[1:] not in EFFECTS:
            sys.exit(f"unknown condition {c!r}")
    missing = [p for p in SF.values() if not Path(p).is_file()]
    if missing:
        sys.exit(f"missing SoundFont(s) {missing}; apt-get install fluid-soundfont-gm timgm6mb-soundfont musescore-general-soundfont")
    env = dict(os.environ, MIRLEARN_CACHE=str(args.out / "cache"))
    digest = code_digest()
    print(f"# leave-one-SoundFont-out notes, model {args.model}, {args.copies} augmented copies, seeds {args.seeds}; "
          f"code {digest}; {time.strftime('%Y-%m-%d')}, {platform.machine()}, {os.cpu_count()} cores\n")
    print("| test source | condition | instrument accuracy | family accuracy | test notes | seconds per seed |")
    print("|---|---|---:|---:|---:|---:|")
    results_file = ROOT / "bench" / "results" / "notes-loso.json"
    per_seed = {}  # condition -> array [source, seed, (inst, fam)]
    for test_sf in args.test_sources.split(","):
        for cond in conditions:
            res, secs = [], []
            for seed in seeds:
                notes = render(args.out / f"notes-{test_sf}-{cond}-seed{seed if cond != 'none' else 0}", test_sf, cond,
                               args.copies, seed, args.pitch_step, digest)
                extra = ["--config", CNN_CONFIG] if args.model == "cnn" else []
                run = args.out / f"{test_sf}-{cond}-{args.model}-seed{seed}"
                _, s = train_once(run, ["--data", notes / "notes-instrument.csv", "--model", args.model, "--seed", seed, *extra],
                                  env, digest)
                res.append(scores(run))
                secs.append(s)
            per_seed.setdefault(cond, []).append([r[:2] for r in res])
            print(f"| {test_sf} | {cond} | {mean_std([r[0] for r in res])} | {mean_std([r[1] for r in res])} | "
                  f"{res[0][2]} | {sum(secs) / len(secs):.0f} |", flush=True)
            row = dict(test_source=test_sf, condition=cond, model=args.model, copies=args.copies, seeds=seeds,
                       instrument=[r[0] for r in res], family=[r[1] for r in res], test_notes=res[0][2], seconds=secs,
                       code=digest, date=time.strftime("%Y-%m-%d"), command="python bench/notes_loso.py " + " ".join(sys.argv[1:]))
            # read again before each write: runs for other test sources may share the file
            stored = json.loads(results_file.read_text()) if results_file.is_file() else {"results": []}
            stored["results"] = [r for r in stored["results"] if (r["test_source"], r["condition"]) != (test_sf, cond)] + [row]
            results_file.parent.mkdir(parents=True, exist_ok=True)
            results_file.write_text(json.dumps(stored, indent=1) + "\n")
    if len(args.test_sources.split(",")) > 1:
        print("\nMean over the test sources (± std over seeds of that mean):\n")
        print("| condition | instrument accuracy | family accuracy |")
        print("|---|---:|---:|")
        for cond, r in per_seed.items():
            m = np.asarray(r).mean(axis=0)  # seeds x 2
            print(f"| {cond} | {mean_std(m[:, 0])} | {mean_std(m[:, 1])} |")


if __name__ == "__main__":
    main()
