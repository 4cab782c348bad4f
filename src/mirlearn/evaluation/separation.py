"""Source-separation metrics, the SiSEC 2018 way: BSS Eval v4 and SI-SDR.

Signals are ``(n_sources, n_samples)`` or ``(n_sources, n_samples, n_channels)``, with the
sources in the same order in the reference and the estimate (no permutation search, as in
SiSEC). Ratios are in dB.

:func:`bss_eval` is BSS Eval v4 in its ``bss_eval_images`` form (Vincent et al. 2006;
Liutkus et al. 2018): the distortion filters (512 taps) that project an estimate onto the
references are fitted once on the whole signals, then SDR, ISR, SIR and SAR are computed on
windows (1 s, no overlap, in SiSEC). A window where any reference or any estimate is silent
scores NaN for every source. It reproduces ``museval.metrics.bss_eval`` with
``framewise_filters=False`` (checked in the tests against museval's own code), but
projects all windows at once with FFTs.

:func:`evaluate` scores one song: framewise values, their median over frames per source
(NaN frames left out), and SI-SDR over the whole song. :func:`median_over_songs` then takes
the median over songs per source, SiSEC's summary.

References
----------
Vincent, E., Gribonval, R. and Févotte, C. "Performance measurement in blind audio source
separation." IEEE TASLP 14(4), 2006.
Stöter, F.-R., Liutkus, A. and Ito, N. "The 2018 signal separation evaluation campaign."
LVA/ICA 2018.
Le Roux, J., Wisdom, S., Erdogan, H. and Hershey, J. R. "SDR - half-baked or well done?"
ICASSP 2019.
"""

from __future__ import annotations

import warnings

import numpy as np

from ..errors import MirlearnWarning, ParameterError

__all__ = ["validate", "bss_eval", "si_sdr", "evaluate", "median_over_songs", "score_songs", "jsonable", "METRICS"]

METRICS = ("sdr", "isr", "sir", "sar")


def _as_3d(x, name):
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 1:
        x = x[None]
    if x.ndim == 2:
        x = x[..., None]
    if x.ndim != 3:
        raise ParameterError(f"{name} must be (n_sources, n_samples[, n_channels]), got shape {x.shape}")
    return x


def _silent(x):
    """Per source: true where every sample (summed over channels) is zero. ``x`` is
    ``(n_sources, n_samples, n_channels)``."""
    return np.all(x.sum(axis=2) == 0, axis=1)


def validate(reference_sources, estimated_sources):
    """Check that references and estimates can be compared; return both as float64
    ``(n_sources, n_samples, n_channels)``."""
    ref = _as_3d(reference_sources, "reference_sources")
    est = _as_3d(estimated_sources, "estimated_sources")
    if ref.shape != est.shape:
        raise ParameterError(
            f"references {ref.shape} and estimates {est.shape} must have the same shape "
            "(n_sources, n_samples[, n_channels]); trim or pad the estimates to the references' length"
        )
    if ref.shape[1] == 0:
        raise ParameterError("the signals are empty (0 samples)")
    for name, x in (("reference", ref), ("estimated", est)):
        if not np.all(np.isfinite(x)):
            raise ParameterError(f"the {name} sources contain NaN or infinite samples")
        silent = np.flatnonzero(_silent(x))
        if silent.size:
            raise ParameterError(
                f"{name} source(s) {silent.tolist()} are silent (all zeros): BSS Eval is undefined for "
                "them; leave silent reference stems out of the evaluation"
            )
    return ref, est


def _framing(n, window, hop):
    """museval's windows: starts ``t * hop`` for ``t < n_win``, each ``window`` long (one
    window over everything when ``window >= n``)."""
    if window >= n:
        return [0], n
    n_win = int(np.floor((n - window + hop) / hop))
    return [int(np.floor(t * hop)) for t in range(n_win)], int(window)


def _nfft(n):
    return 1 << int(np.ceil(np.log2(n)))


