"""train / evaluate / predict / compare end to end on a tiny dataset, and bad input."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from .conftest import cli, synthetic_clip

SR = 22050


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """A folder dataset: 3 classes x 8 synthetic 2 s clips, plus a tagging manifest."""
    root = tmp_path_factory.mktemp("tiny")
    rng = np.random.default_rng(0)
    rows = []
    for kind in ("tone", "noise", "clicks"):
        for i in range(8):
            f = root / "classes" / kind / f"{kind}{i}.wav"
            f.parent.mkdir(parents=True, exist_ok=True)
            sf.write(f, synthetic_clip(kind, rng), SR)
            tags = {"tone": "pitched", "noise": "noisy", "clicks": "noisy;percussive"}[kind]
            rows.append(f"{f},{tags}")
    (root / "tags.csv").write_text("path,label\n" + "\n".join(rows) + "\n")
    return root


@pytest.fixture(scope="module")
def classic_run(tiny, env, tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "logreg"
    r = cli(env, "train", "--data", tiny / "classes", "--model", "logreg", "--out", out, "--no-progress")
    assert r.returncode == 0, r.stderr
    return out


def test_train_writes_the_run_directory(classic_run):
    for name in ("config.yaml", "split.csv", "metrics.json", "predictions.csv", "report.html", "model/bundle.json", "model/estimator.skops"):
        assert (classic_run / name).is_file(), name
    m = json.loads((classic_run / "metrics.json").read_text())
    assert m["accuracy"] >= 0.8  # tones, noise and clicks are easy (chance: 1/3)
    split = pd.read_csv(classic_run / "split.csv")
    assert m["n_items"] == (split["split"] == "test").sum()
    assert m["per_class"]["tone"]["support"] == ((split["split"] == "test") & split["labels"].eq("tone")).sum()
    html = (classic_run / "report.html").read_text()
    assert "Confusion matrix" in html and "data:image/png;base64," in html and "Examples" in html


def test_evaluate_json_reproduces_training_metrics(classic_run, tiny, env):
    r = cli(env, "evaluate", classic_run, "--data", tiny / "classes", "--json")
    assert r.returncode == 0, r.stderr
    m = json.loads(r.stdout)
    trained = json.loads((classic_run / "metrics.json").read_text())
    for k in ("accuracy", "balanced_accuracy", "macro_f1", "n_items"):
        assert m[k] == trained[k]


def test_bundle_in_fresh_process_reproduces_test_predictions_exactly(classic_run, env):
    pred = pd.read_csv(classic_run / "predictions.csv")
    code = (
        "import sys, json; from mirlearn.inference import predict_files\n"
        "b, rows = predict_files(sys.argv[1], sys.argv[2:])\n"
        "print(json.dumps([[float(x) for x in r.scores] for r in rows]))"
    )
    r = subprocess.run([sys.executable, "-c", code, str(classic_run), *pred["path"]], capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr
    fresh = np.array(json.loads(r.stdout))
    stored = pred[[c for c in pred.columns if c.startswith("p_")]].to_numpy()
    np.testing.assert_array_equal(fresh, stored)


def test_predict_formats(classic_run, tiny, env, tmp_path):
    clip = tiny / "classes" / "tone" / "tone0.wav"
    long = tmp_path / "long.wav"  # any length: 9 s of a tone
    sf.write(long, np.tile(sf.read(clip)[0], 5), SR)
    r = cli(env, "predict", classic_run, clip, long, "--top-k", "2")
    assert r.returncode == 0
    lines = r.stdout.splitlines()
    assert len(lines) == 2 and all(ln.split(": ", 1)[1].startswith("tone | tone ") for ln in lines)  # the label first
    assert all(ln.count(",") == 1 for ln in lines)  # --top-k 2
    r = cli(env, "predict", classic_run, clip, "--format", "json")
    item = json.loads(r.stdout)[0]
    probs = item["probabilities"]
    assert set(probs) == {"clicks", "noise", "tone"} and abs(sum(probs.values()) - 1) < 1e-6
    assert item["label"] == "tone" == max(probs, key=probs.get) and "family" not in item
    r = cli(env, "predict", classic_run, clip, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert r.stdout.splitlines()[0] == "path,label,clicks,noise,tone,error,warnings"
    assert rows[0]["label"] == "tone" and float(rows[0]["tone"]) == pytest.approx(probs["tone"], abs=1e-6)
    bad = tmp_path / "bad.wav"
    bad.write_text("not audio")
    r = cli(env, "predict", classic_run, bad)
    assert r.returncode == 1 and "not an audio file" in r.stdout


def test_cross_validation_and_compare(tiny, env, tmp_path, classic_run):
    out = tmp_path / "cv"
    r = cli(env, "train", "--data", tiny / "classes", "--model", "mfcc_svm", "--folds", "3", "--seed", "1", "--out", out, "--no-progress")
    assert r.returncode == 0, r.stderr
    m = json.loads((out / "metrics.json").read_text())
    assert m["evaluation"] == "3-fold cross-validation" and len(m["folds"]) == 3
    assert "accuracy" in m["std"] and m["accuracy"] > 0.8  # tone, noise, clicks: easy; chance 1/3
    split = pd.read_csv(out / "split.csv")
    assert sorted(split["fold"].unique()) == [0, 1, 2]
    r = cli(env, "compare", classic_run, out)
    assert r.returncode == 0
    assert "logreg" in r.stdout and "mfcc_svm" in r.stdout and "±" in r.stdout


def test_hyperparameter_search_and_tagging(tiny, env, tmp_path):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("search: true\nvalid_size: 0.2\n")
    out = tmp_path / "tags"
    r = cli(env, "train", "--data", tiny / "tags.csv", "--model", "logreg", "--config", cfg, "--out", out, "--no-progress")
    assert r.returncode == 0, r.stderr
    m = json.loads((out / "metrics.json").read_text())
    assert {"roc_auc_macro", "pr_auc_macro", "per_tag"} <= set(m)
    assert set(m["per_tag"]) == {"noisy", "percussive", "pitched"}
    b = json.loads((out / "model" / "bundle.json").read_text())
    assert b["multilabel"] and len(b["thresholds"]) == 3


@pytest.mark.parametrize("model", ["cnn", "short_chunk_resnet", "crnn"])
def test_deep_models_train_end_to_end(tiny, env, tmp_path, model):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("epochs: 2\nbatch_size: 8\nchunk_seconds: 1.0\nchunks_per_clip: 2\nchannels: [4, 4, 8, 8]\nn_mels: 32\n")
    out = tmp_path / model
    r = cli(env, "train", "--data", tiny / "classes", "--model", model, "--config", cfg, "--out", out, "--no-progress", "--accelerator", "cpu")
    assert r.returncode == 0, r.stderr
    assert (out / "model" / "model.pt").is_file() and (out / "history.json").is_file()
    assert "Training curves" in (out / "report.html").read_text()
    pred = pd.read_csv(out / "predictions.csv")
    r = cli(env, "predict", out, *pred["path"], "--format", "json")
    fresh = np.array([[e["probabilities"][c] for c in ("clicks", "noise", "tone")] for e in json.loads(r.stdout)])
    np.testing.assert_array_equal(fresh, pred[["p_clicks", "p_noise", "p_tone"]].to_numpy())  # fresh process, same numbers


@pytest.mark.parametrize("model, extra_args, config", [
    ("cnn", ["--frontend", "mfcc:mel,dct"], "frontend: {type: mfcc, n_mels: 32, n_mfcc: 16}\n"),
    ("cnn", ["--frontend", "logmel:mel", "--zero-mean"], "frontend: {type: logmel, n_mels: 32}\n"),
    ("crnn", [], "frontend: {type: sincnet, n_filters: 16, kernel_size: 101, trainable: [sinc]}\n"),
    ("sample_cnn", [], "channels: [8, 8, 8, 8, 8, 8, 8, 8, 8]\n"),
])
def test_waveform_models_train_and_predict_in_a_fresh_process(tiny, env, tmp_path, model, extra_args, config):
    """Front-end and raw-waveform models read cached decoded audio; the bundle holds the
    front-end, and a fresh process predicts the run's own numbers."""
    cfg = tmp_path / "c.yaml"
    channels = "" if model == "sample_cnn" else "channels: [4, 4, 8, 8]\n"
    cfg.write_text("epochs: 2\nbatch_size: 8\nchunk_seconds: 1.0\nchunks_per_clip: 2\n" + channels + config)
    out = tmp_path / "run"
    r = cli(env, "train", "--data", tiny / "classes", "--model", model, "--config", cfg, "--out", out, "--no-progress",
            "--accelerator", "cpu", *extra_args)
    assert r.returncode == 0, r.stderr
    b = json.loads((out / "model" / "bundle.json").read_text())
    assert b["extra"]["input"] == "waveform" and b["extraction"]["keep_audio"] is True
    blob = __import__("torch").load(out / "model" / "model.pt", weights_only=True)
    if model != "sample_cnn":
        fe = blob["config"]["frontend"]
        assert blob["name"] == "frontend_model" and fe["name"] in ("mfcc", "logmel", "sincnet")
        if extra_args:
            assert fe["trainable"] == extra_args[1].split(":")[1].split(",")
        assert blob["config"]["network_config"]["zero_mean"] == ("--zero-mean" in extra_args)
    pred = pd.read_csv(out / "predictions.csv")
    r = cli(env, "predict", out, *pred["path"], "--format", "json")
    assert r.returncode == 0, r.stderr
    fresh = np.array([[e["probabilities"][c] for c in ("clicks", "noise", "tone")] for e in json.loads(r.stdout)])
    np.testing.assert_array_equal(fresh, pred[["p_clicks", "p_noise", "p_tone"]].to_numpy())  # a fresh process, the same numbers


