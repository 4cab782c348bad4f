"""Spectrogram decomposition: the inverse STFT, soft masks and harmonic/percussive separation.

Everything here reproduces the librosa function of the same name (same parameters, same
defaults): :func:`istft` inverts :func:`mirlearn.features.spectral.stft` exactly (the
window's squared overlap-add is divided out), :func:`softmask` is
``librosa.util.softmask`` and :func:`hpss` is ``librosa.decompose.hpss``. Spectrograms are
``(..., 1 + n_fft // 2, n_frames)``, time last; signals are ``(..., n)``.
"""

from __future__ import annotations

import numpy as np

from ..errors import ParameterError
from .filters import stft_window

__all__ = ["istft", "softmask", "hpss"]


def _overlap_add(frames, hop_length):
    """Sum ``frames [..., n_frames, n_fft]`` placed ``hop_length`` apart."""
    *lead, n_frames, n_fft = frames.shape
    n = n_fft + hop_length * (n_frames - 1)
    y = np.zeros(tuple(lead) + (n,), frames.dtype)
    if n_fft % hop_length == 0:
        # n_fft / hop blocks per frame: block b of frame t lands on block t + b of the output
        r = n_fft // hop_length
        blocks = frames.reshape(tuple(lead) + (n_frames, r, hop_length))
        out = y.reshape(tuple(lead) + (n_frames + r - 1, hop_length))
        for b in range(r):
            out[..., b:b + n_frames, :] += blocks[..., :, b, :]
    else:
        for t in range(n_frames):
            y[..., t * hop_length:t * hop_length + n_fft] += frames[..., t, :]
    return y


