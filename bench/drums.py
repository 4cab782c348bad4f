"""Drum transcription (KD, SD, HH), 4-fold cross-validation by song on the 8 MDB Drums songs.

Trained twice: on the real data only, and with synthetic tracks rendered from Hydrogen
drum kits (Debian hydrogen-data; each track also mixed with a FluidR3 accompaniment) added
to every fold's training part (never to validation or test).

The data: each song's drum stem (mdb-drums-dev, 44.1 kHz) and its full mixture, the sum of
its four stems (mdb-stems-dev, 22.05 kHz), both with the song's MDB Drums class annotation.
A song's stem and mixture share a group, so a song is never in two parts of a split. Each fold
holds out two songs; the validation song(s) are carved from the other six. The drum CRNN is
trained through `mirlearn train --task drums` on stems and mixtures together; scores are
per-class F-measures (±50 ms) from counts summed over each test fold, shown separately for
the drum stems and for the mixtures, mean ± std over folds.

    python bench/drums.py [--epochs 30] [--chunks 32] [--seeds 0] [--variants real,real+synthetic] [--synthetic 12]
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
import soundfile as sf

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, code_digest, mean_std, train_once, write_manifest  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"
CLASSES = ("KD", "SD", "HH")


def manifest(work, *, stems=True, mixtures=True):
    songs = sorted(p.name for p in (SHARED / "mdb-stems-dev").iterdir() if p.is_dir())
    rows = []
    for k, song in enumerate(songs):
        ann = SHARED / "mdb-drums-dev" / "annotations" / "class" / f"{song}_class.txt"
        if stems:
            rows.append((str(SHARED / "mdb-drums-dev" / "audio" / f"{song}_Drum.wav"), str(ann), song, k % 4))
        if mixtures:
            mix = work / "mixtures" / f"{song}.wav"
            if not mix.exists():
                mix.parent.mkdir(parents=True, exist_ok=True)
                parts = [sf.read(SHARED / "mdb-stems-dev" / song / f"{s}.flac", dtype="float32") for s in ("drums", "bass", "vocals", "other")]
                sr = parts[0][1]
                n = max(len(p[0]) for p in parts)
                y = sum(np.pad(p[0], (0, n - len(p[0]))) for p in parts)
                sf.write(mix, y, sr, subtype="FLOAT")
            rows.append((str(mix), str(ann), song, k % 4))
    name = "drums-" + ("stems" if stems else "") + ("+mix" if mixtures else "") + ".csv"
    out = work / name
    return write_manifest(out, ["path", "annotation", "group", "fold"], rows)


def summed(folds, which):
    """Per-class F from counts summed over one fold's files of one kind (stems or mixtures)."""
    out = []
    for f in folds:
        row = {}
        for c in CLASSES:
            tp = fp = fn = 0
            for path, pc in f["per_file"].items():
                if which(path):
                    tp, fp, fn = tp + pc[c]["tp"], fp + pc[c]["fp"], fn + pc[c]["fn"]
            row[c] = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
        row["mean"] = float(np.mean([row[c] for c in CLASSES]))
        out.append(row)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", type=Path, default=ROOT / "bench" / "work" / "drums")
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--seeds", default="0")
    ap.add_argument("--chunks", type=int, default=32, help="training chunks per file and epoch")
    ap.add_argument("--variants", default="real,real+synthetic", help="which training data: real, real+synthetic")
    ap.add_argument("--synthetic", type=int, default=12,
                    help="also train with this many synthetic tracks (Hydrogen kits, each also in a mixture with a "
                         "FluidR3 accompaniment) added to every fold's training part; 0: real data only")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "drums.json")
    args = ap.parse_args()
    args.work = args.work.resolve()  # manifests hold paths relative to their folder
    args.work.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    digest = code_digest()
    results = {}
    wanted = set(args.variants.split(","))
    variants = [("real", None)] if "real" in wanted else []
    if args.synthetic and "real+synthetic" in wanted:
        from mirlearn.data.drumkits import render_drum_tracks

        syn = args.work / f"synthetic-{args.synthetic}"
        syn_man = syn / "drums.csv"
        if not syn_man.exists():
            render_drum_tracks(syn, n_tracks=args.synthetic, backing_soundfont="/usr/share/sounds/sf2/FluidR3_GM.sf2", seed=0,
                               progress=False)
        variants.append(("real+synthetic", syn_man))
    real = manifest(args.work, stems=True, mixtures=True)
    for label, extra in variants:
        man = real
        if extra is not None:  # synthetic rows: split=train, no fold, so they only ever train
            man = args.work / f"drums-{label}.csv"
            lines = real.read_text().splitlines()
            header = lines[0] + ",split"
            body = [ln + "," for ln in lines[1:]]
            body += [f"{r['path']},{r['annotation']},{r['group']},,train" for r in csv.DictReader(open(extra))]
            man.write_text("\n".join([header] + body) + "\n")
        for seed in [int(s) for s in args.seeds.split(",")]:
            cfg = args.work / f"drum_crnn-{label}.yaml"
            cfg.write_text(f"final_model: false\nepochs: {args.epochs}\nchunks_per_file: {args.chunks}\nloss: bce\npatience: 8\n")
            run_dir = args.work / f"run-{label}-seed{seed}"
            m, sec = train_once(run_dir, ["--task", "drums", "--data", man, "--model", "drum_crnn", "--config", cfg, "--seed", seed], env, digest)
            row = {}
            for kind, pred in (("stems", lambda p: "_Drum" in Path(p).name), ("mixtures", lambda p: "mixtures" in Path(p).parent.name)):
                per = summed(m["folds"], pred)
                row[kind] = {c: mean_std([r[c] for r in per]) for c in (*CLASSES, "mean")}
                row[kind]["folds_mean"] = [round(r["mean"], 3) for r in per]
            row["all"] = {k: mean_std([f[k] for f in m["folds"]]) for k in ("f_measure", "precision", "recall")}
            row["seconds"] = round(sec)
            results[f"{label} seed {seed}"] = row
            print(label, seed, json.dumps(row), flush=True)
    meta = dict(command=" ".join(["python", "bench/drums.py"] + sys.argv[1:]), machine=f"{platform.machine()}, {os.cpu_count()} cores",
                date=str(date.today()), code=digest, epochs=args.epochs)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    if args.out.is_file():  # another variant's results, from a run of the same code: keep them
        old = json.loads(args.out.read_text())
        if old["meta"].get("code") == digest:
            results = {**old["results"], **results}
            meta["command"] = old["meta"]["command"] + " ; " + meta["command"]
    args.out.write_text(json.dumps({"meta": meta, "results": results}, indent=1) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
