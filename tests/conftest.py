"""Shared fixtures: synthetic signals with known content and a few real clips.

Real data lives in ``../shared/data`` beside the repository (never copied in); paths are
anchored to this file.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
GTZAN = DATA / "gtzan-mini-dev"

SR = 22050


def _t(seconds=3.0, sr=SR):
    return np.arange(int(seconds * sr)) / sr


def synthetic_signals(sr=SR):
    """Known-content test signals, 3 s at 22050 Hz.

    Tone, chirp and click train carry a -80 dB white-noise floor: without one, the
    spectral valleys of a pure tone sit at float32 FFT rounding noise, whose dB value
    depends on the FFT implementation (see docs/features.md).
    """
    import librosa

    t = _t(sr=sr)
    floor = lambda seed: 1e-4 * np.random.default_rng(seed).standard_normal(len(t))  # noqa: E731
    return {
        "tone": (0.5 * np.sin(2 * np.pi * 440 * t) + floor(1)).astype(np.float32),
        "chirp": (0.5 * librosa.chirp(fmin=110, fmax=4000, sr=sr, duration=len(t) / sr) + floor(2)).astype(
            np.float32
        ),
        "clicks": (librosa.clicks(times=np.arange(0, 3, 0.25), sr=sr, length=len(t)) + floor(3)).astype(np.float32),
        "noise": (0.1 * np.random.default_rng(0).standard_normal(len(t))).astype(np.float32),
        "silence": np.zeros(len(t), np.float32),
    }


REAL_CLIPS = [
    GTZAN / "blues" / "blues.00000.flac",
    GTZAN / "classical" / "classical.00000.flac",
    GTZAN / "metal" / "metal.00000.flac",
]


def require_data(*paths):
    missing = [str(p) for p in paths if not Path(p).exists()]
    if missing:
        pytest.fail(f"test data missing (expected ../shared/data beside the repo): {missing}")


@pytest.fixture(scope="session")
def gtzan_dir():
    require_data(GTZAN)
    return GTZAN


def synthetic_clip(kind, rng, seconds=2.0, sr=SR):
    """A short clip of one of three easy classes: 'tone' (a random pitch), 'noise',
    'clicks' (a random rate), with a little noise."""
    t = np.arange(int(seconds * sr)) / sr
    if kind == "tone":
        y = 0.4 * np.sin(2 * np.pi * rng.uniform(200, 800) * t)
    elif kind == "noise":
        y = 0.2 * rng.standard_normal(len(t))
    else:
        y = np.zeros(len(t))
        y[:: int(sr / rng.uniform(4, 10))] = 0.9
    return (y + 0.01 * rng.standard_normal(len(t))).astype(np.float32)


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    """The environment for the command line, with a feature cache of the test module's own."""
    return dict(os.environ, MIRLEARN_CACHE=str(tmp_path_factory.mktemp("cache")))


class CliResult:
    """What :func:`cli` returns: ``returncode``, ``stdout``, ``stderr`` (as ``subprocess.run``)."""

    def __init__(self, returncode, stdout, stderr):
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


def cli(env, *args, fresh=False):
    """Run ``mirlearn ARGS`` with the environment ``env``; a traceback fails the test.

    In this process by default (``mirlearn.cli.main.main`` with stdout, stderr, the
    environment and the warning filters swapped in and restored), which saves a torch and
    Lightning import per call; ``fresh=True`` runs a new process, for what only a process
    shows (its exit status after a crash, signals, import side effects)."""
    import contextlib
    import io
    import signal
    import warnings

    if fresh:
        r = subprocess.run([sys.executable, "-m", "mirlearn", *map(str, args)], capture_output=True, text=True, env=env)
        assert "Traceback" not in r.stderr, r.stderr
        return r
    from mirlearn.cli.main import main

    out, err = io.StringIO(), io.StringIO()
    saved_env, saved_term = dict(os.environ), signal.getsignal(signal.SIGTERM)
    try:
        os.environ.clear()
        os.environ.update({k: str(v) for k, v in env.items()})
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), warnings.catch_warnings():
            warnings.simplefilter("default")  # each warning once per call, as in a fresh process
            try:
                rc = main([str(a) for a in args])
            except SystemExit as exc:  # argparse's errors and --help
                rc = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        os.environ.clear()
        os.environ.update(saved_env)
        signal.signal(signal.SIGTERM, saved_term)
    return CliResult(rc, out.getvalue(), err.getvalue())
