"""Datasets and splits: a folder per class, CSV/TSV manifests, mirdata adapters."""

from .datasets import Dataset, Item, load_dataset
from .splits import assign_splits, kfold_splits

__all__ = ["Dataset", "Item", "load_dataset", "assign_splits", "kfold_splits"]
