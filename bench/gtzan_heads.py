"""Linear heads on pretrained embeddings, gtzan-mini-dev, 5-fold CV: which head choices
move accuracy, and what a head whose choices are made on training data alone scores.

Run:  python bench/gtzan_heads.py [--work bench/work/gtzan-heads] [--seeds 0,1,2] [--patch-hop 3] [--fusion]
                                  [--out bench/results/gtzan-heads.json]

Every clip is embedded once per (network, layer): one vector per 3 s patch
(:func:`mirlearn.features.embed_patches`), the patches ``--patch-hop`` seconds apart (3:
musicnn's non-overlapping patches; 1: three times as many, overlapping). A head is a standardised logistic regression
(scikit-learn's, lbfgs) trained either on the clip means (``mean``: what
``mirlearn train --model musicnn_msd+logreg`` does) or on every patch, each patch an item with
its clip's label (``patch``; a clip's prediction is the class of highest mean log-probability
over its patches).

With ``--fusion``, two more sources use the four networks' default layers (``NETWORK+logreg``'s)
together: ``concat`` (the four vectors of a patch concatenated, one head) and ``late fusion`` (a
head per network, their log-probabilities summed), with the same heads and C.

Two tables:

* **grid**: every (embedding, layer, head, C), on stratified 5-fold splits (seeds change the
  folds), mean ± std over seeds of the 5-fold mean accuracy. The best cell of this table is
  chosen on the test folds themselves: it is not an estimate of anything.
* **nested**: for each outer fold, the (layer, head, C) of one network is chosen by a
  stratified 4-fold CV on the outer training clips alone, refitted on them and scored on the
  outer test clips: an estimate for the procedure, with the choices made per fold.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import sys
import warnings
from datetime import date
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, code_digest, mean_std  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "gtzan-mini-dev"
LAYERS = {"musicnn_msd": ["penultimate", "max_pool"], "musicnn_mtt": ["penultimate", "max_pool"],
          "vgg_msd": ["pool5"], "vgg_mtt": ["pool5"]}
#: each network's default layer (what ``NETWORK+logreg`` uses)
DEFAULT_LAYERS = ("musicnn_msd:penultimate", "musicnn_mtt:penultimate", "vgg_msd:pool5", "vgg_mtt:pool5")
HEADS = ["mean", "patch"]
CS = [0.01, 0.1, 1.0]


def embeddings(work, files, patch_hop=3.0):
    """{"network:layer": [array (n_patches, dims) per clip]}, cached in ``work``."""
    from mirlearn.audio.io import load
    from mirlearn.features.embeddings import embed_patches

    out = {}
    for net, layers in LAYERS.items():
        for layer in layers:
            hop = "" if patch_hop == 3.0 else f"-hop{patch_hop:g}"
            key, path = f"{net}:{layer}", work / f"{net}-{layer}{hop}.npz"
            if not path.is_file():
                arrs = [embed_patches(load(f, sr=16000)[0], sr=16000, model=net, layer=layer, patch_hop=patch_hop) for f in files]
                np.savez(path, *arrs)
                print(f"embedded {key}", flush=True)
            with np.load(path) as z:
                out[key] = [z[f"arr_{i}"].astype(np.float64) for i in range(len(files))]
    return out


def _clf(C):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=5000))


def fit(E, y, idx, head, C):
    if head == "mean":
        return _clf(C).fit(np.array([E[i].mean(0) for i in idx]), y[idx])
    return _clf(C).fit(np.concatenate([E[i] for i in idx]), np.concatenate([np.full(len(E[i]), y[i]) for i in idx]))


def log_proba(model, E, idx, head):
    """(len(idx), n_classes) log-probabilities of the clips ``idx``."""
    if head == "mean":
        return np.log(model.predict_proba(np.array([E[i].mean(0) for i in idx])) + 1e-12)
    return np.array([np.log(model.predict_proba(E[i]) + 1e-12).mean(0) for i in idx])


def accuracy(emb, keys, y, tr, te, head, C):
    """Accuracy on ``te`` of heads fitted on ``tr``, one per embedding in ``keys``, their
    log-probabilities summed (late fusion; one key: a single head)."""
    lp = sum(log_proba(fit(emb[k], y, tr, head, C), emb[k], te, head) for k in keys)
    return float(np.mean(np.unique(y[tr])[lp.argmax(1)] == y[te]))


def main():
    from sklearn.model_selection import StratifiedKFold

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", type=Path, default=ROOT / "bench" / "work" / "gtzan-heads")
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--patch-hop", type=float, default=3.0, help="seconds between 3 s patches (default 3: no overlap)")
    ap.add_argument("--fusion", action="store_true",
                    help="also the four networks' default layers together: concatenated (one head) and late fusion (a head each, log-probabilities summed)")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "gtzan-heads.json")
    args = ap.parse_args()
    warnings.filterwarnings("ignore", category=FutureWarning)
    args.work.mkdir(parents=True, exist_ok=True)
    seeds = [int(s) for s in args.seeds.split(",")]
    files = sorted(DATA.glob("*/*.*"))
    genres = sorted({f.parent.name for f in files})
    y = np.array([genres.index(f.parent.name) for f in files])
    emb = embeddings(args.work, files, args.patch_hop)
    digest = code_digest()
    print(f"# gtzan-mini-dev ({len(files)} clips), 5-fold CV, seeds {args.seeds}, patch hop {args.patch_hop:g} s; code {digest}; {date.today()}, "
          f"{platform.machine()}, {os.cpu_count()} cores\n")

    grid = {}
    print("| embedding:layer | head | C | accuracy (mean ± std over seeds) |\n|---|---|---:|---:|")
    if args.fusion:
        emb["concat"] = [np.concatenate([emb[k][i] for k in DEFAULT_LAYERS], axis=1) for i in range(len(files))]
    sources = [((key,), key) for key in emb] + ([(DEFAULT_LAYERS, "late fusion")] if args.fusion else [])
    for (keys, key), head, C in itertools.product(sources, HEADS, CS):
        per_seed = [np.mean([accuracy(emb, keys, y, tr, te, head, C)
                             for tr, te in StratifiedKFold(5, shuffle=True, random_state=s).split(y, y)]) for s in seeds]
        grid[f"{key} {head} C={C:g}"] = per_seed
        print(f"| {key} | {head} | {C:g} | {mean_std(per_seed)} |", flush=True)

    nested = {}
    print("\n| network | nested accuracy (mean ± std over seeds) | per seed | choices (per outer fold) |\n|---|---:|---|---|")
    procedures = {net: [((f"{net}:{layer}",), layer, head, C) for layer, head, C in itertools.product(layers, HEADS, CS)]
                  for net, layers in LAYERS.items()}
    if args.fusion:
        procedures["concat (4 networks)"] = [(("concat",), "concat", head, C) for head, C in itertools.product(HEADS, CS)]
        procedures["late fusion (4 networks)"] = [(DEFAULT_LAYERS, "fusion", head, C) for head, C in itertools.product(HEADS, CS)]
    for net, choices in procedures.items():
        per_seed, picks = [], []
        for s in seeds:
            accs = []
            for tr, te in StratifiedKFold(5, shuffle=True, random_state=s).split(y, y):
                inner = list(StratifiedKFold(4, shuffle=True, random_state=s).split(tr, y[tr]))
                score = [np.mean([accuracy(emb, keys, y, tr[a], tr[b], head, C) for a, b in inner])
                         for keys, _, head, C in choices]
                keys, layer, head, C = choices[int(np.argmax(score))]
                picks.append(f"{layer}/{head}/C={C:g}")
                accs.append(accuracy(emb, keys, y, tr, te, head, C))
            per_seed.append(float(np.mean(accs)))
        nested[net] = dict(per_seed=per_seed, picks=picks)
        counts = ", ".join(f"{p} ×{picks.count(p)}" for p in sorted(set(picks), key=lambda p: -picks.count(p)))
        print(f"| {net} | {mean_std(per_seed)} | {', '.join(f'{a:.3f}' for a in per_seed)} | {counts} |", flush=True)

    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(dict(code=digest, date=str(date.today()), machine=platform.machine(), seeds=seeds, patch_hop=args.patch_hop, fusion=args.fusion,
                                        grid=grid, nested=nested), indent=1))


if __name__ == "__main__":
    main()
