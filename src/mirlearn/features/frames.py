"""Spectrograms at a frame rate, for frame-level models and onset detection functions.

Frame ``i`` is centred on ``i / fps`` seconds (``center=True`` STFTs with
``hop_length = sr / fps``, which must be a whole number of samples: 44100 Hz at 100 fps
gives 441). Outputs are ``(..., n_bands, n_frames)``, time last.
"""

from __future__ import annotations

import numpy as np

from ..errors import ParameterError
from .filters import get_window, log_filterbank, logfreq_interpolation, mel_filterbank
from .spectral import n_frames as _n_frames
from .spectral import stft

__all__ = [
    "hop_for",
    "frame_count",
    "multires_logmel",
    "log_filtered_spectrogram",
    "logfreq_spectrogram",
    "spectral_flux",
    "superflux",
    "frame_features",
    "FRAME_FEATURES",
]

FRAME_FEATURES = ("multires_logmel", "logfreq", "spectral_flux", "superflux")


def hop_for(sr, fps):
    """``sr / fps`` as a whole number of samples, or a clear error."""
    hop = sr / fps
    if abs(hop - round(hop)) > 1e-9 or hop < 1:
        raise ParameterError(f"fps={fps} at sr={sr} gives a hop of {hop:g} samples; choose an fps that divides sr "
                             f"(e.g. 100 at 44100 Hz, 50 at 22050 Hz, 100 at 16000 Hz)")
    return int(round(hop))


