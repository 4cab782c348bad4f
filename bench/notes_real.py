"""Benchmark: leave-one-real-source-out instrument accuracy, with and without pretrained embeddings.

Run:  make real-sources && python bench/notes_real.py [--out runs/bench-notes-real] [--seeds 0,1,2]
          [--models cnn,musicnn_msd+logreg] [--test-sources freepats,lmms,sonic-pi,salamander,guitar-strums]

Training material: the 12 default instruments (every ``--pitch-step``-th pitch, velocities 64
and 110) rendered from the three General MIDI SoundFonts (FluidR3_GM, TimGM6mb,
MuseScore_General_Full) and from freepats' recorded GUS patches, and the real recordings of
``mirlearn datasets import-notes`` (lmms-common, sonic-pi-samples, the Salamander Grand Piano
at four of its 16 velocity layers, every third of Hydrogen's guitar strums). Each real source
in turn is the test source; every other source trains, with ``--copies`` augmented copies of
each training note. The test source's notes are never augmented, and nothing of it is used
for validation (a tenth of the training notes, by whole groups, stops the CNN early) or for
any choice of this script. The seed changes the augmented copies, the validation carve and
the model.

Models: ``cnn`` (the demo CNN on log-mel, configs/demo-cnn.yaml: no pretrained weights),
``musicnn_msd+logreg`` (musicnn's MSD embeddings, frozen, and a logistic-regression head) and
``ensemble``: the mean of the class probabilities of the models listed before it, equal
weights fixed in advance (nothing is fitted or chosen on any data).
Scores: instrument accuracy on the test source, and the accuracy of the family of the
predicted instrument; mean ± sample std over seeds. Writes bench/results/notes-real.json.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
from _common import DEMO_CNN, ROOT, SOUNDFONTS, code_digest, mean_std, train_once

REAL = ["freepats", "lmms", "sonic-pi", "salamander", "guitar-strums"]
FREEPATS = "/usr/share/midi/freepats"
SALAMANDER_LAYERS = {4, 8, 12, 16}  # of 16: fewer near-duplicates of one key


def build(work, seed, pitch_step, copies, salamander, digest):
    """Rendered and imported notes of one seed (augmented copies on every note); returns
    {source: manifest}."""
    from mirlearn.data.render import render_notes
    from mirlearn.data.samples import import_notes

    stamp = work / "bench_code.txt"
    if stamp.is_file() and stamp.read_text() == digest:
        return json.loads((work / "manifests.json").read_text())
    work.mkdir(parents=True, exist_ok=True)
    r = render_notes([*SOUNDFONTS.values(), FREEPATS], work / "rendered", pitch_step=pitch_step, augment=copies, seed=seed,
                     progress=False)
    out = {"rendered": str(r["instrument"])}
    for k, src in enumerate(["lmms", "sonic-pi", "salamander", "guitar-strums"]):
        m = import_notes(src, work / src, path=salamander if src == "salamander" else None, augment=copies, seed=seed + 1000 * (k + 1),
                         progress=False)
        out[src] = str(m["instrument"])
    (work / "manifests.json").write_text(json.dumps(out))
    stamp.write_text(digest)
    return out


def keep(row):
    """The bench's subsampling of the two large single-instrument sources."""
    name = Path(row["path"]).stem.split("_aug")[0]
    if row["source"] == "salamander":
        return int(name.rsplit("v", 1)[1]) in SALAMANDER_LAYERS
    if row["source"] == "guitar-strums":
        return sum(map(ord, name)) % 3 == 0  # a fixed third, whatever the file order
    return True


def experiment(manifests, test_source, dest):
    """One manifest: the test source's unaugmented notes as test, every other note as train."""
    rows = []
    for m in manifests.values():
        base = Path(m).parent
        for r in csv.DictReader(open(m, newline="")):
            if not keep(r):
                continue
            test = r["source"] == test_source
            if test and "_aug" in Path(r["path"]).name:
                continue
            group = r["group"] if r["group"].startswith(r["source"] + "/") else f"{r['source']}/{r['group']}"
            rows.append([str((base / r["path"]).resolve()), r["label"], "test" if test else "train", group, r["source"]])
    dest.parent.mkdir(parents=True, exist_ok=True)
    with dest.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["path", "label", "split", "group", "source"])
        w.writerows(rows)
    return dest, sum(r[2] == "test" for r in rows), sum(r[2] == "train" for r in rows)


