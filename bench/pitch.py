"""Monophonic pitch: the pitch CNN trained on rendered melodies only, scored on sources it
never saw, against pYIN on the same files.

* Training: melodies rendered from FluidR3_GM (12 General MIDI instruments, with augmented
  copies), through `mirlearn train --task pitch` (validation melodies carved from them).
* Test 1: melodies of the same instruments rendered from TimGM6mb (other samples).
* Test 2: madmom's `stereo_sample` (a real piano recording; its notes sampled at 100 fps,
  where notes overlap the latest onset is the reference).

Raw pitch / raw chroma accuracy (50 cents), voicing recall and false alarm, overall accuracy,
pooled over frames; mean ± std over seeds for the CNN.

    python bench/pitch.py [--seeds 0,1,2] [--epochs 30] [--chunks 8]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import sys
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, code_digest, evaluate_run, mean_std, train_once  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"
KEYS = ("raw_pitch_accuracy", "raw_chroma_accuracy", "voicing_recall", "voicing_false_alarm", "overall_accuracy")


def pyin_scores(manifest):
    from mirlearn.audio import load
    from mirlearn.data.frames import load_paired, read_reference
    from mirlearn.detection.pitch import pyin
    from mirlearn.evaluation.events import evaluate_pitch, mean_pitch

    per = []
    for it in load_paired(manifest, task="pitch"):
        y, sr = load(it.path, sr=22050)
        f0, v, _ = pyin(y, sr=sr, fmin=65, fmax=2093, frame_length=2048, hop_length=256)
        t = [i * 256 / sr for i in range(len(f0))]
        ref = read_reference("pitch", it.annotation, duration=len(y) / sr)
        import numpy as np

        per.append(evaluate_pitch(*ref, np.asarray(t), np.where(v, f0, 0.0)))
    return mean_pitch(per)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", type=Path, default=ROOT / "bench" / "work" / "pitch")
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--per-instrument", type=int, default=6)
    ap.add_argument("--chunks", type=int, default=8, help="training chunks per file and epoch")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "pitch.json")
    args = ap.parse_args()
    from mirlearn.data.render import render_melodies

    args.work = args.work.resolve()  # manifests hold paths relative to their folder
    args.work.mkdir(parents=True, exist_ok=True)
    man = args.work / "melodies" / "melodies.csv"
    if not man.exists():
        render_melodies(["/usr/share/sounds/sf2/FluidR3_GM.sf2", "/usr/share/sounds/sf2/TimGM6mb.sf2"], args.work / "melodies",
                        n_per_instrument=args.per_instrument, seconds=8.0, test_soundfont="TimGM6mb", augment=1, seed=0,
                        progress=False)
    rows = list(csv.DictReader(open(man)))
    test_tim = args.work / "test-timgm6mb.csv"
    with open(test_tim, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["path", "annotation"])
        w.writerows([(str(man.parent / r["path"]), str(man.parent / r["annotation"])) for r in rows if r["split"] == "test"])
    test_real = args.work / "test-madmom.csv"
    test_real.write_text(f"path,annotation\n{SHARED / 'madmom-clips' / 'stereo_sample.flac'},{SHARED / 'madmom-clips' / 'stereo_sample.notes'}\n")
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    digest = code_digest()
    cfg = args.work / "pitch.yaml"
    cfg.write_text(f"epochs: {args.epochs}\npatience: 6\nchunks_per_file: {args.chunks}\n")
    res = {"pitch_cnn": {"timgm6mb": [], "madmom": []}}
    for seed in [int(s) for s in args.seeds.split(",")]:
        run = args.work / f"run-seed{seed}"
        train_once(run, ["--task", "pitch", "--data", man, "--model", "pitch_cnn", "--config", cfg, "--seed", seed], env, digest)
        res["pitch_cnn"]["timgm6mb"].append(evaluate_run(run, test_tim, env))
        res["pitch_cnn"]["madmom"].append(evaluate_run(run, test_real, env))
    out = {"pitch_cnn": {src: {k: mean_std([m[k] for m in ms]) for k in KEYS} for src, ms in res["pitch_cnn"].items()}}
    out["pyin"] = {src: {k: f"{v[k]:.3f}" for k in KEYS} for src, v in (("timgm6mb", pyin_scores(test_tim)), ("madmom", pyin_scores(test_real)))}
    print(json.dumps(out, indent=1))
    meta = dict(command=" ".join(["python", "bench/pitch.py"] + sys.argv[1:]), machine=f"{platform.machine()}, {os.cpu_count()} cores",
                date=str(date.today()), code=digest, n_train=sum(r["split"] == "train" for r in rows),
                n_test=sum(r["split"] == "test" for r in rows))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"meta": meta, "results": out}, indent=1) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
