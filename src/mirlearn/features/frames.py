"""Spectrograms at a frame rate, for frame-level models and onset detection functions.

Frame ``i`` is centred on ``i / fps`` seconds (``center=True`` STFTs with
``hop_length = sr / fps``, which must be a whole number of samples: 44100 Hz at 100 fps
gives 441). Outputs are ``(..., n_bands, n_frames)``, time last.
"""

from __future__ import annotations

import numpy as np

from ..errors import ParameterError
from .filters import log_filterbank, logfreq_interpolation, mel_filterbank
from .spectral import n_frames as _n_frames
from .spectral import stft

__all__ = ["hop_for", "frame_count", "multires_logmel", "log_filtered_spectrogram", "logfreq_spectrogram"]


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


def _spec(y, *, sr, fps, n_fft):
    hop = hop_for(sr, fps)
    n = frame_count(len(y), sr=sr, fps=fps)
    S = np.abs(stft(y, n_fft=n_fft, hop_length=hop, center=True))
    assert S.shape[-1] == _n_frames(len(y), frame_length=n_fft, hop_length=hop, center=True)
    return S[..., :n]


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
        out.append(np.log1p(fb @ _spec(y, sr=sr, fps=fps, n_fft=int(n_fft))))
    return np.stack(out).astype(np.float32)


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
    return np.log10(mul * (fb @ _spec(y, sr=sr, fps=fps, n_fft=n_fft)) + add).astype(np.float32)


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
    return np.log1p(10.0 * (M @ _spec(y, sr=sr, fps=fps, n_fft=n_fft))).astype(np.float32)
