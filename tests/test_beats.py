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


def test_beat_metrics_are_mir_eval_s():
    from mirlearn.annotations import downbeats, read_beats
    from mirlearn.evaluation.beats import BEAT_METRICS, evaluate_beats, evaluate_downbeats

    ref, pos = read_beats(DATA / "mdb-drums-dev" / "annotations" / "beats" / "MusicDelta_Punk_MIX.beats")
    rng = np.random.default_rng(0)
    est = np.delete(np.sort(ref + rng.normal(0, 0.03, len(ref))), np.arange(20, 25))  # jittered, five missed
    est = est[est > 0]
    s = evaluate_beats(ref, est)
    m = mir_eval.beat.evaluate(ref, est)
    assert {k: s[k] for k in BEAT_METRICS} == pytest.approx({k: m[v] for k, v in BEAT_METRICS.items()})
    assert 0.3 < s["f_measure"] < 1.0 and s["n_reference"] == np.sum(ref >= 5.0)
    # double tempo: F halves-ish, CMLt drops, AMLt does not
    dbl = np.sort(np.concatenate([ref, ref[:-1] + np.diff(ref) / 2]))
    d = evaluate_beats(ref, dbl)
    assert d["f_measure"] < 0.8 and d["cmlt"] < 0.1 and d["amlt"] > 0.9
    down = downbeats(ref, pos)
    assert evaluate_downbeats(down, down)["downbeat_f_measure"] == 1.0
    assert evaluate_downbeats(down, ref)["downbeat_f_measure"] < 0.5


def test_beat_metrics_of_nothing_are_zero_without_warnings(recwarn):
    from mirlearn.evaluation.beats import BEAT_METRICS, evaluate_beats

    ref = np.arange(0.5, 20, 0.5)
    for est in (np.zeros(0), np.array([1.0, 2.0])):  # nothing, nothing after 5 s
        s = evaluate_beats(ref, est)
        assert all(s[k] == 0.0 for k in BEAT_METRICS) and s["n_estimated"] == 0
    assert not [w for w in recwarn if "mir_eval" in str(w.filename) or "beats" in str(w.message).lower()]


@pytest.mark.parametrize(
    "est, acc1, acc2",
    [(120.0, 1, 1), (124.7, 1, 1), (125.5, 0, 0), (60.5, 0, 1), (240.0, 0, 1), (360.0, 0, 1), (40.0, 0, 1), (90.0, 0, 0), (0.0, 0, 0)],
)
def test_tempo_accuracy(est, acc1, acc2):
    from mirlearn.evaluation.beats import reference_tempo, tempo_accuracy

    assert reference_tempo(np.arange(0, 10, 0.5)) == pytest.approx(120.0)
    assert tempo_accuracy(120.0, est) == {"acc1": acc1, "acc2": acc2}
    with pytest.raises(ParameterError, match="at least 2 beats"):
        reference_tempo([1.0])


def _activations(bpm, meter, *, fps=100, n_frames=3000, first=50, noise=0.04, seed=0):
    """Beat and downbeat activations with a peak on each beat (3 frames wide for beats, 1 for
    downbeats), uniform noise, and three beats missing in the middle."""
    rng = np.random.default_rng(seed)
    beats = np.arange(first, n_frames - 10, 60.0 * fps / bpm)
    b, d = np.zeros(n_frames), np.zeros(n_frames)
    for k, x in enumerate(np.round(beats).astype(int)):
        b[x], b[x - 1], b[min(x + 1, n_frames - 1)] = 0.9, 0.4, 0.4
        d[x] = 0.8 if k % meter == 0 else 0.0
    b = np.clip(b + rng.uniform(0, noise, n_frames), 0, 1)
    d = np.clip(d + rng.uniform(0, noise, n_frames), 0, 1)
    for x in np.round(beats[10:13]).astype(int):
        b[x - 1 : x + 2] = 0.02
    positions = np.arange(len(beats)) % meter + 1
    return b, d, beats / fps, positions


@pytest.mark.parametrize("bpm, meter", [(120.0, 4), (100.0, 3), (170.0, 4), (75.0, 3)])
def test_bar_pointer_hmm_finds_beats_downbeats_and_meter(bpm, meter):
    b, d, ref, ref_pos = _activations(bpm, meter)
    seen = np.ones(len(ref), dtype=bool)
    seen[10:13] = False
    t, pos = B.bar_pointer_decode(b, d, fps=100)
    assert len(t) == len(ref)  # the three missing beats are filled in, none invented
    # a frame off where the peak is; where the beats are missing, within the ±70 ms of beat F
    # (the tempo grid is log-spaced whole numbers of frames, so a gap drifts a little)
    assert np.max(np.abs(t - ref)[seen]) < 0.015 and np.max(np.abs(t - ref)) < 0.07
    assert pos.tolist() == ref_pos.tolist()  # the meter and the downbeats
    tb, pb = B.bar_pointer_decode(b, fps=100)  # beats only
    assert len(tb) == len(ref) and np.all(np.isnan(pb))
    assert np.max(np.abs(tb - ref)[seen]) < 0.015 and np.max(np.abs(tb - ref)) < 0.07


def test_bar_pointer_hmm_keeps_to_its_tempo_range_and_meters():
    b, d, ref, _ = _activations(240.0, 4)
    t, _ = B.bar_pointer_decode(b, fps=100, max_bpm=215.0)  # 240 BPM is out of range: every other beat
    assert abs(np.median(np.diff(t)) - 0.5) < 0.02
    t, _ = B.bar_pointer_decode(b, fps=100, max_bpm=300.0)
    assert abs(np.median(np.diff(t)) - 0.25) < 0.02
    b, d, ref, ref_pos = _activations(120.0, 3)
    _, pos = B.bar_pointer_decode(b, d, fps=100, beats_per_bar=4)  # 3/4 is not offered
    assert set(pos) == {1, 2, 3, 4}
    _, pos = B.bar_pointer_decode(b, d, fps=100, beats_per_bar=(3, 4))
    assert set(pos) == {1, 2, 3}


def test_bar_pointer_hmm_on_silence_and_bad_input():
    t, pos = B.bar_pointer_decode(np.zeros(1000), np.zeros(1000), fps=100)
    assert t.shape == pos.shape == (0,)
    t, _ = B.bar_pointer_decode(np.full(1000, 0.01), fps=100)  # below the threshold everywhere
    assert t.shape == (0,)
    with pytest.raises(ParameterError, match="probabilities"):
        B.bar_pointer_decode(np.full(100, 2.0), fps=100)
    with pytest.raises(ParameterError, match="shaped as the beats"):
        B.bar_pointer_decode(np.zeros(100), np.zeros(90), fps=100)
    with pytest.raises(ParameterError, match="min_bpm"):
        B.bar_pointer_decode(np.zeros(100), fps=100, min_bpm=200, max_bpm=100)
