"""The constant-Q transform, in numpy/scipy/soxr: librosa's numbers without librosa.

:func:`cqt` is the recursive down-sampling CQT of Schörkhuber & Klapuri (2010) exactly as
:func:`librosa.cqt` computes it: one octave of frequency-domain wavelet filters is applied
to a short-time Fourier transform of the signal, and the signal is then halved in rate
(soxr, as librosa's ``res_type='soxr_hq'``) for the next octave down. It matches
librosa's output to float32 rounding (see ``docs/features.md`` for the tolerance).

It is faster than librosa's for three reasons, none of which changes the arithmetic:

* the sparse frequency-domain basis of each octave is built once per process and kept as a
  small dense block restricted to the FFT bins it touches (one complex matrix product per
  octave instead of a sparse product over every bin);
* the octave pyramid of down-sampled signals can be shared between several CQTs of the
  same signal (``pyramid=``, used by the feature engine for ``cqt`` and ``chroma_cqt``);
* the per-octave STFT is a single-precision real FFT of strided frames.

Arrays are shaped ``(..., n_bins, n_frames)``: time is the last axis.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from ..errors import ParameterError
from .filters import _COSINE_SUM, C1_HZ, cqt_frequencies, get_window, normalize, relative_bandwidth, wavelet_lengths

__all__ = ["cqt", "RES_TYPES"]

#: Resampling qualities accepted by :func:`cqt` (librosa's soxr names).
RES_TYPES = ("soxr_vhq", "soxr_hq", "soxr_mq", "soxr_lq")


def _sparsify_rows(x, quantile):
    """Zero the smallest entries of each row whose magnitudes add up to at most
    ``quantile`` of the row's L1 norm (librosa's ``util.sparsify_rows``), dense."""
    mags = np.abs(x)
    norms = np.sum(mags, axis=1, keepdims=True)
    mag_sort = np.sort(mags, axis=1)
    cumulative = np.cumsum(mag_sort / norms, axis=1)
    threshold_idx = np.argmin(cumulative < quantile, axis=1)
    keep = mags >= mag_sort[np.arange(len(x)), threshold_idx][:, None]
    return np.where(keep, x, 0).astype(x.dtype)


def _octave_basis(freqs, alpha, *, sr, filter_scale, norm, sparsity, window):
    """The frequency-domain basis of one octave: ``(n_fft, c0, block)`` where ``block``
    holds the non-zero columns ``c0 : c0 + block.shape[1]`` of the sparsified basis.

    Each filter is a complex exponential at its centre frequency under a window of its
    (fractional) length, normalised, centred in ``n_fft`` samples and scaled by
    ``length / n_fft`` (librosa's ``filters.wavelet`` and ``__vqt_filter_fft``); all the
    filters of an octave are built as one array.
    """
    lengths, _ = wavelet_lengths(freqs=freqs, sr=sr, window=window, filter_scale=filter_scale, alpha=alpha)
    n_fft = int(2.0 ** (np.ceil(np.log2(max(lengths)))))
    n_filters = len(freqs)
    start = np.floor(-lengths / 2)  # np.arange(-ilen // 2, ilen // 2): first sample time
    n_samples = (np.ceil(np.floor(lengths / 2) - start)).astype(int)  # its length
    lpad = (n_fft - n_samples) // 2
    k = np.arange(n_fft)[None, :] - lpad[:, None]  # sample index within each filter
    inside = (k >= 0) & (k < n_samples[:, None])
    t = ((start[:, None] + k) * 2 * np.pi * freqs[:, None] / sr)[inside]
    sig = np.zeros((n_filters, n_fft), dtype=complex)
    sig[inside] = np.cos(t) + 1j * np.sin(t)
    # each filter's window spans its samples (periodic, as scipy.signal.get_window)
    if isinstance(window, str) and window in _COSINE_SUM:
        # periodic cosine-sum window: sum_j (-1)^j a_j cos(2 pi j m / L), m = 0 .. L - 1
        phase = (2 * np.pi * k / n_samples[:, None])[inside]
        w = np.zeros((n_filters, n_fft))
        w[inside] = sum((-1) ** j * a * np.cos(j * phase) for j, a in enumerate(_COSINE_SUM[window]))
    else:
        w = np.zeros((n_filters, n_fft))
        for i in range(n_filters):
            w[i, lpad[i] : lpad[i] + n_samples[i]] = get_window(window, int(n_samples[i]))
    sig *= w
    basis = normalize(sig, norm=norm, axis=1).astype(np.complex64)  # per filter
    basis *= lengths[:, np.newaxis] / float(n_fft)
    fft_basis = np.fft.fft(basis, n=n_fft, axis=1)[:, : n_fft // 2 + 1]
    fft_basis = _sparsify_rows(fft_basis, sparsity)
    cols = np.flatnonzero(np.any(fft_basis != 0, axis=0))
    c0, c1 = int(cols[0]), int(cols[-1]) + 1
    return n_fft, c0, np.ascontiguousarray(fft_basis[:, c0:c1])


def _early_downsample_count(nyquist, filter_cutoff, hop_length, n_octaves):
    count1 = max(0, int(np.ceil(np.log2(nyquist / filter_cutoff)) - 1) - 1)
    num_twos = 0
    x = hop_length
    while x > 0 and x % 2 == 0:
        num_twos += 1
        x //= 2
    count2 = max(0, num_twos - n_octaves + 1)
    return min(count1, count2)


@lru_cache(maxsize=256)
def _plan(sr, hop_length, fmin, n_bins, bins_per_octave, filter_scale, norm, sparsity, window, scale):
    """Everything about a CQT that does not depend on the signal, built once per process."""
    n_octaves = int(np.ceil(float(n_bins) / bins_per_octave))
    n_filters = min(bins_per_octave, n_bins)
    freqs = cqt_frequencies(n_bins, fmin=fmin, bins_per_octave=bins_per_octave)
    if n_bins == 1:
        r = 2 ** (1 / bins_per_octave)
        alpha = np.atleast_1d((r**2 - 1) / (r**2 + 1))
    else:
        alpha = relative_bandwidth(freqs)
    _, filter_cutoff = wavelet_lengths(freqs=freqs, sr=sr, window=window, filter_scale=filter_scale, alpha=alpha)
    nyquist = sr / 2.0
    if filter_cutoff > nyquist:
        raise ParameterError(
            f"the CQT's top filter (centre {np.max(freqs):.1f} Hz, pass band up to {filter_cutoff:.1f} Hz) "
            f"exceeds the Nyquist frequency {nyquist:g} Hz: reduce n_bins or fmin, or use a higher sr"
        )
    early = _early_downsample_count(nyquist, filter_cutoff, hop_length, n_octaves)
    factor = 2**early
    sr = sr / float(factor)
    hop = hop_length // factor
    octaves = []
    my_sr, my_hop, level = sr, hop, 0
    full = None
    for i in range(n_octaves):
        sl = slice(-n_filters, None) if i == 0 else slice(-n_filters * (i + 1), -n_filters * i)
        if full is not None and len(freqs[sl]) == n_filters:
            # a full octave an octave down at half the rate: the same frequencies relative
            # to the rate (scaled by an exact power of two), hence the same basis
            n_fft, c0, block = full[0], full[1], full[2].copy()
        else:
            n_fft, c0, block = _octave_basis(
                freqs[sl], alpha[sl], sr=my_sr, filter_scale=filter_scale, norm=norm, sparsity=sparsity, window=window
            )
            if len(freqs[sl]) == n_filters:
                full = (n_fft, c0, block.copy())
        block *= np.sqrt(sr / my_sr)
        block.flags.writeable = False
        octaves.append((level, my_hop, n_fft, c0, block))
        if my_hop % 2 == 0:
            my_hop //= 2
            my_sr /= 2.0
            level += 1
    inv_sqrt_len = None
    if scale:
        lengths, _ = wavelet_lengths(freqs=freqs, sr=sr, window=window, filter_scale=filter_scale, alpha=alpha)
        inv_sqrt_len = np.sqrt(lengths)
    return early, octaves, inv_sqrt_len


def _halve(y, factor, res_type):
    """Down-sample by an integer ``factor`` along the last axis as librosa's
    ``resample(y, orig_sr=factor, target_sr=1, res_type, scale=True)``."""
    import soxr

    flat = y.reshape(-1, y.shape[-1])
    n_out = int(np.ceil(y.shape[-1] / factor))
    out = np.zeros((flat.shape[0], n_out), dtype=y.dtype)
    for i, row in enumerate(flat):
        r = soxr.resample(row, factor, 1, quality=res_type)
        m = min(n_out, len(r))
        out[i, :m] = r[:m]
    out /= np.sqrt(1.0 / factor)
    return out.reshape(y.shape[:-1] + (n_out,))


def _level_signal(y, level, early, res_type, scale, pyramid):
    """The signal of octave level ``level`` (after ``early`` early halvings)."""
    key = (early, level, res_type, scale)
    if key in pyramid:
        return pyramid[key]
    if level == 0:
        if early == 0:
            sig = y
        else:
            factor = 2**early
            if y.shape[-1] < factor:
                raise ParameterError(f"the signal ({y.shape[-1]} samples) is too short for this CQT")
            sig = _halve(y, factor, res_type)
            if not scale:
                sig *= np.sqrt(factor)
    else:
        sig = _halve(_level_signal(y, level - 1, early, res_type, scale, pyramid), 2, res_type)
    pyramid[key] = sig
    return sig


def _response(y, *, n_fft, hop_length, c0, block, pad_mode):
    """``block @ STFT(y)[c0 : c0 + width]`` with a rectangular window: ``(C, n_filters, T)``."""
    import scipy.fft

    pad = [(0, 0), (n_fft // 2, n_fft // 2)]
    yp = np.pad(y, pad, mode=pad_mode)
    frames = np.lib.stride_tricks.sliding_window_view(yp, n_fft, axis=-1)[:, ::hop_length, :]
    F = scipy.fft.rfft(frames, axis=-1, workers=1)[..., c0 : c0 + block.shape[1]]
    return np.swapaxes(np.matmul(F, block.T), -1, -2)


def cqt(
    y,
    *,
    sr=22050,
    hop_length=512,
    fmin=None,
    n_bins=84,
    bins_per_octave=12,
    tuning=0.0,
    filter_scale=1,
    norm=1,
    sparsity=0.01,
    window="hann",
    scale=True,
    pad_mode="constant",
    res_type="soxr_hq",
    pyramid=None,
):
    """Constant-Q transform of a time series, as :func:`librosa.cqt`.

    Parameters
    ----------
    y : np.ndarray [shape=(..., n)], float
    sr : number > 0
    hop_length : int > 0
        Hop in samples; it must be divisible by ``2 ** (n_octaves - 1)`` for every octave
        to keep the hop (librosa's rule).
    fmin : float > 0 or None
        Lowest bin's frequency in Hz (None: C1, 32.70 Hz).
    n_bins : int > 0
    bins_per_octave : int > 0
    tuning : float
        Tuning deviation in fractions of a bin. ``None`` estimates it from the signal.
    filter_scale, norm, sparsity, window, scale, pad_mode
        As in :func:`librosa.cqt`.
    res_type : {'soxr_vhq', 'soxr_hq', 'soxr_mq', 'soxr_lq'}
        Quality of the octave down-sampling.
    pyramid : dict or None
        A cache of the down-sampled signals to share between CQTs of the same ``y``
        (pass the same dict to each call); None for no sharing.

    Returns
    -------
    np.ndarray [shape=(..., n_bins, n_frames)], complex64

    References
    ----------
    Schörkhuber, C. and Klapuri, A. "Constant-Q transform toolbox for music processing."
    7th Sound and Music Computing Conference, 2010.
    """
    if res_type not in RES_TYPES:
        raise ParameterError(f"res_type must be one of {', '.join(RES_TYPES)}, got res_type={res_type!r}")
    for name, v in (("hop_length", hop_length), ("n_bins", n_bins), ("bins_per_octave", bins_per_octave)):
        if not (isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v > 0):
            raise ParameterError(f"{name} must be a positive integer, got {name}={v!r}")
    if not 0.0 <= sparsity < 1:
        raise ParameterError(f"sparsity must lie in [0, 1), got sparsity={sparsity!r}")
    y = np.asarray(y)
    if not np.issubdtype(y.dtype, np.floating):
        raise ParameterError(f"y must be a floating-point array, got dtype {y.dtype}")
    if y.dtype != np.float32:
        y = y.astype(np.float32)
    if tuning is None:
        from .spectral import estimate_tuning, stft

        S = np.abs(stft(y, n_fft=2048, hop_length=512))
        tuning = estimate_tuning(S, sr=sr, n_fft=2048, bins_per_octave=bins_per_octave)
    fmin = C1_HZ if fmin is None else fmin
    fmin = float(fmin * 2.0 ** (tuning / bins_per_octave))
    if isinstance(window, list):
        window = tuple(window)
    early, octaves, sqrt_len = _plan(
        float(sr), int(hop_length), fmin, int(n_bins), int(bins_per_octave), filter_scale, norm, float(sparsity), window, bool(scale)
    )
    if pyramid is None:
        pyramid = {}
    lead = y.shape[:-1]
    flat = y.reshape(-1, y.shape[-1])
    responses = []
    for level, hop, n_fft, c0, block in octaves:
        sig = _level_signal(flat, level, early, res_type, scale, pyramid)
        responses.append(_response(sig, n_fft=n_fft, hop_length=hop, c0=c0, block=block, pad_mode=pad_mode))
    n_frames = min(r.shape[-1] for r in responses)
    out = np.empty((flat.shape[0], n_bins, n_frames), dtype=np.complex64)
    end = n_bins
    for r in responses:
        n_oct = r.shape[-2]
        if end < n_oct:
            out[:, :end, :] = r[:, -end:, :n_frames]
        else:
            out[:, end - n_oct : end, :] = r[:, :, :n_frames]
        end -= n_oct
    if sqrt_len is not None:
        out /= sqrt_len[:, np.newaxis]
    return out.reshape(lead + (n_bins, n_frames))