@pytest.mark.parametrize("zero_mean", [True, False])
def test_zero_mean_predictions_do_not_change_with_gain(tiny, env, tmp_path, zero_mean):
    """A clip and the same clip at -12 and +6 dB: the zero-mean model gives the same
    probabilities (float rounding apart); the same model without it does not."""
    cfg = tmp_path / "c.yaml"
    cfg.write_text("epochs: 2\nbatch_size: 8\nchunk_seconds: 1.0\nchunks_per_clip: 2\nchannels: [4, 4, 8, 8]\nn_mels: 32\n"
                   f"zero_mean: {str(zero_mean).lower()}\naugment: {{gain_db: 0}}\n")
    out = tmp_path / "run"
    r = cli(env, "train", "--data", tiny / "classes", "--model", "cnn", "--config", cfg, "--out", out, "--no-progress", "--accelerator", "cpu")
    assert r.returncode == 0, r.stderr
    files = []
    for kind in ("tone", "noise", "clicks"):
        y, sr = sf.read(tiny / "classes" / kind / f"{kind}7.wav", dtype="float32")
        for g in (1.0, 0.25, 2.0):  # exact in binary: only the gain changes
            files.append(tmp_path / f"{kind}-{g}.wav")
            sf.write(files[-1], y * np.float32(g), sr, subtype="FLOAT")
    r = cli(env, "predict", out, *files, "--format", "json")
    assert r.returncode == 0, r.stderr
    p = np.array([list(e["probabilities"].values()) for e in json.loads(r.stdout)]).reshape(3, 3, -1)
    spread = np.abs(p - p[:, :1]).max()
    if zero_mean:
        assert spread < 1e-4
    else:
        assert spread > 1e-3  # the check above can fail: gain does move an ordinary CNN