def _projection_filters(ref, est, filters_len):
    """Least-squares filters (``filters_len`` taps) that map the references onto each
    estimate: over all references jointly (``C``) and over each estimate's own reference
    (``Cj``).

    Returns
    -------
    C : (n_src, n_src, n_chan, filters_len, n_chan)  estimate j <- (source, chan, tap) -> chan
    Cj : (n_src, n_chan, filters_len, n_chan)
    """
    n_src, n, n_chan = ref.shape
    L = filters_len
    n_fft = _nfft(n + L - 1)
    R = np.fft.rfft(ref.transpose(0, 2, 1).reshape(n_src * n_chan, n), n=n_fft)  # (M, F)
    E = np.fft.rfft(est.transpose(0, 2, 1), n=n_fft)  # (n_src, n_chan, F)
    M = n_src * n_chan
    # r_ab[k] = sum_m s_a[m] s_b[m + k]; the Gram block (a, b) at lags (p, q) is r_ab[p - q]
    r = np.fft.irfft(R[None, :, :] * np.conj(R[:, None, :]), n=n_fft)  # (a, b, k)
    lags = np.arange(L)
    diff = lags[:, None] - lags[None, :]  # p - q, in [-(L-1), L-1]; negatives wrap to the end
    G = r[:, :, diff % n_fft]  # (a, b, p, q)
    G = G.transpose(0, 2, 1, 3).reshape(M * L, M * L)
    # D[(a, p), c] = <s_a delayed by p, e_c> = sum_m s_a[m] e_c[m + p]
    eps = np.finfo(float).eps
    d = np.fft.irfft(E[:, None, :, :] * np.conj(R[None, :, None, :]), n=n_fft)[..., :L]  # (j, a, c, p)
    D = d.transpose(1, 3, 0, 2).reshape(M * L, n_src * n_chan)  # every estimate's right-hand side at once
    C = np.linalg.solve(G + eps * np.eye(M * L), D).reshape(n_src, n_chan, L, n_src, n_chan).transpose(3, 0, 1, 2, 4)
    Cj = np.empty((n_src, n_chan, L, n_chan))
    for j in range(n_src):
        own = slice(j * n_chan * L, (j + 1) * n_chan * L)
        Gj = G[own, own]
        Dj = D[own, j * n_chan:(j + 1) * n_chan]
        Cj[j] = np.linalg.solve(Gj + eps * np.eye(Gj.shape[0]), Dj).reshape(n_chan, L, n_chan)
    return C, Cj


def _project(segs, filt, n_fft):
    """Filter windowed references with fixed filters and sum: ``segs`` (n_src', n_win,
    n_chan, W) in the frequency domain as rfft over ``n_fft``; ``filt`` (n_src', n_chan, L,
    n_chan). Returns (n_win, n_chan_out, W + L - 1)."""
    Fh = np.fft.rfft(filt, n=n_fft, axis=2)  # (s, cin, F, cout)
    out = np.einsum("swif,sifo->wof", segs, Fh)
    return out


