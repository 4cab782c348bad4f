"""Features: one shared STFT/CQT per configuration, librosa's numbers, time last.

Every feature is shaped ``(..., n_features, n_frames)``.
"""

from .engine import DEFAULT_FEATURES, FEATURES, FeatureSpec, extract, resolve_params
from .summary import summarize, summary_names

__all__ = ["FEATURES", "DEFAULT_FEATURES", "FeatureSpec", "extract", "resolve_params", "summarize", "summary_names"]
