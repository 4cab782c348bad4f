"""The model bundle: everything needed to predict from audio, saved in ``RUN_DIR/model/``.

A bundle is data, and loading one never runs code from it:

* ``bundle.json``: classes, the feature configuration, decision thresholds, the versions
  of mirlearn, scikit-learn, torch and numpy that wrote it;
* ``estimator.skops`` (classic models): the scikit-learn pipeline in skops' format, which
  rebuilds only the types it is allowed to. mirlearn allows skops' defaults (scikit-learn's
  estimators, numpy and scipy containers) and the few compiled scikit-learn types its own
  models hold (:data:`TRUSTED_TYPES`); a file that asks for anything else is refused;
* ``model.pt`` (deep models): ``{name, config, state_dict, versions}`` of plain values and
  tensors, loaded with ``torch.load(weights_only=True)``.

The trust rule: a bundle written by mirlearn loads as it is. A bundle that needs any other
type, or one in an older format that can only be unpickled (``estimator.joblib``), is
refused unless the caller passes ``trust=True`` (``--trust`` on the command line), saying
that they trust whoever wrote it as they would trust code from them.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np

from .._version import __version__
from ..errors import MirlearnError, MirlearnWarning, ParameterError
from ..extraction import ExtractionConfig
from ..fileio import atomic_path, atomic_write_text

__all__ = ["Bundle", "BundleError", "load_bundle", "classic_scores", "TRUSTED_TYPES", "versions"]

#: Types beyond skops' defaults that mirlearn's classic models hold (MLP optimiser state,
#: k-NN trees and metrics, decision trees). Nothing else is rebuilt from a bundle.
TRUSTED_TYPES = (
    "sklearn.neural_network._stochastic_optimizers.AdamOptimizer",
    "sklearn.neural_network._stochastic_optimizers.SGDOptimizer",
    "sklearn.metrics._dist_metrics.EuclideanDistance64",
    "sklearn.neighbors._kd_tree.KDTree",
    "sklearn.neighbors._ball_tree.BallTree",
    "sklearn.tree._tree.Tree",
)


class BundleError(MirlearnError):
    """A model bundle is missing, damaged, or not safe to load."""


def versions():
    """The versions of the libraries a bundle depends on, as recorded in it."""
    import importlib.metadata as md
    import platform

    out = {"mirlearn": __version__, "numpy": np.__version__, "python": platform.python_version()}
    for dist, key in (("scikit-learn", "scikit-learn"), ("torch", "torch")):
        try:
            out[key] = md.version(dist)
        except md.PackageNotFoundError:  # pragma: no cover - both are dependencies
            out[key] = None
    return out


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
            return classic_scores(self.estimator, X, self.classes)
        from .chunks import predict_clips

        name = "audio.npy" if self.extra.get("input") == "waveform" else "logmel.npy"
        files = [Path(store) / r.key / name for r in results]
        return predict_clips(self.estimator, files, self.extra)

    def scores_from_features(self, feats, summary):
        """Class probabilities ``(n_classes,)`` of one signal from its features (the output of
        :func:`mirlearn.extract` with :attr:`extraction`) and their summary
        (:func:`mirlearn.summarize`): what :meth:`scores_from_results` gives for a file."""
        if self.kind == "classic":
            X = np.array([list(summary.values())], dtype=np.float64)
            return classic_scores(self.estimator, X, self.classes)[0]
        from .chunks import predict_clips

        x = feats["audio"] if self.extra.get("input") == "waveform" else feats["logmel"]
        return predict_clips(self.estimator, [np.asarray(x, dtype=np.float32)], self.extra)[0]

    def decide(self, scores):
        """Class indices (single-label) or a multi-hot matrix (multi-label)."""
        if self.multilabel:
            th = self.thresholds if self.thresholds is not None else np.full(scores.shape[1], 0.5)
            return (scores >= th).astype(int)
        return np.argmax(scores, axis=1)

    # -- persistence ------------------------------------------------------------------
    def save(self, folder):
        """Write the bundle into ``folder`` (each file written whole, then renamed)."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        meta = {
            "format": 2,
            "kind": self.kind,
            "model": self.model_name,
            "classes": self.classes,
            "multilabel": self.multilabel,
            "extraction": self.extraction.to_json(),
            "thresholds": None if self.thresholds is None else self.thresholds.tolist(),
            "extra": self.extra,
            "mirlearn": __version__,
            "versions": versions(),
        }
        if self.kind == "classic":
            import skops.io as sio

            with atomic_path(folder / "estimator.skops") as tmp:
                sio.dump(self.estimator, tmp)
        else:
            import torch

            with atomic_path(folder / "model.pt") as tmp:
                torch.save(self.estimator.serialize(), tmp)
        atomic_write_text(folder / "bundle.json", json.dumps(meta, indent=2))
        return folder


