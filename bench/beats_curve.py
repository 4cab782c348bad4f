"""Learning curve of the shipped beat recipe over its real training songs (issue #27).

The shipped recipe's 4-fold CV by song (`python bench/pretrained.py --task beats`) trains each
fold's `beat_tcn` on 4 real MDB songs plus 60 synthetic songs (`mirlearn datasets
render-beats`, seed 0), with 2 more real songs for validation. This script keeps each fold's
test songs, validation songs and configuration (configs/pretrained/beats.yaml; the fold's
split is mirlearn's own, reproduced with `mirlearn.training.frames.split_items` on the
recipe's manifest) and changes only the training songs:

* `real N + synthetic`: N of the fold's 4 real training songs (a seeded order per fold, so
  that the points nest: the song of N=1 is among those of N=2), plus the 60 synthetic songs;
  N=0 is synthetic songs alone;
* `real 4, no synthetic`: the 4 real training songs alone;
* `real4`: the recipe's own training part (4 real + 60 synthetic) as a holdout run of this
  script, the control for `cues`;
* `cues`: the 4 real songs plus 60 synthetic songs of the same seed rendered with
  `--bar-cues` (a chord change, the bass's root and accented chords on every bar's beat 1,
  a crash opening each four-bar phrase): do songs whose bar lines are marked as rock and
  pop mark them teach the network where bars start?

Each (condition, fold) is one holdout run of `mirlearn train --task beats` on a manifest with
explicit train/valid/test splits; decoding (HMM threshold, peak picking, tempo method) is
chosen on the validation songs as in the recipe. The 4-real-song point with synthetic songs
is the recipe's own CV (bench/results/beats-tcn.json), not rerun here. Writes
bench/results/beats-curve.json (per fold and per song).

    python bench/beats_curve.py [--conditions real0,real1,real2,nosynth,real4,cues] [--work runs/beats-curve]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, code_digest, mean_std  # noqa: E402
from pretrained import BEAT_KEYS, beats_manifest  # noqa: E402

from mirlearn.training.frames import split_items  # noqa: E402

RESULTS = ROOT / "bench" / "results"
#: condition -> (real training songs per fold, synthetic songs: False, True (the recipe's) or "cues" (--bar-cues))
CONDITIONS = {"real0": (0, True), "real1": (1, True), "real2": (2, True), "nosynth": (4, False), "real4": (4, True),
              "cues": (4, "cues")}


def cue_songs(work, n_songs):
    """The recipe's synthetic songs (same seed, length and count) rendered with bar cues, as manifest rows."""
    from mirlearn.data.separation import render_beat_songs

    man = work / f"synthetic-{n_songs}-cues" / "beats.csv"
    if not man.exists():
        render_beat_songs(man.parent, n_songs=n_songs, seconds=30.0, seed=0, bar_cues=True, progress=False)
    return [dict(r, path=str(man.parent / r["path"]), annotation=str(man.parent / r["annotation"]), fold="")
            for r in csv.DictReader(open(man))]


def recipe_folds(manifest, cfg):
    """The recipe's ``[(train, valid, test)]`` rows of the manifest, as `mirlearn train` splits it."""
    rows = list(csv.DictReader(open(manifest)))
    items = [SimpleNamespace(path=r["path"], group=r["group"] or None, split=r["split"] or None,
                             fold=int(r["fold"]) if r["fold"] else None) for r in rows]
    parts = split_items(items, cfg=dict(seed=cfg["seed"], folds=None, valid_size=cfg["valid_size"], train_fraction=1.0))
    return rows, [([rows[i] for i in tr], [rows[i] for i in va], [rows[i] for i in te]) for tr, va, te in parts]


