"""Pooling frame-level features over time into one flat, named vector.

Names are stable and documented: ``{feature}_{index}_{stat}`` with a zero-based,
zero-padded index (at least two digits: ``mfcc_03_mean`` is the mean of MFCC coefficient
3, counting c0), ``{feature}_{stat}`` for one-row features (``rms_mean``), an extra
``ch{c}_`` before the index for multichannel features, and ``delta_`` before the
statistic for statistics of the first-order delta (``mfcc_03_delta_std``).
"""

from __future__ import annotations

import re

import numpy as np

from ..errors import ParameterError

__all__ = ["summarize", "summary_names", "STATS"]

#: Named statistics; percentiles are written ``p10``, ``p90`` (any 0 <= q <= 100).
STATS = ("mean", "std", "min", "max", "median")
_PCT = re.compile(r"^p(\d{1,3}(?:\.\d+)?)$")


def _check_stats(stats):
    if isinstance(stats, str):
        stats = (stats,)
    stats = tuple(stats)
    if not stats:
        raise ParameterError("stats must name at least one statistic")
    for s in stats:
        if s in STATS:
            continue
        m = _PCT.match(s)
        if not m or not 0 <= float(m.group(1)) <= 100:
            raise ParameterError(
                f"unknown statistic {s!r}; valid: {', '.join(STATS)}, or pNN for a percentile (p10, p90)"
            )
    if len(set(stats)) != len(stats):
        raise ParameterError(f"stats lists a statistic twice: {stats!r}")
    return stats


def _row_labels(name, shape):
    """Labels of the rows of a feature of shape (..., n_features, n_frames)."""
    lead = shape[:-2]
    n = shape[-2]
    width = max(2, len(str(n - 1)))
    rows = [""] if n == 1 else [f"_{i:0{width}d}" for i in range(n)]
    if not lead:
        return [f"{name}{r}" for r in rows]
    chans = [f"_ch{'_'.join(map(str, idx))}" for idx in np.ndindex(*lead)]
    return [f"{name}{c}{r}" for c in chans for r in rows]


def summary_names(shapes, *, stats=("mean", "std"), deltas=False):
    """Names of the entries :func:`summarize` returns, without computing anything.

    Parameters
    ----------
    shapes : dict[str, tuple]
        ``{feature: shape}``; only the leading and feature axes matter.
    """
    stats = _check_stats(stats)
    names = []
    for feat, shape in shapes.items():
        for label in _row_labels(feat, tuple(shape)):
            names += [f"{label}_{s}" for s in stats]
            if deltas:
                names += [f"{label}_delta_{s}" for s in stats]
    return names


def _pool(X, stats):
    out = []
    for s in stats:
        if s == "mean":
            v = X.mean(axis=-1)
        elif s == "std":
            v = X.std(axis=-1)
        elif s == "min":
            v = X.min(axis=-1)
        elif s == "max":
            v = X.max(axis=-1)
        elif s == "median":
            v = np.median(X, axis=-1)
        else:
            v = np.percentile(X, float(s[1:]), axis=-1)
        out.append(v)
    return np.stack(out, axis=-1)  # (rows, stats)


def summarize(features, *, stats=("mean", "std"), deltas=False, delta_width=9):
    """Pool each feature over time into a flat vector with stable names.

    Parameters
    ----------
    features : dict[str, np.ndarray]
        ``{name: array}`` as :func:`mirlearn.extract` returns, each array shaped
        ``(..., n_features, n_frames)``.
    stats : sequence of str
        Any of ``mean``, ``std``, ``min``, ``max``, ``median`` and percentiles ``pNN``.
    deltas : bool
        Also pool the first-order delta of every row (``librosa.feature.delta`` with
        ``width=delta_width``, falling back to ``mode='nearest'`` on short inputs).
    delta_width : int
        Width of the delta filter (odd, >= 3).

    Returns
    -------
    dict[str, float]
        Ordered ``{name: value}``, in feature order, row order, then statistic order:
        ``mfcc_00_mean, mfcc_00_std, mfcc_01_mean, ...``. ``np.fromiter(d.values(),
        float)`` gives the vector; :func:`summary_names` gives the names alone.

    Examples
    --------
    >>> summarize({"rms": np.ones((1, 10))}, stats=("mean", "max"))
    {'rms_mean': 1.0, 'rms_max': 1.0}
    """
    from .spectral import delta

    stats = _check_stats(stats)
    if not isinstance(features, dict) or not features:
        raise ParameterError("features must be a non-empty dict {name: array} as mirlearn.extract returns")
    out = {}
    for feat, X in features.items():
        X = np.asarray(X, dtype=np.float64)
        if X.ndim < 2:
            raise ParameterError(
                f"feature {feat!r} has shape {X.shape}; expected (..., n_features, n_frames)"
            )
        if X.shape[-1] == 0:
            raise ParameterError(f"feature {feat!r} has no frames (shape {X.shape})")
        labels = _row_labels(feat, X.shape)
        rows = X.reshape(-1, X.shape[-1])
        pooled = _pool(rows, stats)
        if deltas:
            mode = "interp" if rows.shape[-1] >= delta_width else "nearest"
            pooled_d = _pool(delta(rows, width=delta_width, mode=mode), stats)
        for i, label in enumerate(labels):
            for j, s in enumerate(stats):
                out[f"{label}_{s}"] = float(pooled[i, j])
            if deltas:
                for j, s in enumerate(stats):
                    out[f"{label}_delta_{s}"] = float(pooled_d[i, j])
    return out
