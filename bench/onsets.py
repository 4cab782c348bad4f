"""Onset detection, 4-fold cross-validation on bock-onsets-dev (Böck et al.'s folds 0-3).

Every method runs through the same command, `mirlearn train --task onsets`, on the same
manifest (the dataset's own fold files), so the folds, the validation parts carved from the
training folds and the post-processing search on them are the same for all:

* spectral flux and SuperFlux (no training: peak picking tuned on validation);
* the onset CNN (or ``--model``'s network) under BCE, weighted BCE and focal loss.

Scores: F-measure, precision, recall from counts summed over each test fold (±50 ms), mean ±
std over the 4 folds; the per-file mean F; for the CNN also the same activations decoded by
thresholding at 0.5 instead of peak picking.

    python bench/onsets.py [--epochs 20] [--work bench/work/onsets] [--losses bce,weighted_bce,focal]
                           [--model onset_cnn]
                           [--set KEY=VALUE ...] [--extra MANIFEST] [--out bench/results/onsets.json]

``--set`` adds a frame-level config key to every CNN run (e.g. ``--set chunks_per_file=16``).
``--extra`` adds a manifest's items (e.g. ``mirlearn datasets render-onsets``' synthetic tracks)
to the training part of every fold, never to validation or test.
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
from _common import ROOT, code_digest, mean_std, train_once  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "bock-onsets-dev"


def manifest(work, extra=None):
    """path,annotation,split,group,fold from the dataset's fold files, plus ``extra``'s items as
    split=train with no fold (training data of every fold)."""
    rows = []
    for k in range(4):
        for name in (DATA / "splits" / f"8-fold_cv_random_{k}.fold").read_text().split():
            audio = next((DATA / "audio").glob(f"{name}.*"), None)
            if audio is None:  # listed in the fold file, but the dataset ships no audio for it
                print(f"note: {name} has no audio in {DATA / 'audio'}; left out")
                continue
            rows.append((str(audio), str(DATA / "annotations" / f"{name}.onsets"), "", "", k))
    n = len(rows)
    if extra is not None:
        extra = Path(extra).resolve()
        with open(extra, newline="") as fh:
            for r in csv.DictReader(fh):
                rows.append((str(extra.parent / r["path"]), str(extra.parent / r["annotation"]), "train",
                             r.get("group") or r["path"], ""))
    out = work / "bock-folds.csv"
    with open(out, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["path", "annotation", "split", "group", "fold"])
        w.writerows(rows)
    return out, n, len(rows) - n


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", type=Path, default=ROOT / "bench" / "work" / "onsets")
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--losses", default="bce,weighted_bce,focal")
    ap.add_argument("--model", default="onset_cnn", help="the network trained under each loss (onset_cnn, drum_crnn)")
    ap.add_argument("--baselines", default="spectral_flux,superflux")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="extra config key for the CNN runs")
    ap.add_argument("--extra", type=Path, default=None, metavar="MANIFEST",
                    help="path,annotation[,split][,group] items added to every fold's training part")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "onsets.json")
    args = ap.parse_args()
    args.work = args.work.resolve()  # manifests hold paths relative to their folder
    args.work.mkdir(parents=True, exist_ok=True)
    man, n, n_extra = manifest(args.work, args.extra)
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    digest = code_digest()
    results = {}
    runs = [(b, b, None) for b in filter(None, args.baselines.split(","))]
    runs += [(f"{args.model} ({loss})", args.model, loss) for loss in filter(None, args.losses.split(","))]
    for label, model, loss in runs:
        cfg = args.work / f"{model}-{loss or 'none'}.yaml"
        lines = ["final_model: false"]
        if loss:
            lines += [f"loss: {loss}", f"epochs: {args.epochs}"] + [kv.replace("=", ": ", 1) for kv in args.set]
        cfg.write_text("\n".join(lines) + "\n")
        run_dir = args.work / f"run-{model}-{loss or 'none'}"
        m, sec = train_once(run_dir, ["--task", "onsets", "--data", man, "--model", model, "--config", cfg], env, digest)
        folds = m["folds"]
        row = {k: mean_std([f[k] for f in folds]) for k in ("f_measure", "precision", "recall", "f_measure_mean")}
        if loss:
            row["threshold_0.5"] = mean_std([f["threshold_0.5"]["f_measure"] for f in folds])
        row["folds_f"] = [round(f["f_measure"], 4) for f in folds]
        if loss:  # per fold: peak picking against a 0.5 threshold of the same activations
            row["folds_threshold_0.5_f"] = [round(f["threshold_0.5"]["f_measure"], 4) for f in folds]
            row["folds_threshold_0.5_recall"] = [round(f["threshold_0.5"]["recall"], 4) for f in folds]
        row["seconds"] = round(sec)
        results[label] = row
        print(label, row, flush=True)
    meta = dict(command=" ".join(["python", "bench/onsets.py"] + sys.argv[1:]), machine=f"{platform.machine()}, {os.cpu_count()} cores",
                date=str(date.today()), code=digest, n_files=n, n_extra_train=n_extra, epochs=args.epochs, extra=args.set, model=args.model)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"meta": meta, "results": results}, indent=1) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
