"""Drum transcription on full mixtures, with and without separating the drums first.

4-fold cross-validation by song on the 8 songs of mdb-stems-dev / MDB Drums (the folds of
bench/separation.py). For each fold, on the six training songs only:

* a drum transcriber: `mirlearn train --task drums` with the shipped drum model's
  configuration (configs/pretrained/drums.yaml: drum_crnn on each song's drum stem and full
  mixture, plus 12 synthetic Hydrogen-kit tracks in the training part);
* a separator: the shipped separation model's configuration (configs/pretrained/separation.yaml),
  validation song carved from the six.

Each test song is then transcribed from four inputs: the full mixture (no separation), the
separator's drums estimate, HPSS's percussive part (non-learned), and the true drum stem
(the ceiling: it needs the answer). Scores: per-class F (KD, SD, HH; ±50 ms) from counts
summed over the fold's test songs, their mean; mean ± std over the 4 folds, and the F of the
counts pooled over all 8 songs.

    python bench/drums_separated.py [--seed 0] [--separation-config configs/pretrained/separation.yaml]
                                    [--drums-config configs/pretrained/drums.yaml] [--synthetic 12]
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

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, code_digest, mean_std, train_once  # noqa: E402
from separation import folds_of  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"
CLASSES = ("KD", "SD", "HH")
INPUTS = ("mixture", "separated", "hpss", "drum_stem")


def _yaml(path):
    import yaml

    return yaml.safe_load(Path(path).read_text()) or {}


def drum_manifest(work, fold, names, test, synthetic):
    """stems + mixtures of every song (split test for ``test``, else train) + synthetic tracks."""
    rows = []
    for song in names:
        split = "test" if song in test else "train"
        ann = SHARED / "mdb-drums-dev" / "annotations" / "class" / f"{song}_class.txt"
        rows.append((str(SHARED / "mdb-drums-dev" / "audio" / f"{song}_Drum.wav"), str(ann), split, song))
        rows.append((str(work / "mixtures" / f"{song}.wav"), str(ann), split, song))
    if synthetic is not None:
        rows += [(str(synthetic.parent / r["path"]), str(synthetic.parent / r["annotation"]), "train", r["group"])
                 for r in csv.DictReader(open(synthetic))]
    man = work / f"fold{fold}" / "drums.csv"
    man.parent.mkdir(parents=True, exist_ok=True)
    with open(man, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["path", "annotation", "split", "group"])
        w.writerows(rows)
    return man


def scores(counts):
    """Per-class F from summed counts ``{class: [tp, fp, fn]}``, and their mean."""
    out = {c: 2 * tp / (2 * tp + fp + fn) if tp else 0.0 for c, (tp, fp, fn) in counts.items()}
    out["mean"] = float(np.mean([out[c] for c in CLASSES]))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", type=Path, default=ROOT / "bench" / "work" / "drums_separated")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--separation-config", type=Path, default=ROOT / "configs" / "pretrained" / "separation.yaml")
    ap.add_argument("--drums-config", type=Path, default=ROOT / "configs" / "pretrained" / "drums.yaml")
    ap.add_argument("--synthetic", type=int, default=12, help="synthetic Hydrogen-kit tracks in each drum model's training part")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "drums_separated.json")
    args = ap.parse_args()

    import torch

    torch.set_num_threads(1)
    import drums

    from mirlearn.annotations import read_labelled_events
    from mirlearn.audio.io import resample
    from mirlearn.data.separation import load_separation, read_song
    from mirlearn.evaluation.events import evaluate_labelled_events
    from mirlearn.inference.detect import run_detector
    from mirlearn.inference.frames import load_frame_bundle
    from mirlearn.inference.separate import HPSSSeparator, load_separation_bundle
    from mirlearn.training.frames import _carve
    from mirlearn.training.separation import fit_separation_model, resolve_separation_config

    work = args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    digest = code_digest()
    songs, stems = load_separation(SHARED / "mdb-stems-dev")
    names = [s.name for s in songs]
    sr = 22050
    tracks = [read_song(s, stems=stems, sr=sr) for s in songs]
    drums.manifest(work, stems=False, mixtures=True)  # writes work/mixtures/<song>.wav (sum of the four stems)
    synthetic = None
    if args.synthetic:
        from mirlearn.data.drumkits import render_drum_tracks

        synthetic = work / f"synthetic-{args.synthetic}" / "drums.csv"
        if not synthetic.exists():
            render_drum_tracks(synthetic.parent, n_tracks=args.synthetic, backing_soundfont="/usr/share/sounds/sf2/FluidR3_GM.sf2",
                               seed=0, progress=False)
    sep_file = _yaml(args.separation_config)
    sep_model = sep_file.get("model", "mask_unet")
    sep_cfg = resolve_separation_config(sep_file, {"seed": args.seed})
    hpss = HPSSSeparator(stems=stems, sr=sr)
    folds = folds_of(len(names))
    counts = {k: [] for k in INPUTS}  # per fold: {class: [tp, fp, fn]}
    per_song = []
    for k, te in enumerate(folds):
        test = {names[i] for i in te}
        man = drum_manifest(work, k, names, test, synthetic)
        drum_run = work / f"fold{k}" / "drums"
        train_once(drum_run, ["--task", "drums", "--data", man, "--model", "drum_crnn", "--config", args.drums_config,
                              "--seed", args.seed], env, digest)
        transcriber = load_frame_bundle(drum_run / "model")
        sep_run = work / f"fold{k}" / "separation"
        stamp = sep_run / "stamp.json"
        want = json.loads(json.dumps({"code": digest, "model": sep_model, "cfg": sep_cfg}))
        if stamp.is_file() and json.loads(stamp.read_text()) == want:
            separator = load_separation_bundle(sep_run / "model")
        else:
            rest = [i for i in range(len(names)) if i not in te]
            tr, va = _carve(names, rest, 1 / len(rest), seed=k, salt=11)  # as bench/separation.py
            separator, _, _ = fit_separation_model(sep_model, [tracks[i] for i in tr], [tracks[i] for i in va], sep_cfg,
                                                   stems=stems, out_dir=sep_run, progress=False)
            separator.save(sep_run / "model")
            stamp.write_text(json.dumps(want))
        fold_counts = {x: {c: [0, 0, 0] for c in CLASSES} for x in INPUTS}
        d = stems.index("drums")
        for i in te:
            mix = tracks[i].sum(axis=0)  # (channels, n)
            inputs = {"mixture": mix, "separated": separator.separate(mix)[d], "hpss": hpss.separate(mix)[d],
                      "drum_stem": tracks[i][d]}
            ref = read_labelled_events(SHARED / "mdb-drums-dev" / "annotations" / "class" / f"{names[i]}_class.txt")
            row = {"song": names[i], "fold": k}
            for x, y in inputs.items():
                y = resample(np.asarray(y, np.float32).mean(0), orig_sr=sr, target_sr=transcriber.sr)
                est = run_detector(transcriber, y)
                et = np.concatenate([np.asarray(est[c], float) for c in CLASSES])
                el = np.concatenate([[c] * len(est[c]) for c in CLASSES]).astype(object)
                sc = evaluate_labelled_events(ref, (et, el), classes=list(CLASSES))
                for c in CLASSES:
                    for j, key in enumerate(("tp", "fp", "fn")):
                        fold_counts[x][c][j] += sc[c][key]
                row[x] = {c: sc[c]["f_measure"] for c in CLASSES}
            per_song.append(row)
            print(json.dumps(row), flush=True)
        for x in INPUTS:
            counts[x].append(fold_counts[x])
    results = {}
    for x in INPUTS:
        per_fold = [scores(c) for c in counts[x]]
        pooled = scores({c: list(np.sum([f[c] for f in counts[x]], axis=0)) for c in CLASSES})
        results[x] = {"folds": per_fold, "mean_std": {c: mean_std([f[c] for f in per_fold]) for c in (*CLASSES, "mean")},
                      "pooled": pooled}
    meta = dict(command=" ".join(["python", "bench/drums_separated.py"] + sys.argv[1:]), machine=f"{platform.machine()}, {os.cpu_count()} cores",
                date=str(date.today()), code=digest, separation_model=sep_model, separation_config=sep_cfg)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"meta": meta, "results": results, "songs": per_song}, indent=1, default=float) + "\n")
    print(table(results))
    print(f"wrote {args.out}")


def table(results):
    lines = ["| input to the transcriber | KD | SD | HH | mean F (folds) | mean F per fold | pooled mean F |", "|---" * 7 + "|"]
    for x, r in results.items():
        m = r["mean_std"]
        lines.append(f"| {x} | {m['KD']} | {m['SD']} | {m['HH']} | {m['mean']} | "
                     f"{', '.join(format(f['mean'], '.3f') for f in r['folds'])} | {r['pooled']['mean']:.3f} |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
