"""Memoised builders of the fixed linear stages: windows, mel and chroma filterbanks, the
constant-Q wavelet basis, frequency grids and unit conversions.

These are the single source of every filter matrix in mirlearn. They are written in
numpy/scipy and reproduce librosa's builders of the same name (same parameters, same
defaults, same arithmetic), so that features match librosa's numbers without importing
librosa (or numba) at run time. Building is pure and moderately expensive, so each distinct
set of arguments is built once per process and shared. The arrays returned are read-only:
copy before modifying.

Frequencies are in Hz; filterbanks are shaped ``(n_filters, n_bins)``.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from ..errors import ParameterError

__all__ = [
    "get_window",
    "pad_center",
    "stft_window",
    "normalize",
    "hz_to_mel",
    "mel_to_hz",
    "mel_frequencies",
    "hz_to_octs",
    "hz_to_midi",
    "midi_to_hz",
    "fft_frequencies",
    "mel_filterbank",
    "chroma_filterbank",
    "log_filterbank",
    "logfreq_interpolation",
    "cq_to_chroma",
    "cqt_frequencies",
    "relative_bandwidth",
    "wavelet_lengths",
    "window_bandwidth",
    "C1_HZ",
]

#: The frequency of C1 (MIDI 24) in Hz: the default lowest CQT bin, as in librosa.
C1_HZ = 440.0 * 2.0 ** ((24 - 69) / 12.0)


def _freeze(a):
    a = np.ascontiguousarray(a)
    a.flags.writeable = False
    return a


# ---------------------------------------------------------------------------------------
# windows and padding


#: Cosine-sum windows computed here with scipy.signal's own arithmetic (bit-identical), so
#: that the usual windows do not import scipy.signal (about a second per worker process).
_COSINE_SUM = {
    "hann": (0.5, 1.0 - 0.5), "hanning": (0.5, 1.0 - 0.5), "han": (0.5, 1.0 - 0.5),
    "hamming": (0.54, 1.0 - 0.54), "hamm": (0.54, 1.0 - 0.54), "ham": (0.54, 1.0 - 0.54),
    "blackman": (0.42, 0.50, 0.08), "black": (0.42, 0.50, 0.08), "blk": (0.42, 0.50, 0.08),
    "boxcar": (1.0,), "box": (1.0,), "ones": (1.0,), "rect": (1.0,), "rectangular": (1.0,),
}


def _cosine_sum(a, n, fftbins):
    """``scipy.signal.windows.general_cosine(n, a, sym=not fftbins)``."""
    if n == 1:
        return np.ones(1)
    m = n + 1 if fftbins else n
    fac = np.linspace(-np.pi, np.pi, m)
    w = np.zeros(m)
    for k in range(len(a)):
        w += a[k] * np.cos(k * fac)
    return w[:-1] if fftbins else w


def get_window(window, n, *, fftbins=True):
    """A window of length ``n``: a name or tuple for :func:`scipy.signal.get_window`, a
    callable ``window(n)``, or an array of length ``n``. ``fftbins=True`` gives the
    periodic window (for spectral analysis), as scipy does."""
    if callable(window):
        return np.asarray(window(n))
    if isinstance(window, str) and window in _COSINE_SUM:
        a = _COSINE_SUM[window]
        return np.ones(n) if len(a) == 1 else _cosine_sum(a, n, fftbins)
    if isinstance(window, (str, tuple)) or np.isscalar(window):
        import scipy.signal

        return scipy.signal.get_window(window, n, fftbins=fftbins)
    if isinstance(window, (np.ndarray, list)):
        if len(window) == n:
            return np.asarray(window)
        raise ParameterError(f"window has length {len(window)}, expected {n}")
    raise ParameterError(f"invalid window {window!r}: give a name, a tuple, a callable or an array")


def pad_center(data, *, size, axis=-1):
    """Zero-pad ``data`` on both sides along ``axis`` to length ``size`` (extra sample on
    the right), as :func:`librosa.util.pad_center`."""
    n = data.shape[axis]
    lpad = int((size - n) // 2)
    if lpad < 0:
        raise ParameterError(f"target size {size} is smaller than the input size {n}")
    widths = [(0, 0)] * data.ndim
    widths[axis] = (lpad, int(size - n - lpad))
    return np.pad(data, widths, mode="constant")


@lru_cache(maxsize=64)
def stft_window(window, win_length, n_fft):
    """The analysis window of an STFT: periodic, zero-padded to ``n_fft`` (as
    :func:`librosa.stft` builds it).

    Returns
    -------
    np.ndarray [shape=(n_fft,)], float32
    """
    w = get_window(window, win_length, fftbins=True)
    return _freeze(pad_center(w, size=n_fft).astype(np.float32))


def _tiny(x):
    dtype = x.dtype if np.issubdtype(x.dtype, np.floating) or np.issubdtype(x.dtype, np.complexfloating) else np.float32
    return np.finfo(dtype).tiny


def normalize(S, *, norm=np.inf, axis=0, threshold=None):
    """Scale ``S`` so that its ``norm`` along ``axis`` is 1, as
    :func:`librosa.util.normalize` (``fill=None``): slices whose norm is below
    ``threshold`` (default: the smallest positive number of the dtype) are left unscaled.

    Parameters
    ----------
    S : np.ndarray
    norm : {np.inf, -np.inf, 0, float > 0, None}
    axis : int or None
    threshold : float > 0 or None
    """
    if threshold is None:
        threshold = _tiny(S)
    elif threshold <= 0:
        raise ParameterError(f"threshold={threshold!r} must be strictly positive")
    if not np.all(np.isfinite(S)):
        raise ParameterError("normalize: input must be finite")
    if norm is None:
        return S
    mag = np.abs(S).astype(float)
    if norm == np.inf:
        length = np.max(mag, axis=axis, keepdims=True)
    elif norm == -np.inf:
        length = np.min(mag, axis=axis, keepdims=True)
    elif norm == 0:
        length = np.sum(mag > 0, axis=axis, keepdims=True, dtype=mag.dtype)
    elif np.issubdtype(type(norm), np.number) and norm > 0:
        length = np.sum(mag**norm, axis=axis, keepdims=True) ** (1.0 / norm)
    else:
        raise ParameterError(f"unsupported norm {norm!r}: use np.inf, -np.inf, 0, a positive number or None")
    length[length < threshold] = 1.0
    out = np.empty_like(S)
    out[:] = S / length
    return out


# ---------------------------------------------------------------------------------------
# unit conversions (librosa's formulas)


def hz_to_mel(frequencies, *, htk=False):
    """Hz to mels: Slaney's auditory-toolbox scale (linear below 1 kHz, logarithmic above),
    or the HTK formula."""
    frequencies = np.asanyarray(frequencies, dtype=float)
    if htk:
        return 2595.0 * np.log10(1.0 + frequencies / 700.0)
    f_sp = 200.0 / 3
    mels = frequencies / f_sp
    min_log_hz = 1000.0
    min_log_mel = min_log_hz / f_sp
    logstep = np.log(6.4) / 27.0
    if frequencies.ndim:
        log_t = frequencies >= min_log_hz
        mels[log_t] = min_log_mel + np.log(frequencies[log_t] / min_log_hz) / logstep
    elif frequencies >= min_log_hz:
        mels = min_log_mel + np.log(frequencies / min_log_hz) / logstep
    return mels


def mel_to_hz(mels, *, htk=False):
    """Mels to Hz; the inverse of :func:`hz_to_mel`."""
    mels = np.asanyarray(mels, dtype=float)
    if htk:
        return 700.0 * (10.0 ** (mels / 2595.0) - 1.0)
    f_sp = 200.0 / 3
    freqs = f_sp * mels
    min_log_hz = 1000.0
    min_log_mel = min_log_hz / f_sp
    logstep = np.log(6.4) / 27.0
    if mels.ndim:
        log_t = mels >= min_log_mel
        freqs[log_t] = min_log_hz * np.exp(logstep * (mels[log_t] - min_log_mel))
    elif mels >= min_log_mel:
        freqs = min_log_hz * np.exp(logstep * (mels - min_log_mel))
    return freqs


def mel_frequencies(n_mels=128, *, fmin=0.0, fmax=11025.0, htk=False):
    """``n_mels`` frequencies (Hz) evenly spaced on the mel scale from ``fmin`` to ``fmax``."""
    mels = np.linspace(hz_to_mel(fmin, htk=htk), hz_to_mel(fmax, htk=htk), n_mels)
    return mel_to_hz(mels, htk=htk)


def hz_to_octs(frequencies, *, tuning=0.0, bins_per_octave=12):
    """Hz to octave numbers (A4 = 4.75 for ``tuning=0``)."""
    a440 = 440.0 * 2.0 ** (tuning / bins_per_octave)
    return np.log2(np.asanyarray(frequencies) / (float(a440) / 16))


def hz_to_midi(frequencies):
    """Hz to (fractional) MIDI note numbers (A4 = 69)."""
    return 12 * (np.log2(np.asanyarray(frequencies)) - np.log2(440.0)) + 69


def midi_to_hz(notes):
    """MIDI note numbers to Hz."""
    return 440.0 * (2.0 ** ((np.asanyarray(notes) - 69.0) / 12.0))


@lru_cache(maxsize=64)
def fft_frequencies(*, sr, n_fft):
    """Centre frequencies (Hz) of the ``1 + n_fft // 2`` STFT bins, float64."""
    return _freeze(np.fft.rfftfreq(n=n_fft, d=1.0 / sr))


