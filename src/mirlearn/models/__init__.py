"""Models: an explicit registry of classic (scikit-learn) and deep (PyTorch) models.

Importing this package imports neither scikit-learn's estimators nor torch; the builders
do, when called.
"""

from .registry import MODELS, ModelSpec, get_model_spec

__all__ = ["MODELS", "ModelSpec", "get_model_spec"]
