"""Separation building blocks: the exact inverse STFT, HPSS (parity with librosa), BSS Eval
v4 (parity with museval's own code, and known answers) and SI-SDR."""

from __future__ import annotations

import importlib.util
import os

import numpy as np
import pytest

from mirlearn.errors import MirlearnWarning, ParameterError
from mirlearn.evaluation.separation import bss_eval, evaluate, median_over_songs, si_sdr
from mirlearn.features.decompose import hpss, istft, softmask
from mirlearn.features.spectral import stft

SR = 8000


def _museval_metrics():
    """museval's metrics.py, loaded alone: the package's __init__ imports musdb/stempeg,
    which need ffmpeg (museval is installed with --no-deps)."""
    spec = importlib.util.find_spec("museval")
    if spec is None:
        pytest.skip("museval is not installed (make install adds it)")
    path = os.path.join(spec.submodule_search_locations[0], "metrics.py")
    mod_spec = importlib.util.spec_from_file_location("_museval_metrics", path)
    mod = importlib.util.module_from_spec(mod_spec)
    mod_spec.loader.exec_module(mod)
    return mod


def _noise(shape, seed):
    return np.random.default_rng(seed).standard_normal(shape)


# -- inverse STFT and HPSS ------------------------------------------------------------


@pytest.mark.parametrize("n_fft,hop", [(2048, 512), (1024, 256), (512, 128), (1000, 300), (256, 64)])
@pytest.mark.parametrize("center", [True, False])
def test_istft_inverts_stft(n_fft, hop, center):
    y = _noise(4 * n_fft + 37, 0).astype(np.float32)
    S = stft(y, n_fft=n_fft, hop_length=hop, center=center)
    back = istft(S, hop_length=hop, center=center, length=len(y))
    # without centring the first and last half-windows are not covered by full overlap
    sl = slice(None) if center else slice(n_fft, len(y) - n_fft)
    np.testing.assert_allclose(back[sl], y[sl], atol=2e-5)


@pytest.mark.parametrize("n_fft,hop", [(2048, 512), (1000, 300)])
def test_istft_matches_librosa(n_fft, hop):
    librosa = pytest.importorskip("librosa")
    y = _noise((2, 3 * n_fft), 1).astype(np.float32)
    S = stft(y, n_fft=n_fft, hop_length=hop)
    for length in (None, y.shape[-1] - 5, y.shape[-1] + 100):
        ours = istft(S, hop_length=hop, length=length)
        ref = librosa.istft(S, hop_length=hop, n_fft=n_fft, length=length)
        assert ours.shape == ref.shape
        np.testing.assert_allclose(ours, ref, atol=2e-6)


def test_istft_rejects_wrong_bins():
    with pytest.raises(ParameterError, match="frequency bins"):
        istft(np.zeros((100, 4), complex), n_fft=2048)


