"""How much the cheaper ways of running the CREPE teacher change its labels: the full network
at 50 fps (activations interpolated to 100 fps) and the tiny network, each against the full
network at 100 fps, on the first seconds of real bass and vocal stems (mdb-stems-dev). mir_eval's
melody scores with the full network at 100 fps as the reference, and seconds of CPU per second
of audio (one thread, measured side by side in this run).

    python bench/teacher_agreement.py [--songs MusicDelta_80sRock] [--seconds 10]
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
from _common import ROOT, code_digest  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"
KEYS = ("raw_pitch_accuracy", "voicing_recall", "voicing_false_alarm", "overall_accuracy")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--songs", default="MusicDelta_80sRock")
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "teacher-agreement.json")
    args = ap.parse_args()
    import torch

    from mirlearn.audio import load
    from mirlearn.data.teachers import crepe_activations, crepe_f0, load_crepe, resample_activations
    from mirlearn.evaluation.events import evaluate_pitch

    torch.set_num_threads(1)
    nets = {"full": load_crepe("full"), "tiny": load_crepe("tiny")}
    rows, cost = {}, {"full@100": 0.0, "full@50": 0.0, "tiny@100": 0.0}
    audio = 0.0
    for song in args.songs.split(","):
        for stem in ("bass", "vocals"):
            y, sr = load(SHARED / "mdb-stems-dev" / song / f"{stem}.flac", sr=16000, duration=args.seconds)
            audio += len(y) / sr
            f0 = {}
            for name, net, fps in (("full@100", nets["full"], 100), ("full@50", nets["full"], 50), ("tiny@100", nets["tiny"], 100)):
                t0 = time.process_time()
                act = crepe_activations(y, sr, fps=fps, net=net)
                cost[name] += time.process_time() - t0
                if fps != 100:
                    act = resample_activations(act, 1 + len(y) // 160, 100 // fps)
                f0[name] = crepe_f0(act)[0]
            t = np.arange(len(f0["full@100"])) / 100.0
            rows[f"{song} {stem}"] = {name: {k: round(float(v), 3) for k, v in evaluate_pitch(t, f0["full@100"], t, f0[name]).items()
                                             if k in KEYS} for name in ("full@50", "tiny@100")}
            rows[f"{song} {stem}"]["voiced_full@100"] = round(float(np.mean(f0["full@100"] > 0)), 3)
    out = {"agreement": rows, "cpu_seconds_per_audio_second": {k: round(v / audio, 2) for k, v in cost.items()}}
    print(json.dumps(out, indent=1))
    meta = dict(command=" ".join(["python", "bench/teacher_agreement.py"] + sys.argv[1:]), machine=f"{platform.machine()}, {os.cpu_count()} cores",
                date=str(date.today()), code=code_digest(), seconds=args.seconds)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"meta": meta, "results": out}, indent=1) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
