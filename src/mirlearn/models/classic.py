"""Classic models: scikit-learn pipelines on summarised features, and the audio feature
transformer.

:class:`AudioFeatures` is a scikit-learn transformer from audio (file paths, or waveforms)
to summary vectors, so that ``make_pipeline(AudioFeatures(), StandardScaler(), SVC())``
classifies audio files directly. :func:`build_classifier` builds the registered pipelines.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from ..errors import ParameterError

__all__ = ["AudioFeatures", "build_classifier", "param_grid", "CLASSIC_MODELS"]


class AudioFeatures(TransformerMixin, BaseEstimator):
    """Summarised audio features as a scikit-learn transformer.

    Parameters
    ----------
    features : sequence of str or None
        Feature names (:data:`mirlearn.FEATURES`); None for
        :data:`mirlearn.DEFAULT_FEATURES`.
    stats : sequence of str
        Summary statistics (:func:`mirlearn.summarize`).
    deltas : bool
        Also summarise first-order deltas.
    sr : number
        Sampling rate: files are resampled to it, waveforms are taken to be at it.
    params : dict or None
        Feature parameters (as :func:`mirlearn.extract` takes them).

    Notes
    -----
    ``X`` is a sequence of audio file paths, of 1-d waveforms, or a 2-d float array whose
    rows are equal-length waveforms. The transformer is stateless: ``fit`` validates the
    parameters and records ``n_features_in_`` (for array input) and
    ``feature_names_out_``.
    """

    def __init__(self, features=None, stats=("mean", "std"), deltas=False, sr=22050, params=None):
        self.features = features
        self.stats = stats
        self.deltas = deltas
        self.sr = sr
        self.params = params

    def _config(self):
        from ..extraction import ExtractionConfig
        from ..features import DEFAULT_FEATURES

        return ExtractionConfig(
            features=tuple(self.features) if self.features is not None else DEFAULT_FEATURES,
            params=dict(self.params or {}),
            sr=self.sr,
            stats=tuple(self.stats),
            deltas=bool(self.deltas),
        ).validate()

    def _rows(self, X, *, fitting):
        import os

        from sklearn.utils.validation import validate_data

        if isinstance(X, (list, tuple)) and X and all(isinstance(r, (str, os.PathLike)) for r in X):
            return list(X)  # audio files
        if (
            isinstance(X, (list, tuple))
            and X
            and all(isinstance(r, np.ndarray) and r.ndim == 1 for r in X)
            and len({len(r) for r in X}) > 1
        ):
            return [np.asarray(r, dtype=np.float32) for r in X]  # waveforms of different lengths
        X = validate_data(self, X, reset=fitting, dtype=[np.float64, np.float32])
        return [np.asarray(x, dtype=np.float32) for x in X]

    def fit(self, X, y=None):
        config = self._config()
        rows = self._rows(X, fitting=True)
        first = self._one(rows[0], config)
        self.feature_names_out_ = np.array(list(first), dtype=object)
        return self

    def _one(self, row, config):
        from .. import audio
        from ..features import extract, summarize

        if isinstance(row, np.ndarray):
            y = row
            sr = self.sr
        else:
            y, sr = audio.load(row, sr=self.sr)
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # silence and short input are legal here
            feats = extract(y, sr=sr, features=config.features, **config.params)
        return summarize(feats, stats=config.stats, deltas=config.deltas)

    def transform(self, X):
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self, "feature_names_out_")
        config = self._config()
        rows = self._rows(X, fitting=False)
        return np.array([list(self._one(r, config).values()) for r in rows], dtype=np.float64)

    def get_feature_names_out(self, input_features=None):
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self, "feature_names_out_")
        return self.feature_names_out_.copy()

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = True
        tags.input_tags.allow_nan = False
        return tags


def _classic_names():
    from .registry import MODELS

    return tuple(name for name, spec in MODELS.items() if spec.family == "classic")


#: The classic models of the registry (:data:`mirlearn.models.MODELS`), by name.
CLASSIC_MODELS = _classic_names()


def build_classifier(name, *, seed=0, multilabel=False, **params):
    """The registered scikit-learn pipeline ``name`` (scaler + classifier).

    Parameters
    ----------
    name : str
        One of :data:`CLASSIC_MODELS`, or ``EMBEDDING+HEAD`` (the head's pipeline).
    seed : int
        ``random_state`` of the randomised estimators.
    multilabel : bool
        Wrap the classifier for multi-label targets where it needs it (one-vs-rest).
    **params
        Parameters of the classifier step (``C=10``, ``n_neighbors=3``...).
    """
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC

    makers = {
        "mfcc_svm": lambda: SVC(kernel="linear", C=1.0, probability=True, random_state=seed),
        "svm_linear": lambda: SVC(kernel="linear", C=1.0, probability=True, random_state=seed),
        "svm_rbf": lambda: SVC(kernel="rbf", C=10.0, gamma="scale", probability=True, random_state=seed),
        "logreg": lambda: LogisticRegression(C=1.0, max_iter=5000, random_state=seed),
        "mlp": lambda: MLPClassifier(hidden_layer_sizes=(256,), alpha=1e-2, max_iter=2000, early_stopping=False, random_state=seed),
        "knn": lambda: KNeighborsClassifier(n_neighbors=5),
        "random_forest": lambda: RandomForestClassifier(n_estimators=500, random_state=seed, n_jobs=1),
    }
    from .registry import classic_head

    name = classic_head(name)
    if name not in CLASSIC_MODELS or name not in makers:
        raise ParameterError(f"unknown classic model {name!r}; choose one of {', '.join(CLASSIC_MODELS)}")
    clf = makers[name]()
    if params:
        valid = clf.get_params()
        unknown = [k for k in params if k not in valid]
        if unknown:
            raise ParameterError(f"unknown parameter(s) {unknown} for {name} ({type(clf).__name__}); valid: {', '.join(sorted(valid))}")
        clf.set_params(**params)
    if multilabel and name in ("mfcc_svm", "svm_linear", "svm_rbf", "logreg"):
        clf = OneVsRestClassifier(clf)
    return Pipeline([("scale", StandardScaler()), ("clf", clf)])


def param_grid(name, *, multilabel=False):
    """The hyperparameter grid searched for ``name`` (keys prefixed for the pipeline)."""
    from .registry import classic_head

    name = classic_head(name)
    grids = {
        "mfcc_svm": {"C": [0.01, 0.1, 1.0, 10.0]},
        "svm_linear": {"C": [0.01, 0.1, 1.0, 10.0]},
        "svm_rbf": {"C": [1.0, 10.0, 100.0], "gamma": ["scale", 0.01, 0.001]},
        "logreg": {"C": [0.01, 0.1, 1.0, 10.0]},
        "mlp": {"alpha": [1e-4, 1e-2, 1.0], "hidden_layer_sizes": [(256,), (128, 64)]},
        "knn": {"n_neighbors": [1, 3, 5, 9, 15], "weights": ["uniform", "distance"]},
        "random_forest": {"max_features": ["sqrt", 0.3], "min_samples_leaf": [1, 3]},
    }
    prefix = "clf__estimator__" if multilabel and name in ("mfcc_svm", "svm_linear", "svm_rbf", "logreg") else "clf__"
    return {prefix + k: v for k, v in grids[name].items()}
