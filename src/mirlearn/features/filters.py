"""Memoised builders of the fixed linear stages: windows, mel and chroma filterbanks,
frequency grids.

The filterbanks are librosa's own (so that features match librosa exactly); building
them is pure and moderately expensive, so each distinct set of arguments is built once per
process and shared. The arrays returned are read-only: copy before modifying.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

__all__ = ["stft_window", "mel_filterbank", "chroma_filterbank", "fft_frequencies"]


def _freeze(a):
    a = np.ascontiguousarray(a)
    a.flags.writeable = False
    return a


@lru_cache(maxsize=64)
def stft_window(window, win_length, n_fft):
    """The analysis window of :func:`librosa.stft`: periodic, zero-padded to ``n_fft``.

    Returns
    -------
    np.ndarray [shape=(n_fft,)], float32
    """
    import librosa

    w = librosa.filters.get_window(window, win_length, fftbins=True)
    w = librosa.util.pad_center(w, size=n_fft)
    return _freeze(w.astype(np.float32))


@lru_cache(maxsize=64)
def mel_filterbank(*, sr, n_fft, n_mels=128, fmin=0.0, fmax=None, htk=False, norm="slaney"):
    """Mel filterbank, identical to :func:`librosa.filters.mel`, memoised.

    Returns
    -------
    np.ndarray [shape=(n_mels, 1 + n_fft // 2)], float32
    """
    import librosa

    return _freeze(
        librosa.filters.mel(
            sr=sr, n_fft=n_fft, n_mels=n_mels, fmin=fmin, fmax=fmax, htk=htk, norm=norm, dtype=np.float32
        )
    )


@lru_cache(maxsize=64)
def chroma_filterbank(*, sr, n_fft, n_chroma=12, tuning=0.0, ctroct=5.0, octwidth=2, norm=2, base_c=True):
    """Chroma filterbank, identical to :func:`librosa.filters.chroma`, memoised.

    Returns
    -------
    np.ndarray [shape=(n_chroma, 1 + n_fft // 2)], float32
    """
    import librosa

    return _freeze(
        librosa.filters.chroma(
            sr=sr,
            n_fft=n_fft,
            n_chroma=n_chroma,
            tuning=tuning,
            ctroct=ctroct,
            octwidth=octwidth,
            norm=norm,
            base_c=base_c,
            dtype=np.float32,
        )
    )


@lru_cache(maxsize=64)
def fft_frequencies(*, sr, n_fft):
    """Centre frequencies (Hz) of the ``1 + n_fft // 2`` STFT bins, float64."""
    return _freeze(np.fft.rfftfreq(n=n_fft, d=1.0 / sr))
