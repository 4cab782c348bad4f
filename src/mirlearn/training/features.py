"""Features for training and prediction, through the content-addressed extraction cache."""

from __future__ import annotations

import os
from pathlib import Path

from ..extraction import ExtractionConfig, extract_files

__all__ = ["default_cache", "extraction_config", "gather"]


def default_cache():
    """``$MIRLEARN_CACHE``, else ``$XDG_CACHE_HOME/mirlearn``, else ``~/.cache/mirlearn``."""
    if os.environ.get("MIRLEARN_CACHE"):
        return Path(os.environ["MIRLEARN_CACHE"])
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "mirlearn"


def extraction_config(cfg, family):
    """The :class:`ExtractionConfig` of a run configuration."""
    from ..features import DEFAULT_FEATURES

    if family == "deep":
        params = {"n_mels": cfg["n_mels"], **cfg["params"]}
        return ExtractionConfig(features=("logmel",), params=params, sr=cfg["sr"], stats=("mean",), deltas=False)
    feats = tuple(cfg["features"]) if cfg["features"] else DEFAULT_FEATURES
    return ExtractionConfig(
        features=feats, params=dict(cfg["params"]), sr=cfg["sr"], stats=tuple(cfg["stats"]), deltas=bool(cfg["deltas"])
    )


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
