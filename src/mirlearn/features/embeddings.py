"""Pretrained embeddings as features: musicnn and its VGG baseline (PyPI's ``musicnn``
weights, ISC licence, ported to torch in :mod:`mirlearn.models.musicnn`).

Each embedding is a feature of the registry (:data:`mirlearn.FEATURES`) like MFCC: ``extract``
gives an array ``(n_dims, n_patches)``, one column per 3 s patch (``patch_hop`` seconds
apart), so that summaries, the extraction cache, classic heads and bundles treat it as any
other feature. torch is imported, and the weights read, on first use only.
"""

from __future__ import annotations

import functools

import numpy as np

from ..errors import ParameterError

__all__ = ["EMBEDDING_FEATURES", "embed_patches", "patch_times"]

#: feature name -> (default layer, the layers it offers)
EMBEDDING_FEATURES = {
    "musicnn_msd": ("penultimate", ("penultimate", "mean_pool", "max_pool", "logits", "tags")),
    "musicnn_mtt": ("penultimate", ("penultimate", "mean_pool", "max_pool", "logits", "tags")),
    "vgg_msd": ("pool5", ("pool5", "pool4_mean", "pool4_max", "logits", "tags")),
    "vgg_mtt": ("pool5", ("pool5", "pool4_mean", "pool4_max", "logits", "tags")),
}


def _hop_frames(patch_hop):
    from ..models.musicnn import PATCH_FRAMES

    return max(1, int(round(patch_hop * PATCH_FRAMES / 3.0)))


def patch_times(n_patches, patch_hop=3.0):
    """Start and end (seconds) of each patch that :func:`embed_patches` embeds: 187 frames of
    256 samples at 16 kHz (2.992 s), ``patch_hop`` rounded to whole frames."""
    from ..models.musicnn import HOP, PATCH_FRAMES, SR

    start = np.arange(n_patches) * _hop_frames(patch_hop) * HOP / SR
    return start, start + PATCH_FRAMES * HOP / SR


@functools.lru_cache(maxsize=4)
def _network(name):
    from ..models.musicnn import load_musicnn

    return load_musicnn(name)


def embed_patches(y, *, sr, model="musicnn_msd", layer=None, patch_hop=3.0, batch_size=32):
    """One embedding per 3 s patch of a mono signal.

    Parameters
    ----------
    y : np.ndarray [shape=(n,)]
    sr : number
    model : str
        A key of :data:`EMBEDDING_FEATURES`.
    layer : str or None
        The representation (None: the model's default, ``penultimate`` for musicnn and
        ``pool5`` for VGG); ``tags`` gives the 50 tag probabilities.
    patch_hop : float
        Seconds between patch starts (3.0: musicnn's non-overlapping patches), rounded to
        whole frames (:func:`patch_times`).

    Returns
    -------
    np.ndarray [shape=(n_patches, n_dims)], float32
    """
    import torch

    from ..models.musicnn import musicnn_input

    if model not in EMBEDDING_FEATURES:
        raise ParameterError(f"unknown embedding model {model!r}; choose one of {', '.join(EMBEDDING_FEATURES)}")
    default, layers = EMBEDDING_FEATURES[model]
    layer = default if layer is None else layer
    if layer not in layers:
        raise ParameterError(f"{model}: unknown layer {layer!r}; choose one of {', '.join(layers)}")
    if not (np.isscalar(patch_hop) and 0 < patch_hop <= 3.0):
        raise ParameterError(f"patch_hop must lie in (0, 3] seconds, got {patch_hop!r}")
    x = musicnn_input(y, sr=sr, hop_frames=_hop_frames(patch_hop))
    net = _network(model)
    out = []
    with torch.no_grad():
        for i in range(0, len(x), batch_size):
            f = net.features(torch.from_numpy(x[i : i + batch_size]))
            v = torch.sigmoid(f["logits"]) if layer == "tags" else f[layer]
            out.append(v.numpy())
    return np.concatenate(out).astype(np.float32)


def _compute(name):
    def compute(ctx, p):
        y = ctx.y
        if y.ndim == 1:
            return embed_patches(y, sr=ctx.sr, model=name, layer=p["layer"], patch_hop=p["patch_hop"]).T
        flat = y.reshape(-1, y.shape[-1])
        e = np.stack([embed_patches(c, sr=ctx.sr, model=name, layer=p["layer"], patch_hop=p["patch_hop"]).T for c in flat])
        return e.reshape(y.shape[:-1] + e.shape[-2:])

    compute.__name__ = f"_c_{name}"
    return compute