def test_inspect_frontend_plots_what_moved(tiny, env, tmp_path):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("epochs: 2\nbatch_size: 8\nchunk_seconds: 1.0\nchunks_per_clip: 2\nchannels: [4, 4, 8, 8]\nlr: 0.01\n"
                   "frontend: {type: mfcc, n_mels: 32, n_mfcc: 16, trainable: [mel, dct]}\n")
    out = tmp_path / "run"
    r = cli(env, "train", "--data", tiny / "classes", "--model", "cnn", "--config", cfg, "--out", out, "--no-progress", "--accelerator", "cpu")
    assert r.returncode == 0, r.stderr
    r = cli(env, "inspect-frontend", out, "--out", tmp_path / "fe.png")
    assert r.returncode == 0, r.stderr
    moved = dict(line.split()[0:3:2] for line in r.stdout.splitlines() if " moved " in line)
    assert set(moved) == {"mel", "dct"} and all(float(v.rstrip("%")) > 0 for v in moved.values())
    assert (tmp_path / "fe.png").stat().st_size > 20_000
    from mirlearn.reports.frontend import load_frontend

    fe = load_frontend(out)
    assert fe.trainable == ("mel", "dct") and fe.n_features == 16
    r = cli(env, "inspect-frontend", tmp_path, "--out", tmp_path / "x.png")
    assert r.returncode == 2 and "holds no model/model.pt" in r.stderr


