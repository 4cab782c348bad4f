"""torch building blocks: front-ends built from the engine's filter builders (frozen or
trainable), zero-mean convolution, losses for imbalanced frame targets (weighted BCE, focal).

Importing :mod:`mirlearn` never imports this room (it needs torch)."""

from .frontends import FRONTENDS, Frontend, frontend, frontend_changes, list_frontends
from .losses import LOSSES, build_loss, focal_loss, positive_weight, weighted_bce
from .zero_mean import ZeroMeanConv2d

__all__ = ["FRONTENDS", "Frontend", "frontend", "frontend_changes", "list_frontends", "ZeroMeanConv2d",
           "LOSSES", "build_loss", "weighted_bce", "focal_loss", "positive_weight"]
