"""mirlearn.extract: one STFT shared, parameter handling, degenerate input."""

from __future__ import annotations


import numpy as np
import pytest

import mirlearn
from mirlearn.features.embeddings import EMBEDDING_FEATURES
from mirlearn import MirlearnWarning, ParameterError
from mirlearn.features import engine, spectral

from .conftest import SR, synthetic_signals

Y = synthetic_signals()["chirp"]
STFT_FEATURES = [
    "stft", "power", "mel", "logmel", "mfcc", "mfcc_delta", "mfcc_delta2", "chroma_stft",
    "spectral_centroid", "spectral_bandwidth", "spectral_rolloff", "spectral_flatness",
    "spectral_contrast", "onset_strength",
]


def test_one_stft_for_all_stft_features(monkeypatch):
    calls = []
    real = spectral.stft

    def counting(*args, **kwargs):
        calls.append(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(spectral, "stft", counting)
    mirlearn.extract(Y, sr=SR, features=STFT_FEATURES)
    assert len(calls) == 1


def test_one_stft_per_configuration(monkeypatch):
    calls = []
    real = spectral.stft
    monkeypatch.setattr(spectral, "stft", lambda *a, **k: calls.append(k) or real(*a, **k))
    mirlearn.extract(Y, sr=SR, features=["mfcc", "spectral_centroid"], spectral_centroid__n_fft=1024)
    assert sorted(c["n_fft"] for c in calls) == [1024, 2048]


def test_cqt_features_share_one_cqt(monkeypatch):
    import librosa

    from mirlearn.features import engine

    calls = []
    real = engine._cqt
    monkeypatch.setattr(engine, "_cqt", lambda *a, **k: calls.append(k) or real(*a, **k))
    # with the same CQT configuration, cqt, cqt_db and chroma_cqt use one CQT
    out = mirlearn.extract(
        Y, sr=SR, features=["cqt", "cqt_db", "chroma_cqt"],
        cqt__n_bins=84, cqt__bins_per_octave=12, cqt_db__bins_per_octave=12,
        chroma_cqt__bins_per_octave=12, chroma_cqt__n_octaves=7, chroma_cqt__tuning=0.0,
    )
    assert len(calls) == 1
    ref = librosa.feature.chroma_cqt(y=Y, sr=SR, bins_per_octave=12, tuning=0.0)
    np.testing.assert_allclose(out["chroma_cqt"], ref, atol=1e-4)


def test_cqts_of_one_signal_share_the_octave_pyramid(monkeypatch):
    from mirlearn.features import cqt as cqt_module

    calls = []
    real = cqt_module._halve
    monkeypatch.setattr(cqt_module, "_halve", lambda *a, **k: calls.append(a[1]) or real(*a, **k))
    # cqt (84 bins, 12 per octave) and chroma_cqt (252 bins, 36 per octave): two CQTs,
    # 7 octaves each, one pyramid of 6 halvings
    mirlearn.extract(Y, sr=SR, features=["cqt", "chroma_cqt"])
    assert calls == [2] * 6


def test_chroma_cqt_tuning_reuses_the_stft(monkeypatch):
    calls = []
    real = spectral.stft
    monkeypatch.setattr(spectral, "stft", lambda *a, **k: calls.append(k) or real(*a, **k))
    mirlearn.extract(Y, sr=SR, features=["mfcc", "chroma_cqt"])
    assert len(calls) == 1  # tuning estimation used the shared default STFT


def test_unknown_feature_lists_valid_names():
    with pytest.raises(ParameterError, match=r"unknown feature name\(s\) 'mfccs'; valid names: stft, power"):
        mirlearn.extract(Y, sr=SR, features=["mfccs"])


def test_unknown_parameter_lists_valid_ones():
    with pytest.raises(ParameterError, match=r"unknown parameter 'n_mfccs'.*valid parameters: .*n_mfcc"):
        mirlearn.extract(Y, sr=SR, features=["mfcc"], n_mfccs=13)


def test_parameter_for_a_feature_not_requested():
    with pytest.raises(ParameterError, match="unknown parameter 'n_chroma'"):
        mirlearn.extract(Y, sr=SR, features=["mfcc"], n_chroma=24)
    with pytest.raises(ParameterError, match="not requested"):
        mirlearn.extract(Y, sr=SR, features=["mfcc"], chroma_stft__n_chroma=24)
    with pytest.raises(ParameterError, match="unknown parameter 'foo' for feature 'mfcc'"):
        mirlearn.extract(Y, sr=SR, features=["mfcc"], mfcc__foo=1)


def test_scoped_parameter_wins_and_plain_parameter_applies_to_all():
    out = mirlearn.extract(Y, sr=SR, features=["mfcc", "mel"], n_mels=64, mfcc__n_mels=40, n_mfcc=13)
    assert out["mel"].shape[0] == 64
    assert out["mfcc"].shape[0] == 13
    import librosa

    np.testing.assert_allclose(out["mfcc"], librosa.feature.mfcc(y=Y, sr=SR, n_mfcc=13, n_mels=40), atol=1e-3)


@pytest.mark.parametrize(
    "kw,match",
    [
        ({"n_fft": 0}, "n_fft must be a positive integer"),
        ({"hop_length": 1.5}, "hop_length must be a positive integer"),
        ({"n_mfcc": 200}, "n_mfcc=200 cannot exceed n_mels=128"),
        ({"win_length": 4096}, "win_length must lie in"),
    ],
)
def test_invalid_values(kw, match):
    with pytest.raises(ParameterError, match=match):
        mirlearn.extract(Y, sr=SR, features=["mfcc"], **kw)


def test_bad_signals():
    with pytest.raises(ParameterError, match="empty"):
        mirlearn.extract(np.zeros(0, np.float32), sr=SR)
    with pytest.raises(ParameterError, match="NaN"):
        mirlearn.extract(np.full(4096, np.nan, np.float32), sr=SR)
    with pytest.raises(ParameterError, match="floating-point"):
        mirlearn.extract(np.ones(4096, np.int16), sr=SR)
    with pytest.raises(ParameterError, match="sr must be"):
        mirlearn.extract(Y, sr=0)


def test_silence_warns_and_returns_finite_features():
    with pytest.warns(MirlearnWarning, match="silent"):
        out = mirlearn.extract(np.zeros(SR, np.float32), sr=SR, features=list(mirlearn.FEATURES))
    for name, v in out.items():
        assert np.all(np.isfinite(v)), name


def test_clip_shorter_than_one_frame_warns_not_crashes():
    y = Y[:500]
    with pytest.warns(MirlearnWarning, match="shorter than one frame"):
        out = mirlearn.extract(y, sr=SR, features=list(mirlearn.DEFAULT_FEATURES) + ["mfcc_delta"])
    assert out["mfcc"].shape == (20, 5)
    assert all(np.all(np.isfinite(v)) for v in out.values())


def test_outputs_are_float32_time_last():
    out = mirlearn.extract(Y, sr=SR, features=list(mirlearn.FEATURES))
    n = 1 + len(Y) // 512
    for name, v in out.items():
        assert v.dtype == np.float32, name
        # the pretrained embeddings have a frame per 3 s patch (one patch: shorter input is repeated)
        assert v.shape[-1] == (1 if name in EMBEDDING_FEATURES else n), name


def test_feature_order_follows_the_request():
    out = mirlearn.extract(Y, sr=SR, features=["rms", "mfcc", "spectral_centroid"])
    assert list(out) == ["rms", "mfcc", "spectral_centroid"]


def test_known_answers():
    """Features of signals whose answer is known without librosa."""
    t = np.arange(SR * 2) / SR
    tone = np.sin(2 * np.pi * 1000 * t).astype(np.float32)
    out = mirlearn.extract(tone, sr=SR, features=["spectral_centroid", "rms", "zero_crossing_rate", "chroma_stft"])
    mid = slice(5, -5)
    assert np.median(out["spectral_centroid"][0, mid]) == pytest.approx(1000, rel=0.02)
    assert np.median(out["rms"][0, mid]) == pytest.approx(1 / np.sqrt(2), rel=1e-3)
    assert np.median(out["zero_crossing_rate"][0, mid]) == pytest.approx(2000 / SR, rel=0.02)
    # 1000 Hz is closest to B5 (987.8 Hz): pitch class B (index 11) dominates
    assert np.argmax(out["chroma_stft"][:, mid].mean(axis=1)) == 11


def test_registry_is_explicit_and_documented():
    for name, spec in engine.FEATURES.items():
        assert spec.name == name
        assert spec.librosa.startswith(("librosa.", "np.", "pretrained "))
        assert spec.librosa.startswith("pretrained ") == (name in EMBEDDING_FEATURES)
