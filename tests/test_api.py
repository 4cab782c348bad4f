"""The Python interface (mirlearn.api): its docstring examples run, and on a file read with
mirlearn.load it gives what the command line gives for that file."""

from __future__ import annotations

import doctest
import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

import mirlearn
from mirlearn.cli.main import main
from mirlearn.errors import ParameterError
from mirlearn.inference.bundle import BundleError
from mirlearn.inference.detect import shipped_model_dir

from .conftest import DATA, require_data, synthetic_clip

pytest.importorskip("torch")

STEREO = DATA / "madmom-clips" / "stereo_sample.flac"  # 4.1 s, 2 channels, 44.1 kHz
ONSET_CLIP = DATA / "bock-onsets-dev" / "audio" / "al_Media-103515(19.7-29.7).flac"
DRUM_STEM = DATA / "mdb-drums-dev" / "audio" / "MusicDelta_SpeedMetal_Drum.wav"


def _cli_json(capsys, *argv):
    assert main([str(a) for a in argv]) == 0
    return json.loads(capsys.readouterr().out)


def test_docstring_examples_run():
    import mirlearn.api

    res = doctest.testmod(mirlearn.api, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert res.attempted >= 15 and res.failed == 0, res


def test_import_stays_cheap_and_names_the_api():
    code = "import sys, mirlearn; assert 'torch' not in sys.modules; print(callable(mirlearn.predict_instrument), 'embed' in dir(mirlearn))"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout.split() == ["True", "True"], r.stderr
    with pytest.raises(AttributeError):
        mirlearn.no_such_function


def test_predict_instrument_is_what_the_command_line_says(capsys, tmp_path):
    require_data(STEREO)
    y, sr = mirlearn.load(STEREO, mono=False)  # stereo, 44.1 kHz: the API mixes down and resamples
    got = mirlearn.predict_instrument(y, sr)
    (cli,) = _cli_json(capsys, "predict", "instrument", STEREO, "--format", "json")
    assert got["label"] == cli["label"] and got["family"] == cli["family"]
    np.testing.assert_allclose([got["probabilities"][c] for c in cli["probabilities"]], list(cli["probabilities"].values()), atol=1e-6)
    np.testing.assert_allclose([got["families"][f] for f in cli["families"]], list(cli["families"].values()), atol=1e-6)


def test_a_classic_run_predicts_like_the_command_line(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("MIRLEARN_CACHE", str(tmp_path / "cache"))
    rng = np.random.default_rng(0)
    for kind in ("tone", "noise", "clicks"):
        for i in range(6):
            f = tmp_path / "data" / kind / f"{kind}{i}.wav"
            f.parent.mkdir(parents=True, exist_ok=True)
            sf.write(f, synthetic_clip(kind, rng), 22050)
    run = tmp_path / "run"
    assert main(["train", "--data", str(tmp_path / "data"), "--model", "logreg", "--out", str(run), "--no-progress"]) == 0
    capsys.readouterr()
    model = mirlearn.load_model(run)
    assert isinstance(model, mirlearn.api.Classifier) and model.classes == ["clicks", "noise", "tone"]
    files = sorted((tmp_path / "data").glob("*/*0.wav"))
    cli = _cli_json(capsys, "predict", run, *files, "--format", "json")
    for f, row in zip(files, cli):
        y, sr = mirlearn.load(f)
        p = model.predict_proba(y, sr)
        np.testing.assert_allclose(p, [row["probabilities"][c] for c in model.classes], atol=1e-9)
        assert model.predict(y, sr) == row["label"] == f.parent.name


@pytest.mark.parametrize("task, clip", [("onsets", ONSET_CLIP), ("drums", DRUM_STEM), ("pitch", STEREO)])
def test_detect_is_what_the_command_line_writes(task, clip, tmp_path, capsys):
    require_data(clip)
    y, sr = mirlearn.load(clip, mono=False, duration=8.0)
    clip = tmp_path / "clip.wav"  # the first 8 s, written as float: the command line reads the same samples
    sf.write(clip, y.T, sr, subtype="FLOAT")
    got = mirlearn.detect(y, sr, task=task)
    assert main(["detect", task, str(clip), "--out", str(tmp_path / "out"), "--format", "csv", "--no-progress"]) == 0
    capsys.readouterr()
    table = pd.read_csv(next((tmp_path / "out").glob("*.csv")))
    if task == "onsets":
        assert len(got) > 5
        np.testing.assert_allclose(got, table["time"], atol=1e-6)
    elif task == "drums":
        assert sum(map(len, got.values())) > 5
        for c, times in got.items():
            np.testing.assert_allclose(times, table.loc[table["label"] == c, "time"], atol=1e-6)
    else:
        times, f0 = got
        assert (f0 > 0).sum() > 50
        np.testing.assert_allclose(times, table.iloc[:, 0], atol=1e-6)
        np.testing.assert_allclose(f0, table.iloc[:, 1], atol=1e-3)
    events, act, fps = mirlearn.detect(y, sr, task=task, activations=True)
    n_frames = act.shape[1]
    assert abs(n_frames / fps - y.shape[-1] / sr) < 0.1  # the activation covers the clip


def test_separate_is_what_the_command_line_writes(tmp_path, capsys):
    require_data(STEREO)
    y, sr = mirlearn.load(STEREO, mono=False)
    got = mirlearn.separate(y, sr)
    assert main(["separate", str(STEREO), "--out", str(tmp_path), "--no-progress"]) == 0
    capsys.readouterr()
    for stem, x in got.items():
        written, wsr = sf.read(tmp_path / STEREO.stem / f"{stem}.wav", dtype="float32", always_2d=True)
        assert wsr == sr and x.shape[-1] == y.shape[-1]
        np.testing.assert_allclose(np.atleast_2d(x), np.broadcast_to(written.T, np.atleast_2d(x).shape), atol=1e-6)
    hp = mirlearn.separate(y[0], sr, method="hpss", stems=["drums"])
    assert list(hp) == ["drums"] and hp["drums"].shape == y[0].shape  # mono in, mono out


def test_embed_is_what_the_command_line_writes(tmp_path, capsys):
    require_data(STEREO)
    y, sr = mirlearn.load(STEREO, mono=False)
    out = tmp_path / "e.parquet"
    assert main(["embed", str(STEREO), "--out", str(out), "--per-patch", "--patch-hop", "1.0", "--no-progress"]) == 0
    capsys.readouterr()
    table = pd.read_parquet(out)
    E = mirlearn.embed(y, sr, per_patch=True, patch_hop=1.0)
    np.testing.assert_allclose(E, table.filter(like="penultimate_").to_numpy(), atol=1e-5)
    np.testing.assert_allclose(mirlearn.embed(y, sr, patch_hop=1.0), E.mean(axis=0), atol=1e-6)


@pytest.mark.parametrize("y, sr, match", [
    (np.zeros(1000, np.int16), 22050, "floating-point"),
    (np.full(1000, np.nan), 22050, "NaN"),
    (np.zeros((2, 3, 100)), 22050, "shaped"),
    (np.zeros(0), 22050, "shaped"),
    (np.zeros(1000), 0, "sr must be"),
])
def test_bad_signals_are_refused_clearly(y, sr, match):
    with pytest.raises(ParameterError, match=match):
        mirlearn.predict_instrument(y, sr)


def test_bad_model_names_and_tasks_are_refused_clearly(tmp_path):
    with pytest.raises(BundleError, match="neither a run directory"):
        mirlearn.load_model(tmp_path / "nothing-here")
    with pytest.raises(ParameterError, match="task must be one of"):
        mirlearn.detect(np.zeros(22050, np.float32), 22050, task="chords")
    with pytest.raises(ParameterError, match="not a drums model"):
        mirlearn.detect(np.zeros(22050, np.float32), 22050, task="drums", model=shipped_model_dir("onsets"))
    with pytest.raises(ParameterError, match="stems"):
        mirlearn.separate(np.zeros(22050, np.float32), 22050, stems=["guitar"])


def test_silence_warns_and_gives_no_events():
    with pytest.warns(mirlearn.MirlearnWarning, match="silent"):
        assert len(mirlearn.detect(np.zeros(44100, np.float32), 44100, task="onsets")) == 0
