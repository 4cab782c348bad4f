"""The non-learned beat tracker and tempo (mirlearn.detection.beats): click trains with known
answers, parity with librosa on real clips, degenerate input."""

from __future__ import annotations

import doctest

import numpy as np
import mir_eval
import pytest
import soundfile as sf

from mirlearn.detection import beats as B
from mirlearn.errors import ParameterError

from .conftest import DATA

SR = 22050
CLIPS = DATA / "madmom-clips"
STEMS = DATA / "mdb-stems-dev"


def _clicks(bpm, seconds=12.0, sr=SR, offset=0.25):
    y = np.zeros(int(seconds * sr))
    t = np.arange(offset, seconds - 0.05, 60.0 / bpm)
    for k in (t * sr).astype(int):
        y[k : k + 64] += np.hanning(64)
    return y, t


def _mix(song):
    return sum(sf.read(STEMS / song / f"{s}.flac", dtype="float32")[0] for s in ("drums", "bass", "vocals", "other"))


def _real(name):
    import librosa

    if name.startswith("MusicDelta"):
        return _mix(name)
    return librosa.load(CLIPS / name, sr=SR, mono=True)[0]


@pytest.mark.parametrize("bpm", [90.0, 100.0, 132.0])
def test_click_train_beats_and_tempo(bpm):
    y, t = _clicks(bpm)
    tempo_dp, beats = B.beat_track(y, sr=SR)
    assert abs(tempo_dp - bpm) / bpm < 0.04
    # every beat inside the train is a click within the ±70 ms of the beat F-measure (the
    # tempo is followed at a whole number of frames per beat, so the phase drifts a little, as
    # librosa's does; the last beat may miss the last click)
    assert len(beats) >= len(t) - 2
    assert np.max(np.min(np.abs(beats[:-1, None] - t[None]), axis=1)) < 0.07
    assert mir_eval.beat.f_measure(t, beats) > 0.9
    tempi, strengths = B.tempo_candidates(B.onset_envelope(y, sr=SR), fps=SR / 512)
    assert abs(tempi[0] - bpm) / bpm < 0.02 and strengths[0] > 0.5 and np.isclose(strengths.sum(), 1.0)


@pytest.mark.parametrize("name", ["sample.wav", "stereo_sample.flac", "MusicDelta_Punk", "MusicDelta_Beatles"])
def test_beat_track_matches_librosa(name):
    librosa = pytest.importorskip("librosa")
    y = _real(name)
    env_l = librosa.onset.onset_strength(y=y, sr=SR, aggregate=np.median)
    env = B.onset_envelope(y, sr=SR)
    np.testing.assert_allclose(env, env_l, atol=1e-4, rtol=1e-5)
    bpm_l, frames = librosa.beat.beat_track(y=y, sr=SR)
    bpm, beats = B.beat_track(y, sr=SR)
    assert bpm == pytest.approx(float(np.atleast_1d(bpm_l)[0]))
    np.testing.assert_array_equal(np.round(beats * SR / 512).astype(int), frames)
    # a fixed tempo, another tightness, no trimming
    _, frames = librosa.beat.beat_track(onset_envelope=env_l, sr=SR, bpm=100.0, tightness=400, trim=False)
    _, beats = B.beat_track_dp(env_l, fps=SR / 512, bpm=100.0, tightness=400, trim=False)
    np.testing.assert_array_equal(np.round(beats * SR / 512).astype(int), frames)


@pytest.mark.parametrize("start_bpm", [60.0, 120.0, 180.0])
def test_tempo_and_tempogram_match_librosa(start_bpm):
    librosa = pytest.importorskip("librosa")
    env = librosa.onset.onset_strength(y=_mix("MusicDelta_Country1"), sr=SR)
    np.testing.assert_allclose(B.tempogram(env), librosa.feature.tempogram(onset_envelope=env, sr=SR), atol=1e-6)
    expected = librosa.feature.tempo(onset_envelope=env, sr=SR, start_bpm=start_bpm)[0]
    assert B.tempo(env, fps=SR / 512, start_bpm=start_bpm) == pytest.approx(expected)


def test_silence_gives_no_beats_and_bad_envelopes_are_errors():
    assert B.beat_track(np.zeros(SR * 3), sr=SR) == (0.0, pytest.approx(np.zeros(0)))
    tempi, strengths = B.tempo_candidates(np.zeros(500), fps=100)
    assert len(tempi) == len(strengths) == 0
    with pytest.raises(ParameterError, match="1-d"):
        B.beat_track_dp(np.ones((2, 100)), fps=100)
    with pytest.raises(ParameterError, match="finite"):
        B.beat_track_dp(np.array([0.0, np.nan, 1.0]), fps=100)
    with pytest.raises(ParameterError, match="tightness"):
        B.beat_track_dp(np.ones(100), fps=100, tightness=0)
    with pytest.raises(ParameterError, match="min_bpm"):
        B.tempo_candidates(np.ones(100), fps=100, min_bpm=200, max_bpm=100)


def test_docstring_example_runs():
    res = doctest.testmod(B)
    assert res.attempted >= 4 and res.failed == 0, res
