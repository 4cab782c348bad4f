"""mirlearn.summarize: names, values, deltas, errors."""

from __future__ import annotations

import numpy as np
import pytest

import mirlearn
from mirlearn import ParameterError
from mirlearn.features import summary_names


def test_names_and_values():
    X = np.arange(20, dtype=np.float32).reshape(4, 5)
    s = mirlearn.summarize({"mfcc": X, "rms": X[:1]}, stats=("mean", "std", "min", "max", "median", "p10"))
    assert list(s)[:6] == ["mfcc_00_mean", "mfcc_00_std", "mfcc_00_min", "mfcc_00_max", "mfcc_00_median", "mfcc_00_p10"]
    assert s["mfcc_03_mean"] == pytest.approx(17.0)
    assert s["mfcc_03_std"] == pytest.approx(np.std([15, 16, 17, 18, 19]))
    assert s["mfcc_01_min"] == 5 and s["mfcc_01_max"] == 9 and s["mfcc_02_median"] == 12
    assert s["mfcc_00_p10"] == pytest.approx(0.4)
    assert s["rms_mean"] == pytest.approx(2.0)
    assert "rms_00_mean" not in s


def test_names_match_summary_names():
    feats = {"mfcc": np.random.default_rng(0).random((13, 40)), "chroma_stft": np.random.default_rng(1).random((12, 40))}
    s = mirlearn.summarize(feats, stats=("mean", "p90"), deltas=True)
    assert list(s) == summary_names({k: v.shape for k, v in feats.items()}, stats=("mean", "p90"), deltas=True)
    assert "mfcc_12_delta_p90" in s


def test_wide_index_is_padded():
    s = mirlearn.summarize({"cqt": np.ones((120, 3))}, stats=("mean",))
    assert "cqt_007_mean" in s and "cqt_119_mean" in s


def test_delta_of_a_ramp():
    X = np.tile(np.arange(50, dtype=np.float64) * 2.0, (1, 1))
    s = mirlearn.summarize({"x": X}, stats=("mean",), deltas=True)
    assert s["x_delta_mean"] == pytest.approx(2.0, rel=1e-6)


def test_multichannel_names():
    s = mirlearn.summarize({"rms": np.ones((2, 1, 10))}, stats=("mean",))
    assert list(s) == ["rms_ch0_mean", "rms_ch1_mean"]


@pytest.mark.parametrize("stats,match", [(("average",), "unknown statistic 'average'"), (("p101",), "unknown statistic"), ((), "at least one")])
def test_bad_stats(stats, match):
    with pytest.raises(ParameterError, match=match):
        mirlearn.summarize({"rms": np.ones((1, 5))}, stats=stats)


def test_bad_features():
    with pytest.raises(ParameterError, match="non-empty dict"):
        mirlearn.summarize({})
    with pytest.raises(ParameterError, match="expected"):
        mirlearn.summarize({"rms": np.ones(5)})
    with pytest.raises(ParameterError, match="no frames"):
        mirlearn.summarize({"rms": np.ones((1, 0))})