def bss_eval(reference_sources, estimated_sources, *, window=44100, hop=44100, filters_len=512):
    """BSS Eval v4 (images): framewise SDR, ISR, SIR and SAR with time-invariant distortion
    filters, as ``museval.metrics.bss_eval(..., compute_permutation=False,
    framewise_filters=False, bsseval_sources_version=False)``.

    Parameters
    ----------
    reference_sources, estimated_sources : np.ndarray [shape=(n_src, n[, n_chan])]
        True and estimated source images, in the same order. No source may be all zeros.
    window, hop : int
        Window and hop in samples (SiSEC: one second each, i.e. ``sr``). A window at least as
        long as the signals scores the whole signals at once.
    filters_len : int
        Taps of the distortion filters.

    Returns
    -------
    sdr, isr, sir, sar : np.ndarray [shape=(n_src, n_win)]
        NaN in windows where any reference or estimate is silent.
    """
    ref, est = validate(reference_sources, estimated_sources)
    n_src, n, n_chan = ref.shape
    if int(filters_len) != filters_len or filters_len < 1:
        raise ParameterError(f"filters_len must be a positive integer, got {filters_len!r}")
    if window <= 0 or hop <= 0:
        raise ParameterError(f"window and hop must be positive sample counts, got window={window!r}, hop={hop!r}")
    L = int(filters_len)
    C, Cj = _projection_filters(ref, est, L)
    starts, W = _framing(n, window, hop)
    idx = np.asarray(starts)[:, None] + np.arange(W)[None, :]
    rw = ref[:, idx, :].transpose(0, 1, 3, 2)  # (src, win, chan, W)
    ew = est[:, idx, :].transpose(0, 1, 3, 2)
    n_fft = _nfft(W + L - 1)
    RW = np.fft.rfft(rw, n=n_fft)  # (src, win, chan, F)
    out = np.full((4, n_src, len(starts)), np.nan)
    silent = np.all(rw.sum(axis=2) == 0, axis=-1).any(axis=0) | np.all(ew.sum(axis=2) == 0, axis=-1).any(axis=0)

    def energy(x):
        return np.sum(x**2, axis=(-2, -1))

    def db(num, den):
        with np.errstate(divide="ignore"):
            return np.where(den == 0, np.inf, 10 * np.log10(num / np.where(den == 0, 1, den)))

    pad = np.zeros((len(starts), n_chan, W + L - 1))
    for j in range(n_src):
        s_true = pad.copy()
        s_true[..., :W] = rw[j]
        e_hat = pad.copy()
        e_hat[..., :W] = ew[j]
        p_all = np.fft.irfft(_project(RW, C[j], n_fft), n=n_fft)[..., : W + L - 1]
        p_own = np.fft.irfft(_project(RW[j:j + 1], Cj[j][None], n_fft), n=n_fft)[..., : W + L - 1]
        e_spat = p_own - s_true
        e_interf = p_all - p_own
        e_artif = e_hat - p_all
        es = energy(s_true)
        out[0, j] = db(es, energy(e_hat - s_true))
        out[1, j] = db(es, energy(e_spat))
        out[2, j] = db(energy(p_own), energy(e_interf))
        out[3, j] = db(energy(p_all), energy(e_artif))
    out[:, :, silent] = np.nan
    return out[0], out[1], out[2], out[3]


