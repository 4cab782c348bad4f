"""Figures of features: labelled time axis (seconds) and feature axis (Hz, notes, pitch
classes or coefficients). Imports matplotlib only when called.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .errors import ParameterError

__all__ = ["specshow_feature", "show_file", "show_activations", "SHOWABLE"]

#: feature shown -> (feature extracted, kind of feature axis, colour-bar label)
SHOWABLE = {
    "logmel": ("logmel", "mel", "dB"),
    "cqt": ("cqt_db", "cqt_note", "dB"),
    "chroma_stft": ("chroma_stft", "chroma", "relative energy"),
    "chroma_cqt": ("chroma_cqt", "chroma", "relative energy"),
    "mfcc": ("mfcc", None, "coefficient value"),
    "stft": ("stft", "log", "dB"),
}


_PITCH_CLASSES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")


def _edges(centres):
    """Cell edges around increasing centres (geometric where the centres are positive)."""
    c = np.asarray(centres, dtype=float)
    if len(c) == 1:
        return np.array([c[0] * 0.5, c[0] * 1.5]) if c[0] > 0 else np.array([c[0] - 0.5, c[0] + 0.5])
    if np.all(c > 0):
        mid = np.sqrt(c[1:] * c[:-1])
        return np.concatenate([[c[0] ** 2 / mid[0]], mid, [c[-1] ** 2 / mid[-1]]])
    mid = (c[1:] + c[:-1]) / 2
    return np.concatenate([[c[0] - (mid[0] - c[0])], mid, [c[-1] + (c[-1] - mid[-1])]])


def specshow_feature(X, *, feature, sr, hop_length=512, ax=None, offset=0.0, params=None):
    """Draw a feature matrix ``(n_features, n_frames)`` on a matplotlib axis, with time in
    seconds and a feature axis in Hz (mel, STFT), note names (CQT), pitch classes (chroma)
    or coefficient numbers (MFCC).

    Returns
    -------
    matplotlib.collections.QuadMesh
    """
    import matplotlib.pyplot as plt

    from .features.filters import C1_HZ, fft_frequencies, mel_frequencies

    if feature not in SHOWABLE:
        raise ParameterError(f"cannot show feature {feature!r}; choose one of {', '.join(SHOWABLE)}")
    params = params or {}
    X = np.asarray(X, dtype=float)
    if X.ndim != 2:
        raise ParameterError(f"expected a (n_features, n_frames) matrix, got shape {X.shape}")
    ax = ax if ax is not None else plt.gca()
    n_bins, n_frames = X.shape
    t_edges = offset + (np.arange(n_frames + 1) - 0.5) * hop_length / sr
    t_edges[0] = max(t_edges[0], offset)
    y_axis = SHOWABLE[feature][1]
    if feature == "stft":
        X = 20 * np.log10(np.maximum(1e-5, X) / max(X.max(), 1e-5))
        X = np.maximum(X, -80.0)
        freqs = fft_frequencies(sr=sr, n_fft=2 * (n_bins - 1))[1:]
        img = ax.pcolormesh(t_edges, _edges(freqs), X[1:], shading="flat", cmap="magma")
        ax.set_yscale("log")
        ax.set_ylabel("Hz")
    elif y_axis == "mel":
        fmax = params.get("fmax") or sr / 2
        centres = mel_frequencies(n_bins + 2, fmin=params.get("fmin", 0.0), fmax=fmax)[1:-1]
        img = ax.pcolormesh(t_edges, np.arange(n_bins + 1) - 0.5, X, shading="flat", cmap="magma")
        ticks = np.unique(np.linspace(0, n_bins - 1, 6).round().astype(int))
        ax.set_yticks(ticks, [f"{centres[i]:.0f}" for i in ticks])
        ax.set_ylabel("Hz (mel scale)")
    elif y_axis == "cqt_note":
        bpo = params.get("bins_per_octave", 12)
        fmin = params.get("fmin") or C1_HZ
        img = ax.pcolormesh(t_edges, np.arange(n_bins + 1) - 0.5, X, shading="flat", cmap="magma")
        midi0 = 12 * (np.log2(fmin) - np.log2(440.0)) + 69
        ticks = [b for b in range(n_bins) if abs(((midi0 + 12 * b / bpo) % 12)) < 1e-6 or abs(((midi0 + 12 * b / bpo) % 12) - 12) < 1e-6]
        if not ticks:
            ticks = list(range(0, n_bins, bpo))
        labels = []
        for b in ticks:
            m = int(round(midi0 + 12 * b / bpo))
            labels.append(f"{_PITCH_CLASSES[m % 12]}{m // 12 - 1}")
        ax.set_yticks(ticks, labels)
        ax.set_ylabel("note")
    elif y_axis == "chroma":
        img = ax.pcolormesh(t_edges, np.arange(n_bins + 1) - 0.5, X, shading="flat", cmap="magma")
        if n_bins == 12:
            ax.set_yticks(range(12), _PITCH_CLASSES)
        ax.set_ylabel("pitch class")
    else:
        img = ax.pcolormesh(t_edges, np.arange(n_bins + 1) - 0.5, X, shading="flat", cmap="coolwarm")
        ax.set_ylabel("MFCC coefficient")
    ax.set_xlabel("Time (s)")
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


def _detector_for(spec):
    """A run directory / bundle folder, a task (its shipped model) or a method name."""
    from .inference.detect import METHODS, resolve_detector
    from .inference.frames import load_frame_bundle

    if Path(spec).exists():
        folder = Path(spec) / "model" if (Path(spec) / "model" / "bundle.json").is_file() else Path(spec)
        b = load_frame_bundle(folder)
        return b.task, b
    if spec in METHODS:
        return spec, resolve_detector(spec)
    for task, methods in METHODS.items():
        if spec in methods:
            return task, resolve_detector(task, method=spec)
    raise ParameterError(f"--activations {spec!r}: not a run directory, nor {'/'.join(METHODS)}, nor a method "
                         f"({', '.join(m for ms in METHODS.values() for m in ms)})")


def show_activations(path, *, detector, out, offset=0.0, duration=None, reference=None):
    """Figure of a file's frame activations and the events picked from them (onsets,
    drums), or its f0 track (pitch), over the spectrogram.

    Parameters
    ----------
    detector : str
        A run directory (or bundle folder), a task name (the shipped model) or a method name
        (``superflux``, ``spectral_flux``, ``pyin``, ``dp``).
    reference : path-like, optional
        An annotation of the task (read as training reads it), drawn dashed over both axes.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .audio import load
    from .features import extract
    from .tasks import get_task

    task, det = _detector_for(detector)
    y, sr = load(path, sr=det.sr, offset=offset, duration=duration)
    S = extract(y, sr=sr, features=["logmel"], hop_length=512)["logmel"]
    t = get_task(task)
    fig, axes = plt.subplots(t.plot_rows, 1, figsize=(10, 3 + 2 * t.plot_rows), sharex=True, constrained_layout=True, squeeze=False)
    ax = axes[0, 0]
    specshow_feature(S, feature="logmel", sr=sr, hop_length=512, ax=ax, offset=offset)
    t.plot(det, y, ax, axes, offset)
    if reference is not None:
        ref = t.reference(reference)
        times = t.reference_times(ref) - offset
        keep = times[(times >= 0) & (times <= len(y) / sr)]
        for row in axes[:, 0]:
            for x in keep:
                row.axvline(offset + x, color="c", ls="--", lw=0.8, alpha=0.8)
        ax.plot([], [], "c--", label="reference")
        ax.legend(loc="upper right")
    ax.set_title(f"{Path(path).name}: {task} ({detector})")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out
