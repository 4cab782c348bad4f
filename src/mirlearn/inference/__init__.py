"""Inference: model bundles (saved and loaded as data, never as code), chunking and clip
scores, prediction from audio files.

This room sits below ``training/`` (which saves bundles) and above ``evaluation/``; it
never imports ``training/``. torch is imported only by the functions that need it.
"""

from .bundle import TRUSTED_TYPES, Bundle, BundleError, classic_scores, load_bundle
from .predict import predict_files

__all__ = ["Bundle", "BundleError", "load_bundle", "classic_scores", "predict_files", "TRUSTED_TYPES"]