def frame_count(n_samples, *, sr, fps):
    """Number of frames of an ``n_samples`` signal at ``fps`` (frames centred at ``i / fps``,
    the last one at or before the end)."""
    return int(n_samples // hop_for(sr, fps)) + 1


def _filtered_spec(y, fb, *, sr, fps, n_fft):
    """``fb @ |STFT|`` as ``(n_bands, n_frames)`` float32, computed over the frequency bins
    ``fb`` uses only (a mel bank up to 11 kHz at 44.1 kHz needs a quarter of them) and in
    the STFT's own frame-major layout, which keeps the product contiguous."""
    hop = hop_for(sr, fps)
    n = frame_count(len(y), sr=sr, fps=fps)
    used = np.flatnonzero(np.any(fb != 0, axis=0))
    if used.size == 0:
        return np.zeros((fb.shape[0], n), np.float32)
    lo, hi = int(used[0]), int(used[-1]) + 1
    spec = stft(y, n_fft=n_fft, hop_length=hop, center=True).T  # (frames, bins), contiguous
    assert spec.shape[0] == _n_frames(len(y), frame_length=n_fft, hop_length=hop, center=True) >= n
    mag = np.abs(spec[:n, lo:hi])
    return (mag @ np.ascontiguousarray(fb[:, lo:hi].T, dtype=np.float32)).T


def multires_logmel(y, *, sr=44100, fps=100, n_ffts=(1024, 2048, 4096), n_mels=80, fmin=27.5, fmax=16000.0):
    """Log-magnitude mel spectrograms at several window lengths, stacked.

    ``log(1 + mel(|STFT|))`` for each ``n_fft``, all at the same frame centres, as the input
    of Schlüter & Böck's onset CNN.

    Parameters
    ----------
    y : np.ndarray [shape=(n,)]
        Mono audio.
    n_ffts : sequence of int
        Window lengths (samples), one channel each.

    Returns
    -------
    np.ndarray [shape=(len(n_ffts), n_mels, n_frames)], float32

    References
    ----------
    Schlüter, J., & Böck, S. "Improved musical onset detection with convolutional neural
    networks." ICASSP 2014.
    """
    y = np.asarray(y, dtype=np.float32)
    if y.ndim != 1:
        raise ParameterError(f"expected mono audio of shape (n,), got {y.shape}")
    out = []
    for n_fft in n_ffts:
        fb = mel_filterbank(sr=sr, n_fft=int(n_fft), n_mels=n_mels, fmin=fmin, fmax=min(fmax, sr / 2), norm=None)
        out.append(np.log1p(_filtered_spec(y, fb, sr=sr, fps=fps, n_fft=int(n_fft))))
    return np.stack(out)


def log_filtered_spectrogram(y, *, sr=44100, fps=100, n_fft=2048, bands_per_octave=24, fmin=30.0, fmax=17000.0, mul=1.0, add=1.0):
    """``log10(mul * F(|STFT|) + add)`` with a logarithmic triangular filterbank ``F``
    (:func:`mirlearn.features.filters.log_filterbank`), madmom's
    ``LogarithmicFilteredSpectrogram``.

    Returns
    -------
    np.ndarray [shape=(n_bands, n_frames)], float32
    """
    y = np.asarray(y, dtype=np.float32)
    fb = log_filterbank(sr=sr, n_fft=n_fft, bands_per_octave=bands_per_octave, fmin=fmin, fmax=fmax, norm=True)
    return np.log10(mul * _filtered_spec(y, fb, sr=sr, fps=fps, n_fft=n_fft) + add).astype(np.float32)


def logfreq_spectrogram(y, *, sr=16000, fps=100, n_fft=2048, fmin=32.703195662574835, n_bins=360, bins_per_octave=60):
    """``log(1 + 10 |STFT|)`` interpolated at ``n_bins`` log-spaced frequencies from ``fmin``
    (default C1, six octaves at 20-cent resolution: CREPE's pitch grid), the input of the
    pitch network.

    Returns
    -------
    np.ndarray [shape=(n_bins, n_frames)], float32
    """
    y = np.asarray(y, dtype=np.float32)
    M = logfreq_interpolation(sr=sr, n_fft=n_fft, fmin=fmin, n_bins=n_bins, bins_per_octave=bins_per_octave)
    return np.log1p(10.0 * _filtered_spec(y, M, sr=sr, fps=fps, n_fft=n_fft)).astype(np.float32)


def spectral_flux(y, *, sr=44100, fps=100, n_fft=2048, bands_per_octave=24):
    """Spectral flux: the sum over bands of the increase of the log filtered spectrogram from
    one frame to the next.

    References
    ----------
    Masri, P. "Computer modelling of sound for transformation and synthesis of musical
    signals." PhD thesis, University of Bristol, 1996; Dixon, S. "Onset detection revisited."
    DAFx 2006.
    """
    S = log_filtered_spectrogram(y, sr=sr, fps=fps, n_fft=n_fft, bands_per_octave=bands_per_octave)
    d = np.diff(S, axis=-1, prepend=S[:, :1])
    return np.maximum(d, 0).sum(axis=0)


def _diff_frames(n_fft, hop, ratio=0.5):
    w = get_window("hann", n_fft)
    first = int(np.argmax(w > ratio * w.max()))
    return max(1, int(round((n_fft / 2 - first) / hop)))


def superflux(y, *, sr=44100, fps=100, n_fft=2048, bands_per_octave=24, max_bins=3, diff_ratio=0.5):
    """SuperFlux: spectral flux against a frequency-maximum-filtered earlier frame (a
    ``max_bins``-band maximum filter, frames ``mu`` apart where the window overlap falls to
    ``diff_ratio``), which suppresses the false onsets of vibrato and tremolo.

    References
    ----------
    Böck, S., & Widmer, G. "Maximum filter vibrato suppression for onset detection."
    DAFx 2013.
    """
    S = log_filtered_spectrogram(y, sr=sr, fps=fps, n_fft=n_fft, bands_per_octave=bands_per_octave)
    mu = _diff_frames(n_fft, hop_for(sr, fps), diff_ratio)
    ref = _maxfilt(S, size=max_bins, axis=0, mode="nearest") if max_bins > 1 else S
    d = np.zeros_like(S)
    d[:, mu:] = S[:, mu:] - ref[:, :-mu]
    return np.maximum(d, 0).sum(axis=0)


def _maxfilt(S, *, size, axis, mode):
    from scipy.ndimage import maximum_filter1d

    return maximum_filter1d(S, size=size, axis=axis, mode=mode)


def frame_features(y, spec):
    """The input of a frame network for mono audio ``y`` at ``spec['sr']``.

    Returns
    -------
    np.ndarray [shape=(n_channels, n_bands, n_frames)], float32
    """
    spec = dict(spec)
    kind = spec.pop("kind")
    if kind == "multires_logmel":
        return multires_logmel(y, **spec)
    if kind == "logfreq":
        return logfreq_spectrogram(y, **spec)[None]
    if kind in ("spectral_flux", "superflux"):
        fn = spectral_flux if kind == "spectral_flux" else superflux
        return fn(y, **spec)[None, None].astype(np.float32)
    raise ParameterError(f"unknown frame feature kind {kind!r}; one of {', '.join(FRAME_FEATURES)}")
