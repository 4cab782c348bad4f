"""Evaluation: classification and tagging metrics, aggregation over folds, scoring and
comparing run directories (:mod:`mirlearn.evaluation.runs`, which imports the inference
room)."""

from .metrics import aggregate_folds, classification_metrics, tagging_metrics

__all__ = ["classification_metrics", "tagging_metrics", "aggregate_folds"]