# ---------------------------------------------------------------------------------------
# filterbanks


@lru_cache(maxsize=64)
def mel_filterbank(*, sr, n_fft, n_mels=128, fmin=0.0, fmax=None, htk=False, norm="slaney"):
    """Triangular mel filterbank, as :func:`librosa.filters.mel`, memoised.

    Parameters
    ----------
    sr : number > 0
    n_fft : int > 0
    n_mels : int > 0
    fmin, fmax : float >= 0
        Band edges in Hz (``fmax=None``: ``sr / 2``).
    htk : bool
        HTK's mel formula instead of Slaney's.
    norm : {'slaney', None, number}
        ``'slaney'``: divide each triangle by its width in Hz (constant energy per
        channel); a number: normalise each filter to unit p-norm; None: peak 1.

    Returns
    -------
    np.ndarray [shape=(n_mels, 1 + n_fft // 2)], float32

    References
    ----------
    Slaney, M. "Auditory Toolbox", Interval Research Corporation, Tech. Rep. 10, 1998.
    """
    import warnings

    from ..errors import MirlearnWarning

    if fmax is None:
        fmax = float(sr) / 2
    n_mels = int(n_mels)
    weights = np.zeros((n_mels, int(1 + n_fft // 2)), dtype=np.float32)
    fftfreqs = fft_frequencies(sr=sr, n_fft=n_fft)
    mel_f = mel_frequencies(n_mels + 2, fmin=fmin, fmax=fmax, htk=htk)
    fdiff = np.diff(mel_f)
    ramps = np.subtract.outer(mel_f, fftfreqs)
    for i in range(n_mels):
        lower = -ramps[i] / fdiff[i]
        upper = ramps[i + 2] / fdiff[i + 1]
        weights[i] = np.maximum(0, np.minimum(lower, upper))
    if isinstance(norm, str):
        if norm != "slaney":
            raise ParameterError(f"mel norm must be 'slaney', None or a number, got norm={norm!r}")
        enorm = 2.0 / (mel_f[2 : n_mels + 2] - mel_f[:n_mels])
        weights *= enorm[:, np.newaxis]
    else:
        weights = normalize(weights, norm=norm, axis=-1)
    if not np.all((mel_f[:-2] == 0) | (weights.max(axis=1) > 0)):
        warnings.warn(
            f"empty filters in the mel filterbank (n_mels={n_mels}, sr={sr}, n_fft={n_fft}, fmax={fmax}): "
            "some channels will always be zero; increase n_fft or fmax, or reduce n_mels",
            MirlearnWarning,
            stacklevel=2,
        )
    return _freeze(weights)


@lru_cache(maxsize=64)
@lru_cache(maxsize=64)
def log_filterbank(*, sr, n_fft, bands_per_octave=12, fmin=30.0, fmax=17000.0, fref=440.0, norm=True):
    """Triangular filters on a logarithmic frequency axis, as madmom's
    ``LogarithmicFilterbank`` (``unique_filters=True``): centres ``bands_per_octave`` per
    octave, aligned to ``fref``, snapped to FFT bins; centres that fall on the same bin are
    merged, so low bands are single bins.

    Returns
    -------
    np.ndarray [shape=(n_bands, 1 + n_fft // 2)], float32
        With ``norm``, each filter sums to 1.

    References
    ----------
    Böck, S., Korzeniowski, F., Schlüter, J., Krebs, F., & Widmer, G. "madmom: a new Python
    audio and music signal processing library." ACM Multimedia 2016.
    """
    if bands_per_octave <= 0 or fmin <= 0 or fmax <= fmin:
        raise ParameterError(f"log_filterbank needs bands_per_octave > 0 and 0 < fmin < fmax, got {bands_per_octave}, {fmin}, {fmax}")
    n_bins = 1 + n_fft // 2
    fmax = min(fmax, sr / 2.0)
    lo = np.floor(np.log2(fmin / fref) * bands_per_octave)
    hi = np.ceil(np.log2(fmax / fref) * bands_per_octave)
    freqs = fref * 2.0 ** (np.arange(lo, hi + 1) / bands_per_octave)
    freqs = freqs[(freqs >= fmin) & (freqs <= fmax)]
    bins = np.unique(np.round(freqs * n_fft / sr).astype(int))
    bins = bins[(bins >= 0) & (bins < n_bins)]
    fb = []
    for start, centre, stop in zip(bins[:-2], bins[1:-1], bins[2:]):
        f = np.zeros(n_bins)
        if centre - start < 2 and stop - centre < 2:
            f[centre] = 1.0
        else:
            f[start:centre + 1] = np.linspace(0.0, 1.0, centre - start + 1)
            f[centre:stop + 1] = np.linspace(1.0, 0.0, stop - centre + 1)
            f[centre] = 1.0
        if norm:
            f /= f.sum()
        fb.append(f)
    return _freeze(np.asarray(fb, dtype=np.float32))


@lru_cache(maxsize=32)
def logfreq_interpolation(*, sr, n_fft, fmin, n_bins, bins_per_octave):
    """Linear interpolation of an STFT's bins at log-spaced frequencies
    ``fmin * 2 ** (k / bins_per_octave)``: a log-frequency spectrogram as one matrix product
    (each row has two non-zero weights that sum to 1).

    Returns
    -------
    np.ndarray [shape=(n_bins, 1 + n_fft // 2)], float32
    """
    freqs = fmin * 2.0 ** (np.arange(n_bins) / bins_per_octave)
    if freqs[-1] >= sr / 2:
        raise ParameterError(f"the top bin ({freqs[-1]:.0f} Hz) is above the Nyquist frequency of sr={sr}; lower n_bins or fmin")
    pos = freqs * n_fft / sr
    lo = np.floor(pos).astype(int)
    frac = pos - lo
    M = np.zeros((n_bins, 1 + n_fft // 2), dtype=np.float32)
    M[np.arange(n_bins), lo] = 1 - frac
    M[np.arange(n_bins), lo + 1] += frac
    return _freeze(M)


def chroma_filterbank(*, sr, n_fft, n_chroma=12, tuning=0.0, ctroct=5.0, octwidth=2, norm=2, base_c=True):
    """STFT-bin to chroma filterbank, as :func:`librosa.filters.chroma` (Ellis's
    ``fft2chromamx``), memoised.

    Returns
    -------
    np.ndarray [shape=(n_chroma, 1 + n_fft // 2)], float32

    References
    ----------
    Ellis, D. "Chroma feature analysis and synthesis", 2007.
    """
    frequencies = np.linspace(0, sr, n_fft, endpoint=False)[1:]
    frqbins = n_chroma * hz_to_octs(frequencies, tuning=tuning, bins_per_octave=n_chroma)
    frqbins = np.concatenate(([frqbins[0] - 1.5 * n_chroma], frqbins))
    binwidthbins = np.concatenate((np.maximum(frqbins[1:] - frqbins[:-1], 1.0), [1]))
    D = np.subtract.outer(frqbins, np.arange(0, n_chroma, dtype="d")).T
    n_chroma2 = np.round(float(n_chroma) / 2)
    D = np.remainder(D + n_chroma2 + 10 * n_chroma, n_chroma) - n_chroma2
    wts = np.exp(-0.5 * (2 * D / np.tile(binwidthbins, (n_chroma, 1))) ** 2)
    wts = normalize(wts, norm=norm, axis=0)
    if octwidth is not None:
        wts *= np.tile(np.exp(-0.5 * (((frqbins / n_chroma - ctroct) / octwidth) ** 2)), (n_chroma, 1))
    if base_c:
        wts = np.roll(wts, -3 * (n_chroma // 12), axis=0)
    return _freeze(np.ascontiguousarray(wts[:, : int(1 + n_fft / 2)], dtype=np.float32))


@lru_cache(maxsize=64)
def cq_to_chroma(n_input, *, bins_per_octave=12, n_chroma=12, fmin=None, base_c=True):
    """Constant-Q bin to chroma mapping, as :func:`librosa.filters.cq_to_chroma`.

    Returns
    -------
    np.ndarray [shape=(n_chroma, n_input)], float32
    """
    n_merge = float(bins_per_octave) / n_chroma
    if np.mod(n_merge, 1) != 0:
        raise ParameterError(
            f"bins_per_octave={bins_per_octave} must be an integer multiple of n_chroma={n_chroma}"
        )
    fmin = C1_HZ if fmin is None else fmin
    cq_to_ch = np.repeat(np.eye(n_chroma), int(n_merge), axis=1)
    cq_to_ch = np.roll(cq_to_ch, -int(n_merge // 2), axis=1)
    n_octaves = np.ceil(float(n_input) / bins_per_octave)
    cq_to_ch = np.tile(cq_to_ch, int(n_octaves))[:, :n_input]
    midi_0 = np.mod(hz_to_midi(fmin), 12)
    roll = midi_0 if base_c else midi_0 - 9
    roll = int(np.round(roll * (n_chroma / 12.0)))
    return _freeze(np.roll(cq_to_ch, roll, axis=0).astype(np.float32))


# ---------------------------------------------------------------------------------------
# constant-Q geometry


def cqt_frequencies(n_bins, *, fmin, bins_per_octave=12):
    """Centre frequencies (Hz) of an equal-tempered constant-Q transform, ascending."""
    n_octaves = np.ceil(n_bins / bins_per_octave)
    ratios = 2.0 ** (np.arange(0, bins_per_octave, dtype=float) / bins_per_octave)
    all_ratios = np.sort(np.multiply.outer(2.0 ** np.arange(n_octaves), ratios).flatten()[:n_bins])
    return all_ratios * fmin


def relative_bandwidth(freqs):
    """Relative bandwidth ``alpha`` of each bin of a geometric frequency grid (from its
    neighbours' spacing), as librosa's ``filters._relative_bandwidth``."""
    freqs = np.asarray(freqs, dtype=float)
    if len(freqs) <= 1:
        raise ParameterError(f"relative_bandwidth needs 2 or more frequencies, got {freqs!r}")
    bpo = np.empty_like(freqs)
    logf = np.log2(freqs)
    bpo[0] = 1 / (logf[1] - logf[0])
    bpo[-1] = 1 / (logf[-1] - logf[-2])
    bpo[1:-1] = 2 / (logf[2:] - logf[:-2])
    return (2.0 ** (2 / bpo) - 1) / (2.0 ** (2 / bpo) + 1)


_WINDOW_BANDWIDTHS = {"hann": 1.50018310546875, "hamming": 1.3629455320350348, "ones": 1.0, "boxcar": 1.0}


def window_bandwidth(window, n=1000):
    """Equivalent noise bandwidth of a window, in FFT bins (librosa's table for the usual
    windows, else computed from an ``n``-point window)."""
    key = getattr(window, "__name__", window)
    if isinstance(key, str) and key in _WINDOW_BANDWIDTHS:
        return _WINDOW_BANDWIDTHS[key]
    win = get_window(window, n)
    return n * np.sum(win**2) / (np.sum(win) ** 2 + np.finfo(float).tiny)


def wavelet_lengths(*, freqs, sr, window="hann", filter_scale=1, alpha=None):
    """Lengths (samples, fractional) of constant-Q filters and the highest frequency their
    pass bands reach, as librosa's ``filters.wavelet_lengths`` with ``gamma=0``.

    Returns
    -------
    lengths : np.ndarray [shape=(n_bins,)]
    f_cutoff : float
    """
    freqs = np.asarray(freqs, dtype=float)
    if filter_scale <= 0:
        raise ParameterError(f"filter_scale={filter_scale!r} must be positive")
    if np.any(freqs <= 0):
        raise ParameterError("CQT frequencies must be strictly positive; check fmin")
    alpha = relative_bandwidth(freqs) if alpha is None else np.asarray(alpha)
    Q = float(filter_scale) / alpha
    f_cutoff = float(np.max(freqs * (1 + 0.5 * window_bandwidth(window) / Q)))
    return Q * sr / freqs, f_cutoff
