"""Benchmark: the feature engine against librosa, and `mirlearn extract` end to end.

Run:  python bench/features.py --data ../shared/data/gtzan-mini-dev [--clips 50]

For every clip (30 s, 22050 Hz) and one process with single-threaded BLAS, it times
side by side, clip by clip:

* (a) librosa called feature by feature on ``y``: every librosa feature function
  computes its own STFT (or CQT); derived features (power, dB, deltas) reuse the result
  of the function they derive from;
* (b) librosa with a shared spectrogram passed as ``S=`` (or ``C=``) wherever its API
  allows it;
* (c) ``mirlearn.extract`` with the same features;
* the floor: the STFT alone (``librosa.stft`` and mirlearn's).

It does so for the STFT-based bundle and for that bundle plus the CQT features, and checks
that (c) agrees with (a). Results are printed as Markdown for docs/benchmarks.md and written
to bench/results/features.json (``--json``), which tests/test_benchmark_docs.py holds the
docs' tables to.
``bench/extract.py`` times ``mirlearn extract`` end to end.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
import warnings
from pathlib import Path

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(var, "1")

import librosa  # noqa: E402
import numpy as np  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

import mirlearn  # noqa: E402
from mirlearn.features import spectral  # noqa: E402

STFT_BUNDLE = [
    "stft", "power", "mel", "logmel", "mfcc", "mfcc_delta", "mfcc_delta2", "chroma_stft",
    "spectral_centroid", "spectral_bandwidth", "spectral_rolloff", "spectral_flatness",
    "spectral_contrast", "zero_crossing_rate", "rms", "onset_strength",
]
CQT_BUNDLE = STFT_BUNDLE + ["cqt", "cqt_db", "chroma_cqt"]


def librosa_each(y, sr, cqt):
    """(a) every librosa feature function on y."""
    out = {}
    D = librosa.stft(y)
    out["stft"] = np.abs(D)
    out["power"] = out["stft"] ** 2
    out["mel"] = librosa.feature.melspectrogram(y=y, sr=sr)
    out["logmel"] = librosa.power_to_db(out["mel"])
    out["mfcc"] = librosa.feature.mfcc(y=y, sr=sr)
    out["mfcc_delta"] = librosa.feature.delta(out["mfcc"])
    out["mfcc_delta2"] = librosa.feature.delta(out["mfcc"], order=2)
    out["chroma_stft"] = librosa.feature.chroma_stft(y=y, sr=sr)
    out["spectral_centroid"] = librosa.feature.spectral_centroid(y=y, sr=sr)
    out["spectral_bandwidth"] = librosa.feature.spectral_bandwidth(y=y, sr=sr)
    out["spectral_rolloff"] = librosa.feature.spectral_rolloff(y=y, sr=sr)
    out["spectral_flatness"] = librosa.feature.spectral_flatness(y=y)
    out["spectral_contrast"] = librosa.feature.spectral_contrast(y=y, sr=sr)
    out["zero_crossing_rate"] = librosa.feature.zero_crossing_rate(y)
    out["rms"] = librosa.feature.rms(y=y)
    out["onset_strength"] = librosa.onset.onset_strength(y=y, sr=sr)[None]
    if cqt:
        out["cqt"] = np.abs(librosa.cqt(y, sr=sr))
        out["cqt_db"] = librosa.amplitude_to_db(out["cqt"])
        out["chroma_cqt"] = librosa.feature.chroma_cqt(y=y, sr=sr)
    return out


def librosa_shared(y, sr, cqt):
    """(b) librosa with one spectrogram passed around as S= where the API allows."""
    out = {}
    S = np.abs(librosa.stft(y))
    P = S**2
    out["stft"], out["power"] = S, P
    out["mel"] = librosa.feature.melspectrogram(S=P, sr=sr)
    out["logmel"] = librosa.power_to_db(out["mel"])
    out["mfcc"] = librosa.feature.mfcc(S=out["logmel"], sr=sr)
    out["mfcc_delta"] = librosa.feature.delta(out["mfcc"])
    out["mfcc_delta2"] = librosa.feature.delta(out["mfcc"], order=2)
    out["chroma_stft"] = librosa.feature.chroma_stft(S=P, sr=sr)
    out["spectral_centroid"] = librosa.feature.spectral_centroid(S=S, sr=sr)
    out["spectral_bandwidth"] = librosa.feature.spectral_bandwidth(S=S, sr=sr)
    out["spectral_rolloff"] = librosa.feature.spectral_rolloff(S=S, sr=sr)
    out["spectral_flatness"] = librosa.feature.spectral_flatness(S=S)
    out["spectral_contrast"] = librosa.feature.spectral_contrast(S=S, sr=sr)
    out["zero_crossing_rate"] = librosa.feature.zero_crossing_rate(y)
    out["rms"] = librosa.feature.rms(y=y)  # rms(S=...) is a different quantity
    out["onset_strength"] = librosa.onset.onset_strength(S=out["logmel"], sr=sr)[None]
    if cqt:
        out["cqt"] = np.abs(librosa.cqt(y, sr=sr))
        out["cqt_db"] = librosa.amplitude_to_db(out["cqt"])
        tuning = librosa.estimate_tuning(S=S, sr=sr, bins_per_octave=36)
        C36 = np.abs(librosa.cqt(y, sr=sr, n_bins=7 * 36, bins_per_octave=36, tuning=tuning))
        out["chroma_cqt"] = librosa.feature.chroma_cqt(C=C36, sr=sr, bins_per_octave=36)
    return out


def ours(y, sr, cqt):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return mirlearn.extract(y, sr=sr, features=CQT_BUNDLE if cqt else STFT_BUNDLE)


def timed(fn, *args):
    t0 = time.perf_counter()
    out = fn(*args)
    return time.perf_counter() - t0, out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared/data/gtzan-mini-dev")
    ap.add_argument("--clips", type=int, default=50)
    ap.add_argument("--json", type=Path, default=Path(__file__).resolve().parent / "results" / "features.json")
    args = ap.parse_args()
    files = sorted(args.data.glob("*/*.flac"))[: args.clips]
    if not files:
        sys.exit(f"no clips in {args.data}")
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from _common import code_digest

    meta = dict(command="python bench/features.py " + " ".join(sys.argv[1:]), code=code_digest(), date=time.strftime("%Y-%m-%d"),
                machine=platform.processor() or platform.machine(), cores=os.cpu_count(), python=platform.python_version(),
                librosa=librosa.__version__, mirlearn=mirlearn.__version__, clips=len(files))
    print(f"# {len(files)} clips from {args.data}; {meta['machine']}, {meta['cores']} cores; python {meta['python']}, "
          f"librosa {meta['librosa']}, mirlearn {meta['mirlearn']}; {meta['date']}; code {meta['code']}\n")

    clips = [mirlearn.load(f) for f in files]
    methods = {
        "floor: librosa.stft": lambda y, sr, c: librosa.stft(y),
        "floor: mirlearn STFT magnitude": lambda y, sr, c: np.abs(spectral.stft(y)),
        "(a) librosa, each function on y": librosa_each,
        "(b) librosa, shared S=": librosa_shared,
        "(c) mirlearn.extract": ours,
    }
    times = {(m, b): [] for m in methods for b in (False, True)}
    errors = {}
    with threadpool_limits(1):
        y0, sr0 = clips[0]
        for fn in methods.values():  # warm-up: JIT, filterbank caches
            fn(y0, sr0, True)
        for y, sr in clips:
            for cqt in (False, True):
                outs = {}
                for m, fn in methods.items():
                    if m.startswith("floor") and cqt:
                        continue
                    dt, outs[m] = timed(fn, y, sr, cqt)
                    times[(m, cqt)].append(dt)
                a, c = outs["(a) librosa, each function on y"], outs["(c) mirlearn.extract"]
                for k in c:
                    ref = np.asarray(a[k], dtype=np.float64)
                    scale = max(np.max(np.abs(ref)), 1e-12)
                    err = np.max(np.abs(c[k] - ref))
                    e = errors.setdefault(k, [0.0, 0.0])
                    e[0], e[1] = max(e[0], err), max(e[1], err / scale)

    clip_s = np.mean([len(y) / sr for y, sr in clips])
    results = {"bundles": {}, "errors": {k: {"max_abs": float(e), "max_rel": float(r)} for k, (e, r) in errors.items()},
               "mean_clip_seconds": float(clip_s)}
    for cqt, title in ((False, "STFT-based bundle"), (True, "STFT bundle + CQT features (cqt, cqt_db, chroma_cqt)")):
        print(f"## {title}: {len(CQT_BUNDLE if cqt else STFT_BUNDLE)} features\n")
        print("| method | ms per clip (mean) | ms per clip (median) | speed-up vs (a) |")
        print("|---|---:|---:|---:|")
        base = np.mean(times[("(a) librosa, each function on y", cqt)])
        rows = results["bundles"][title] = {}
        for m in methods:
            if m.startswith("floor") and cqt:
                continue
            t = np.array(times[(m, cqt)])
            rows[m] = {"mean_ms": round(1000 * t.mean(), 1), "median_ms": round(1000 * np.median(t), 1),
                       "speedup": round(base / t.mean(), 2)}
            print(f"| {m} | {rows[m]['mean_ms']:.1f} | {rows[m]['median_ms']:.1f} | {rows[m]['speedup']:.2f}x |")
        if not cqt:
            c = np.mean(times[("(c) mirlearn.extract", False)])
            f = np.mean(times[("floor: mirlearn STFT magnitude", False)])
            fl = np.mean(times[("floor: librosa.stft", False)])
            print(f"\n(c) takes {c / f:.1f}x the time of mirlearn's STFT alone and {c / fl:.1f}x that of librosa.stft; "
                  f"(c) is {np.mean(times[('(b) librosa, shared S=', False)]) / c:.2f}x faster than (b).")
        print()
    print(f"Mean clip length {clip_s:.1f} s.\n")
    print("### Agreement of (c) with (a), worst over all clips\n")
    print("| feature | max abs error | max abs error / max abs value |")
    print("|---|---:|---:|")
    for k, (e, r) in errors.items():
        print(f"| {k} | {e:.3g} | {r:.2g} |")
    print()
    import json

    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"meta": meta, "results": results}, indent=1) + "\n")
    print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