def test_frontend_options_are_checked_before_any_work(tiny, env, tmp_path):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("frontend: {type: logmel, n_mel: 32}\n")
    r = cli(env, "train", "--data", tiny / "classes", "--model", "cnn", "--config", cfg, "--out", tmp_path / "x")
    assert r.returncode == 2 and "unknown parameter(s) n_mel for front-end 'logmel'" in r.stderr
    r = cli(env, "train", "--data", tiny / "classes", "--model", "cnn", "--frontend", "logmel:dct", "--out", tmp_path / "x")
    assert r.returncode == 2 and "no stage dct" in r.stderr
    r = cli(env, "train", "--data", tiny / "classes", "--model", "logreg", "--frontend", "mfcc", "--out", tmp_path / "x")
    assert r.returncode == 2 and "configure deep models" in r.stderr
    r = cli(env, "train", "--list-frontends")
    assert r.returncode == 0 and "mfcc" in r.stdout and "librosa.feature.mfcc" in r.stdout


def test_bad_manifest_is_reported_not_a_traceback(tiny, env, tmp_path):
    good = sorted((tiny / "classes").glob("*/*.wav"))
    corrupt = tmp_path / "corrupt.wav"
    corrupt.write_bytes(b"RIFF" + bytes(200))
    lines = [f"{p},{p.parent.name}" for p in good] + [f"{tmp_path / 'missing.wav'},tone", f"{corrupt},noise"]
    m = tmp_path / "m.csv"
    m.write_text("path,label\n" + "\n".join(lines) + "\n")
    r = cli(env, "train", "--data", m, "--model", "knn", "--out", tmp_path / "run", "--no-progress")
    assert r.returncode == 0, r.stderr
    assert "missing.wav" in r.stdout and "corrupt.wav" in r.stdout
    # a class with a single example is a clear error
    m1 = tmp_path / "one.csv"
    m1.write_text("path,label\n" + "\n".join(lines[:16] + [f"{good[-1]},lonely"]) + "\n")
    r = cli(env, "train", "--data", m1, "--model", "knn", "--out", tmp_path / "run1", "--no-progress")
    assert r.returncode == 2 and "fewer than 2 examples: 'lonely' (1)" in r.stderr
    # an unseen label at evaluation is reported and left out
    m2 = tmp_path / "eval.csv"
    m2.write_text("path,label\n" + "\n".join([f"{good[0]},{good[0].parent.name}", f"{good[1]},opera"]) + "\n")
    r = cli(env, "evaluate", tmp_path / "run", "--data", m2, "--split", "all", "--json")
    assert r.returncode == 0 and "not trained on (opera)" in r.stderr
    out = json.loads(r.stdout)
    assert out["n_items"] == 1 and out["skipped"][0]["reason"] == "unseen label 'opera'"
    # unknown config keys and models are errors
    cfg = tmp_path / "bad.yaml"
    cfg.write_text("epochz: 3\n")
    r = cli(env, "train", "--data", m, "--model", "knn", "--config", cfg, "--out", tmp_path / "x")
    assert r.returncode == 2 and "unknown config key(s) ['epochz']" in r.stderr
    r = cli(env, "train", "--data", m, "--model", "transformer", "--out", tmp_path / "x")
    assert r.returncode == 2 and "unknown model 'transformer'" in r.stderr
    r = cli(env, "evaluate", tmp_path, "--data", m)
    assert r.returncode == 2 and "not a run directory" in r.stderr


