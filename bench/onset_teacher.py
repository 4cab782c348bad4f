"""basic-pitch as an onset teacher: how well its onset posteriorgram finds the onsets of
bock-onsets-dev, on the 4 folds the onset benchmarks use.

A teacher is worth distilling from only where it is better than the student on the material
it would label. Here basic-pitch (Apache-2.0 weights, our port: mirlearn.data.teachers) runs on
every recording of Böck's folds 0-3; the onset activation of a frame is the largest onset
probability over its 88 keys (86.13 frames per second). Two decodings:

* ``tuned``: peak picking (mirlearn's madmom-style picker, the grid the onset CNN is tuned
  with, plus a delay of -70 to +20 ms: the teacher's frames may sit off the annotations'
  convention) chosen on the three other folds, applied unchanged to the test fold;
* ``threshold 0.5``: peaks of the activation at or above 0.5 (basic-pitch's own default
  onset threshold), nothing chosen.

Scores: F-measure, precision, recall of counts summed over each test fold (±50 ms, onsets
within 30 ms merged, as the other onset tables), mean ± std over the 4 folds.

    python bench/onset_teacher.py [--out bench/results/onset-teacher.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from datetime import date
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, code_digest, mean_std  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "bock-onsets-dev"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", type=Path, default=ROOT / "bench" / "work" / "onset-teacher")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "onset-teacher.json")
    args = ap.parse_args()
    import torch

    from mirlearn.annotations import read_events
    from mirlearn.audio import load
    from mirlearn.data.teachers import BP_HOP, BP_SR, basic_pitch_posteriorgrams, load_basic_pitch
    from mirlearn.detection.peaks import DEFAULT_GRID, peak_pick, tune_peak_picking
    from mirlearn.evaluation.events import evaluate_events, sum_counts

    torch.set_num_threads(1)
    GRID = dict(DEFAULT_GRID, delay=[-0.07, -0.06, -0.05, -0.04, -0.03, -0.02, -0.01, 0.0, 0.01, 0.02])
    fps = BP_SR / BP_HOP
    args.work.mkdir(parents=True, exist_ok=True)
    net = load_basic_pitch()
    files = []  # (fold, activation, reference)
    seconds, audio = 0.0, 0.0
    for k in range(4):
        for name in (DATA / "splits" / f"8-fold_cv_random_{k}.fold").read_text().split():
            path = next((DATA / "audio").glob(f"{name}.*"), None)
            if path is None:
                continue
            y, sr = load(path, sr=BP_SR)
            cache = args.work / f"{name}.npy"
            if cache.exists():
                act = np.load(cache)
            else:
                t0 = time.process_time()
                act = basic_pitch_posteriorgrams(y, sr, net=net)["onset"].max(axis=0)
                seconds += time.process_time() - t0
                audio += len(y) / sr
                np.save(cache, act)
            files.append((k, act, read_events(DATA / "annotations" / f"{name}.onsets", duration=len(y) / sr)))
    per_fold = {"tuned": [], "threshold 0.5": []}
    chosen = []
    for k in range(4):
        train = [(a, r) for f, a, r in files if f != k]
        test = [(a, r) for f, a, r in files if f == k]
        best = tune_peak_picking([a for a, _ in train], [r for _, r in train], fps=fps, grid=GRID)
        best.pop("f_measure")
        chosen.append(best)
        per_fold["tuned"].append(sum_counts(evaluate_events(r, peak_pick(a, fps=fps, **best)) for a, r in test))
        per_fold["threshold 0.5"].append(sum_counts(evaluate_events(r, peak_pick(a, fps=fps, threshold=0.5)) for a, r in test))
    out = {name: {key: mean_std([m[key] for m in ms]) for key in ("f_measure", "precision", "recall")} |
           {"folds_f": [round(m["f_measure"], 3) for m in ms]} for name, ms in per_fold.items()}
    out["peak_picking_per_fold"] = chosen
    if audio:  # the activations were made in this run (not read back from --work)
        out["cpu_seconds_per_audio_second"] = round(seconds / audio, 3)
    print(json.dumps(out, indent=1))
    meta = dict(command=" ".join(["python", "bench/onset_teacher.py"] + sys.argv[1:]), machine=f"{platform.machine()}, {os.cpu_count()} cores",
                date=str(date.today()), code=code_digest(), n_files=len(files), teacher="basic-pitch 0.4.0 (Apache-2.0), our port")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"meta": meta, "results": out}, indent=1) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