def holdout_manifest(path, train, valid, test):
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["path", "annotation", "split", "group"])
        for split, rows in (("train", train), ("valid", valid), ("test", test)):
            w.writerows([r["path"], r["annotation"], split, r["group"]] for r in rows)
    return path


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--conditions", default=",".join(CONDITIONS))
    ap.add_argument("--work", type=Path, default=ROOT / "runs" / "beats-curve")
    ap.add_argument("--out", type=Path, default=RESULTS / "beats-curve.json")
    ap.add_argument("--seed", type=int, default=None,
                    help="the network's seed (default: the recipe's); another seed's runs and results are kept apart "
                         "(<condition>-seed<N>); the folds' songs stay the recipe's")
    args = ap.parse_args()
    conditions = [c for c in args.conditions.split(",") if c]
    unknown = [c for c in conditions if c not in CONDITIONS]
    if unknown:
        ap.error(f"unknown condition(s) {unknown}; known: {', '.join(CONDITIONS)}")
    args.work.mkdir(parents=True, exist_ok=True)
    cfg = yaml.safe_load(open(ROOT / "configs" / "pretrained" / "beats.yaml"))
    manifest = beats_manifest(ROOT / "runs" / "pretrained" / "beats")
    _, folds = recipe_folds(manifest, cfg)  # the recipe's songs per fold, whatever the network's seed
    suffix = "" if args.seed is None or args.seed == cfg["seed"] else f"-seed{args.seed}"
    cfg_file = args.work / f"beats{suffix}.yaml"
    seeded = dict(cfg, seed=cfg["seed"] if args.seed is None else args.seed)
    cfg_file.write_text(yaml.safe_dump({k: v for k, v in seeded.items() if k != "final_model"}, sort_keys=True))
    out = json.loads(args.out.read_text()) if args.out.is_file() else {}
    out.update(command=" ".join(["python bench/beats_curve.py", *sys.argv[1:]]), machine=f"{platform.machine()}, {os.cpu_count()} cores",
               date=time.strftime("%Y-%m-%d"), code=code_digest(), conditions=out.get("conditions", {}))
    for c in conditions:
        n_real, synthetic = CONDITIONS[c]
        name = c + suffix
        per_fold = []
        for k, (tr, va, te) in enumerate(folds):
            real = [r for r in tr if r["fold"]]
            syn = [r for r in tr if not r["fold"]]
            order = np.random.default_rng([0, k]).permutation(len(real))
            if synthetic == "cues":
                syn = cue_songs(ROOT / "runs" / "pretrained" / "beats", len(syn))
            train = [real[i] for i in sorted(order[:n_real])] + (syn if synthetic else [])
            run = args.work / name / f"fold{k}"
            run.parent.mkdir(parents=True, exist_ok=True)
            man = holdout_manifest(args.work / name / f"fold{k}.csv", train, va, te)
            t0 = time.time()
            if not (run / "metrics.json").is_file():
                cmd = [sys.executable, "-m", "mirlearn", "train", "--task", "beats", "--data", str(man), "--config", str(cfg_file),
                       "--out", str(run), "--overwrite", "--no-progress"]
                r = subprocess.run(cmd, env=dict(os.environ, PYTHONWARNINGS="ignore"))
                if r.returncode:
                    sys.exit(r.returncode)
            m = json.loads((run / "metrics.json").read_text())
            per_fold.append(dict({key: m.get(key) for key in BEAT_KEYS}, peaks=m.get("peaks"), postprocess=m.get("postprocess"),
                                 train_real=[Path(r["path"]).stem for r in train if r["fold"]], n_train=len(train),
                                 valid=[Path(r["path"]).stem for r in va], test=[Path(r["path"]).stem for r in te],
                                 per_file={Path(p).stem: s for p, s in m.get("per_file", {}).items()}, seconds=round(time.time() - t0)))
            print(f"{name} fold {k}: beat F {m['f_measure']:.3f}, downbeat F {m.get('downbeat_f_measure', float('nan')):.3f} "
                  f"({per_fold[-1]['train_real']}, {len(train)} training songs)", flush=True)
        summary = {key: mean_std([f[key] for f in per_fold if f[key] is not None]) for key in BEAT_KEYS}
        out["conditions"][name] = dict(n_real=n_real, synthetic=synthetic, seed=seeded["seed"], folds=per_fold, summary=summary)
        args.out.write_text(json.dumps(out, indent=1) + "\n")
    print("| condition | " + " | ".join(BEAT_KEYS) + " |")
    for c, r in out["conditions"].items():
        print(f"| {c} | " + " | ".join(r["summary"][k] for k in BEAT_KEYS) + " |")


if __name__ == "__main__":
    main()
