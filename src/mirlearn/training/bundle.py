"""The model bundle: everything needed to predict from audio, saved in ``RUN_DIR/model/``.

``bundle.json`` holds the classes, the feature configuration and the decision thresholds;
``estimator.joblib`` (classic) or ``model.pt`` (deep: ``{name, config, state_dict,
versions}``) holds the model. :func:`load_bundle` rebuilds it in a fresh process, and its
predictions are those of the run that saved it.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from .._version import __version__
from ..errors import ParameterError
from ..extraction import ExtractionConfig

__all__ = ["Bundle", "load_bundle"]


class Bundle:
    """A trained model with its feature configuration.

    Parameters
    ----------
    kind : {'classic', 'deep'}
    model_name : str
    classes : list of str
    multilabel : bool
    extraction : ExtractionConfig
    estimator : sklearn estimator or torch.nn.Module
    thresholds : array or None
        Per-tag thresholds (multi-label).
    extra : dict
        Deep models: ``chunk_frames``, ``norm_mean``, ``norm_std``.
    """

    def __init__(self, kind, model_name, classes, multilabel, extraction, estimator, thresholds=None, extra=None):
        self.kind = kind
        self.model_name = model_name
        self.classes = list(classes)
        self.multilabel = bool(multilabel)
        self.extraction = extraction
        self.estimator = estimator
        self.thresholds = None if thresholds is None else np.asarray(thresholds, dtype=float)
        self.extra = dict(extra or {})

    # -- prediction -------------------------------------------------------------------
    def scores_from_results(self, results, store):
        """Class probabilities ``(n, n_classes)`` from extraction results (good files only)."""
        if self.kind == "classic":
            X = np.array([list(r.summary.values()) for r in results], dtype=np.float64)
            return classic_scores(self.estimator, X, len(self.classes))
        from .deep import predict_clips

        files = [Path(store) / r.key / "logmel.npy" for r in results]
        return predict_clips(self.estimator, files, self.extra)

    def decide(self, scores):
        """Class indices (single-label) or a multi-hot matrix (multi-label)."""
        if self.multilabel:
            th = self.thresholds if self.thresholds is not None else np.full(scores.shape[1], 0.5)
            return (scores >= th).astype(int)
        return np.argmax(scores, axis=1)

    # -- persistence ------------------------------------------------------------------
    def save(self, folder):
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        meta = {
            "kind": self.kind,
            "model": self.model_name,
            "classes": self.classes,
            "multilabel": self.multilabel,
            "extraction": self.extraction.to_json(),
            "thresholds": None if self.thresholds is None else self.thresholds.tolist(),
            "extra": self.extra,
            "mirlearn": __version__,
        }
        if self.kind == "classic":
            import joblib

            joblib.dump(self.estimator, folder / "estimator.joblib")
        else:
            import torch

            torch.save(self.estimator.serialize(), folder / "model.pt")
        (folder / "bundle.json").write_text(json.dumps(meta, indent=2))
        return folder


def classic_scores(estimator, X, n_classes):
    proba = estimator.predict_proba(X)
    if isinstance(proba, list):  # multi-output estimators: one (n, 2) array per tag
        proba = np.stack([p[:, 1] if p.shape[1] == 2 else np.zeros(len(X)) for p in proba], axis=1)
    return np.asarray(proba, dtype=np.float64)


def _extraction_from_json(d):
    def tup(v):
        return tuple(tup(x) for x in v) if isinstance(v, list) else v

    params = {}
    for k, v in d["params"].items():
        if isinstance(v, str) and v in ("inf", "-inf", "nan"):
            v = float(v)
        params[k] = tup(v)
    return ExtractionConfig(features=tuple(d["features"]), params=params, sr=d["sr"], stats=tuple(d["stats"]), deltas=d["deltas"])


def load_bundle(run_dir):
    """Load ``RUN_DIR/model/`` as a :class:`Bundle`."""
    folder = Path(run_dir) / "model"
    meta_file = folder / "bundle.json"
    if not meta_file.is_file():
        raise ParameterError(f"{str(run_dir)!r} is not a run directory (no model/bundle.json); train one with 'mirlearn train'")
    meta = json.loads(meta_file.read_text())
    if meta["kind"] == "classic":
        import joblib

        estimator = joblib.load(folder / "estimator.joblib")
    else:
        import torch

        from ..models.neural import from_serialized

        estimator = from_serialized(torch.load(folder / "model.pt", map_location="cpu", weights_only=False))
        estimator.eval()
    return Bundle(
        meta["kind"], meta["model"], meta["classes"], meta["multilabel"], _extraction_from_json(meta["extraction"]),
        estimator, meta["thresholds"], meta.get("extra"),
    )