def classic_scores(estimator, X, classes):
    """Probabilities ``(n, len(classes))`` of a fitted scikit-learn classifier, with columns
    in the order of ``classes``.

    ``predict_proba`` gives one column per class the estimator saw in training
    (``estimator.classes_``, as indices into ``classes``); a class missing from its
    training data gets probability 0.
    """
    n_classes = len(classes)
    proba = estimator.predict_proba(X)
    if isinstance(proba, list):  # multi-output estimators: one (n, 2) array per tag
        return np.stack([p[:, 1] if p.shape[1] == 2 else np.zeros(len(X)) for p in proba], axis=1).astype(np.float64)
    proba = np.asarray(proba, dtype=np.float64)
    seen = np.asarray(getattr(estimator, "classes_", np.arange(proba.shape[1])))
    if proba.ndim == 2 and seen.ndim == 1 and len(seen) == proba.shape[1] and not (
        len(seen) == n_classes and np.array_equal(seen, np.arange(n_classes))
    ):
        out = np.zeros((len(X), n_classes))
        out[:, seen.astype(int)] = proba
        return out
    return proba


def _extraction_from_json(d):
    def tup(v):
        return tuple(tup(x) for x in v) if isinstance(v, list) else v

    params = {}
    for k, v in d["params"].items():
        if isinstance(v, str) and v in ("inf", "-inf", "nan"):
            v = float(v)
        params[k] = tup(v)
    return ExtractionConfig(features=tuple(d["features"]), params=params, sr=d["sr"], stats=tuple(d["stats"]), deltas=d["deltas"],
                            keep_audio=bool(d.get("keep_audio", False)))


def _check_versions(meta, kind):
    recorded = meta.get("versions") or {"mirlearn": meta.get("mirlearn")}
    now = versions()
    keys = ["mirlearn", "scikit-learn" if kind == "classic" else "torch"]
    differ = [f"{k} {recorded.get(k)} (now {now.get(k)})" for k in keys if recorded.get(k) and recorded.get(k) != now.get(k)]
    if differ:
        warnings.warn(
            "this model was saved with " + ", ".join(differ) + "; its predictions may differ from the run's",
            MirlearnWarning,
            stacklevel=3,
        )


