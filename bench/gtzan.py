"""Benchmark: genre classification on ../shared/data/gtzan-mini-dev, 5-fold CV.

Run:  python bench/gtzan.py [--out runs/bench-gtzan] [--models mfcc_svm,...]

Trains every model with ``mirlearn train --data DATA --model NAME --folds 5 --seed 0``
(stratified 5-fold cross-validation; the 50 clips have no artist annotations, so the folds
are track-disjoint, not artist-aware), skipping a model whose run directory already holds a
metrics.json (so an interrupted benchmark resumes), and prints a Markdown table of
accuracy and macro-F1, mean ± std over folds and pooled over the out-of-fold predictions.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

MODELS = ["mfcc_svm", "logreg", "svm_linear", "svm_rbf", "mlp", "knn", "random_forest", "cnn", "short_chunk_resnet", "crnn"]


def main():
    here = Path(__file__).resolve().parents[1]
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=here.parent / "shared" / "data" / "gtzan-mini-dev")
    ap.add_argument("--out", type=Path, default=here / "runs" / "bench-gtzan")
    ap.add_argument("--models", default=",".join(MODELS))
    args = ap.parse_args()
    env = dict(os.environ, MIRLEARN_CACHE=str(args.out / "cache"))
    rows = []
    for model in args.models.split(","):
        run_dir = args.out / model
        seconds = None
        if not (run_dir / "metrics.json").exists():
            t0 = time.perf_counter()
            cmd = [sys.executable, "-m", "mirlearn", "train", "--data", str(args.data), "--model", model,
                   "--folds", "5", "--seed", "0", "--out", str(run_dir), "--no-progress"]
            r = subprocess.run(cmd, capture_output=True, text=True, env=env)
            if r.returncode != 0:
                sys.exit(f"{model} failed:\n{r.stdout}\n{r.stderr}")
            seconds = time.perf_counter() - t0
            (run_dir / "bench_seconds.txt").write_text(f"{seconds:.1f}\n")
        elif (run_dir / "bench_seconds.txt").exists():
            seconds = float((run_dir / "bench_seconds.txt").read_text())
        m = json.loads((run_dir / "metrics.json").read_text())
        rows.append((model, m, seconds))
    print(f"# gtzan-mini-dev, 5-fold CV, seed 0; {time.strftime('%Y-%m-%d')}, {platform.machine()}, {os.cpu_count()} cores\n")
    print("| model | accuracy (mean ± std over folds) | macro-F1 (mean ± std) | pooled accuracy | pooled macro-F1 | seconds |")
    print("|---|---:|---:|---:|---:|---:|")
    for model, m, s in rows:
        p = m["pooled"]
        print(f"| {model} | {m['accuracy']:.3f} ± {m['std']['accuracy']:.3f} | {m['macro_f1']:.3f} ± {m['std']['macro_f1']:.3f} | "
              f"{p['accuracy']:.3f} | {p['macro_f1']:.3f} | {'' if s is None else f'{s:.0f}'} |")


if __name__ == "__main__":
    main()
