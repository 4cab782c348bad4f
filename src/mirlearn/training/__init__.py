"""Training: configuration, classic and deep training, run directories.

Lightning is imported only by :mod:`mirlearn.training.deep`.
"""

from .config import DEFAULTS, load_config
from .run import train_run

__all__ = ["DEFAULTS", "load_config", "train_run"]
