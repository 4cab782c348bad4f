"""scikit-learn compliance of mirlearn's estimators, and the classic pipelines."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC
from sklearn.utils.estimator_checks import parametrize_with_checks

from mirlearn import ParameterError
from mirlearn.models.classic import CLASSIC_MODELS, AudioFeatures, build_classifier, param_grid

# the only check not run is check_array_api_input, which scikit-learn itself skips unless
# SCIPY_ARRAY_API=1 is set (AudioFeatures converts its input to NumPy float arrays).


@parametrize_with_checks([AudioFeatures(features=("rms", "zero_crossing_rate", "mfcc"), params={"n_mfcc": 5, "n_mels": 16})])
def test_sklearn_compatible(estimator, check):
    check(estimator)


def _clips(n, f, sr=8000):
    t = np.arange(sr) / sr
    rng = np.random.default_rng(int(f))
    return [np.sin(2 * np.pi * (f + 20 * rng.random()) * t).astype(np.float32) for _ in range(n)]


def test_audio_pipeline_classifies_waveforms_and_files(tmp_path):
    import soundfile as sf

    X = _clips(6, 200) + _clips(6, 2000)
    y = [0] * 6 + [1] * 6
    pipe = make_pipeline(AudioFeatures(features=("spectral_centroid", "rms"), sr=8000), StandardScaler(), SVC())
    pipe.fit(X, y)
    assert (pipe.predict(X) == y).all()
    assert list(pipe[0].get_feature_names_out()) == ["spectral_centroid_mean", "spectral_centroid_std", "rms_mean", "rms_std"]
    paths = []
    for i, x in enumerate(X):
        paths.append(str(tmp_path / f"{i}.wav"))
        sf.write(paths[-1], x, 8000)
    assert (pipe.predict(paths) == y).all()


def test_audio_features_bad_configuration():
    with pytest.raises(ParameterError, match="unknown feature"):
        AudioFeatures(features=("mfccs",)).fit(np.zeros((2, 100)))
    with pytest.raises(ParameterError, match="unknown statistic"):
        AudioFeatures(stats=("avg",)).fit(np.zeros((2, 100)))


@pytest.mark.parametrize("name", CLASSIC_MODELS)
def test_every_classic_model_fits_and_has_a_grid(name):
    rng = np.random.default_rng(0)
    X = np.r_[rng.normal(0, 1, (20, 4)), rng.normal(3, 1, (20, 4))]
    y = np.r_[np.zeros(20, int), np.ones(20, int)]
    est = build_classifier(name, seed=0)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        est.fit(X, y)
    assert est.score(X, y) > 0.9
    assert est.predict_proba(X).shape == (40, 2)
    assert all(k.startswith("clf__") for k in param_grid(name))


def test_classifier_parameters_are_checked():
    with pytest.raises(ParameterError, match=r"unknown parameter\(s\) \['CC'\]"):
        build_classifier("svm_rbf", CC=3)
