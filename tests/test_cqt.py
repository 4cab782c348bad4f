"""mirlearn's own constant-Q transform against librosa.cqt, over its parameters.

The tolerance is the one stated in docs/features.md: 1e-4 of the range of librosa's
magnitudes, element-wise.
"""

from __future__ import annotations

import warnings

import librosa
import numpy as np
import pytest

from mirlearn import ParameterError
from mirlearn.features.cqt import cqt

from .conftest import SR, synthetic_signals

SYNTH = synthetic_signals()


def _ref(y, sr, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return np.abs(librosa.cqt(y, sr=sr, **kw))


def _assert_close(ours, ref):
    assert ours.shape == ref.shape
    assert np.max(np.abs(ours - ref)) <= 1e-4 * np.ptp(ref) + 1e-12


@pytest.mark.parametrize(
    "kw",
    [
        {},
        dict(n_bins=252, bins_per_octave=36),
        dict(n_bins=60, fmin=65.0, hop_length=256),
        dict(n_bins=50, norm=2, filter_scale=2, sparsity=0.0),
        dict(n_bins=48, bins_per_octave=24, tuning=-0.2, window="hamming"),
        dict(n_bins=100, bins_per_octave=12, hop_length=128),
        dict(n_bins=1),
        dict(scale=False),
        dict(res_type="soxr_vhq"),
    ],
    ids=lambda kw: ",".join(f"{k}={v}" for k, v in kw.items()) or "defaults",
)
@pytest.mark.parametrize("signal", ["chirp", "clicks", "noise"])
def test_cqt_matches_librosa(signal, kw):
    y = SYNTH[signal]
    ours = np.abs(cqt(y, sr=SR, **kw))
    assert ours.dtype == np.float32
    _assert_close(ours, _ref(y, SR, **kw))


def test_cqt_early_downsampling_at_44k():
    # at 44.1 kHz with a low top bin, librosa halves the signal before the first octave
    y = librosa.resample(SYNTH["chirp"], orig_sr=SR, target_sr=44100)
    _assert_close(np.abs(cqt(y, sr=44100, n_bins=48, hop_length=1024)), _ref(y, 44100, n_bins=48, hop_length=1024))


def test_cqt_estimates_tuning_like_librosa():
    y = SYNTH["chirp"]
    _assert_close(np.abs(cqt(y, sr=SR, tuning=None)), _ref(y, SR, tuning=None))


def test_cqt_multichannel_and_short_input():
    y = np.stack([SYNTH["chirp"], SYNTH["noise"]])
    _assert_close(np.abs(cqt(y, sr=SR)), _ref(y, SR))
    short = SYNTH["chirp"][:300]
    _assert_close(np.abs(cqt(short, sr=SR)), _ref(short, SR))


def test_cqt_a_tone_peaks_at_its_bin():
    t = np.arange(SR * 2) / SR
    y = np.sin(2 * np.pi * 440.0 * t).astype(np.float32)
    C = np.abs(cqt(y, sr=SR))
    # bin 0 is C1; A4 is 45 semitones above
    assert np.argmax(C[:, C.shape[1] // 2]) == 45


def test_cqt_shared_pyramid_gives_the_same_numbers():
    y = SYNTH["chirp"]
    pyramid = {}
    a = cqt(y, sr=SR, pyramid=pyramid)
    b = cqt(y, sr=SR, n_bins=252, bins_per_octave=36, pyramid=pyramid)
    np.testing.assert_array_equal(a, cqt(y, sr=SR))
    np.testing.assert_array_equal(b, cqt(y, sr=SR, n_bins=252, bins_per_octave=36))


@pytest.mark.parametrize(
    "kw, match",
    [
        (dict(n_bins=120), "Nyquist"),
        (dict(res_type="kaiser_best"), "res_type"),
        (dict(hop_length=0), "hop_length"),
        (dict(sparsity=1.0), "sparsity"),
    ],
)
def test_cqt_bad_parameters(kw, match):
    with pytest.raises(ParameterError, match=match):
        cqt(SYNTH["chirp"], sr=SR, **kw)


@pytest.mark.parametrize("window", ["hann", "hamming", "blackman", "boxcar", "ones"])
@pytest.mark.parametrize("n", [1, 2, 7, 1001, 2048])
@pytest.mark.parametrize("fftbins", [True, False])
def test_windows_are_scipys_without_importing_it(window, n, fftbins):
    import scipy.signal

    from mirlearn.features.filters import get_window

    ref = scipy.signal.get_window("boxcar" if window == "ones" else window, n, fftbins=fftbins)
    np.testing.assert_array_equal(get_window(window, n, fftbins=fftbins), ref)
