"""Benchmark: torch front-ends, fixed against trainable, and zero-mean convolution (issue #9).

    python bench/frontends.py speed [--clips 8 --seconds 30 --repeats 5]
    python bench/frontends.py accuracy [--tasks gtzan,notes] [--variants ...] [--seeds 0,1,2]
    python bench/frontends.py gain [--seeds 0,1,2]

``speed``: one batch of GTZAN clips (22050 Hz) through the frozen log-mel, MFCC and CQT
front-ends (``torch``, ``torch.no_grad``) against the numpy engine (``mirlearn.extract`` on the
same batch), librosa and nnAudio (0.3.x, its ``MelSpectrogram`` and ``CQT2010v2``), one thread
each (``torch.set_num_threads(1)``, BLAS limited by threadpoolctl), median of ``--repeats``
after one untimed call; on the GPU as well where CUDA is available. Ratios are to the numpy
engine, measured in the same process.

``accuracy``: the same CNN (``configs/demo-cnn.yaml``: 4 conv blocks, 16-32 maps, 1 s chunks)
behind each front-end, and the sample-level CNN, trained with ``mirlearn train``:

* ``gtzan``: gtzan-mini-dev, 5-fold CV (``--folds 5``), one seed per ``--seeds``, 8 chunks
  per clip and epoch and 20 epochs at most; mean ± std over the 5 folds (over seeds when
  several);
* ``notes``: notes rendered from FluidR3 (training, one augmented copy each) and TimGM6mb
  (test), as ``bench/notes.py``: 12 instruments; mean ± std over the seeds.

``gain``: the CNN on cached log-mels with and without ``zero_mean``, trained on the notes
set, scored on the TimGM6mb test notes at -12, -6, 0, +6 and +12 dB (float WAV copies: no
clipping); mean ± std over the seeds; a figure ``docs/figures/zero-mean-gain.png``.

Every result goes to ``bench/results/frontends-PART.json`` and is printed as Markdown.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, code_digest, mean_std, train_once  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
CNN_CONFIG = ROOT / "configs" / "demo-cnn.yaml"
SF = {"FluidR3_GM": "/usr/share/sounds/sf2/FluidR3_GM.sf2", "TimGM6mb": "/usr/share/sounds/sf2/TimGM6mb.sf2"}

#: variant -> (model, config lines added to the demo CNN's)
VARIANTS = {
    "logmel (fixed)": ("cnn", "frontend: {type: logmel, n_mels: 64}"),
    "mel (trainable)": ("cnn", "frontend: {type: logmel, n_mels: 64, trainable: [mel]}"),
    "mfcc (mel + dct trainable)": ("cnn", "frontend: {type: mfcc, n_mels: 64, n_mfcc: 40, trainable: [mel, dct]}"),
    "pcen (trainable)": ("cnn", "frontend: {type: pcen, n_mels: 64, trainable: [pcen]}"),
    "chroma (trainable)": ("cnn", "frontend: {type: chroma, n_chroma: 36, trainable: [chroma]}"),
    "sincnet (trainable)": ("cnn", "frontend: {type: sincnet, n_filters: 64, trainable: [sinc]}"),
    "sample-level CNN": ("sample_cnn", "channels: [32, 32, 32, 64, 64, 64, 64, 128, 128]"),
}
GAINS_DB = (-12, -6, 0, 6, 12)


def _stamp():
    return f"code {code_digest()}; {time.strftime('%Y-%m-%d')}, {platform.machine()}, {os.cpu_count()} cores, python {platform.python_version()}"


def _write(part, payload):
    out = ROOT / "bench" / "results" / f"frontends-{part}.json"
    out.write_text(json.dumps(payload, indent=2))
    print(f"\n(wrote {out.relative_to(ROOT)})")


# -- speed ------------------------------------------------------------------------------------

def _time(fn, repeats):
    fn()  # warm-up: filter builders, plans, allocator
    ts = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t)
    return statistics.median(ts)


def speed(args):
    import torch
    from threadpoolctl import threadpool_limits

    import mirlearn
    from mirlearn.audio import load
    from mirlearn.nn.frontends import frontend

    torch.set_num_threads(1)
    files = sorted((DATA / "gtzan-mini-dev").glob("*/*.*"))[: args.clips]
    n = int(args.seconds * 22050)
    Y = np.stack([np.pad(y[:n], (0, max(0, n - len(y)))) for y in (load(f, sr=22050)[0] for f in files)]).astype(np.float32)
    Yt = torch.from_numpy(Y)
    try:
        import librosa
    except ImportError:
        librosa = None
    try:
        from nnAudio import features as nna
    except ImportError:
        nna = None
    cases = {
        "logmel": dict(
            engine=lambda: mirlearn.extract(Y, sr=22050, features=["logmel"]),
            librosa=lambda: librosa.power_to_db(librosa.feature.melspectrogram(y=Y, sr=22050)),
            nnaudio=(lambda: nna.MelSpectrogram(sr=22050, n_fft=2048, hop_length=512, n_mels=128, trainable_mel=False, trainable_STFT=False, verbose=False)),
        ),
        "mfcc": dict(
            engine=lambda: mirlearn.extract(Y, sr=22050, features=["mfcc"]),
            librosa=lambda: librosa.feature.mfcc(y=Y, sr=22050),
            nnaudio=(lambda: nna.MFCC(sr=22050, n_mfcc=20, n_fft=2048, hop_length=512, n_mels=128, verbose=False)),
        ),
        "cqt": dict(
            engine=lambda: mirlearn.extract(Y, sr=22050, features=["cqt"]),
            librosa=lambda: np.abs(librosa.cqt(Y, sr=22050)),
            nnaudio=(lambda: nna.CQT2010v2(sr=22050, hop_length=512, n_bins=84, bins_per_octave=12, verbose=False)),
        ),
    }
    rows = []
    for name, c in cases.items():
        fe = frontend(name, sr=22050)
        with threadpool_limits(1), torch.no_grad():
            t_engine = _time(c["engine"], args.repeats)
            t_torch = _time(lambda: fe(Yt), args.repeats)
            t_lib = _time(c["librosa"], args.repeats) if librosa else None
            t_nna = None
            if nna:
                layer = c["nnaudio"]()
                t_nna = _time(lambda: layer(Yt), args.repeats)
        row = dict(feature=name, engine_s=t_engine, torch_s=t_torch, librosa_s=t_lib, nnaudio_s=t_nna)
        if torch.cuda.is_available():
            fe_gpu, Yg = fe.to("cuda"), Yt.to("cuda")

            def run_gpu():
                fe_gpu(Yg)
                torch.cuda.synchronize()

            with torch.no_grad():
                row["torch_cuda_s"] = _time(run_gpu, args.repeats)
        rows.append(row)
    audio_s = len(files) * args.seconds
    print(f"# frozen front-ends, one batch of {len(files)} × {args.seconds:g} s at 22050 Hz ({audio_s:g} s of audio), one thread; "
          f"median of {args.repeats}; torch {torch.__version__}; {_stamp()}\n")
    print("| feature | numpy engine (s) | torch front-end (s) | torch / engine | librosa (s) | librosa / engine | nnAudio (s) | nnAudio / engine |"
          + (" torch on GPU (s) |" if torch.cuda.is_available() else ""))
    print("|---|---:|---:|---:|---:|---:|---:|---:|" + ("---:|" if torch.cuda.is_available() else ""))
    for r in rows:
        def cell(t):
            return ("-", "-") if t is None else (f"{t:.3f}", f"{t / r['engine_s']:.2f}")
        lib, nn_ = cell(r["librosa_s"]), cell(r["nnaudio_s"])
        gpu = f" {r['torch_cuda_s']:.4f} |" if "torch_cuda_s" in r else ""
        print(f"| {r['feature']} | {r['engine_s']:.3f} | {r['torch_s']:.3f} | {r['torch_s'] / r['engine_s']:.2f} | {lib[0]} | {lib[1]} | "
              f"{nn_[0]} | {nn_[1]} |{gpu}")
    _write("speed", dict(stamp=_stamp(), clips=len(files), seconds=args.seconds, repeats=args.repeats, rows=rows))


# -- accuracy ---------------------------------------------------------------------------------

def _notes(out, digest):
    """Render the cross-SoundFont note set once (FluidR3 train, augmented; TimGM6mb test)."""
    for name, path in SF.items():
        if not Path(path).is_file():
            sys.exit(f"missing SoundFont {path} ({name}): apt-get install fluid-soundfont-gm timgm6mb-soundfont")
    notes = out / "notes"
    stamp = notes / "bench_code.txt"
    if not (stamp.is_file() and stamp.read_text() == digest):
        cmd = [sys.executable, "-m", "mirlearn", "datasets", "render-notes", "--soundfont", SF["FluidR3_GM"], "--soundfont", SF["TimGM6mb"],
               "--test-soundfont", "TimGM6mb", "--pitch-step", "4", "--augment", "1", "--out", str(notes), "--no-progress"]
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit(f"render failed:\n{r.stdout}\n{r.stderr}")
        stamp.write_text(digest)
    return notes / "notes-instrument.csv"


def _config(out, name, lines):
    cfg = out / f"{name}.yaml"
    cfg.write_text(CNN_CONFIG.read_text() + "".join(f"{line}\n" for line in lines if line))
    return cfg


def _slug(variant):
    return "".join(ch if ch.isalnum() else "-" for ch in variant).strip("-")


def _setup(args):
    """(work folder, environment with the shared feature cache, code digest, seeds)."""
    args.work.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, MIRLEARN_CACHE=str(args.work / "cache"), PYTHONWARNINGS="ignore")
    return args.work, env, code_digest(), [int(s) for s in args.seeds.split(",")]


def accuracy(args):
    out, env, digest, seeds = _setup(args)
    variants = [v for v in VARIANTS if not args.variants or _slug(v) in args.variants.split(",")]
    results = {}
    for task in args.tasks.split(","):
        data = DATA / "gtzan-mini-dev" if task == "gtzan" else _notes(out, digest)
        head = ("gtzan-mini-dev, 5-fold CV" if task == "gtzan" else "notes: FluidR3 (train, 1 augmented copy) → TimGM6mb (test), 12 instruments")
        print(f"\n# {head}; the demo CNN behind each front-end; seeds {args.seeds}; {_stamp()}\n")
        print("| input | accuracy | macro-F1 | spread is over | per fold / seed (accuracy) | seconds |")
        print("|---|---:|---:|---|---|---:|")
        for v in variants:
            model, extra = VARIANTS[v]
            # 40 training clips of 30 s: 8 chunks each per epoch (the demo's 2 make 3 steps an epoch)
            lines = [extra] + (["chunks_per_clip: 8", "epochs: 20"] if task == "gtzan" else []) + ([f"epochs: {args.epochs}"] if args.epochs else [])
            cfg = _config(out, f"{task}-{_slug(v)}", lines)
            ms, secs = [], []
            for seed in seeds:
                run_args = ["--data", data, "--model", model, "--config", cfg, "--seed", seed] + (["--folds", 5] if task == "gtzan" else [])
                m, s = train_once(out / f"{task}-{_slug(v)}-seed{seed}", run_args, env, digest)
                ms.append(m)
                secs.append(s)
            if task == "gtzan" and len(seeds) == 1:
                accs = [f["accuracy"] for f in ms[0]["folds"]]
                f1s = [f["macro_f1"] for f in ms[0]["folds"]]
                over = "5 folds"
            else:
                accs, f1s = [m["accuracy"] for m in ms], [m["macro_f1"] for m in ms]
                over = f"{len(seeds)} seeds" + (" (each the 5-fold mean)" if task == "gtzan" else "")
            results.setdefault(task, {})[v] = dict(accuracy=accs, macro_f1=f1s, over=over, seconds=secs)
            print(f"| {v} | {mean_std(accs)} | {mean_std(f1s)} | {over} | {', '.join(f'{a:.2f}' for a in accs)} | "
                  f"{sum(secs) / len(secs):.0f} |", flush=True)
    _write("accuracy" if not args.suffix else f"accuracy-{args.suffix}", dict(stamp=_stamp(), seeds=seeds, epochs=args.epochs, results=results))


# -- gain -------------------------------------------------------------------------------------

def gain(args):
    import pandas as pd
    import soundfile as sf

    out, env, digest, seeds = _setup(args)
    manifest = _notes(out, digest)
    notes = manifest.parent
    df = pd.read_csv(manifest)
    test = df[df["split"] == "test"]
    scaled = out / "gain-test"
    rows = []
    for g in GAINS_DB:
        for p, label in zip(test["path"], test["label"]):
            dst = scaled / f"{g:+d}dB" / p
            if not dst.is_file():
                y, sr = sf.read(notes / p, dtype="float32")
                dst.parent.mkdir(parents=True, exist_ok=True)
                sf.write(dst, y * np.float32(10 ** (g / 20)), sr, subtype="FLOAT")
            rows.append(dict(path=str(dst), label=label, split="test", gain_db=g))
    curves = {}
    for zero_mean in (False, True):
        name = "zero-mean" if zero_mean else "plain"
        cfg = _config(out, f"gain-{name}", [f"zero_mean: {str(zero_mean).lower()}"])
        for seed in seeds:
            run = out / f"gain-{name}-seed{seed}"
            train_once(run, ["--data", manifest, "--model", "cnn", "--config", cfg, "--seed", seed], env, digest)
            for g in GAINS_DB:
                m = scaled / f"manifest{g:+d}.csv"
                pd.DataFrame([r for r in rows if r["gain_db"] == g]).drop(columns="gain_db").to_csv(m, index=False)
                r = subprocess.run([sys.executable, "-m", "mirlearn", "evaluate", str(run), "--data", str(m), "--json"],
                                   capture_output=True, text=True, env=env)
                if r.returncode != 0:
                    sys.exit(f"evaluate failed:\n{r.stderr}")
                curves.setdefault(name, {}).setdefault(g, []).append(json.loads(r.stdout)["accuracy"])
    print(f"\n# zero-mean convolution against gain: the demo CNN on cached log-mels (training augmentation as default: "
          f"±6 dB gain), notes FluidR3 → TimGM6mb, test notes scaled; accuracy, mean ± std over seeds {args.seeds}; {_stamp()}\n")
    print("| model | " + " | ".join(f"{g:+d} dB" for g in GAINS_DB) + " |")
    print("|---|" + "---:|" * len(GAINS_DB))
    for name, c in curves.items():
        print(f"| CNN{' (zero-mean)' if name == 'zero-mean' else ''} | " + " | ".join(mean_std(c[g]) for g in GAINS_DB) + " |")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.5))
    for name, c in curves.items():
        m = np.array([np.mean(c[g]) for g in GAINS_DB])
        s = np.array([np.std(c[g], ddof=1) if len(c[g]) > 1 else 0.0 for g in GAINS_DB])
        ax.errorbar(GAINS_DB, m, yerr=s, marker="o", capsize=3, label=f"CNN{' (zero-mean first layer)' if name == 'zero-mean' else ''}")
    ax.set_xlabel("gain applied to the test notes (dB)")
    ax.set_ylabel("accuracy (12 instruments)")
    ax.set_xticks(GAINS_DB)
    ax.set_title(f"Cross-SoundFont notes, mean ± std over {len(seeds)} seeds", fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig_path = ROOT / "docs" / "figures" / "zero-mean-gain.png"
    fig_path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(fig_path, dpi=100)
    print(f"(figure: {fig_path.relative_to(ROOT)})")
    _write("gain", dict(stamp=_stamp(), seeds=seeds, gains_db=list(GAINS_DB), curves=curves))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("part", choices=["speed", "accuracy", "gain"])
    ap.add_argument("--clips", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--tasks", default="gtzan,notes")
    ap.add_argument("--variants", default="", help="comma-separated slugs (e.g. logmel-fixed,sample-level-CNN); default all")
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--epochs", type=int, default=None, help="override the demo CNN's 15 epochs")
    ap.add_argument("--suffix", default="", help="accuracy: results file frontends-accuracy-SUFFIX.json")
    ap.add_argument("--work", type=Path, default=ROOT / "bench" / "work" / "frontends")
    args = ap.parse_args()
    args.work = args.work.resolve()
    {"speed": speed, "accuracy": accuracy, "gain": gain}[args.part](args)


if __name__ == "__main__":
    main()
