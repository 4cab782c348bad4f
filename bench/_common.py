"""Shared by the model benchmarks: a digest of the code that produced a run, so that a
resumed benchmark never reuses a result of older code, and seed statistics."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]

#: The General MIDI SoundFonts of the note benchmarks (Debian packages), by file stem.
SOUNDFONTS = {
    "FluidR3_GM": "/usr/share/sounds/sf2/FluidR3_GM.sf2",
    "TimGM6mb": "/usr/share/sounds/sf2/TimGM6mb.sf2",
    "MuseScore_General_Full": "/usr/share/sounds/sf3/MuseScore_General_Full.sf3",
}
#: The small CNN of ``make demo``, the deep model of the note benchmarks.
DEMO_CNN = ROOT / "configs" / "demo-cnn.yaml"


def code_digest():
    """sha256 over every file of src/mirlearn, configs/ and constraints.txt."""
    h = hashlib.sha256()
    files = sorted(p for d in ("src/mirlearn", "configs") for p in (ROOT / d).rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    for p in files + [ROOT / "constraints.txt"]:
        h.update(str(p.relative_to(ROOT)).encode())
        h.update(p.read_bytes())
    return h.hexdigest()[:16]


def train_once(run_dir, args, env, digest):
    """``mirlearn train ... --out run_dir``, unless run_dir holds a finished run of the same
    code (its bench_stamp.json); returns (metrics, seconds)."""
    import time

    stamp = run_dir / "bench_stamp.json"
    if stamp.is_file() and (run_dir / "metrics.json").is_file():
        s = json.loads(stamp.read_text())
        if s.get("code") == digest and s.get("args") == [str(a) for a in args]:
            return json.loads((run_dir / "metrics.json").read_text()), s["seconds"]
    t0 = time.perf_counter()
    cmd = [sys.executable, "-m", "mirlearn", "train", *map(str, args), "--out", str(run_dir), "--overwrite", "--no-progress"]
    r = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if r.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}")
    seconds = time.perf_counter() - t0
    stamp.write_text(json.dumps({"code": digest, "args": [str(a) for a in args], "seconds": seconds}))
    return json.loads((run_dir / "metrics.json").read_text()), seconds


def mean_std(values):
    """'m ± s' with the sample standard deviation (ddof=1) over seeds."""
    v = np.asarray(values, dtype=float)
    s = v.std(ddof=1) if len(v) > 1 else 0.0
    return f"{v.mean():.3f} ± {s:.3f}"


def evaluate_run(run_dir, manifest, env):
    """``mirlearn evaluate RUN --data MANIFEST --split all --json``: the run's scores on every
    item of a manifest."""
    r = subprocess.run([sys.executable, "-m", "mirlearn", "evaluate", str(run_dir), "--data", str(manifest), "--split", "all", "--json"],
                       capture_output=True, text=True, env=env)
    if r.returncode:
        sys.exit(r.stderr)
    return json.loads(r.stdout)


def write_manifest(path, header, rows):
    """A CSV manifest: the header row, then ``rows``; returns ``path``."""
    import csv

    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path