def scores(run_dirs):
    """(instrument accuracy, family accuracy) of one run, or of the mean of the class
    probabilities of several runs on the same test notes (an equal-weight ensemble)."""
    from mirlearn.data.render import INSTRUMENTS

    family = {name: inst.family for name, inst in INSTRUMENTS.items()}
    tables = [{r["path"]: r for r in csv.DictReader(open(d / "predictions.csv", newline=""))} for d in run_dirs]
    if any(t.keys() != tables[0].keys() for t in tables):
        raise ValueError(f"{run_dirs} predict different notes")
    classes = [c[2:] for c in next(iter(tables[0].values())) if c.startswith("p_")]
    true, pred = [], []
    for path, row in tables[0].items():
        p = np.mean([[float(t[path]["p_" + c]) for c in classes] for t in tables], axis=0)
        true.append(row["true"])
        pred.append(classes[int(np.argmax(p))])
    return (float(np.mean([t == p for t, p in zip(true, pred)])),
            float(np.mean([family[t] == family[p] for t, p in zip(true, pred)])))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=ROOT / "runs" / "bench-notes-real")
    ap.add_argument("--salamander", type=Path, default=ROOT / "runs" / "sources" / "salamander")
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--models", default="cnn,musicnn_msd+logreg,ensemble",
                    help="'ensemble' averages the probabilities of the models before it")
    ap.add_argument("--test-sources", default=",".join(REAL))
    ap.add_argument("--pitch-step", type=int, default=6)
    ap.add_argument("--copies", type=int, default=1, help="augmented copies of each training note (default 1)")
    ap.add_argument("--json", type=Path, default=ROOT / "bench" / "results" / "notes-real.json")
    args = ap.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    tests = args.test_sources.split(",")
    unknown = set(tests) - set(REAL)
    if unknown:
        sys.exit(f"unknown test source(s) {sorted(unknown)}; one of {REAL}")
    missing = [p for p in [*SOUNDFONTS.values(), FREEPATS] if not Path(p).exists()] + (
        [] if args.salamander.is_dir() else [str(args.salamander)])
    if missing:
        sys.exit(f"missing {missing}: make real-sources")
    env = dict(os.environ, MIRLEARN_CACHE=str(args.out / "cache"))
    digest = code_digest()
    meta = dict(command="python bench/notes_real.py " + " ".join(sys.argv[1:]), code=digest, date=time.strftime("%Y-%m-%d"),
                machine=platform.machine(), cores=os.cpu_count(), seeds=seeds, pitch_step=args.pitch_step, copies=args.copies)
    print(f"# leave-one-real-source-out notes; {meta['command']}; code {digest}; {meta['date']}, {meta['machine']}, "
          f"{meta['cores']} cores\n")
    print("| test source | model | instrument accuracy | family accuracy | test notes | training notes | seconds per seed |")
    print("|---|---|---:|---:|---:|---:|---:|")
    results = []
    models = args.models.split(",")
    if models[0] == "ensemble":
        sys.exit("--models: 'ensemble' averages the models listed before it")
    for test in tests:
        for i, model in enumerate(models):
            res, secs = [], []
            for seed in seeds:
                manifests = build(args.out / f"notes-seed{seed}", seed, args.pitch_step, args.copies, args.salamander, digest)
                man, n_test, n_train = experiment(manifests, test, args.out / f"{test}-seed{seed}.csv")
                if model == "ensemble":
                    runs = [args.out / f"{test}-{m}-seed{seed}" for m in models[:i]]
                    res.append(scores(runs))
                    secs.append(sum(json.loads((r / "bench_stamp.json").read_text())["seconds"] for r in runs))
                    continue
                extra = ["--config", DEMO_CNN] if model == "cnn" else []
                run = args.out / f"{test}-{model}-seed{seed}"
                _, s = train_once(run, ["--data", man, "--model", model, "--seed", seed, *extra], env, digest)
                res.append(scores([run]))
                secs.append(s)
            results.append(dict(test_source=test, model=model, instrument=[r[0] for r in res], family=[r[1] for r in res],
                                test_notes=n_test, training_notes=n_train, seconds=secs))
            print(f"| {test} | {model} | {mean_std([r[0] for r in res])} | {mean_std([r[1] for r in res])} | {n_test} | "
                  f"{n_train} | {sum(secs) / len(secs):.0f} |", flush=True)
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(json.dumps({"meta": meta, "results": results}, indent=1) + "\n")


if __name__ == "__main__":
    main()
