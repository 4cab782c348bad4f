"""Figures of features: labelled time axis (seconds) and feature axis (Hz, notes, pitch
classes or coefficients). Imports matplotlib only when called.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .errors import ParameterError

__all__ = ["specshow_feature", "show_file", "SHOWABLE"]

#: feature shown -> (feature extracted, librosa.display y_axis, colour-bar label)
SHOWABLE = {
    "logmel": ("logmel", "mel", "dB"),
    "cqt": ("cqt_db", "cqt_note", "dB"),
    "chroma_stft": ("chroma_stft", "chroma", "relative energy"),
    "chroma_cqt": ("chroma_cqt", "chroma", "relative energy"),
    "mfcc": ("mfcc", None, "coefficient value"),
    "stft": ("stft", "log", "dB"),
}


def specshow_feature(X, *, feature, sr, hop_length=512, ax=None, offset=0.0, params=None):
    """Draw a feature matrix ``(n_features, n_frames)`` on a matplotlib axis.

    Returns
    -------
    matplotlib.collections.QuadMesh
    """
    import librosa.display

    if feature not in SHOWABLE:
        raise ParameterError(f"cannot show feature {feature!r}; choose one of {', '.join(SHOWABLE)}")
    params = params or {}
    _, y_axis, _ = SHOWABLE[feature]
    X = np.asarray(X)
    if X.ndim != 2:
        raise ParameterError(f"expected a (n_features, n_frames) matrix, got shape {X.shape}")
    if feature == "stft":
        X = librosa.amplitude_to_db(X, ref=np.max)
    kw = dict(sr=sr, hop_length=hop_length, x_axis="time", y_axis=y_axis, ax=ax, x_coords=None)
    if feature == "logmel":
        kw["fmax"] = params.get("fmax") or sr / 2
    if feature == "cqt":
        kw["fmin"] = params.get("fmin") or librosa.note_to_hz("C1")
        kw["bins_per_octave"] = params.get("bins_per_octave", 12)
    times = offset + librosa.frames_to_time(np.arange(X.shape[-1]), sr=sr, hop_length=hop_length)
    kw["x_coords"] = times
    img = librosa.display.specshow(X, **kw)
    if feature == "mfcc":
        img.axes.set_ylabel("MFCC coefficient")
    img.axes.set_xlabel("Time (s)")
    return img


def show_file(path, *, feature="logmel", out, sr=22050, offset=0.0, duration=None, **params):
    """Load ``path``, compute ``feature`` and save a labelled figure to ``out``.

    Returns
    -------
    pathlib.Path
        The figure written.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .audio import load
    from .features import extract

    if feature not in SHOWABLE:
        raise ParameterError(f"cannot show feature {feature!r}; choose one of {', '.join(SHOWABLE)}")
    y, sr = load(path, sr=sr, offset=offset, duration=duration)
    name, _, cbar = SHOWABLE[feature]
    X = extract(y, sr=sr, features=[name], **params)[name]
    hop = params.get("hop_length", 512)
    fig, ax = plt.subplots(figsize=(10, 4), constrained_layout=True)
    img = specshow_feature(X, feature=feature, sr=sr, hop_length=hop, ax=ax, offset=offset, params=params)
    fig.colorbar(img, ax=ax, label=cbar, format="%+2.0f" if cbar == "dB" else None)
    ax.set_title(f"{Path(path).name}: {feature}")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out
