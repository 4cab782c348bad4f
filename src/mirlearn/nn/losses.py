"""Losses for frame targets, where positives (onset or hit frames) are rare.

All take logits and targets of the same shape ``(batch, n_classes, n_frames)``, targets in
[0, 1] (widened neighbours carry fractional values), and an optional ``mask`` of frames that
count (1) or are padding (0). The mean is over counted frames.

* ``bce``: binary cross-entropy.
* ``weighted_bce``: positives weighted by ``pos_weight`` (per class), by default the ratio of
  negative to positive frames in the training targets (:func:`positive_weight`).
* ``focal``: focal loss, ``-(1 - p_t)^gamma log p_t`` with class weight ``alpha`` for
  positives (Lin et al. 2017).

References
----------
Lin, T.-Y., Goyal, P., Girshick, R., He, K., & Dollár, P. "Focal loss for dense object
detection." ICCV 2017.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from ..errors import ParameterError

__all__ = ["LOSSES", "build_loss", "weighted_bce", "focal_loss", "positive_weight"]


def _reduce(loss, mask):
    if mask is None:
        return loss.mean()
    mask = mask.to(loss.dtype).expand_as(loss)
    return (loss * mask).sum() / mask.sum().clamp_min(1.0)


def positive_weight(targets, *, max_weight=100.0):
    """Negative-to-positive frame ratio per class of a list of ``(n_classes, n_frames)``
    targets (fractional targets count by their value), clipped to ``[1, max_weight]``."""
    pos = sum(np.asarray(t, dtype=np.float64).sum(axis=-1) for t in targets)
    tot = sum(np.asarray(t).shape[-1] for t in targets)
    pos = np.atleast_1d(pos)
    w = (tot - pos) / np.maximum(pos, 1e-9)
    return np.clip(w, 1.0, max_weight).astype(np.float32)


def weighted_bce(logits, targets, *, pos_weight=None, mask=None):
    pw = None
    if pos_weight is not None:
        pw = torch.as_tensor(pos_weight, dtype=logits.dtype, device=logits.device).reshape(-1, 1)
    loss = F.binary_cross_entropy_with_logits(logits, targets, pos_weight=pw, reduction="none")
    return _reduce(loss, mask)


def focal_loss(logits, targets, *, gamma=2.0, alpha=0.25, mask=None):
    """Focal loss on logits. ``alpha`` weighs positives (``1 - alpha`` negatives); ``None``
    weighs both 1. Soft targets are handled as in the BCE (``p_t`` from the target value)."""
    bce = F.binary_cross_entropy_with_logits(logits, targets, reduction="none")
    p = torch.sigmoid(logits)
    p_t = p * targets + (1 - p) * (1 - targets)
    loss = bce * (1 - p_t).pow(gamma)
    if alpha is not None:
        loss = loss * (alpha * targets + (1 - alpha) * (1 - targets))
    return _reduce(loss, mask)


LOSSES = {
    "bce": dict(),
    "weighted_bce": dict(pos_weight="auto"),
    "focal": dict(gamma=2.0, alpha=0.25),
}


def build_loss(spec, *, train_targets=None):
    """A loss function ``f(logits, targets, mask=None)`` from a config entry.

    Parameters
    ----------
    spec : str or dict
        ``'bce'``, ``'weighted_bce'``, ``'focal'``, or ``{'type': ..., **params}``, e.g.
        ``{'type': 'weighted_bce', 'pos_weight': 20}`` or ``{'type': 'focal', 'gamma': 1}``.
        ``pos_weight: auto`` (the default) takes :func:`positive_weight` of ``train_targets``.

    Returns
    -------
    loss : callable
    resolved : dict
        The configuration with ``auto`` resolved, for the run's record.
    """
    if isinstance(spec, str):
        spec = {"type": spec}
    spec = dict(spec)
    kind = spec.pop("type", None)
    if kind not in LOSSES:
        raise ParameterError(f"unknown loss {kind!r}; choose one of {', '.join(LOSSES)}")
    params = {**LOSSES[kind], **spec}
    unknown = set(params) - set(LOSSES[kind])
    if unknown:
        raise ParameterError(f"unknown parameter(s) {', '.join(sorted(unknown))} for loss {kind!r}; known: {', '.join(LOSSES[kind]) or 'none'}")
    if kind == "bce":
        return (lambda lg, tg, mask=None: weighted_bce(lg, tg, mask=mask)), {"type": kind}
    if kind == "weighted_bce":
        pw = params["pos_weight"]
        if pw == "auto":
            if train_targets is None:
                raise ParameterError("pos_weight: auto needs the training targets")
            pw = positive_weight(train_targets).tolist()
        pw_t = np.atleast_1d(np.asarray(pw, dtype=np.float32))
        if np.any(pw_t <= 0):
            raise ParameterError(f"pos_weight must be > 0, got {pw!r}")
        return (lambda lg, tg, mask=None: weighted_bce(lg, tg, pos_weight=pw_t, mask=mask)), {"type": kind, "pos_weight": pw_t.tolist()}
    gamma, alpha = float(params["gamma"]), params["alpha"]
    if gamma < 0 or (alpha is not None and not 0 < alpha < 1):
        raise ParameterError(f"focal loss needs gamma >= 0 and alpha in (0, 1) or null, got gamma={gamma}, alpha={alpha}")
    return (lambda lg, tg, mask=None: focal_loss(lg, tg, gamma=gamma, alpha=alpha, mask=mask)), {"type": kind, "gamma": gamma, "alpha": alpha}