def istft(stft_matrix, *, hop_length=None, win_length=None, n_fft=None, window="hann", center=True, length=None):
    """Inverse short-time Fourier transform, as :func:`librosa.istft`.

    The frames are inverse-transformed, windowed, overlap-added and divided by the window's
    squared overlap-add wherever that is non-zero, so ``istft(stft(y), length=len(y))``
    gives ``y`` back to float precision (for a window that satisfies the NOLA condition,
    e.g. Hann with ``hop_length <= win_length // 2``).

    Parameters
    ----------
    stft_matrix : np.ndarray [shape=(..., 1 + n_fft // 2, n_frames)], complex
    hop_length, win_length, window, center
        As in :func:`mirlearn.features.spectral.stft`.
    n_fft : int or None
        ``2 * (n_bins - 1)`` when not given.
    length : int or None
        Trim or zero-pad the output to exactly this many samples.

    Returns
    -------
    np.ndarray [shape=(..., n)], float32
    """
    stft_matrix = np.asarray(stft_matrix)
    if stft_matrix.ndim < 2:
        raise ParameterError(f"stft_matrix must be (..., n_bins, n_frames), got shape {stft_matrix.shape}")
    n_bins, n_frames = stft_matrix.shape[-2:]
    if n_fft is None:
        n_fft = 2 * (n_bins - 1)
    if n_bins != 1 + n_fft // 2:
        raise ParameterError(f"stft_matrix has {n_bins} frequency bins but n_fft={n_fft} needs {1 + n_fft // 2}")
    if win_length is None:
        win_length = n_fft
    if hop_length is None:
        hop_length = win_length // 4
    if hop_length <= 0:
        raise ParameterError(f"hop_length must be a positive integer, got {hop_length!r}")
    import scipy.fft

    w = stft_window(window, win_length, n_fft).astype(np.float32)
    frames = scipy.fft.irfft(np.swapaxes(stft_matrix, -1, -2), n=n_fft, axis=-1, workers=1).astype(np.float32)
    y = _overlap_add(frames * w, hop_length)
    norm = _overlap_add(np.broadcast_to(w**2, (n_frames, n_fft)), hop_length)
    good = norm > np.finfo(np.float32).tiny
    y[..., good] /= norm[good]
    start = n_fft // 2 if center else 0
    y = y[..., start:]
    if length is not None:
        if y.shape[-1] >= length:
            y = y[..., :length]
        else:
            y = np.concatenate([y, np.zeros(y.shape[:-1] + (length - y.shape[-1],), y.dtype)], axis=-1)
    elif center:
        y = y[..., : y.shape[-1] - n_fft // 2]
    return y


def softmask(X, X_ref, *, power=1.0, split_zeros=False):
    """The soft mask ``X**p / (X**p + X_ref**p)``, as :func:`librosa.util.softmask`.

    Parameters
    ----------
    X, X_ref : np.ndarray, non-negative, same shape
    power : float > 0 or np.inf
        ``np.inf`` gives the hard mask ``X > X_ref``.
    split_zeros : bool
        Where both inputs are (numerically) zero, the mask is 0.5 if true, else 0.
    """
    X = np.asarray(X)
    X_ref = np.asarray(X_ref)
    if X.shape != X_ref.shape:
        raise ParameterError(f"X and X_ref must have the same shape, got {X.shape} and {X_ref.shape}")
    if np.any(X < 0) or np.any(X_ref < 0):
        raise ParameterError("X and X_ref must be non-negative (magnitudes or powers, not complex or dB values)")
    if not power > 0:
        raise ParameterError(f"power must be strictly positive, got power={power!r}")
    dtype = X.dtype if np.issubdtype(X.dtype, np.floating) else np.float32
    Z = np.maximum(X, X_ref).astype(dtype)
    bad = Z < np.finfo(dtype).tiny
    Z[bad] = 1
    if not np.isfinite(power):
        return X > X_ref
    mask = (X / Z) ** power
    ref = (X_ref / Z) ** power
    good = ~bad
    mask[good] /= mask[good] + ref[good]
    mask[bad] = 0.5 if split_zeros else 0.0
    return mask


def hpss(S, *, kernel_size=31, power=2.0, mask=False, margin=1.0):
    """Median-filtering harmonic/percussive separation (Fitzgerald 2010), as
    :func:`librosa.decompose.hpss`.

    Harmonic sounds are smooth along time, percussive ones along frequency: a median filter
    across time (``kernel_size`` frames) enhances the first, one across frequency
    (``kernel_size`` bins) the second, and soft masks split ``S`` between them.

    Parameters
    ----------
    S : np.ndarray [shape=(..., n_bins, n_frames)], complex or real
    kernel_size : int or (int, int)
        Median-filter lengths, harmonic (frames) and percussive (bins).
    power : float > 0
        Exponent of the soft masks; ``np.inf`` for hard masks.
    mask : bool
        Return the masks instead of the masked spectrograms.
    margin : float >= 1 or (float, float)
        Driedger's margin: larger values leave more in neither part (the residual).

    Returns
    -------
    harmonic, percussive : np.ndarray, each shaped like ``S``

    References
    ----------
    Fitzgerald, D. "Harmonic/percussive separation using median filtering." DAFx 2010.
    Driedger, J., Müller, M. and Disch, S. "Extending harmonic-percussive separation of
    audio signals." ISMIR 2014.
    """
    from scipy.ndimage import median_filter

    S = np.asarray(S)
    if np.iscomplexobj(S):
        mag = np.abs(S)
        phase = np.exp(1j * np.angle(S)).astype(S.dtype)
    else:
        mag, phase = S, 1
    win_harm, win_perc = (kernel_size, kernel_size) if np.isscalar(kernel_size) else tuple(kernel_size)
    margin_harm, margin_perc = (margin, margin) if np.isscalar(margin) else tuple(margin)
    if margin_harm < 1 or margin_perc < 1:
        raise ParameterError(f"margin must be >= 1 (typically 1 to 10), got margin={margin!r}")
    harm_shape = [1] * mag.ndim
    harm_shape[-1] = win_harm
    perc_shape = [1] * mag.ndim
    perc_shape[-2] = win_perc
    harm = median_filter(mag, size=harm_shape, mode="reflect")
    perc = median_filter(mag, size=perc_shape, mode="reflect")
    split = margin_harm == 1 and margin_perc == 1
    mask_harm = softmask(harm, perc * margin_harm, power=power, split_zeros=split)
    mask_perc = softmask(perc, harm * margin_perc, power=power, split_zeros=split)
    if mask:
        return mask_harm, mask_perc
    return (mag * mask_harm) * phase, (mag * mask_perc) * phase
