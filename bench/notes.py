"""Benchmark: note-level instrument recognition across sample sources, several seeds.

Run:  python bench/notes.py [--out runs/bench-notes] [--seeds 0,1,2] [--test-sources TimGM6mb]
                            [--models svm_rbf,cnn] [--augments 0,1]

Renders notes of the 12 instruments of ``mirlearn.data.render.INSTRUMENTS`` from FluidR3
(training) and from another SoundFont (test): TimGM6mb (independent samples) and, when
asked and installed, MuseScore General (developed from FluidR3, so a leaky "other source").
Groups tie each note's velocities, augmented copies and shared-sample neighbours. For
individual instruments and NSynth families, with and without training-side augmentation,
it trains a classic model (RBF SVM on summarised features) and a CNN on log-mel chunks with
``mirlearn train --seed S`` for each seed: both see the same training items and the same
validation part (10 % of the notes, carved from the training source by whole groups; the
CNN stops early on it). The seed changes that carve and the CNN's initialisation and
sampling; the rendered data are the same for every seed. A run is reused on a resumed
benchmark only if the same code produced it. Prints a Markdown table of mean ± sample std
over seeds, and writes it with the per-seed scores to bench/results/notes.json (``--json``),
which tests/test_benchmark_docs.py holds the docs' table to.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

from _common import DEMO_CNN, ROOT, SOUNDFONTS, code_digest, mean_std, train_once

SF = SOUNDFONTS
CNN_CONFIG = DEMO_CNN


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=ROOT / "runs" / "bench-notes")
    ap.add_argument("--pitch-step", type=int, default=4)
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--test-sources", default="TimGM6mb", help="comma-separated: TimGM6mb, MuseScore_General_Full")
    ap.add_argument("--models", default="svm_rbf,cnn", help="comma-separated model names, e.g. musicnn_mtt+logreg")
    ap.add_argument("--augments", default="0,1", help="augmented copies per training note to compare (default 0,1)")
    ap.add_argument("--json", type=Path, default=None,
                    help="default bench/results/notes.json (the default models), else notes-<models>.json")
    args = ap.parse_args()
    if args.json is None:
        tag = "" if args.models == "svm_rbf,cnn" else "-" + args.models.replace(",", "_").replace("+", "-")
        args.json = ROOT / "bench" / "results" / f"notes{tag}.json"
    seeds = [int(s) for s in args.seeds.split(",")]
    sources = args.test_sources.split(",")
    for name in ["FluidR3_GM", *sources]:
        if not Path(SF[name]).is_file():
            sys.exit(f"missing SoundFont {SF[name]} ({name}); apt-get install fluid-soundfont-gm timgm6mb-soundfont musescore-general-soundfont")
    env = dict(os.environ, MIRLEARN_CACHE=str(args.out / "cache"))
    digest = code_digest()
    meta = dict(command="python bench/notes.py " + " ".join(sys.argv[1:]), code=digest, date=time.strftime("%Y-%m-%d"),
                machine=platform.machine(), cores=os.cpu_count(), seeds=seeds)
    rows = []
    print(f"# note-level benchmark, seeds {args.seeds}; code {digest}; {meta['date']}, "
          f"{platform.machine()}, {os.cpu_count()} cores\n")
    print("| test source | labels | augmentation | model | accuracy | balanced accuracy | macro-F1 | test notes | seconds per seed |")
    print("|---|---|---|---|---:|---:|---:|---:|---:|")
    for test_sf in sources:
        for augment in [int(a) for a in args.augments.split(",")]:
            notes = args.out / f"notes-{test_sf}-aug{augment}"
            stamp = notes / "bench_code.txt"
            if not (stamp.is_file() and stamp.read_text() == digest):
                cmd = [sys.executable, "-m", "mirlearn", "datasets", "render-notes", "--soundfont", SF["FluidR3_GM"],
                       "--soundfont", SF[test_sf], "--test-soundfont", test_sf, "--pitch-step", str(args.pitch_step),
                       "--augment", str(augment), "--out", str(notes), "--no-progress"]
                r = subprocess.run(cmd, capture_output=True, text=True)
                if r.returncode != 0:
                    sys.exit(f"render failed:\n{r.stdout}\n{r.stderr}")
                stamp.write_text(digest)
            for labels in ("instrument", "family"):
                for model in args.models.split(","):
                    ms, secs = [], []
                    for seed in seeds:
                        extra = ["--config", CNN_CONFIG] if model == "cnn" else []
                        m, s = train_once(args.out / f"{test_sf}-aug{augment}-{labels}-{model}-seed{seed}",
                                          ["--data", notes / f"notes-{labels}.csv", "--model", model, "--seed", seed, *extra],
                                          env, digest)
                        ms.append(m)
                        secs.append(s)
                    print(f"| {test_sf} | {labels} | {'yes' if augment else 'no'} | {model} | "
                          f"{mean_std([m['accuracy'] for m in ms])} | {mean_std([m['balanced_accuracy'] for m in ms])} | "
                          f"{mean_std([m['macro_f1'] for m in ms])} | {ms[0]['n_items']} | {sum(secs) / len(secs):.0f} |", flush=True)
                    rows.append(dict(test_source=test_sf, labels=labels, augment=augment, model=model,
                                     **{k: [m[k] for m in ms] for k in ("accuracy", "balanced_accuracy", "macro_f1")},
                                     test_notes=ms[0]["n_items"], seconds=secs))
    import json

    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"meta": meta, "results": rows}, indent=1) + "\n")
    print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
