"""Train/valid/test splits and k-fold cross-validation: stratified, group-aware, seeded.

A ``group`` (an artist, an album, a recording session) never straddles two parts. Without
groups every item is its own group. Multi-label datasets are stratified on each item's first
label.
"""

from __future__ import annotations

import numpy as np

from ..errors import ParameterError

__all__ = ["assign_splits", "kfold_splits", "holdout"]


def holdout(dataset, indices, fraction, *, seed=0):
    """Split ``indices`` of ``dataset`` into ``(rest, held)``: about ``fraction`` of them
    held out by whole groups, stratified (see :func:`assign_splits`)."""
    y, groups = _strata_and_groups(dataset)
    return _holdout(np.asarray(indices), y, groups, fraction, seed)


def _strata_and_groups(dataset):
    y = np.array([it.labels[0] if it.labels else "" for it in dataset.items])
    groups = np.array([it.group if it.group else f"__item{i}" for i, it in enumerate(dataset.items)])
    return y, groups


def _holdout(indices, y, groups, fraction, seed):
    """Hold out whole groups making up ``round(fraction * len(indices))`` items (at least
    one), stratified: each class contributes in proportion to its size (largest
    remainders get the rounding). Groups are considered in a seeded random order and taken
    while they fill some class's quota without overshooting the quotas by more than they
    fill; a second pass takes the groups that overshoot least when quotas are still open.

    Returns
    -------
    rest, held : np.ndarray of int
    """
    indices = np.asarray(indices)
    rng = np.random.default_rng(seed)
    n = len(indices)
    target = max(1, int(round(fraction * n)))
    if target >= n:
        raise ParameterError(f"cannot hold out {fraction:.0%} of {n} item(s) and keep any for training")
    classes, y_inv = np.unique(y[indices], return_inverse=True)
    uniq_g, g_inv = np.unique(groups[indices], return_inverse=True)
    counts = np.zeros((len(uniq_g), len(classes)), dtype=int)  # items of each class in each group
    np.add.at(counts, (g_inv, y_inv), 1)
    share = target * counts.sum(axis=0) / n
    deficit = np.floor(share).astype(int)
    remainder = share - deficit
    order = np.lexsort((rng.random(len(classes)), -remainder))
    for j in order[: target - deficit.sum()]:
        deficit[j] += 1
    held = np.zeros(len(uniq_g), dtype=bool)
    for k in rng.permutation(len(uniq_g)):
        if deficit.sum() <= 0:
            break
        gain = np.minimum(counts[k], deficit).sum()
        over = np.maximum(counts[k] - deficit, 0).sum()
        if gain > 0 and over <= gain:
            held[k] = True
            deficit -= counts[k]
    while deficit.clip(min=0).sum() > 0:
        open_ = ~held & (np.minimum(counts, deficit.clip(min=0)).sum(axis=1) > 0)
        if not open_.any():
            break
        cost = np.where(open_, np.maximum(counts - deficit.clip(min=0), 0).sum(axis=1), np.iinfo(int).max)
        k = int(np.argmin(cost))
        held[k] = True
        deficit -= counts[k]
    held_mask = held[g_inv]
    if held_mask.all():
        raise ParameterError(f"holding out {fraction:.0%} of {n} item(s) by whole groups leaves nothing for training")
    if not held_mask.any():
        raise ParameterError(f"cannot hold out {fraction:.0%} of {n} item(s) by whole groups")
    return indices[~held_mask], indices[held_mask]


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
        # valid_size is a fraction of all items, like test_size
        _, valid = _holdout(train, y, groups, valid_size * len(dataset) / len(train), seed + 1)
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