def si_sdr(reference, estimated):
    """Scale-invariant SDR in dB over the whole signal (Le Roux et al. 2019), per source.

    ``reference`` and ``estimated`` are ``(n_sources, n_samples[, n_channels])`` (or one
    source as 1-d); channels are pooled. The reference is scaled to best match the estimate;
    no mean is removed. A silent reference gives NaN.
    """
    ref = _as_3d(reference, "reference")
    est = _as_3d(estimated, "estimated")
    if ref.shape != est.shape:
        raise ParameterError(f"reference {ref.shape} and estimate {est.shape} must have the same shape")
    ref = ref.reshape(ref.shape[0], -1)
    est = est.reshape(est.shape[0], -1)
    rr = np.sum(ref**2, axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        alpha = np.sum(ref * est, axis=1) / rr
        target = alpha[:, None] * ref
        num = np.sum(target**2, axis=1)
        den = np.sum((est - target) ** 2, axis=1)
        out = 10 * np.log10(num / den)
    out[rr == 0] = np.nan
    out[(rr > 0) & (den == 0)] = np.inf
    return out


def evaluate(reference_sources, estimated_sources, *, sr, names=None, window=1.0, hop=1.0, filters_len=512):
    """Score one song's separation, the SiSEC 2018 way.

    Silent reference stems (an instrumental song's vocals) cannot be scored by BSS Eval: they
    are left out of the joint evaluation, with a warning, and get NaN.

    Parameters
    ----------
    reference_sources, estimated_sources : np.ndarray [shape=(n_src, n[, n_chan])]
    sr : int
        Sample rate; ``window`` and ``hop`` are in seconds (SiSEC: 1 s each).
    names : list of str or None
        Source names, ``source0, ...`` by default.

    Returns
    -------
    dict
        ``{metric: {name: median over frames}}`` for ``sdr, isr, sir, sar``, plus ``si_sdr``
        (whole song), ``n_frames`` (frames that scored) and ``frames`` (``{metric: {name:
        list of framewise values}}``, NaN as None).
    """
    ref = _as_3d(reference_sources, "reference_sources")
    est = _as_3d(estimated_sources, "estimated_sources")
    n_src = ref.shape[0]
    names = list(names) if names is not None else [f"source{k}" for k in range(n_src)]
    if len(names) != n_src:
        raise ParameterError(f"{len(names)} names for {n_src} sources")
    if ref.shape != est.shape:
        raise ParameterError(f"references {ref.shape} and estimates {est.shape} must have the same shape")
    keep = np.flatnonzero(~_silent(ref))
    if keep.size < n_src:
        warnings.warn(
            f"silent reference stem(s) {[names[k] for k in np.flatnonzero(_silent(ref))]} left out of BSS Eval (scored NaN)",
            MirlearnWarning,
            stacklevel=2,
        )
    result = {m: {name: float("nan") for name in names} for m in METRICS}
    frames = {m: {name: [] for name in names} for m in METRICS}
    n_frames = {name: 0 for name in names}
    if keep.size:
        values = bss_eval(ref[keep], est[keep], window=int(round(window * sr)), hop=int(round(hop * sr)), filters_len=filters_len)
        for m, v in zip(METRICS, values):
            for row, k in zip(v, keep):
                ok = ~np.isnan(row)
                result[m][names[k]] = float(np.median(row[ok])) if ok.any() else float("nan")
                frames[m][names[k]] = [None if np.isnan(x) else float(x) for x in row]
                n_frames[names[k]] = int(ok.sum())
    sis = si_sdr(ref, est)
    result["si_sdr"] = {name: float(x) for name, x in zip(names, sis)}
    result["n_frames"] = n_frames
    result["frames"] = frames
    return result


def median_over_songs(per_song, *, metrics=METRICS + ("si_sdr",)):
    """SiSEC's summary: per metric and source, the median over songs of the per-song values
    (NaN songs left out), plus ``mean`` over sources of those medians.

    ``per_song`` is a list of :func:`evaluate` results (or dicts with the same metric keys).
    """
    if not per_song:
        raise ParameterError("no songs to summarise")
    names = list(per_song[0]["sdr"])
    out = {}
    for m in metrics:
        med = {}
        for name in names:
            vals = np.array([s[m][name] for s in per_song], dtype=float)
            vals = vals[~np.isnan(vals)]
            med[name] = float(np.median(vals)) if vals.size else float("nan")
        finite = [v for v in med.values() if not np.isnan(v)]
        med["mean"] = float(np.mean(finite)) if finite else float("nan")
        out[m] = med
    return out


def score_songs(separator, tracks, names, *, stems, sr):
    """BSS Eval v4 of ``separator`` on whole songs: ``(per_song, summary)`` where
    ``per_song`` lists :func:`mirlearn.evaluation.separation.evaluate` results (frames
    dropped) with their ``song``, and ``summary`` is the median over songs."""
    per_song = []
    for name, x in zip(names, tracks):
        mix = x.sum(axis=0)
        est = separator.separate(mix)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", MirlearnWarning)  # silent stems (instrumentals) score NaN, as documented
            r = evaluate(x.transpose(0, 2, 1), est.transpose(0, 2, 1), sr=sr, names=stems)
        r.pop("frames")
        per_song.append({"song": name, **r})
    return per_song, median_over_songs(per_song)


def jsonable(x):
    """``x`` with every NaN float replaced by None (strict JSON has no NaN)."""
    if isinstance(x, dict):
        return {k: jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [jsonable(v) for v in x]
    if isinstance(x, float) and np.isnan(x):
        return None
    return x
