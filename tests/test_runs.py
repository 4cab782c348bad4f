"""Run directories, model bundles as data, the shared cache, manifests as people write
them, the model registry."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from mirlearn.data import load_dataset

from .conftest import cli

SR = 22050


@pytest.fixture(scope="module")
def notes(tmp_path_factory):
    """A note manifest as people write it: extra columns (pitch, dynamic, source), two
    instruments x 4 pitches x 3 dynamics."""
    root = tmp_path_factory.mktemp("notes")
    rng = np.random.default_rng(0)
    rows = []
    t = np.arange(int(0.8 * SR)) / SR
    for inst, harmonics in (("flute", 1), ("reed", 6)):
        for pitch in (60, 64, 67, 72):
            f0 = 440 * 2 ** ((pitch - 69) / 12)
            for dyn, amp in (("p", 0.1), ("mf", 0.3), ("f", 0.6)):
                y = sum(amp / h * np.sin(2 * np.pi * f0 * h * t) for h in range(1, harmonics + 1))
                y = (y + 0.003 * rng.standard_normal(len(t))).astype(np.float32)
                f = root / f"{inst}_{pitch}_{dyn}.wav"
                sf.write(f, y, SR)
                rows.append({"path": f.name, "label": inst, "pitch": pitch, "dynamic": dyn, "source": "synth",
                             "note": f"{inst}-{pitch}"})
    m = root / "notes.csv"
    pd.DataFrame(rows).to_csv(m, index=False)
    return m



# -- manifests -------------------------------------------------------------------------
def test_extra_columns_are_metadata_noted_once(notes):
    with pytest.warns(UserWarning, match="pitch, dynamic, note kept as metadata") as rec:  # source: our own column
        ds = load_dataset(notes)
    assert len([w for w in rec if "metadata" in str(w.message)]) == 1
    assert ds.items[0].meta == {"pitch": "60", "dynamic": "p", "source": "synth", "note": "flute-60"}


def test_the_source_column_of_our_own_manifests_is_metadata_without_a_warning(tmp_path):
    import warnings

    sf.write(tmp_path / "a.wav", np.zeros(2205, dtype=np.float32), 22050)
    m = tmp_path / "notes-instrument.csv"  # the header that datasets render-notes writes
    m.write_text("path,label,split,group,source\na.wav,piano,train,FluidR3_GM/piano/36-36,FluidR3_GM\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ds = load_dataset(m)
    assert ds.items[0].meta == {"source": "FluidR3_GM"} and ds.items[0].group == "FluidR3_GM/piano/36-36"
    m.write_text("path,label,split,group,source,take\na.wav,piano,train,g,FluidR3_GM,1\n")
    with pytest.warns(UserWarning, match=r"column\(s\) take kept as metadata"):  # an unknown column still warns
        load_dataset(m)


def test_manifest_with_extra_columns_trains_and_group_by_keeps_groups_whole(notes, env, tmp_path):
    out = tmp_path / "run"
    r = cli(env, "train", "--data", notes, "--model", "logreg", "--group-by", "note", "--out", out, "--no-progress")
    assert r.returncode == 0, r.stderr
    assert "kept as metadata" in r.stdout
    split = pd.read_csv(out / "split.csv", keep_default_na=False)
    assert set(split["group"]) == {f"{i}-{p}" for i in ("flute", "reed") for p in (60, 64, 67, 72)}
    for _, g in split.groupby("group"):
        assert g["split"].nunique() == 1  # all dynamics of a note on one side
    cfg = json.loads(json.dumps(__import__("yaml").safe_load((out / "config.yaml").read_text())))
    assert cfg["group_by"] == "note"


# -- run directories -------------------------------------------------------------------
def test_out_must_be_empty_unless_overwrite(notes, env, tmp_path):
    out = tmp_path / "r"
    out.mkdir()
    (out / "precious.txt").write_text("keep me")
    r = cli(env, "train", "--data", notes, "--model", "knn", "--out", out, "--no-progress")
    assert r.returncode == 2 and "not empty" in r.stderr and "--overwrite" in r.stderr
    assert (out / "precious.txt").read_text() == "keep me"
    # a run that fails leaves the directory as it was, even with --overwrite
    r = cli(env, "train", "--data", notes, "--model", "knn", "--out", out, "--overwrite", "--folds", "50", "--no-progress")
    assert r.returncode == 2 and (out / "precious.txt").is_file()
    r = cli(env, "train", "--data", notes, "--model", "knn", "--out", out, "--overwrite", "--no-progress")
    assert r.returncode == 0, r.stderr
    assert not (out / "precious.txt").exists() and (out / "metrics.json").is_file()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".r.")]  # no temporary left


def test_outputs_are_written_atomically(notes, monkeypatch, tmp_path):
    """Every file of a run directory is written under another name and renamed."""
    import mirlearn.fileio as fileio
    from mirlearn.training import train_run

    written = []
    real = fileio.os.replace
    monkeypatch.setattr(fileio.os, "replace", lambda a, b: written.append(os.path.basename(b)) or real(a, b))
    train_run(notes, "knn", tmp_path / "run", overrides={"cache": str(tmp_path / "c")}, progress=False, echo=lambda s: None)
    for name in ("metrics.json", "predictions.csv", "split.csv", "bundle.json", "config.yaml", "index.parquet", "summaries.parquet"):
        assert name in written, name


# -- bundles are data ------------------------------------------------------------------
class _Evil:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


@pytest.fixture(scope="module")
def classic_run(notes, env, tmp_path_factory):
    out = tmp_path_factory.mktemp("bundle") / "run"
    r = cli(env, "train", "--data", notes, "--model", "random_forest", "--out", out, "--no-progress")
    assert r.returncode == 0, r.stderr
    return out


def _copy_run(src, dst):
    import shutil

    shutil.copytree(src, dst)
    return dst


def test_a_classic_bundle_loads_as_data(classic_run, notes, env):
    wav = sorted(notes.parent.glob("*.wav"))[0]
    r = cli(env, "predict", classic_run, wav)
    assert r.returncode == 0, r.stderr
    meta = json.loads((classic_run / "model" / "bundle.json").read_text())
    assert {"mirlearn", "scikit-learn", "torch", "numpy"} <= set(meta["versions"])


@pytest.mark.parametrize(
    "target, message",
    [("estimator.skops", "is not a skops model file"), ("estimator.joblib", "loading it can run arbitrary code")],
)
def test_crafted_pickle_in_a_classic_bundle_runs_no_code(classic_run, notes, env, tmp_path, target, message):
    run = _copy_run(classic_run, tmp_path / "run")
    marker = tmp_path / "PWNED"
    (run / "model" / "estimator.skops").unlink()
    (run / "model" / target).write_bytes(pickle.dumps(_Evil(marker)))
    wav = sorted(notes.parent.glob("*.wav"))[0]
    r = cli(env, "predict", run, wav)
    assert r.returncode == 2 and message in r.stderr
    assert not marker.exists()


def test_foreign_types_in_a_skops_file_are_refused(classic_run, notes, env, tmp_path):
    import skops.io as sio
    from sklearn.preprocessing import FunctionTransformer

    run = _copy_run(classic_run, tmp_path / "run")
    sio.dump(FunctionTransformer(func=os.getcwd), run / "model" / "estimator.skops")
    r = cli(env, "predict", run, sorted(notes.parent.glob("*.wav"))[0])
    assert r.returncode == 2 and "posix.getcwd" in r.stderr and "--trust" in r.stderr


def test_crafted_pickle_in_a_deep_bundle_runs_no_code(tmp_path, env, notes):
    import torch

    from mirlearn.extraction import ExtractionConfig
    from mirlearn.inference import Bundle
    from mirlearn.models.neural import build_network

    run = tmp_path / "deep"
    net = build_network("cnn", n_classes=2, n_mels=32, channels=(4, 4, 8, 8))
    Bundle("deep", "cnn", ["a", "b"], False, ExtractionConfig(features=("logmel",), params={"n_mels": 32}), net,
           extra={"chunk_frames": 20, "norm_mean": 0.0, "norm_std": 1.0}).save(run / "model")
    marker = tmp_path / "PWNED"
    torch.save({"payload": _Evil(marker)}, run / "model" / "model.pt")
    r = cli(env, "predict", run, sorted(notes.parent.glob("*.wav"))[0])
    assert r.returncode == 2 and "not a plain weights file" in r.stderr
    assert not marker.exists()


def test_version_mismatch_warns(classic_run, tmp_path):
    from mirlearn import MirlearnWarning
    from mirlearn.inference import load_bundle

    run = _copy_run(classic_run, tmp_path / "run")
    f = run / "model" / "bundle.json"
    meta = json.loads(f.read_text())
    meta["versions"]["scikit-learn"] = "0.24.2"
    f.write_text(json.dumps(meta))
    with pytest.warns(MirlearnWarning, match=r"scikit-learn 0.24.2 \(now"):
        load_bundle(run)


# -- the cache -------------------------------------------------------------------------
def test_cache_key_covers_feature_defaults(monkeypatch):
    from dataclasses import replace

    from mirlearn.extraction import ExtractionConfig
    from mirlearn.features import engine

    cfg = ExtractionConfig(features=("mfcc",))
    before = cfg.digest()
    spec = engine.FEATURES["mfcc"]
    monkeypatch.setitem(engine.FEATURES, "mfcc", replace(spec, params=dict(spec.params, n_mfcc=13)))
    assert cfg.digest() != before  # same request, different numbers: another key


def test_concurrent_extractions_into_one_cache_keep_tables_readable(tmp_path):
    """Two extractions into one folder at once: every table read afterwards is whole."""
    from .conftest import GTZAN, require_data

    require_data(GTZAN)
    files = sorted(GTZAN.glob("*/*.00000.flac"))[:6]
    out = tmp_path / "cache"
    cmd = [sys.executable, "-m", "mirlearn", "extract", "--out", str(out), "--jobs", "1", "--no-progress", "--features", "rms"]
    procs = [subprocess.Popen(cmd + list(map(str, part)), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for part in (files[:3], files[3:])]
    for p in procs:
        assert p.wait(timeout=300) == 0
    # the tables are the store's index: both runs' files are listed (issue #7, finding 4)
    assert len(pd.read_parquet(out / "index.parquet")) == 6
    assert len(pd.read_parquet(out / "summaries.parquet")) == 6
    assert not list(out.glob(".*.tmp"))


# -- the registry ----------------------------------------------------------------------
def test_one_registry_names_every_model():
    from mirlearn.models import MODELS
    from mirlearn.models.classic import CLASSIC_MODELS, build_classifier
    from mirlearn.models.neural import NETWORKS

    assert set(CLASSIC_MODELS) == {n for n, s in MODELS.items() if s.family == "classic"}
    # wrappers around a named network (a front-end before it, an ensemble of it) are not models of their own
    assert set(NETWORKS) - {"frontend_model", "ensemble"} == {n for n, s in MODELS.items() if s.family in ("deep", "frame", "separation")}
    from mirlearn.detection import BASELINES

    assert set(BASELINES) == {n for n, s in MODELS.items() if s.family == "baseline"}
    for name in CLASSIC_MODELS:
        build_classifier(name)


def test_frame_report_of_a_cross_validated_drum_run(tmp_path):
    """report.html of frame-level CV metrics: mean ± std, per-fold rows, per-class figure,
    peak picking against thresholding, the worst files first."""
    from mirlearn.reports import write_frame_report

    def fold(f, worst):
        per_class = {c: {"f_measure": f, "precision": f, "recall": f} for c in ("KD", "SD", "HH")}
        per_file = {f"/d/{worst}.wav": {c: {"f_measure": 0.1, "tp": 1, "fp": 9, "fn": 9} for c in per_class},
                    f"/d/good{f}.wav": {c: {"f_measure": 0.95, "tp": 19, "fp": 1, "fn": 1} for c in per_class}}
        return {"f_measure": f, "precision": f, "recall": f, "per_class": per_class, "per_file": per_file,
                "threshold_0.5": {"f_measure": f - 0.1}}

    m = dict(task="drums", model="drum_crnn", data="songs.csv", evaluation="2-fold cross-validation", n_files=4,
             folds=[fold(0.6, "bad_a"), fold(0.8, "bad_b")], f_measure=0.7, f_measure_std=0.1414, precision=0.7, recall=0.7)
    html = write_frame_report(tmp_path, m, postprocess={"KD": {"threshold": 0.3}}).read_text()
    assert "0.7000 ± 0.1414" in html and "drum_crnn on songs.csv" in html
    assert html.count("<td>fold ") == 2 and "<td>0.5000</td>" in html  # peak picking table: fold 0 at threshold 0.5
    assert "Per-class F-measure (mean over folds)" in html and "data:image/png;base64," in html
    worst = html[html.index("scored worst"):]
    assert worst.index("bad_a.wav") < worst.index("good0.6.wav") and "threshold&quot;: 0.3" in html
