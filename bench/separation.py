"""Benchmark: source separation on mdb-stems-dev, 4-fold cross-validation by song.

Run:  python bench/separation.py [--data ../shared/data/mdb-stems-dev] [--models wave_u_net,mask_unet]
                                 [--seeds 0,1,2] [--conditions all,-remix,-gain,-polarity,none]
                                 [--set KEY=VALUE ...] [--label NAME] [--out bench/results/separation.json]

The 8 songs are dealt into 4 fixed folds of 2 (a seeded shuffle that does not change with
``--seeds``). For each fold, one training song is the validation song (early stopping) and
the others train. Every method separates the 2 test songs whole and is scored with BSS Eval
v4 (1 s frames, median over frames per song); a table gives, per stem, the median over the 8
test songs, as SiSEC does. Learned models: mean ± sample std of that median over seeds.

Methods: ``mixture`` (the mixture itself as every stem's estimate: the floor), ``hpss``
(percussive -> drums, harmonic -> each other stem), ``oracle_irm`` (the ideal ratio mask
from the true stems, power 2: the ceiling, for reference only; it sees the answer) and each
learned model under each augmentation condition: ``all`` (cross-song remixing, random gains,
random polarity), ``-X`` (all but X), ``none``, and ``all+synthetic``: ``all`` with
``--synthetic`` songs rendered from a SoundFont and Hydrogen kits
(:func:`mirlearn.data.separation.render_songs`, seed 0) added to every fold's training songs
(never to validation or test). ``all+kits``: ``all``, and with probability ``--layer`` (0.5)
a training chunk's drums are replaced by a piece of one of ``--kit-tracks`` drum tracks
(20 s each) played on the recorded Hydrogen kits (:data:`mirlearn.data.drumkits.RECORDED_KITS`,
Debian hydrogen-data and hydrogen-drumkits; :func:`mirlearn.data.drumkits.render_drum_tracks`,
seed 0), at the level of the drums it replaces (``augment.layer``, ``layer_data``). The
synthetic conditions are only run when asked for by name.

``--train-songs N`` trains each fold on N of its training songs only (a seeded choice per
fold that does not change with the seed, so that smaller sets nest in larger ones; validation
and test songs unchanged): a learning curve over the amount of real training data.

``--label NAME`` names the ``--set`` overrides of a run: its rows read ``model condition
NAME`` (``mask_unet all e24``), so runs of other settings can share one report.

Results go to ``--out`` (JSON: every song's scores) and a Markdown table on stdout;
``--report A.json B.json`` prints the table of finished results only. Each
training reuses nothing from another, so a run can be repeated piece by piece with
``--models``/``--conditions``/``--seeds``; finished pieces of the same code are read back
from ``bench/work/separation`` instead of retrained.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np
from _common import ROOT, code_digest

STEMS_ORDER = ["drums", "bass", "vocals", "other"]

CONDITIONS = {
    "all": {},
    "-remix": {"remix": 0.0},
    "-gain": {"gain_db": 0.0},
    "-polarity": {"polarity": False},
    "none": {"remix": 0.0, "gain_db": 0.0, "polarity": False},
    "all+synthetic": {},
    "all+kits": {},  # augment.layer is --layer
}


def _value(text):
    import yaml

    return yaml.safe_load(text)


def folds_of(n_songs, n_folds=4, seed=0):
    order = np.random.default_rng(seed).permutation(n_songs)
    return [sorted(int(i) for i in order[k::n_folds]) for k in range(n_folds)]


def oracle_irm(x, *, n_fft=2048, hop_length=512, power=2.0):
    """The ideal ratio mask from the true stems ``x (n_stems, n_channels, n)``: for
    reference only (it needs the answer)."""
    from mirlearn.features.decompose import istft
    from mirlearn.features.spectral import stft

    S = stft(x, n_fft=n_fft, hop_length=hop_length)
    X = S.sum(axis=0)
    P = np.abs(S) ** power
    mask = P / np.maximum(P.sum(axis=0), np.finfo(np.float32).tiny)
    return istft(mask * X[None], hop_length=hop_length, length=x.shape[-1])


class _Oracle:
    def __init__(self, truth):
        self.truth = truth

    def separate(self, mix):
        return oracle_irm(self.truth)


class _Mixture:
    def __init__(self, n_stems):
        self.n = n_stems

    def separate(self, mix):
        return np.repeat(mix[None], self.n, axis=0)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "mdb-stems-dev"))
    ap.add_argument("--models", default="wave_u_net,mask_unet")
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--conditions", default=",".join(c for c in CONDITIONS if "+" not in c))
    ap.add_argument("--synthetic", type=int, default=8, help="synthetic songs (20 s each) of the all+synthetic condition")
    ap.add_argument("--kit-tracks", type=int, default=40, help="drum tracks (20 s each) on the recorded kits, for all+kits")
    ap.add_argument("--layer", type=float, default=0.5, help="probability of layering a recorded-kit track, for all+kits")
    ap.add_argument("--baselines", default="mixture,hpss,oracle_irm")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="training config overrides (YAML values)")
    ap.add_argument("--train-songs", type=int, default=0, help="train each fold on this many of its training songs (0: all)")
    ap.add_argument("--label", default="", help="a name for the --set overrides, added to each row's condition")
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "separation.json"))
    ap.add_argument("--work", default=str(ROOT / "bench" / "work" / "separation"))
    ap.add_argument("--report", nargs="+", metavar="RESULTS.json", help="only print the table of finished results (no training)")
    args = ap.parse_args()
    if args.report:
        merged, codes = {}, set()
        for f in args.report:
            d = json.loads(Path(f).read_text())
            merged.update(d["results"])
            codes.add(d["code"])
        print(f"# code {', '.join(sorted(codes))}")
        print(table(merged, STEMS_ORDER))
        return

    import torch

    torch.set_num_threads(1)
    from mirlearn.data.separation import load_separation, read_song
    from mirlearn.evaluation.separation import jsonable, median_over_songs, score_songs
    from mirlearn.inference.separate import HPSSSeparator, load_separation_bundle
    from mirlearn.training.frames import _carve
    from mirlearn.training.separation import fit_separation_model, resolve_separation_config

    digest = code_digest()
    overrides = {}
    for kv in args.set:
        k, _, v = kv.partition("=")
        overrides[k] = _value(v)
    songs, stems = load_separation(args.data)
    sr = 22050
    tracks = [read_song(s, stems=stems, sr=sr) for s in songs]
    names = [s.name for s in songs]
    folds = folds_of(len(songs))
    work = Path(args.work)
    synthetic = []
    if any("synthetic" in c for c in args.conditions.split(",")):
        from mirlearn.data.separation import render_songs

        folder = work / f"synthetic-{args.synthetic}"
        if not folder.is_dir():
            render_songs(folder, n_songs=args.synthetic, seconds=20.0, sr=sr, seed=0, progress=False)
        synthetic = [read_song(s, stems=stems, sr=sr) for s in load_separation(folder, stems=stems)[0]]
    kit_tracks = None
    if "all+kits" in args.conditions.split(","):
        from mirlearn.data.drumkits import RECORDED_KITS, find_kits, render_drum_tracks

        kit_tracks = work / f"kits-{args.kit_tracks}"
        if not (kit_tracks / "drums.csv").is_file():
            kits = [k for k in find_kits() if k.name in RECORDED_KITS]
            if not kits:
                sys.exit("all+kits needs the recorded Hydrogen kits: make real-sources (Debian hydrogen-drumkits)")
            render_drum_tracks(kit_tracks, n_tracks=args.kit_tracks, seconds=20.0, sr=sr, kits=kits, seed=0, progress=False)
    results = {}
    if Path(args.out).is_file():
        old = json.loads(Path(args.out).read_text())
        if old.get("code") == digest:
            results = old["results"]

    def run_method(key, make):
        per_song = []
        for k, te in enumerate(folds):
            for i in te:
                sep = make(k, i)
                ps, _ = score_songs(sep, [tracks[i]], [names[i]], stems=stems, sr=sr)
                per_song += [dict(r, fold=k) for r in ps]
        results[key] = {"songs": per_song, **median_over_songs(per_song)}

    for b in [b for b in args.baselines.split(",") if b]:
        t0 = time.perf_counter()
        if b == "mixture":
            run_method(b, lambda k, i: _Mixture(len(stems)))
        elif b == "hpss":
            run_method(b, lambda k, i: HPSSSeparator(stems=stems, sr=sr))
        elif b == "oracle_irm":
            run_method(b, lambda k, i: _Oracle(tracks[i]))
        else:
            sys.exit(f"unknown baseline {b}")
        results[b]["seconds"] = time.perf_counter() - t0
        print(f"{b}: {results[b]['sdr']}", flush=True)

    for model in [m for m in args.models.split(",") if m]:
        for cond in [c for c in args.conditions.split(",") if c]:
            for seed in [int(s) for s in args.seeds.split(",") if s]:
                name = f"{cond} {args.label}" if args.label else cond
                key = f"{model}|{name}|{seed}"
                if key in results:
                    continue
                layering = {"augment": {"layer": args.layer}, "layer_data": str(kit_tracks)} if cond == "all+kits" else {}
                cfg = resolve_separation_config(overrides, {"seed": seed, "augment": CONDITIONS[cond]}, layering)
                t0 = time.perf_counter()
                per_song, epochs = [], []
                for k, te in enumerate(folds):
                    rest = [i for i in range(len(songs)) if i not in te]
                    tr, va = _carve(names, rest, 1 / len(rest), seed=k, salt=11)  # one validation song, fixed per fold
                    if args.train_songs:
                        if not 1 <= args.train_songs <= len(tr):
                            sys.exit(f"--train-songs must be 1..{len(tr)}")
                        tr = sorted(np.random.default_rng(100 + k).permutation(tr)[:args.train_songs].tolist())
                    run = work / model / name.replace(" ", "_") / f"seed{seed}" / f"fold{k}"
                    stamp = run / "stamp.json"
                    want = {"code": digest, "cfg": cfg, "synthetic": args.synthetic if "synthetic" in cond else 0,
                            "train_songs": [names[i] for i in tr]}
                    if stamp.is_file() and json.loads(stamp.read_text()) == json.loads(json.dumps(want)):
                        bundle = load_separation_bundle(run / "model")
                    else:
                        extra = synthetic if "synthetic" in cond else []
                        bundle, _, _ = fit_separation_model(model, [tracks[i] for i in tr] + extra, [tracks[i] for i in va], cfg, stems=stems,
                                                            out_dir=run, progress=False)
                        bundle.save(run / "model")
                        stamp.write_text(json.dumps(want))
                    epochs.append(bundle.info.get("epochs_run"))
                    ps, _ = score_songs(bundle, [tracks[i] for i in te], [names[i] for i in te], stems=stems, sr=sr)
                    per_song += [dict(r, fold=k) for r in ps]
                results[key] = {"songs": per_song, **median_over_songs(per_song), "seconds": time.perf_counter() - t0,
                                "epochs_run": epochs, "config": cfg, "synthetic_songs": args.synthetic if "synthetic" in cond else 0,
                                "train_songs": args.train_songs or None}
                print(f"{key}: {results[key]['sdr']} ({results[key]['seconds']:.0f} s)", flush=True)
                Path(args.out).parent.mkdir(parents=True, exist_ok=True)
                Path(args.out).write_text(json.dumps(jsonable({"code": digest, "results": results}), indent=1) + "\n")

    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(jsonable({"code": digest, "results": results}), indent=1) + "\n")
    print(f"\n# code {digest}; {platform.machine()}, {platform.python_version()}; {time.strftime('%Y-%m-%d')}")
    print(table(results, stems))


def table(results, stems):
    """Median SDR over the test songs per stem: baselines as is, learned models as mean ± std
    over seeds."""
    groups = {}
    for key, r in results.items():
        groups.setdefault(key.rsplit("|", 1)[0] if "|" in key else key, []).append(r)
    lines = ["| method | " + " | ".join(stems) + " | mean | seeds |", "|---" * (len(stems) + 3) + "|"]
    for g, rs in groups.items():
        cells = []
        for s in stems + ["mean"]:
            v = np.array([r["sdr"][s] if r["sdr"][s] is not None else np.nan for r in rs], float)
            if len(v) > 1 and len(v) < 3:
                cells.append(f"{v.mean():.2f} (n={len(v)})")
                continue
            cells.append(f"{v.mean():.2f}" if len(v) == 1 else f"{v.mean():.2f} ± {v.std(ddof=1):.2f}")
        lines.append(f"| {g.replace('|', ' ')} | " + " | ".join(cells) + f" | {len(rs) if '|' in g else '-'} |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
