"""Where the decoded downbeats fall in the annotated bar (issue #27).

Downbeat F of the beat models is all or nothing per song: the HMM finds a bar grid but
often starts it on another beat. For each holdout run of bench/beats_curve.py (one folder
per fold, `<work>/<condition>/fold<k>` beside its manifest `fold<k>.csv`), this decodes the
fold's test songs with the run's model and counts, for each estimated downbeat within
±70 ms of an annotated beat, that beat's annotated bar position (1 = the downbeat;
2, 3, 4 = a bar grid one, two or three beats late). Writes
bench/results/beats-downbeat-phase.json and prints a table.

    python bench/beats_downbeat_phase.py runs/beats-curve/real0 [runs/beats-curve/cues ...]
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

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, code_digest  # noqa: E402

WINDOW = 0.07


def phase_counts(times, positions, downbeats, window=WINDOW):
    """``(counts, unmatched)``: for each of ``downbeats`` within ``window`` s of an annotated
    beat, that beat's bar position, counted per position (index 0 = position 1)."""
    times, positions = np.asarray(times, float), np.asarray(positions)
    counts = np.zeros(int(np.nanmax(positions)) if len(positions) else 0, int)
    unmatched = 0
    for d in np.asarray(downbeats, float):
        i = int(np.argmin(np.abs(times - d))) if len(times) else -1
        if i < 0 or abs(times[i] - d) > window:
            unmatched += 1
        else:
            counts[int(positions[i]) - 1] += 1
    return counts, unmatched


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("conditions", nargs="+", type=Path, help="folders <work>/<condition> of bench/beats_curve.py")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "beats-downbeat-phase.json")
    args = ap.parse_args()

    from mirlearn.annotations import read_beats
    from mirlearn.audio.io import load
    from mirlearn.inference.detect import resolve_detector, run_detector

    out = dict(command=" ".join(["python bench/beats_downbeat_phase.py", *sys.argv[1:]]), machine=f"{platform.machine()}, {os.cpu_count()} cores",
               date=time.strftime("%Y-%m-%d"), code=code_digest(), conditions={})
    for cond in args.conditions:
        songs = []
        for run in sorted(p for p in cond.glob("fold*") if p.is_dir()):
            det = resolve_detector("beats", model=run)
            for r in csv.DictReader(open(cond / f"{run.name}.csv")):
                if r["split"] != "test":
                    continue
                y, _ = load(r["path"], sr=det.sr)
                t, p = read_beats(r["annotation"])
                res = run_detector(det, y)
                counts, unmatched = phase_counts(t, p, res["beats"][res["positions"] == 1])
                songs.append(dict(fold=int(run.name[4:]), song=Path(r["path"]).stem, positions=counts.tolist(), unmatched=unmatched))
                print(f"{cond.name} {run.name} {songs[-1]['song']}: downbeats on positions 1.. {counts.tolist()}, "
                      f"{unmatched} off the beats", flush=True)
        out["conditions"][cond.name] = songs
    args.out.write_text(json.dumps(out, indent=1) + "\n")
    print("| condition | song | fold | on 1 | on 2 | on 3 | on 4 | off the beats |")
    for c, songs in out["conditions"].items():
        for s in songs:
            pos = (s["positions"] + [0] * 4)[:4]
            print(f"| {c} | {s['song']} | {s['fold']} | " + " | ".join(map(str, pos)) + f" | {s['unmatched']} |")


if __name__ == "__main__":
    main()
