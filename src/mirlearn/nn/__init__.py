"""torch building blocks: losses for imbalanced frame targets (weighted BCE, focal).

Importing :mod:`mirlearn` never imports this room (it needs torch)."""

from .losses import LOSSES, build_loss, focal_loss, positive_weight, weighted_bce

__all__ = ["LOSSES", "build_loss", "weighted_bce", "focal_loss", "positive_weight"]
