"""Fixed-length chunks of frame-level features, and clip scores from chunk scores.

A clip of ``n_frames`` frames is cut into non-overlapping chunks of ``chunk_frames``
frames; when it is not a whole number of chunks, one more chunk ends at the clip's last
frame (overlapping its predecessor), so that every frame is scored, the tail included. A
clip shorter than one chunk is one chunk, padded with its quietest value. A clip's score
is the mean of its chunks' probabilities.
"""

from __future__ import annotations

import numpy as np

__all__ = ["chunk_starts", "crop", "predict_clips"]


def chunk_starts(n_frames, chunk_frames):
    """Start frames of the chunks that cover ``n_frames`` frames (see the module doc)."""
    if n_frames <= chunk_frames:
        return [0]
    starts = list(range(0, n_frames - chunk_frames + 1, chunk_frames))
    if starts[-1] + chunk_frames < n_frames:
        starts.append(n_frames - chunk_frames)
    return starts


def crop(X, start, chunk_frames, *, fill=None):
    """``X[:, start : start + chunk_frames]`` as float32, padded on the right when the clip
    is shorter: with ``fill``, or (None) the clip's quietest value (log-magnitudes)."""
    chunk = np.asarray(X[:, start : start + chunk_frames], dtype=np.float32)
    if chunk.shape[1] < chunk_frames:
        if fill is None:
            fill = chunk.min() if chunk.size else 0.0
        pad = np.full((chunk.shape[0], chunk_frames - chunk.shape[1]), fill, np.float32)
        chunk = np.concatenate([chunk, pad], axis=1)
    return chunk


def predict_clips(net, files, extra, *, batch_size=64):
    """Clip-level probabilities ``(n_files, n_classes)`` of a network on cached log-mels
    (or waveforms).

    Parameters
    ----------
    net : torch.nn.Module
    files : sequence of path-like or np.ndarray
        Log-mel spectrograms ``(n_mels, n_frames)`` (``.npy`` files or arrays), or signals
        ``(1, n_samples)`` when ``extra['input'] == 'waveform'`` (chunks are then in samples,
        padded with 0).
    extra : dict
        ``chunk_frames``, ``norm_mean``, ``norm_std``, ``multilabel`` and ``input`` of the
        bundle.
    """
    import torch

    chunk_frames = int(extra["chunk_frames"])
    mean, std = float(extra["norm_mean"]), float(extra["norm_std"])
    multilabel = extra.get("multilabel", False)
    fill = 0.0 if extra.get("input") == "waveform" else None
    arrays = [f if isinstance(f, np.ndarray) else np.load(f, mmap_mode="r") for f in files]
    index = []
    for c, f in enumerate(arrays):
        n = f.shape[-1]
        index += [(c, s) for s in chunk_starts(n, chunk_frames)]
    owners = np.array([c for c, _ in index], dtype=int)
    net.eval()
    probs = []
    with torch.no_grad():
        for s in range(0, len(index), batch_size):
            batch = []
            for c, start in index[s : s + batch_size]:
                x = crop(arrays[c], start, chunk_frames, fill=fill)
                batch.append(torch.from_numpy((x - mean) / std))
            logits = net(torch.stack(batch))
            p = torch.sigmoid(logits) if multilabel else torch.softmax(logits, dim=1)
            probs.append(p.numpy().astype(np.float64))
    if not probs:
        return np.zeros((0, 0))
    p = np.concatenate(probs)
    return np.array([p[owners == c].mean(axis=0) for c in range(len(files))])
