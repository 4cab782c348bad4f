"""Benchmark: `mirlearn extract` end to end against a plain librosa loop.

Run:  python bench/extract.py [--data ../shared/data/bock-onsets-dev] [--repeats 2]

Both sides do the same job on every audio file of DATA (recursively): decode, resample to
22050 Hz mono, compute the default feature bundle (mfcc, chroma_stft, spectral_centroid,
spectral_bandwidth, spectral_rolloff, spectral_flatness, spectral_contrast,
zero_crossing_rate, rms, onset_strength) with librosa's default parameters, take the mean
and standard deviation of each feature row over time, and write one table row per file.

* the librosa loop: a fresh Python process running ``librosa.load`` and the ten
  ``librosa.feature`` / ``librosa.onset`` functions file after file, then writing a CSV;
  its numba cache is warmed by one untimed run on one file first, so JIT compilation is
  not counted against it;
* ``mirlearn extract FILES --out OUT --jobs N``: a fresh process with an empty output
  folder, for N = 1 and 2 worker processes (BLAS/OpenMP single-threaded in each).

Everything is timed as wall clock from process start to exit, interpreter start-up and
imports included. The methods alternate within each repeat; the table reports the median
over repeats, and the ratios of medians. Written to bench/results/extract.json (``--json``),
which tests/test_benchmark_docs.py holds the docs' table to.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

LIBROSA_LOOP = textwrap.dedent(
    """
    import sys, csv
    import numpy as np
    import librosa

    files = [line.strip() for line in open(sys.argv[1]) if line.strip()]
    out = sys.argv[2]
    rows = []
    for f in files:
        y, sr = librosa.load(f, sr=22050, mono=True)
        feats = {
            "mfcc": librosa.feature.mfcc(y=y, sr=sr),
            "chroma_stft": librosa.feature.chroma_stft(y=y, sr=sr),
            "spectral_centroid": librosa.feature.spectral_centroid(y=y, sr=sr),
            "spectral_bandwidth": librosa.feature.spectral_bandwidth(y=y, sr=sr),
            "spectral_rolloff": librosa.feature.spectral_rolloff(y=y, sr=sr),
            "spectral_flatness": librosa.feature.spectral_flatness(y=y),
            "spectral_contrast": librosa.feature.spectral_contrast(y=y, sr=sr),
            "zero_crossing_rate": librosa.feature.zero_crossing_rate(y),
            "rms": librosa.feature.rms(y=y),
            "onset_strength": librosa.onset.onset_strength(y=y, sr=sr)[None],
        }
        row = [f]
        for X in feats.values():
            row += list(X.mean(axis=-1)) + list(X.std(axis=-1))
        rows.append(row)
    with open(out, "w", newline="") as fh:
        csv.writer(fh).writerows(rows)
    print(len(rows))
    """
)


def timed(cmd, env):
    t0 = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True, env=env)
    dt = time.perf_counter() - t0
    if r.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{r.stdout[-2000:]}\n{r.stderr[-2000:]}")
    return dt, r.stdout


def main():
    here = Path(__file__).resolve().parents[1]
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=here.parent / "shared" / "data" / "bock-onsets-dev")
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--json", type=Path, default=here / "bench" / "results" / "extract.json")
    args = ap.parse_args()
    sys.path.insert(0, str(here / "bench"))
    from _common import code_digest
    exts = {".wav", ".flac", ".ogg", ".mp3"}
    files = sorted(p.resolve() for p in args.data.rglob("*") if p.suffix.lower() in exts)
    if not files:
        sys.exit(f"no audio under {args.data}")
    import soundfile as sf

    seconds = sum(sf.info(str(f)).duration for f in files)
    env = dict(os.environ)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
        env[var] = "1"  # the same for every method: one BLAS thread per process
    work = Path(tempfile.mkdtemp(prefix="mirlearn-bench-extract-"))
    try:
        listing = work / "files.txt"
        listing.write_text("\n".join(map(str, files)) + "\n")
        loop = work / "loop.py"
        loop.write_text(LIBROSA_LOOP)
        one = work / "one.txt"
        one.write_text(f"{files[0]}\n")
        timed([sys.executable, str(loop), str(one), str(work / "warm.csv")], env)  # numba cache warm-up
        methods = {
            "librosa loop (1 process)": lambda k: [sys.executable, str(loop), str(listing), str(work / f"loop{k}.csv")],
            "mirlearn extract --jobs 1": lambda k: [sys.executable, "-m", "mirlearn", "extract", str(listing), "--out",
                                                    str(work / f"j1-{k}"), "--jobs", "1", "--no-progress", "--strict"],
            "mirlearn extract --jobs 2": lambda k: [sys.executable, "-m", "mirlearn", "extract", str(listing), "--out",
                                                    str(work / f"j2-{k}"), "--jobs", "2", "--no-progress", "--strict"],
        }
        times = {m: [] for m in methods}
        for k in range(args.repeats):
            for m, cmd in methods.items():
                dt, out = timed(cmd(k), env)
                times[m].append(dt)
        import numpy as np

        med = {m: float(np.median(t)) for m, t in times.items()}
        meta = dict(command="python bench/extract.py " + " ".join(sys.argv[1:]), code=code_digest(), date=time.strftime("%Y-%m-%d"),
                    machine=platform.machine(), cores=os.cpu_count(), python=platform.python_version(), files=len(files),
                    audio_minutes=round(seconds / 60, 1), repeats=args.repeats)
        print(f"# {len(files)} files ({seconds / 60:.1f} min of audio) from {args.data}; {platform.machine()}, "
              f"{os.cpu_count()} cores; python {platform.python_version()}; median of {args.repeats} repeat(s); "
              f"{meta['date']}; code {meta['code']}\n")
        print("| method | seconds (median) | all runs | files per second | speed-up vs the librosa loop |")
        print("|---|---:|---|---:|---:|")
        base = med["librosa loop (1 process)"]
        for m in methods:
            runs = ", ".join(f"{t:.1f}" for t in times[m])
            print(f"| {m} | {med[m]:.1f} | {runs} | {len(files) / med[m]:.2f} | {base / med[m]:.2f}x |")
        print(f"\n2 workers against 1: {med['mirlearn extract --jobs 1'] / med['mirlearn extract --jobs 2']:.2f}x faster.")
        import json

        results = {m: {"median_s": round(med[m], 1), "runs_s": [round(t, 1) for t in times[m]],
                       "files_per_s": round(len(files) / med[m], 2), "speedup": round(base / med[m], 2)} for m in methods}
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"meta": meta, "results": results}, indent=1) + "\n")
        print(f"wrote {args.json}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
