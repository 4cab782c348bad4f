"""Train/valid/test splits and k-fold cross-validation: stratified, group-aware, seeded.

A ``group`` (an artist, an album, a recording session) never straddles two parts. Without
groups every item is its own group. Multi-label datasets are stratified on each item's first
label.
"""

from __future__ import annotations

import numpy as np

from ..errors import ParameterError

__all__ = ["assign_splits", "kfold_splits"]


def _strata_and_groups(dataset):
    y = np.array([it.labels[0] if it.labels else "" for it in dataset.items])
    groups = np.array([it.group if it.group else f"__item{i}" for i, it in enumerate(dataset.items)])
    return y, groups


def _holdout(indices, y, groups, fraction, seed):
    """Pick about ``fraction`` of ``indices`` (whole groups, stratified)."""
    from sklearn.model_selection import StratifiedGroupKFold

    n_splits = max(2, int(round(1.0 / fraction)))
    counts = np.unique(y[indices], return_counts=True)[1]
    n_splits = min(n_splits, int(counts.min())) if counts.min() >= 2 else 2
    cv = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    rest, held = next(cv.split(np.zeros(len(indices)), y[indices], groups[indices]))
    return indices[rest], indices[held]


def assign_splits(dataset, *, test_size=0.2, valid_size=0.1, seed=0):
    """Split names (``'train'``, ``'valid'``, ``'test'``) for every item.

    The manifest's own ``split`` column is used when present (items without a split are
    training items). Otherwise a stratified, group-aware split with about ``test_size`` of
    the items for testing and ``valid_size`` for validation (0 for none).

    Returns
    -------
    np.ndarray of str [shape=(n_items,)]
    """
    if dataset.has_splits:
        return np.array([it.split or "train" for it in dataset.items])
    if not 0 < test_size < 1:
        raise ParameterError(f"test_size must lie in (0, 1), got {test_size!r}")
    if not 0 <= valid_size < 1 or test_size + valid_size >= 1:
        raise ParameterError(f"valid_size must lie in [0, 1 - test_size), got {valid_size!r}")
    y, groups = _strata_and_groups(dataset)
    idx = np.arange(len(dataset))
    train, test = _holdout(idx, y, groups, test_size, seed)
    out = np.full(len(dataset), "train", dtype=object)
    out[test] = "test"
    if valid_size > 0:
        _, valid = _holdout(train, y, groups, valid_size / (1 - test_size), seed + 1)
        out[valid] = "valid"
    return out.astype(str)


def kfold_splits(dataset, *, n_folds=5, seed=0):
    """Fold index (0..n_folds-1) of every item: stratified, group-aware, seeded."""
    from sklearn.model_selection import StratifiedGroupKFold

    if not (isinstance(n_folds, int) and n_folds >= 2):
        raise ParameterError(f"folds must be an integer >= 2, got {n_folds!r}")
    y, groups = _strata_and_groups(dataset)
    smallest = min(np.unique(y, return_counts=True)[1])
    if smallest < n_folds:
        raise ParameterError(
            f"{n_folds}-fold cross-validation needs at least {n_folds} examples per class; the smallest class has {smallest}"
        )
    fold = np.full(len(dataset), -1)
    cv = StratifiedGroupKFold(n_splits=n_folds, shuffle=True, random_state=seed)
    for k, (_, test) in enumerate(cv.split(np.zeros(len(y)), y, groups)):
        fold[test] = k
    return fold
