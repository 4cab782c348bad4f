"""Batch extraction: many files, many processes (or a Dask cluster), one cache."""

from .run import ExtractionConfig, ExtractionReport, FeatureStore, FileResult, extract_files, process_file
from .sources import discover

__all__ = ["ExtractionConfig", "ExtractionReport", "FeatureStore", "FileResult", "extract_files", "process_file", "discover"]
