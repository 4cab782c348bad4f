"""Distributed training: a 2-process CPU DDP run writes one consistent run directory.

Lightning's DDP launcher re-runs the command line once per extra rank; every rank trains,
only rank 0 evaluates and writes, and epoch metrics are averaged over the ranks.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

SR = 22050


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp("ddp")
    rng = np.random.default_rng(0)
    t = np.arange(int(1.5 * SR)) / SR
    for kind in ("tone", "noise"):
        for i in range(8):
            y = 0.4 * np.sin(2 * np.pi * rng.uniform(200, 800) * t) if kind == "tone" else 0.2 * rng.standard_normal(len(t))
            f = root / "classes" / kind / f"{kind}{i}.wav"
            f.parent.mkdir(parents=True, exist_ok=True)
            sf.write(f, y.astype(np.float32), SR)
    cfg = root / "c.yaml"
    cfg.write_text("epochs: 2\nbatch_size: 4\nchunk_seconds: 0.5\nchunks_per_clip: 2\nchannels: [4, 4, 8, 8]\nn_mels: 32\n")
    return root


def _train(data, out, cache, *extra):
    env = dict(os.environ, MIRLEARN_CACHE=str(cache))
    for var in ("RANK", "LOCAL_RANK", "NODE_RANK", "WORLD_SIZE", "SLURM_PROCID"):
        env.pop(var, None)
    r = subprocess.run(
        [sys.executable, "-m", "mirlearn", "train", "--data", str(data / "classes"), "--model", "cnn", "--config",
         str(data / "c.yaml"), "--out", str(out), "--no-progress", "--accelerator", "cpu", *extra],
        capture_output=True, text=True, env=env, timeout=600,
    )
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert "Traceback" not in r.stderr
    return r


def _layout(d):
    return sorted(str(p.relative_to(d)) for p in d.rglob("*"))


@pytest.mark.slow
def test_two_process_cpu_ddp_writes_one_consistent_run_directory(data, tmp_path):
    cache = tmp_path / "cache"
    single = tmp_path / "single"
    ddp = tmp_path / "ddp"
    _train(data, single, cache)
    r = _train(data, ddp, cache, "--devices", "2", "--strategy", "ddp")
    assert r.stdout.count("trained ") == 1 and " on 2 processes (" in r.stdout  # it really ran two ranks (trainer.world_size)
    assert r.stdout.count("run directory:") == 1 and r.stdout.count("cnn: accuracy") == 1  # rank 0 alone reports
    assert _layout(ddp) == _layout(single)
    pd.testing.assert_frame_equal(pd.read_csv(ddp / "split.csv"), pd.read_csv(single / "split.csv"))
    m = json.loads((ddp / "metrics.json").read_text())
    pred = pd.read_csv(ddp / "predictions.csv")
    assert m["n_items"] == len(pred) == (pd.read_csv(ddp / "split.csv")["split"] == "test").sum()
    assert json.loads((ddp / "model" / "bundle.json").read_text())["kind"] == "deep"
    # no rank left anything behind beside the run directory or in the cache
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache", "ddp", "single"]
    assert not [p for p in cache.iterdir() if p.name.startswith(".") and p.name != ".tables.lock"]
