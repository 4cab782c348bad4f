"""Benchmark: genre classification on ../shared/data/gtzan-mini-dev, 5-fold CV, several seeds.

Run:  python bench/gtzan.py [--out runs/bench-gtzan] [--models mfcc_svm,...] [--seeds 0,1,2] [--config FILE]

For every model and seed, ``mirlearn train --data DATA --model NAME --folds 5 --seed S``:
stratified 5-fold cross-validation over the 50 clips (track-disjoint; the clips have no
artist annotations), where every fold's model, classic or deep, is fitted on the same
training items and has the same validation part carved from them (10 % of the clips,
whole groups), used by deep models for early stopping and by nobody else here (no
hyperparameter search). The seed changes the folds, the validation carve and the deep
models' initialisation and sampling. A run is reused on a resumed benchmark only if it was
produced by the same code (a digest of src/, configs/ and constraints.txt) with the same
arguments. Prints a Markdown table: per model, the mean ± sample std over seeds of the
5-fold mean accuracy and macro-F1, and of the pooled out-of-fold scores. Each model's seeds
are merged into bench/results/gtzan.json (``gtzan-<config stem>.json`` with --config), keyed
by model, with the code digest and date of its run; tests/test_benchmark_docs.py holds the
docs' table to that file.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

from _common import ROOT, code_digest, mean_std, train_once

MODELS = ["mfcc_svm", "logreg", "svm_linear", "svm_rbf", "mlp", "knn", "random_forest", "cnn", "short_chunk_resnet", "crnn"]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "gtzan-mini-dev")
    ap.add_argument("--out", type=Path, default=ROOT / "runs" / "bench-gtzan")
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--config", type=Path, help="a YAML config given to every run (e.g. configs/gtzan-finetune.yaml)")
    args = ap.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    env = dict(os.environ, MIRLEARN_CACHE=str(args.out / "cache"))
    digest = code_digest()
    extra = ["--config", args.config.resolve()] if args.config else []
    print(f"# gtzan-mini-dev, 5-fold CV, seeds {args.seeds}; code {digest}; {time.strftime('%Y-%m-%d')}, "
          f"{platform.machine()}, {os.cpu_count()} cores" + (f"; config {args.config.name}" if args.config else "") + "\n")
    print("| model | accuracy (5-fold mean; mean ± std over seeds) | macro-F1 | pooled accuracy | pooled macro-F1 | "
          "fold std of accuracy (mean over seeds) | seconds per seed |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    results_file = ROOT / "bench" / "results" / (f"gtzan-{args.config.stem}.json" if args.config else "gtzan.json")
    stored = json.loads(results_file.read_text()) if results_file.is_file() else {"results": {}}
    for model in args.models.split(","):
        ms, secs = [], []
        for seed in seeds:
            m, s = train_once(args.out / f"{model}-seed{seed}",
                              ["--data", args.data, "--model", model, "--folds", 5, "--seed", seed, *extra], env, digest)
            ms.append(m)
            secs.append(s)
        fold_std = sum(m["std"]["accuracy"] for m in ms) / len(ms)
        print(f"| {model} | {mean_std([m['accuracy'] for m in ms])} | {mean_std([m['macro_f1'] for m in ms])} | "
              f"{mean_std([m['pooled']['accuracy'] for m in ms])} | {mean_std([m['pooled']['macro_f1'] for m in ms])} | "
              f"{fold_std:.3f} | {sum(secs) / len(secs):.0f} |", flush=True)
        stored["results"][model] = dict(
            seeds=seeds, accuracy=[m["accuracy"] for m in ms], macro_f1=[m["macro_f1"] for m in ms],
            pooled_accuracy=[m["pooled"]["accuracy"] for m in ms], pooled_macro_f1=[m["pooled"]["macro_f1"] for m in ms],
            fold_std_accuracy=[m["std"]["accuracy"] for m in ms], seconds=secs, code=digest, date=time.strftime("%Y-%m-%d"),
            command="python bench/gtzan.py " + " ".join(sys.argv[1:]))
        results_file.parent.mkdir(parents=True, exist_ok=True)
        results_file.write_text(json.dumps(stored, indent=1) + "\n")


if __name__ == "__main__":
    main()
