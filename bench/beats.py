"""Beat tracking and tempo on the 8 real MDB songs, 4-fold cross-validation by song.

The songs are the full mixtures of mdb-stems-dev (the sum of each song's four stems, 22.05
kHz) with MDB Drums' beat annotations (mdb-drums-dev/annotations/beats, `time<TAB>position`).
Fold k holds the songs whose index in name order is k modulo 4 (the folds of bench/drums.py).
Methods scored on each fold's test songs:

* `dp`: Ellis' dynamic-programming tracker on onset strength (mirlearn.detection.beats,
  which gives librosa.beat.beat_track's beats frame for frame), tempo from the
  onset-strength autocorrelation (`tempo_candidates`, T1). Nothing is fitted, so its folds
  only group the songs as the learned methods' folds will.

* `beat_tcn + hmm`, `beat_tcn + peaks`: the shipped recipe's 4-fold CV on the same folds
  (`python bench/pretrained.py --task beats`, configs/pretrained/beats.yaml: beat_tcn on the
  training songs plus 60 synthetic songs, the bar-pointer HMM or peak picking, each tuned on
  validation songs carved from the training songs), read from the results file that command
  writes, bench/results/beats-tcn.json; per song where the run kept per-file scores (HMM).

Metrics (mirlearn.evaluation.beats, mir_eval underneath): beat F-measure (±70 ms), CMLt,
AMLt, P-score, Cemgil, Information Gain, downbeat F (methods that give downbeats), tempo
Acc1 (±4 %) and Acc2 (octave errors allowed) against 60 / the median annotated inter-beat
interval; beats before 5 s are not scored. Per fold: the mean over its songs; then mean ± std
over the 4 folds. Writes bench/results/beats.json (per song and per fold).

    python bench/beats.py [--methods dp,tcn]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import soundfile as sf

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, code_digest, mean_std  # noqa: E402

from mirlearn.annotations import downbeats, read_beats  # noqa: E402
from mirlearn.detection.beats import beat_track, onset_envelope, tempo_candidates  # noqa: E402
from mirlearn.evaluation.beats import evaluate_beats, evaluate_downbeats, reference_tempo, tempo_accuracy  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"
METRICS = ("f_measure", "cmlt", "amlt", "p_score", "cemgil", "information_gain", "downbeat_f_measure", "acc1", "acc2")
N_FOLDS = 4


def songs():
    """``[(song, mixture, sr, beat times, positions, fold)]`` in name order."""
    out = []
    for k, song in enumerate(sorted(p.name for p in (SHARED / "mdb-stems-dev").iterdir() if p.is_dir())):
        parts = [sf.read(SHARED / "mdb-stems-dev" / song / f"{s}.flac", dtype="float32") for s in ("drums", "bass", "vocals", "other")]
        n = max(len(p[0]) for p in parts)
        y = sum(np.pad(p[0], (0, n - len(p[0]))) for p in parts)
        t, pos = read_beats(SHARED / "mdb-drums-dev" / "annotations" / "beats" / f"{song}_MIX.beats", duration=n / parts[0][1])
        out.append((song, y, parts[0][1], t, pos, k % N_FOLDS))
    return out


def run_dp(y, sr):
    _, beats = beat_track(y, sr=sr)
    tempi, _ = tempo_candidates(onset_envelope(y, sr=sr), fps=sr / 512)
    return beats, None, float(tempi[0]) if len(tempi) else 0.0


METHODS = {"dp": run_dp, "tcn": None}
TCN_RESULTS = ROOT / "bench" / "results" / "beats-tcn.json"


def tcn_rows(data):
    """The rows of the shipped recipe's cross-validation (bench/pretrained.py --task beats)."""
    m = json.loads(TCN_RESULTS.read_text())
    fold_of = {s[0]: s[5] for s in data}
    out = []
    for name, get in (("beat_tcn + hmm", lambda f: f), ("beat_tcn + peaks", lambda f: f["peaks"])):
        folds = [{k: get(f).get(k) for k in METRICS} for f in m["folds"]]
        per_song = []
        if name.endswith("hmm"):
            for f in m["folds"]:
                for path, sc in f["per_file"].items():
                    song = Path(path).stem
                    per_song.append({**{k: sc.get(k) for k in METRICS}, "song": song, "fold": fold_of[song]})
        summary = {k: (None if folds[0][k] is None else mean_std([f[k] for f in folds])) for k in METRICS}
        out.append(dict(method=name, per_song=sorted(per_song, key=lambda x: x["song"]), folds=folds, summary=summary,
                        source=str(TCN_RESULTS.relative_to(ROOT))))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--methods", default="dp")
    ap.add_argument("--json", type=Path, default=ROOT / "bench" / "results" / "beats.json")
    args = ap.parse_args()
    methods = args.methods.split(",")
    if "tcn" in methods and not TCN_RESULTS.is_file():
        sys.exit(f"--methods tcn reads {TCN_RESULTS}: run 'python bench/pretrained.py --task beats' first")
    unknown = set(methods) - set(METHODS)
    if unknown:
        sys.exit(f"--methods: unknown {sorted(unknown)}; one of {sorted(METHODS)}")
    data = songs()
    meta = dict(command="python bench/beats.py " + " ".join(sys.argv[1:]), code=code_digest(), date=time.strftime("%Y-%m-%d"),
                machine=platform.machine(), cores=os.cpu_count(), songs=[s[0] for s in data], folds=[s[5] for s in data])
    print(f"# beats on the MDB mixtures; {meta['command']}; code {meta['code']}; {meta['date']}, {meta['machine']}, {meta['cores']} cores\n")
    print("| method | " + " | ".join(METRICS) + " |")
    print("|---|" + "---:|" * len(METRICS))
    results = []
    for m in methods:
        if m == "tcn":
            for r in tcn_rows(data):
                results.append(r)
                print(f"| {r['method']} | " + " | ".join("—" if r["summary"][k] is None else r["summary"][k] for k in METRICS) + " |")
            continue
        per_song = []
        for song, y, sr, t, pos, fold in data:
            beats, down, bpm = METHODS[m](y, sr)
            s = evaluate_beats(t, beats)
            s["downbeat_f_measure"] = evaluate_downbeats(downbeats(t, pos), down)["downbeat_f_measure"] if down is not None else None
            s.update(tempo_accuracy(reference_tempo(t), bpm), tempo=bpm, reference_tempo=reference_tempo(t), song=song, fold=fold)
            per_song.append(s)
        folds = []
        for f in range(N_FOLDS):
            mine = [s for s in per_song if s["fold"] == f]
            folds.append({k: (None if mine[0][k] is None else float(np.mean([s[k] for s in mine]))) for k in METRICS})
        summary = {k: (None if folds[0][k] is None else mean_std([f[k] for f in folds])) for k in METRICS}
        results.append(dict(method=m, per_song=per_song, folds=folds, summary=summary))
        print(f"| {m} | " + " | ".join("—" if summary[k] is None else summary[k] for k in METRICS) + " |", flush=True)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"meta": meta, "results": results}, indent=1) + "\n")


if __name__ == "__main__":
    main()