def test_list_models(env):
    r = cli(env, "train", "--list-models")
    assert r.returncode == 0
    for name in ("mfcc_svm", "svm_rbf", "cnn", "short_chunk_resnet", "crnn"):
        assert name in r.stdout


def test_deep_tagging(tiny, env, tmp_path):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("epochs: 2\nbatch_size: 8\nchunk_seconds: 1.0\nchunks_per_clip: 2\nchannels: [4, 4, 8, 8]\nn_mels: 32\nvalid_size: 0.2\n")
    out = tmp_path / "deeptags"
    r = cli(env, "train", "--data", tiny / "tags.csv", "--model", "cnn", "--config", cfg, "--out", out, "--no-progress", "--accelerator", "cpu")
    assert r.returncode == 0, r.stderr
    m = json.loads((out / "metrics.json").read_text())
    assert {"roc_auc_macro", "pr_auc_macro"} <= set(m) and set(m["per_tag"]) == {"noisy", "percussive", "pitched"}
    b = json.loads((out / "model" / "bundle.json").read_text())
    assert b["multilabel"] and len(b["thresholds"]) == 3
    files = [tiny / "classes" / k / f"{k}0.wav" for k in ("tone", "noise", "clicks")]
    r = cli(env, "predict", out, *files, "--format", "json")
    rows = json.loads(r.stdout)
    sums = [sum(row["probabilities"].values()) for row in rows]
    # independent sigmoids, not a softmax: a softmax's probabilities sum to 1 for every file
    assert len(sums) == 3 and max(abs(t - 1) for t in sums) > 0.05, sums
    for row in rows:  # the label: every tag at or above its threshold, ';'-joined
        above = [t for t, th in zip(("noisy", "percussive", "pitched"), b["thresholds"]) if row["probabilities"][t] >= th]
        assert row["label"] == ";".join(above)


def test_deep_training_prints_our_lines_and_warnings_and_no_lightning_chatter(tiny, env, tmp_path):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("epochs: 2\nbatch_size: 8\nchunk_seconds: 1.0\nchunks_per_clip: 2\nchannels: [4, 4, 8, 8]\nn_mels: 32\n")
    manifest = tmp_path / "m.csv"  # an extra column: mirlearn warns that it is kept as metadata
    files = sorted((tiny / "classes").glob("*/*.wav"))
    manifest.write_text("path,label,take\n" + "".join(f"{f},{f.parent.name},1\n" for f in files))
    # a fresh process: Lightning's log handlers keep the stream of their first import, so only a process's own
    # output shows all its chatter
    r = cli(env, "train", "--data", manifest, "--model", "cnn", "--config", cfg, "--out", tmp_path / "run", "--accelerator", "cpu",
            fresh=True)
    assert r.returncode == 0, r.stderr
    assert "warning: manifest" in r.stdout and "column(s) take kept as metadata" in r.stdout  # our own warning stays
    for chatter in ("GPU available", "TPU available", "Tip:", "litlogger", "LeafSpec", "Sanity Checking", "Epoch 0",
                    "Trainer.fit"):
        assert chatter not in r.stdout + r.stderr, chatter
    assert "trained 2 epoch(s) (all epochs); best val_loss" in r.stdout
    assert "training: 100%" in r.stderr  # one bar over the epochs
    assert len(r.stdout.splitlines()) <= 5, r.stdout  # warning, features, training, scores, where the run is


def test_deep_training_is_reproducible(tiny, env, tmp_path):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("epochs: 1\nbatch_size: 8\nchunk_seconds: 1.0\nchunks_per_clip: 1\nchannels: [4, 4, 8, 8]\nn_mels: 32\n")
    preds = []
    for k in range(2):
        out = tmp_path / f"r{k}"
        r = cli(env, "train", "--data", tiny / "classes", "--model", "cnn", "--config", cfg, "--out", out, "--no-progress", "--accelerator", "cpu")
        assert r.returncode == 0, r.stderr
        preds.append(pd.read_csv(out / "predictions.csv"))
    pd.testing.assert_frame_equal(preds[0], preds[1])
