"""The shared feature cache of training, evaluation and prediction.

Every run that needs features gets them through :func:`gather`, which extracts each file
once into a content-addressed store (``CACHE/store/<key>/``) shared by every run.
"""

from __future__ import annotations

import os
from pathlib import Path

from .run import extract_files

__all__ = ["default_cache", "gather"]


def default_cache():
    """``$MIRLEARN_CACHE``, else ``$XDG_CACHE_HOME/mirlearn``, else ``~/.cache/mirlearn``."""
    if os.environ.get("MIRLEARN_CACHE"):
        return Path(os.environ["MIRLEARN_CACHE"])
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "mirlearn"


def gather(paths, config, *, cache=None, jobs=None, progress=True):
    """Extract (or find in the cache) the features of ``paths``.

    Returns
    -------
    results : dict[str, FileResult]
        By path; failed files have ``status == 'error'`` and a ``reason``.
    store : Path
        The cache folder (``store/<key>/<feature>.npy``).
    """
    cache = Path(cache) if cache else default_cache()
    unique = list(dict.fromkeys(str(p) for p in paths))
    report = extract_files(unique, cache, config, n_jobs=jobs, progress=progress)
    return {r.path: r for r in report.results}, cache / "store"
