"""Evaluation: classification and tagging metrics, aggregation over folds."""

from .metrics import aggregate_folds, classification_metrics, tagging_metrics

__all__ = ["classification_metrics", "tagging_metrics", "aggregate_folds"]
