"""Pretrained embeddings end to end: ``mirlearn embed``, ``mirlearn tag`` and classic heads on
embeddings (``--model musicnn_msd+logreg``), on real GTZAN clips."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from .conftest import cli

pytest.importorskip("torch")

CLIPS = ["metal/metal.00000", "jazz/jazz.00001", "classical/classical.00000"]


@pytest.mark.parametrize("command", ["embed", "tag"])
def test_help(env, command):
    r = cli(env, command, "--help")
    assert r.returncode == 0 and "musicnn" in r.stdout and "example" in r.stdout


def test_embed_clip_and_patch_tables_agree_and_are_cached(env, gtzan_dir, tmp_path):
    clips = [gtzan_dir / f"{c}.flac" for c in CLIPS[:2]]
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"RIFF\0\0\0\0WAVEfmt garbage")
    r = cli(env, "embed", *clips, bad, "--out", tmp_path / "clip.parquet", "--no-progress")
    assert r.returncode == 0, r.stderr
    assert "bad.wav: skipped" in r.stderr and "1 skipped" in r.stdout
    clip = pd.read_parquet(tmp_path / "clip.parquet")
    assert list(clip["path"]) == [str(c) for c in clips]
    assert clip.shape[1] == 2 + 200 and (clip["n_patches"] == 10).all()  # 30 s clips: ten 3 s patches
    r = cli(env, "embed", *clips, "--out", tmp_path / "patch.parquet", "--per-patch", "--no-progress")
    assert r.returncode == 0, r.stderr
    patch = pd.read_parquet(tmp_path / "patch.parquet")
    assert len(patch) == 20
    np.testing.assert_allclose(patch["start"][:3], [0.0, 2.992, 5.984])  # 187 frames of 16 ms
    np.testing.assert_allclose(patch["end"] - patch["start"], 2.992)
    dims = [c for c in patch.columns if c.startswith("penultimate_")]
    # the clip row is the mean of the file's patch rows
    np.testing.assert_allclose(patch.groupby("path", sort=False)[dims].mean().to_numpy(), clip[dims].to_numpy(), rtol=1e-5, atol=1e-6)
    # the two genres are apart: patches of one clip are nearer each other than the other clip's
    E = patch[dims].to_numpy()
    E = (E - E.mean(0)) / (E.std(0) + 1e-6)
    a, b = E[:10], E[10:]
    within = np.mean([np.linalg.norm(a[i] - a[j]) for i in range(10) for j in range(i)])
    between = np.mean([np.linalg.norm(x - y) for x in a for y in b])
    assert within < 0.8 * between


def test_embed_other_models_and_layers(env, gtzan_dir, tmp_path):
    clip = gtzan_dir / f"{CLIPS[0]}.flac"
    for model, layer, width in [("vgg_mtt", None, 256), ("musicnn_mtt", "max_pool", 753)]:
        args = ["--layer", layer] if layer else []
        r = cli(env, "embed", clip, "--model", model, *args, "--patch-hop", "1.5", "--out", tmp_path / f"{model}.parquet", "--no-progress")
        assert r.returncode == 0, r.stderr
        t = pd.read_parquet(tmp_path / f"{model}.parquet")
        assert t.shape == (1, 2 + width) and t["n_patches"][0] == 18  # 30 s: 3 s patches every 1.5 s
    r = cli(env, "embed", clip, "--layer", "pool5", "--out", tmp_path / "x.parquet")
    assert r.returncode != 0 and "unknown layer 'pool5'" in r.stderr and not (tmp_path / "x.parquet").exists()


def test_tag_names_the_genre(env, gtzan_dir):
    r = cli(env, "tag", *[gtzan_dir / f"{c}.flac" for c in CLIPS[:2]], "--format", "json", "--no-progress")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    for row, genre in zip(out, ["metal", "jazz"]):
        assert len(row["tags"]) == 50
        top = sorted(row["tags"], key=row["tags"].get, reverse=True)[:3]
        assert genre in top, top
    r = cli(env, "tag", gtzan_dir / f"{CLIPS[2]}.flac", "--model", "musicnn_mtt", "--top-k", "3", "--no-progress")
    assert r.returncode == 0 and "classical" in r.stdout


def test_classic_head_on_embeddings_trains_and_predicts_in_a_fresh_process(env, gtzan_dir, tmp_path):
    rows = [f"{gtzan_dir / g / f'{g}.{i:05d}.flac'},{g}" for g in ("metal", "classical", "jazz") for i in range(4)]
    (tmp_path / "m.csv").write_text("path,label\n" + "\n".join(rows) + "\n")
    out = tmp_path / "run"
    r = cli(env, "train", "--data", tmp_path / "m.csv", "--model", "musicnn_msd+logreg", "--folds", "2", "--out", out, "--no-progress")
    assert r.returncode == 0, r.stderr
    m = json.loads((out / "metrics.json").read_text())
    assert m["model"] == "musicnn_msd+logreg" and m["accuracy"] >= 0.75  # chance 1/3
    pred = pd.read_csv(out / "predictions.csv")
    code = ("import sys, json; from mirlearn.inference import predict_files\n"
            "b, rows = predict_files(sys.argv[1], sys.argv[2:])\n"
            "print(json.dumps([[float(x) for x in r.scores] for r in rows]))")
    r = subprocess.run([sys.executable, "-c", code, str(out), *pred["path"][:3]], capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr
    # a cross-validated run's bundle is refit on all 12 clips, these included: on its own training
    # clips it must be right and confident (a check of the saved bundle, not of generalisation)
    fresh = np.array(json.loads(r.stdout))
    classes = sorted({"metal", "classical", "jazz"})
    assert fresh.shape == (3, 3) and np.allclose(fresh.sum(axis=1), 1.0)
    assert [classes[j] for j in fresh.argmax(axis=1)] == list(pred["true"][:3]) and fresh.max(axis=1).min() > 0.5, fresh
    r = cli(env, "train", "--data", tmp_path / "m.csv", "--model", "musicnn_msd+nope", "--out", tmp_path / "x")
    assert r.returncode != 0 and "not a classic model" in r.stderr


def test_finetuned_musicnn_trains_and_predicts_in_a_fresh_process(env, gtzan_dir, tmp_path):
    rows = [f"{gtzan_dir / g / f'{g}.{i:05d}.flac'},{g}" for g in ("metal", "classical") for i in range(4)]
    (tmp_path / "m.csv").write_text("path,label\n" + "\n".join(rows) + "\n")
    (tmp_path / "c.yaml").write_text("epochs: 1\nchunks_per_clip: 1\nvalid_size: 0.25\ntest_size: 0.25\n")
    out = tmp_path / "run"
    r = cli(env, "train", "--data", tmp_path / "m.csv", "--model", "musicnn_finetune", "--config", tmp_path / "c.yaml",
            "--out", out, "--no-progress", "--accelerator", "cpu")
    assert r.returncode == 0, r.stderr
    import torch

    blob = torch.load(out / "model" / "model.pt", weights_only=True)
    assert blob["name"] == "musicnn_finetune" and blob["config"]["pretrained"] is None  # the weights are the bundle's own
    pred = pd.read_csv(out / "predictions.csv")
    code = ("import sys, json; from mirlearn.inference import predict_files\n"
            "b, rows = predict_files(sys.argv[1], sys.argv[2:])\n"
            "print(json.dumps([[float(x) for x in r.scores] for r in rows]))")
    r = subprocess.run([sys.executable, "-c", code, str(out), *pred["path"]], capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr
    np.testing.assert_allclose(np.array(json.loads(r.stdout)), pred[[c for c in pred.columns if c.startswith("p_")]].to_numpy(), atol=1e-6)


def test_the_command_line_offers_every_embedding():
    from mirlearn.cli.main import _EMBEDDING_MODELS
    from mirlearn.features.embeddings import EMBEDDING_FEATURES
    from mirlearn.models.musicnn import MUSICNN_MODELS

    assert set(_EMBEDDING_MODELS) == set(EMBEDDING_FEATURES) == set(MUSICNN_MODELS)
