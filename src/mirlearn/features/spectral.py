"""Fast pure-function implementations of librosa's spectral features.

Every function here reproduces the librosa function of the same name (same parameters,
same defaults, same edge cases) but takes the spectrogram it needs as input, so that a
single STFT serves every feature. Shapes follow librosa: spectrograms are
``(..., n_bins, n_frames)``; frame-wise features are ``(..., 1, n_frames)``.
"""

from __future__ import annotations

import numpy as np

from ..errors import ParameterError
from .filters import fft_frequencies, hz_to_octs, stft_window

__all__ = [
    "stft",
    "power_to_db",
    "amplitude_to_db",
    "spectral_centroid",
    "spectral_bandwidth",
    "spectral_rolloff",
    "spectral_flatness",
    "spectral_contrast",
    "zero_crossing_rate",
    "rms",
    "onset_strength_from_db",
    "estimate_tuning",
    "pitch_tuning",
    "delta",
]


def n_frames(n_samples, *, frame_length, hop_length, center):
    """Number of frames librosa produces for a signal of ``n_samples`` samples."""
    if center:
        n_samples = n_samples + 2 * (frame_length // 2)
    return 1 + (n_samples - frame_length) // hop_length


def stft(y, *, n_fft=2048, hop_length=None, win_length=None, window="hann", center=True, pad_mode="constant"):
    """Short-time Fourier transform, numerically equivalent to :func:`librosa.stft`.

    Parameters
    ----------
    y : np.ndarray [shape=(..., n)], float32
    n_fft, hop_length, win_length, window, center, pad_mode
        As in :func:`librosa.stft`.

    Returns
    -------
    np.ndarray [shape=(..., 1 + n_fft // 2, n_frames)], complex64
    """
    if hop_length is None:
        hop_length = (win_length or n_fft) // 4
    if win_length is None:
        win_length = n_fft
    y = np.asarray(y, dtype=np.float32)
    if center:
        pad = [(0, 0)] * (y.ndim - 1) + [(n_fft // 2, n_fft // 2)]
        y = np.pad(y, pad, mode=pad_mode)
    if y.shape[-1] < n_fft:
        raise ParameterError(
            f"the signal ({y.shape[-1]} samples after padding) is shorter than n_fft={n_fft}; "
            "use center=True or a smaller n_fft"
        )
    import scipy.fft  # here, not at import: a process that only dispatches work never loads it

    frames = np.lib.stride_tricks.sliding_window_view(y, n_fft, axis=-1)[..., ::hop_length, :]
    w = stft_window(window, win_length, n_fft)
    # frames * w makes one contiguous float32 copy; the FFT runs along the contiguous axis.
    spec = scipy.fft.rfft(frames * w, axis=-1, workers=1)
    return np.swapaxes(spec, -1, -2)


def power_to_db(S, *, ref=1.0, amin=1e-10, top_db=80.0):
    """``10 * log10(S / ref)``, clipped below at ``max - top_db``; as :func:`librosa.power_to_db`
    (``ref`` a number)."""
    if amin <= 0:
        raise ParameterError(f"amin must be strictly positive, got amin={amin!r}")
    log_spec = 10.0 * np.log10(np.maximum(amin, S))
    log_spec -= 10.0 * np.log10(np.maximum(amin, abs(ref)))
    if top_db is not None:
        if top_db < 0:
            raise ParameterError(f"top_db must be non-negative, got top_db={top_db!r}")
        np.maximum(log_spec, log_spec.max() - top_db, out=log_spec)
    return log_spec


def amplitude_to_db(S, *, ref=1.0, amin=1e-5, top_db=80.0):
    """``20 * log10(S / ref)`` with clipping; as :func:`librosa.amplitude_to_db` (``ref`` a
    number)."""
    if amin <= 0:
        raise ParameterError(f"amin must be strictly positive, got amin={amin!r}")
    return power_to_db(np.square(np.abs(S)), ref=abs(ref) ** 2, amin=amin**2, top_db=top_db)


def _normalize_l1(S):
    """Column-wise L1 normalisation as :func:`librosa.util.normalize` (norm=1, threshold=tiny)."""
    length = np.sum(np.abs(S), axis=-2, keepdims=True)
    length[length < np.finfo(S.dtype).tiny] = 1.0
    return length


def spectral_centroid(S, *, sr, n_fft):
    """Spectral centroid (Hz) of a magnitude spectrogram; as
    :func:`librosa.feature.spectral_centroid`.

    Returns
    -------
    np.ndarray [shape=(..., 1, n_frames)]
    """
    if np.any(S < 0):
        raise ParameterError("spectral_centroid is only defined for non-negative spectrograms")
    freq = fft_frequencies(sr=sr, n_fft=n_fft).astype(S.dtype)
    num = np.matmul(freq, S)[..., None, :]
    return num / _normalize_l1(S)


def spectral_bandwidth(S, *, sr, n_fft, centroid=None, norm=True, p=2):
    """p-th order spectral bandwidth (Hz); as :func:`librosa.feature.spectral_bandwidth`.

    For ``p=2`` it is computed from the first two spectral moments (one matrix product)
    instead of a full ``(n_bins, n_frames)`` deviation array.
    """
    if np.any(S < 0):
        raise ParameterError("spectral_bandwidth is only defined for non-negative spectrograms")
    freq = fft_frequencies(sr=sr, n_fft=n_fft)
    if centroid is None:
        centroid = spectral_centroid(S, sr=sr, n_fft=n_fft)
    scale = _normalize_l1(S) if norm else np.ones_like(S[..., :1, :])
    if p == 2:
        # float64: m2 - 2 c m1 + c**2 m0 cancels badly in float32 for narrow spectra
        moments = np.matmul(np.stack([np.ones_like(freq), freq, freq**2]), S.astype(np.float64))
        moments /= scale
        m0, m1, m2 = moments[..., 0:1, :], moments[..., 1:2, :], moments[..., 2:3, :]
        c = centroid.astype(np.float64)
        var = m2 - 2.0 * c * m1 + c * c * m0
        return np.sqrt(np.maximum(var, 0.0)).astype(S.dtype)
    deviation = np.abs(freq[:, None] - centroid)
    return np.sum((S / scale) * deviation**p, axis=-2, keepdims=True) ** (1.0 / p)


def spectral_rolloff(S, *, sr, n_fft, roll_percent=0.85):
    """Roll-off frequency (Hz); as :func:`librosa.feature.spectral_rolloff`."""
    if not 0.0 < roll_percent < 1.0:
        raise ParameterError(f"roll_percent must lie in the range (0, 1), got {roll_percent!r}")
    if np.any(S < 0):
        raise ParameterError("spectral_rolloff is only defined for non-negative spectrograms")
    freq = fft_frequencies(sr=sr, n_fft=n_fft)
    total = np.cumsum(np.swapaxes(S, -1, -2), axis=-1)  # frame-major: contiguous for stft output
    threshold = roll_percent * total[..., -1:]
    idx = np.argmax(total >= threshold, axis=-1)
    return freq[idx][..., None, :].astype(S.dtype)


def spectral_flatness(S, *, amin=1e-10, power=2.0, S_power=None):
    """Spectral flatness (geometric over arithmetic mean); as
    :func:`librosa.feature.spectral_flatness` (``S`` a magnitude spectrogram).

    ``S_power``, if given, must equal ``S ** power`` and saves recomputing it.
    """
    if amin <= 0:
        raise ParameterError(f"amin must be strictly positive, got amin={amin!r}")
    if np.any(S < 0):
        raise ParameterError("spectral_flatness is only defined for non-negative spectrograms")
    s = S**power if S_power is None else S_power
    s = np.maximum(amin, s)
    gmean = np.exp(np.mean(np.log(s), axis=-2, keepdims=True))
    amean = np.mean(s, axis=-2, keepdims=True)
    return gmean / amean


def spectral_contrast(S, *, sr, n_fft, fmin=200.0, n_bands=6, quantile=0.02, linear=False):
    """Spectral contrast (dB, or linear); as :func:`librosa.feature.spectral_contrast`.

    Uses a partial sort (:func:`numpy.partition`) per band instead of a full sort.

    References
    ----------
    Jiang, Dan-Ning, et al. "Music type classification by spectral contrast feature."
    IEEE ICME 2002.
    """
    if not (isinstance(n_bands, (int, np.integer)) and n_bands >= 1):
        raise ParameterError(f"n_bands must be a positive integer, got {n_bands!r}")
    if not 0.0 < quantile < 1.0:
        raise ParameterError(f"quantile must lie in the range (0, 1), got {quantile!r}")
    if fmin <= 0:
        raise ParameterError(f"fmin must be a positive number, got fmin={fmin!r}")
    freq = fft_frequencies(sr=sr, n_fft=n_fft)
    octa = np.zeros(n_bands + 2)
    octa[1:] = fmin * (2.0 ** np.arange(0, n_bands + 1))
    if np.any(octa[:-1] >= 0.5 * sr):
        raise ParameterError(
            f"the top contrast band (fmin * 2**n_bands = {octa[-2]:g} Hz) exceeds the Nyquist "
            f"frequency {sr / 2:g} Hz; reduce fmin or n_bands"
        )
    # Work on the frame-major view (..., n_frames, n_bins): for the spectrograms of
    # `stft` that is contiguous, and numpy's SIMD sort along a contiguous axis is many
    # times faster than a partition along a strided one.
    St = np.swapaxes(S, -1, -2)
    shape = list(St.shape)
    shape[-1] = n_bands + 1
    valley = np.zeros(shape)
    peak = np.zeros(shape)
    for k, (f_low, f_high) in enumerate(zip(octa[:-1], octa[1:])):
        band = (freq >= f_low) & (freq <= f_high)
        idx = np.flatnonzero(band)
        if k > 0:
            band[idx[0] - 1] = True
        if k == n_bands:
            band[idx[-1] + 1 :] = True
        rows = np.flatnonzero(band)
        if k < n_bands:
            rows = rows[:-1]
        sub = St[..., rows[0] : rows[-1] + 1]
        q = int(max(np.rint(quantile * np.sum(band)), 1))
        if q == 1:  # the common case in the low bands: no sorting at all
            valley[..., k] = np.min(sub, axis=-1)
            peak[..., k] = np.max(sub, axis=-1)
            continue
        srt = np.sort(sub, axis=-1)
        valley[..., k] = np.mean(srt[..., :q], axis=-1)
        peak[..., k] = np.mean(srt[..., -q:], axis=-1)
    valley = np.swapaxes(valley, -1, -2)
    peak = np.swapaxes(peak, -1, -2)
    if linear:
        return peak - valley
    return power_to_db(peak) - power_to_db(valley)


def zero_crossing_rate(y, *, frame_length=2048, hop_length=512, center=True, threshold=1e-10):
    """Fraction of zero crossings per frame; as :func:`librosa.feature.zero_crossing_rate`.

    Counts the sign changes of the whole signal once and sums them per frame with a
    cumulative sum, instead of framing the signal.

    Returns
    -------
    np.ndarray [shape=(..., 1, n_frames)]
    """
    y = np.asarray(y)
    if center:
        pad = [(0, 0)] * (y.ndim - 1) + [(frame_length // 2, frame_length // 2)]
        y = np.pad(y, pad, mode="edge")
    n = n_frames(y.shape[-1], frame_length=frame_length, hop_length=hop_length, center=False)
    if n < 1:
        raise ParameterError(
            f"the signal ({y.shape[-1]} samples) is shorter than frame_length={frame_length}"
        )
    # librosa zeroes |y| <= threshold, then compares sign bits: that is "y < -threshold"
    sign = (y < -threshold) if threshold is not None else np.signbit(y)
    change = sign[..., 1:] != sign[..., :-1]  # change[i]: between samples i and i+1
    csum = np.zeros(y.shape[:-1] + (change.shape[-1] + 1,), dtype=np.int32)
    np.cumsum(change, axis=-1, dtype=np.int32, out=csum[..., 1:])
    starts = np.arange(n) * hop_length
    # a frame [s, s + L) holds the L - 1 changes change[s : s + L - 1]
    counts = csum[..., starts + frame_length - 1] - csum[..., starts]
    return (counts / frame_length)[..., None, :]


def rms(y, *, frame_length=2048, hop_length=512, center=True, pad_mode="constant"):
    """Root-mean-square energy per frame of a time series; as :func:`librosa.feature.rms`
    with ``y`` input. Uses a float64 cumulative sum of squares instead of framing.

    Returns
    -------
    np.ndarray [shape=(..., 1, n_frames)], float32
    """
    y = np.asarray(y)
    if center:
        pad = [(0, 0)] * (y.ndim - 1) + [(frame_length // 2, frame_length // 2)]
        y = np.pad(y, pad, mode=pad_mode)
    n = n_frames(y.shape[-1], frame_length=frame_length, hop_length=hop_length, center=False)
    if n < 1:
        raise ParameterError(
            f"the signal ({y.shape[-1]} samples) is shorter than frame_length={frame_length}"
        )
    starts = np.arange(n) * hop_length
    if frame_length % hop_length == 0:
        # sum the energy of hop-sized blocks once, then add k = L / hop blocks per frame
        k = frame_length // hop_length
        n_blocks = n + k - 1
        blocks = y[..., : n_blocks * hop_length].reshape(y.shape[:-1] + (n_blocks, hop_length))
        e = np.einsum("...i,...i->...", blocks, blocks, dtype=np.float64)
        c = np.zeros(e.shape[:-1] + (n_blocks + 1,))
        np.cumsum(e, axis=-1, out=c[..., 1:])
        energy = (c[..., k:] - c[..., :-k]) / frame_length
    else:
        csum = np.zeros(y.shape[:-1] + (y.shape[-1] + 1,), dtype=np.float64)
        np.cumsum(np.square(y, dtype=np.float64), axis=-1, out=csum[..., 1:])
        energy = (csum[..., starts + frame_length] - csum[..., starts]) / frame_length
    return np.sqrt(np.maximum(energy, 0.0)).astype(np.float32)[..., None, :]


def onset_strength_from_db(S_db, *, lag=1, max_size=1, detrend=False, center=True, n_fft=2048, hop_length=512,
                           aggregate="mean"):
    """Spectral-flux onset strength of a dB-scaled (mel) spectrogram; as
    :func:`librosa.onset.onset_strength` (``aggregate="median"``: its
    ``aggregate=np.median``, which :func:`librosa.beat.beat_track` uses).

    Returns
    -------
    np.ndarray [shape=(..., 1, n_frames)]

    References
    ----------
    Böck, Sebastian, and Gerhard Widmer. "Maximum filter vibrato suppression for onset
    detection." DAFx 2013.
    """
    if not (isinstance(lag, (int, np.integer)) and lag >= 1):
        raise ParameterError(f"lag={lag!r} must be a positive integer")
    if not (isinstance(max_size, (int, np.integer)) and max_size >= 1):
        raise ParameterError(f"max_size={max_size!r} must be a positive integer")
    if max_size == 1:
        ref = S_db
    else:
        import scipy.ndimage

        ref = scipy.ndimage.maximum_filter1d(S_db, max_size, axis=-2)
    if aggregate not in ("mean", "median"):
        raise ParameterError(f"aggregate={aggregate!r} must be 'mean' or 'median'")
    env = np.maximum(0.0, S_db[..., lag:] - ref[..., :-lag])
    env = (np.mean if aggregate == "mean" else np.median)(env, axis=-2, keepdims=True)
    pad_width = lag + (n_fft // (2 * hop_length) if center else 0)
    pad = [(0, 0)] * (env.ndim - 1) + [(int(pad_width), 0)]
    env = np.pad(env, pad, mode="constant")
    if detrend:
        import scipy.signal

        env = scipy.signal.lfilter([1.0, -1.0], [1.0, -0.99], env, axis=-1)
    if center:
        env = env[..., : S_db.shape[-1]]
    return env


def estimate_tuning(S, *, sr, n_fft, bins_per_octave=12, resolution=0.01, fmin=150.0, fmax=4000.0, threshold=0.1):
    """Tuning deviation (fraction of a bin) from a spectrogram, as
    :func:`librosa.estimate_tuning` ``(S=S, ...)``: parabolically interpolated spectral
    peaks (``piptrack``) between ``fmin`` and ``fmax``, then a histogram of their
    deviations from the equal-tempered grid.

    The peaks are found first and the parabolic interpolation is evaluated at the peaks
    only, with the same arithmetic as librosa, so the result is the same at a fraction of
    the cost of ``piptrack`` on the whole spectrogram.

    References
    ----------
    Smith, Julius O. "Spectral audio signal processing." W3K Publishing, 2011 (quadratic
    interpolation of spectral peaks).
    """
    if np.iscomplexobj(S):
        S = np.abs(S)  # a magnitude (or power) spectrogram is used as it is: no copy
    n_bins = S.shape[-2]
    fmin = max(fmin, 0.0)
    fmax = min(fmax, float(sr) / 2)
    freq = fft_frequencies(sr=sr, n_fft=n_fft)
    rows = np.flatnonzero((fmin <= freq) & (freq < fmax))
    if rows.size == 0:
        return 0.0
    lo, hi = int(rows[0]), int(rows[-1]) + 1
    # Pad one zero row on each side so that every row in [lo, hi) has two neighbours; the
    # rules at the true edges (bin 0 is never a peak, the last bin is a peak if it rises,
    # no interpolation at either edge) are applied below.
    a0, a1 = max(lo - 1, 0), min(hi + 1, n_bins)
    block = S[..., a0:a1, :]
    if lo == 0 or hi == n_bins:
        pad = [(0, 0)] * (S.ndim - 2) + [(int(lo == 0), int(hi == n_bins)), (0, 0)]
        block = np.pad(block, pad)
    ref_value = threshold * np.max(S, axis=-2, keepdims=True)
    t = block * (block > ref_value)
    mid = t[..., 1:-1, :]
    is_max = (mid > t[..., :-2, :]) & (mid >= t[..., 2:, :])
    if lo == 0:
        is_max[..., 0, :] = False
    sel = np.nonzero(is_max)
    r = sel[-2]  # row within [lo, hi)
    b_idx = sel[:-2] + (r + 1,) + sel[-1:]
    x = block[b_idx]
    xm = block[sel[:-2] + (r,) + sel[-1:]]
    xp = block[sel[:-2] + (r + 2,) + sel[-1:]]
    # parabolic shift, with the float32/float64 mix of librosa's numba stencil
    a = (xp + xm).astype(np.float64) - 2.0 * x.astype(np.float64)
    b = (xp - xm).astype(np.float64) / 2.0
    with np.errstate(divide="ignore", invalid="ignore"):
        shift = np.where(np.abs(b) >= np.abs(a), 0.0, -b / a).astype(S.dtype)
    true_row = r + lo
    at_edge = (true_row == 0) | (true_row == n_bins - 1)
    shift[at_edge] = 0
    # np.gradient along frequency: central differences inside, one-sided at the edges
    grad = (xp - xm) / S.dtype.type(2)
    first, last = true_row == 0, true_row == n_bins - 1
    grad[first] = (xp - x)[first]
    grad[last] = (x - xm)[last]
    dskew = S.dtype.type(0.5) * grad * shift
    pitch = ((true_row + shift) * float(sr) / n_fft).astype(S.dtype)
    mags = (x + dskew).astype(S.dtype)
    positive = pitch > 0
    thresh = np.median(mags[positive]) if positive.any() else 0.0
    return pitch_tuning(pitch[(mags >= thresh) & positive], resolution=resolution, bins_per_octave=bins_per_octave)


def pitch_tuning(frequencies, *, resolution=0.01, bins_per_octave=12):
    """The most common deviation (fraction of a bin) of ``frequencies`` (Hz) from the
    equal-tempered grid: the mode of a histogram with ``resolution`` wide bins, as
    :func:`librosa.pitch_tuning`. No positive frequency gives 0.0."""
    frequencies = np.atleast_1d(frequencies)
    frequencies = frequencies[frequencies > 0]
    if not np.any(frequencies):
        return 0.0
    residual = np.mod(bins_per_octave * hz_to_octs(frequencies), 1.0)
    residual[residual >= 0.5] -= 1.0
    bins = np.linspace(-0.5, 0.5, int(np.ceil(1.0 / resolution)) + 1)
    counts, edges = np.histogram(residual, bins)
    return float(edges[np.argmax(counts)])


def delta(data, *, width=9, order=1, mode="interp"):
    """Local derivative estimate along time (Savitzky-Golay), as
    :func:`librosa.feature.delta`."""
    import scipy.signal

    if mode == "interp" and width > data.shape[-1]:
        raise ParameterError(
            f"when mode='interp', width={width} cannot exceed the number of frames "
            f"({data.shape[-1]}); use a smaller width or mode='nearest'"
        )
    if width < 3 or np.mod(width, 2) != 1:
        raise ParameterError(f"width must be an odd integer >= 3, got width={width!r}")
    if order <= 0 or not isinstance(order, (int, np.integer)):
        raise ParameterError(f"order must be a positive integer, got order={order!r}")
    return scipy.signal.savgol_filter(data, width, polyorder=order, deriv=order, axis=-1, mode=mode)
