"""Batch extraction: many files, many processes (or a Dask cluster), one cache."""

from .cache import default_cache, gather
from .run import ExtractionConfig, ExtractionReport, FeatureStore, FileResult, extract_files, process_file
from .sources import discover

__all__ = ["default_cache", "gather", "ExtractionConfig", "ExtractionReport", "FeatureStore", "FileResult", "extract_files", "process_file", "discover"]
