"""Non-learned detection functions: spectral flux and SuperFlux (onsets); pYIN lives in
:mod:`mirlearn.detection.pitch`.

Each returns an activation ``(n_frames,)`` at ``fps`` (frame ``i`` centred on ``i / fps``
seconds) in its own units, with the peak-picking parameters and search grid that suit them
in :data:`BASELINES`.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import maximum_filter1d

from ..features.filters import get_window
from ..features.frames import hop_for, log_filtered_spectrogram

__all__ = ["spectral_flux", "superflux", "BASELINES"]


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
    ref = maximum_filter1d(S, size=max_bins, axis=0, mode="nearest") if max_bins > 1 else S
    d = np.zeros_like(S)
    d[:, mu:] = S[:, mu:] - ref[:, :-mu]
    return np.maximum(d, 0).sum(axis=0)


_ODF_GRID = dict(
    threshold=[0.1, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 2.5, 3.0, 4.0],
    pre_max=[0.01, 0.03],
    post_max=[0.01, 0.05],
    pre_avg=[0.1, 0.15],
    post_avg=[0.0],
    smooth=[0.0],
    combine=[0.03],
)

#: method name -> (activation function, default peak picking, grid searched on validation)
BASELINES = {
    "spectral_flux": (spectral_flux, dict(threshold=1.0, pre_max=0.01, post_max=0.05, pre_avg=0.15, post_avg=0.0, combine=0.03), _ODF_GRID),
    "superflux": (superflux, dict(threshold=1.1, pre_max=0.01, post_max=0.05, pre_avg=0.15, post_avg=0.0, combine=0.03), _ODF_GRID),
}