def read_weights_folder(folder, *, fmt, what):
    """``(meta, state_dict)`` of a network bundle folder: ``bundle.json`` whose ``format`` is
    ``fmt``, and ``model.pt`` loaded as plain tensors (``weights_only``): data, never code.
    ``what`` names the kind of model in error messages."""
    import torch

    folder = Path(folder)
    meta_path = folder / "bundle.json"
    if not meta_path.is_file():
        raise BundleError(f"{folder}: no bundle.json; is this a {what} folder?")
    try:
        meta = json.loads(meta_path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise BundleError(f"{meta_path}: unreadable ({exc})") from None
    if meta.get("format") != fmt:
        raise BundleError(f"{meta_path}: not a {what} bundle (format {meta.get('format')!r})")
    try:
        state = torch.load(folder / "model.pt", map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - a crafted or damaged file: refuse, run nothing
        raise BundleError(f"{folder / 'model.pt'}: cannot be loaded as plain weights ({type(exc).__name__}: {exc})") from None
    return meta, state


def _load_classic(folder, trust):
    skops_file = folder / "estimator.skops"
    if skops_file.is_file():
        import skops.io as sio

        try:
            untrusted = sio.get_untrusted_types(file=skops_file)
        except Exception as exc:
            raise BundleError(f"{skops_file} is not a skops model file ({type(exc).__name__}: {exc}); refusing to load it") from None
        foreign = sorted(set(untrusted) - set(TRUSTED_TYPES))
        if foreign and not trust:
            raise BundleError(
                f"{skops_file} asks to rebuild types that mirlearn's models never hold: {', '.join(foreign)}. "
                "It may not come from mirlearn. Load it only if you trust its source as you would trust code "
                "from them (--trust)."
            )
        try:
            return sio.load(skops_file, trusted=list(untrusted))
        except Exception as exc:
            raise BundleError(f"{skops_file} could not be loaded ({type(exc).__name__}: {exc})") from None
    legacy = folder / "estimator.joblib"
    if legacy.is_file():
        if not trust:
            raise BundleError(
                f"{legacy} is a pickle (an older bundle format): loading it can run arbitrary code. Retrain the "
                "model, or load it with --trust if you trust its source as you would trust code from them."
            )
        import joblib

        return joblib.load(legacy)
    raise BundleError(f"{folder} holds no estimator.skops: the bundle is incomplete")


def _load_deep(folder, trust):
    import pickle

    import torch

    from ..models.neural import from_serialized

    f = folder / "model.pt"
    if not f.is_file():
        raise BundleError(f"{folder} holds no model.pt: the bundle is incomplete")
    try:
        blob = torch.load(f, map_location="cpu", weights_only=not trust)
    except (pickle.UnpicklingError, RuntimeError, EOFError, ValueError, AttributeError, TypeError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise BundleError(
            f"{f} is not a plain weights file ({first[:200]}); refusing to load it. Load it only if you trust "
            "its source as you would trust code from them (--trust)."
        ) from None
    try:
        net = from_serialized(blob)
    except (KeyError, TypeError, ParameterError) as exc:
        raise BundleError(f"{f} does not hold a mirlearn network ({exc})") from None
    net.eval()
    return net


def load_bundle(run_dir, *, trust=False):
    """Load ``RUN_DIR/model/`` as a :class:`Bundle`, as data.

    Parameters
    ----------
    run_dir : path-like
        A run directory, or a bundle folder (one holding ``bundle.json``).
    trust : bool
        Also load bundles that can only be loaded by running code from them (a type outside
        :data:`TRUSTED_TYPES`, a pickled ``estimator.joblib``, a ``model.pt`` with more than
        weights). Only for bundles whose source you trust.

    Raises
    ------
    BundleError
        Not a run directory, an incomplete or damaged bundle, or one that is not safe to
        load without ``trust``.

    Warns
    -----
    MirlearnWarning
        The bundle was saved with other versions of mirlearn or of its model library.
    """
    folder = Path(run_dir) / "model"
    if not (folder / "bundle.json").is_file() and (Path(run_dir) / "bundle.json").is_file():
        folder = Path(run_dir)  # a bundle folder itself (RUN_DIR/model, or a shipped model)
    meta_file = folder / "bundle.json"
    if not meta_file.is_file():
        raise BundleError(f"{str(run_dir)!r} is not a run directory (no model/bundle.json); train one with 'mirlearn train'")
    try:
        meta = json.loads(meta_file.read_text())
        kind = meta["kind"]
    except (ValueError, KeyError) as exc:
        raise BundleError(f"{meta_file} is damaged ({exc})") from None
    if kind not in ("classic", "deep"):
        raise BundleError(f"{meta_file}: unknown model kind {kind!r}")
    _check_versions(meta, kind)
    estimator = _load_classic(folder, trust) if kind == "classic" else _load_deep(folder, trust)
    return Bundle(
        kind, meta["model"], meta["classes"], meta["multilabel"], _extraction_from_json(meta["extraction"]),
        estimator, meta["thresholds"], meta.get("extra"),
    )
