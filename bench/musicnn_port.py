"""Checks of the torch port of musicnn (issue #10, item 1), without TensorFlow.

    python bench/musicnn_port.py [--model musicnn_msd]

1. Batch-norm statistics: every batch norm's input on the 50 gtzan-mini-dev clips (all their
   3 s patches) against the running mean and variance stored in the checkpoint, over the
   channels that are alive (stored variance > 1e-8; many ReLU channels are never active in
   either). A wrong layer order, transposition or padding shows as uncorrelated means.
2. Tags against genres: for the genres that the 50-tag vocabulary names (MSD: rock, pop,
   jazz, metal, blues, country, Hip-Hop), each clip's patch-averaged probabilities; where the
   clip's own genre ranks among those genre tags, and the patch-level ROC-AUC of each genre's
   tag for its clips.

Writes bench/results/musicnn-port-<model>.json (``--json``), which tests/test_benchmark_docs.py
holds the docs' tables to.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, code_digest  # noqa: E402

GENRE_TAGS = {"msd": {"rock": "rock", "pop": "pop", "jazz": "jazz", "metal": "metal", "blues": "blues", "country": "country", "hiphop": "Hip-Hop"},
              "mtt": {"rock": "rock", "pop": "pop", "classical": "classical", "metal": "metal", "country": "country", "disco": "dance"}}


def main():
    import torch
    from sklearn.metrics import roc_auc_score

    from mirlearn.audio import load
    from mirlearn.models.musicnn import load_musicnn, musicnn_input

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="musicnn_msd", choices=["musicnn_msd", "musicnn_mtt", "vgg_msd", "vgg_mtt"])
    ap.add_argument("--json", type=Path, default=None, help="default bench/results/musicnn-port-MODEL.json")
    args = ap.parse_args()
    out = {"meta": dict(command="python bench/musicnn_port.py " + " ".join(sys.argv[1:]), model=args.model, code=code_digest(),
                        date=time.strftime("%Y-%m-%d"), machine=platform.machine(), cores=os.cpu_count()),
           "batch_norms": [], "genres": []}
    net = load_musicnn(args.model)
    files = sorted((ROOT.parent / "shared" / "data" / "gtzan-mini-dev").glob("*/*.*"))
    patches, owner = [], []
    for i, f in enumerate(files):
        y, sr = load(f, sr=16000)
        p = musicnn_input(y, sr=sr)
        patches.append(torch.from_numpy(p))
        owner += [i] * len(p)
    X, owner = torch.cat(patches), np.array(owner)
    genres = np.array([f.parent.name for f in files])
    stats = {}

    def hook(name):
        def f(mod, inp, out):
            x = inp[0]
            dims = [d for d in range(x.ndim) if d != 1]
            stats[name] = (x.mean(dims), x.var(dims), mod.running_mean, mod.running_var)
        return f

    for n, m in net.named_modules():
        if isinstance(m, (torch.nn.BatchNorm1d, torch.nn.BatchNorm2d)):
            m.register_forward_hook(hook(n))
    with torch.no_grad():
        probs = torch.sigmoid(net(X)).numpy()
    m = out["meta"]
    m.update(clips=len(files), patches=len(X))
    print(f"# musicnn port checks: {args.model}, {len(files)} gtzan-mini-dev clips ({len(X)} patches of 3 s); "
          f"code {m['code']}; {m['date']}, {m['machine']}, {m['cores']} cores\n")
    print("| batch norm | live channels | corr(batch mean, stored mean) | median batch var / stored var | median abs(mean - stored) / stored sd |")
    print("|---|---:|---:|---:|---:|")
    for n, (mu, var, rm, rv) in stats.items():
        live = rv > 1e-8
        r = np.corrcoef(mu[live].numpy(), rm[live].numpy())[0, 1] if live.sum() > 2 else float("nan")
        row = dict(name=n, live=int(live.sum()), channels=live.numel(), corr=None if np.isnan(r) else round(float(r), 3),
                   var_ratio=round(float((var[live] / rv[live]).median()), 2),
                   mean_offset=round(float(((mu - rm)[live].abs() / rv[live].sqrt()).median()), 3))
        out["batch_norms"].append(row)
        print(f"| {n} | {row['live']} / {row['channels']} | {'nan' if row['corr'] is None else format(row['corr'], '.3f')} | "
              f"{row['var_ratio']:.2f} | {row['mean_offset']:.3f} |")
    g2t = GENRE_TAGS[args.model.split("_")[1]]
    ks = [net.tags.index(t) for t in g2t.values()]
    clip = np.stack([probs[owner == i].mean(0) for i in range(len(files))])
    print("\n| genre | its tag | clips | rank of its tag among the genre tags, per clip | patch ROC-AUC of the tag |")
    print("|---|---|---:|---|---:|")
    ranks_all = []
    for g, t in g2t.items():
        idx = np.flatnonzero(genres == g)
        ranks = [int(np.flatnonzero(np.argsort(-clip[i, ks]) == list(g2t).index(g))[0]) + 1 for i in idx]
        ranks_all += ranks
        auc = round(float(roc_auc_score(genres[owner] == g, probs[:, net.tags.index(t)])), 3)
        out["genres"].append(dict(genre=g, tag=t, clips=len(idx), ranks=ranks, auc=auc))
        print(f"| {g} | {t} | {len(idx)} | {', '.join(map(str, ranks))} | {auc:.3f} |")
    ranks_all = np.array(ranks_all)
    print(f"\nFirst among the {len(g2t)} genre tags: {int((ranks_all == 1).sum())} of {len(ranks_all)} clips; "
          f"first or second: {int((ranks_all <= 2).sum())}.")
    import json

    path = args.json or ROOT / "bench" / "results" / f"musicnn-port-{args.model}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
