"""Pretrained embeddings and zero-shot tags of audio files (``mirlearn embed``, ``mirlearn tag``).

Both go through the shared feature cache (:func:`mirlearn.extraction.gather`): an embedding is
a feature (:mod:`mirlearn.features.embeddings`), so a file is embedded once per model, layer
and patch hop, in parallel, resumably, and bad files are reported, not fatal.
"""

from __future__ import annotations

import numpy as np

from ..errors import ParameterError

__all__ = ["embed_files", "tag_files"]

#: musicnn computes its input at 16 kHz; decoding there directly saves one resampling
_SR = 16000


def _gather(paths, model, layer, patch_hop, cache, jobs, progress):
    from ..extraction import ExtractionConfig, gather
    from ..features.embeddings import EMBEDDING_FEATURES

    if model not in EMBEDDING_FEATURES:
        raise ParameterError(f"unknown embedding model {model!r}; choose one of {', '.join(EMBEDDING_FEATURES)}")
    if not paths:
        raise ParameterError("no audio files given")
    params = {"layer": layer or EMBEDDING_FEATURES[model][0], "patch_hop": float(patch_hop)}
    config = ExtractionConfig(features=(model,), params=params, sr=_SR, stats=("mean",))
    config.validate()
    results, store = gather(paths, config, cache=cache, jobs=jobs, progress=progress)
    return results, store, params["layer"]


def _load(store, result, model):
    return np.load(store / result.key / f"{model}.npy")  # (n_dims, n_patches)


def embed_files(paths, *, model="musicnn_msd", layer=None, patch_hop=3.0, per_patch=False, cache=None, jobs=None, progress=False):
    """Embeddings of audio files as a table.

    Parameters
    ----------
    paths : sequence of path-like
    model : str
        ``musicnn_msd``, ``musicnn_mtt``, ``vgg_msd`` or ``vgg_mtt``.
    layer : str or None
        See :func:`mirlearn.features.embeddings.embed_patches` (None: the model's default).
    patch_hop : float
        Seconds between the starts of the 3 s patches.
    per_patch : bool
        One row per patch (columns ``path, patch, start, end``) instead of one per file (the
        mean over its patches; columns ``path, n_patches``).

    Returns
    -------
    table : pandas.DataFrame
        The leading columns above, then ``<layer>_000``... one per dimension.
    failures : list of (path, reason)
    """
    import pandas as pd

    from ..features.embeddings import patch_times

    results, store, layer = _gather(paths, model, layer, patch_hop, cache, jobs, progress)
    rows, failures, width = [], [], None
    for p in dict.fromkeys(str(p) for p in paths):
        r = results[p]
        if r.status == "error":
            failures.append((p, r.reason))
            continue
        E = _load(store, r, model).T  # (n_patches, n_dims)
        width = E.shape[1]
        if per_patch:
            starts, ends = patch_times(len(E), patch_hop)
            for i, e in enumerate(E):
                rows.append((p, i, starts[i], ends[i], *e))
        else:
            rows.append((p, len(E), *E.mean(axis=0)))
    lead = ["path", "patch", "start", "end"] if per_patch else ["path", "n_patches"]
    cols = lead + [f"{layer}_{i:03d}" for i in range(width or 0)]
    table = pd.DataFrame(rows, columns=cols)
    for c in cols[len(lead):]:
        table[c] = table[c].astype(np.float32)
    return table, failures


def tag_files(paths, *, model="musicnn_msd", cache=None, jobs=None, progress=False):
    """Zero-shot tags: the mean over each file's 3 s patches of the model's 50 tag
    probabilities.

    Returns
    -------
    tags : list of str
        The model's tag vocabulary (MSD or MagnaTagATune).
    rows : list of (path, probabilities or None, reason or None)
    """
    from ..models.musicnn import MUSICNN_MODELS

    results, store, _ = _gather(paths, model, "tags", 3.0, cache, jobs, progress)
    rows = []
    for p in dict.fromkeys(str(p) for p in paths):
        r = results[p]
        rows.append((p, None, r.reason) if r.status == "error" else (p, _load(store, r, model).mean(axis=1), None))
    return list(MUSICNN_MODELS[model][1]), rows