@pytest.mark.parametrize("kwargs", [{}, {"margin": 3.0}, {"kernel_size": (17, 9), "power": 1.0}, {"power": np.inf}])
def test_hpss_matches_librosa(kwargs):
    librosa = pytest.importorskip("librosa")
    t = np.arange(2 * SR) / SR
    clicks = np.zeros_like(t)
    clicks[:: SR // 4] = 1.0
    y = (0.3 * np.sin(2 * np.pi * 440 * t) + clicks + 1e-3 * _noise(len(t), 2)).astype(np.float32)
    S = stft(y, n_fft=1024, hop_length=256)
    ours = hpss(S, **kwargs)
    ref = librosa.decompose.hpss(S, **kwargs)
    for a, b in zip(ours, ref):
        np.testing.assert_allclose(a, b, atol=1e-4 * np.abs(S).max())


def test_hpss_splits_tone_and_clicks():
    t = np.arange(2 * SR) / SR
    tone = 0.3 * np.sin(2 * np.pi * 440 * t)
    clicks = np.zeros_like(t)
    clicks[SR // 8:: SR // 4] = 1.0
    y = (tone + clicks).astype(np.float32)
    H, P = hpss(stft(y, n_fft=1024, hop_length=256))
    h = istft(H, hop_length=256, length=len(y))
    p = istft(P, hop_length=256, length=len(y))
    # each part correlates with its own source far more than with the other
    corr = lambda a, b: abs(np.dot(a, b)) / np.linalg.norm(a) / np.linalg.norm(b)  # noqa: E731
    assert corr(h, tone) > 0.9 and corr(h, clicks) < 0.3
    assert corr(p, clicks) > 0.8 and corr(p, tone) < 0.3


def test_softmask_rejects_negative_and_bad_power():
    with pytest.raises(ParameterError, match="non-negative"):
        softmask(-np.ones(3), np.ones(3))
    with pytest.raises(ParameterError, match="power"):
        softmask(np.ones(3), np.ones(3), power=0)
    np.testing.assert_allclose(softmask(np.array([3.0, 0.0]), np.array([1.0, 0.0]), power=1.0, split_zeros=True), [0.75, 0.5])


# -- BSS Eval v4 ----------------------------------------------------------------------


def _mixing_case(n_src, n, n_chan, seed):
    from scipy.signal import lfilter

    ref = _noise((n_src, n, n_chan), seed)
    ref[1, : n // 3] = 0.0  # a source silent for its first third: NaN windows
    est = np.empty_like(ref)
    for j in range(n_src):
        filtered = lfilter([1.0, 0.4, -0.2], [1.0], ref[j], axis=0)
        est[j] = filtered + 0.3 * ref[(j + 1) % n_src] + 0.1 * _noise((n, n_chan), seed + 10 + j)
    return ref, est


@pytest.mark.parametrize(
    "n_src,n_chan,window,hop",
    [(3, 1, SR, SR), (2, 2, SR, SR // 2), (4, 1, 3 * SR, 2 * SR), (2, 2, 10**9, 10**9)],
)
def test_bss_eval_matches_museval(n_src, n_chan, window, hop):
    mm = _museval_metrics()
    ref, est = _mixing_case(n_src, 5 * SR, n_chan, seed=n_src + n_chan)
    ours = bss_eval(ref, est, window=window, hop=hop, filters_len=64)
    theirs = mm.bss_eval(
        ref, est, window=window if window < 10**9 else np.inf, hop=hop if hop < 10**9 else np.inf,
        compute_permutation=False, filters_len=64, framewise_filters=False, bsseval_sources_version=False,
    )
    for a, b in zip(ours, theirs[:4]):
        assert a.shape == b.shape
        np.testing.assert_array_equal(np.isnan(a), np.isnan(b))
        np.testing.assert_allclose(a[~np.isnan(a)], b[~np.isnan(b)], atol=1e-6)
    if window <= SR:
        assert np.isnan(ours[0][:, 0]).all()  # source 1 is silent in the first window


def test_bss_eval_known_answers():
    ref = _noise((2, 4 * SR), 3)
    noise = _noise((2, 4 * SR), 4)
    # noise scaled to exactly -20 dB of its source in every window: SDR = 20 dB
    est = ref.copy()
    for j in range(2):
        for w in range(4):
            sl = slice(w * SR, (w + 1) * SR)
            est[j, sl] += noise[j, sl] * np.linalg.norm(ref[j, sl]) / np.linalg.norm(noise[j, sl]) / 10
    sdr, isr, sir, sar = bss_eval(ref, est, window=SR, hop=SR, filters_len=32)
    np.testing.assert_allclose(sdr, 20.0, atol=1e-9)
    # independent noise is an artefact, neither interference nor spatial distortion
    assert np.all(sar < 21) and np.all(sar > 19)
    assert np.all(sir > 35) and np.all(isr > 35)
    # leaking the other source in is interference
    leak = ref + 0.1 * ref[::-1]
    sdr, isr, sir, sar = bss_eval(ref, leak, window=SR, hop=SR, filters_len=32)
    assert np.all(np.abs(sir - 20) < 1) and np.all(sar > 60)


def test_bss_eval_errors():
    ref = _noise((2, SR), 5)
    with pytest.raises(ParameterError, match="same shape"):
        bss_eval(ref, ref[:, :-1])
    silent = ref.copy()
    silent[1] = 0
    with pytest.raises(ParameterError, match="silent"):
        bss_eval(silent, ref)
    with pytest.raises(ParameterError, match="NaN"):
        bss_eval(ref, ref * np.nan)


def test_si_sdr():
    ref = _noise((2, SR), 6)
    noise = _noise((2, SR), 7)
    noise -= (np.sum(noise * ref, 1) / np.sum(ref**2, 1))[:, None] * ref  # orthogonal to ref
    noise *= (np.linalg.norm(ref, axis=1) / np.linalg.norm(noise, axis=1))[:, None] / 10
    np.testing.assert_allclose(si_sdr(ref, 0.5 * (ref + noise)), 20.0, atol=1e-9)  # scale does not matter
    assert np.isnan(si_sdr(np.zeros((1, 10)), np.ones((1, 10))))[0]


def test_evaluate_leaves_out_silent_stems():
    names = ["drums", "vocals", "other"]
    ref = _noise((3, 3 * SR), 8)
    ref[1] = 0.0
    est = ref + 0.1 * _noise((3, 3 * SR), 9)
    with pytest.warns(MirlearnWarning, match="vocals"):
        r = evaluate(ref, est, sr=SR, names=names)
    assert np.isnan(r["sdr"]["vocals"]) and r["n_frames"]["vocals"] == 0
    assert r["n_frames"]["drums"] == 3 and 19 < r["sdr"]["drums"] < 21
    assert len(r["frames"]["sdr"]["other"]) == 3
    summary = median_over_songs([r, r])
    assert summary["sdr"]["drums"] == pytest.approx(r["sdr"]["drums"])
    assert np.isnan(summary["sdr"]["vocals"])
    assert summary["sdr"]["mean"] == pytest.approx((r["sdr"]["drums"] + r["sdr"]["other"]) / 2)


def test_median_over_songs_takes_medians():
    songs = [{"sdr": {"a": v, "b": 2 * v}, "isr": {"a": v, "b": v}, "sir": {"a": v, "b": v}, "sar": {"a": v, "b": v}, "si_sdr": {"a": v, "b": v}} for v in (1.0, 5.0, 3.0, float("nan"))]
    s = median_over_songs(songs)
    assert s["sdr"] == {"a": 3.0, "b": 6.0, "mean": 4.5}
    with pytest.raises(ParameterError):
        median_over_songs([])
