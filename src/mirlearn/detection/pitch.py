"""Monophonic f0: pYIN, HMM (Viterbi) decoding of voicing and pitch, f0 → notes.

Units: frequencies in Hz (0 = unvoiced in f0 series), times in seconds; pitch
probabilities ``(n_bins, n_frames)``, time last.
"""

from __future__ import annotations

import numpy as np

from ..errors import ParameterError

__all__ = ["pyin", "viterbi_f0", "f0_to_notes"]


def _banded_viterbi(log_obs, band_logp, *, log_switch, log_stay):
    """Viterbi over 2 × n states (voiced bins, then their unvoiced copies) with transitions
    ``band_logp[d]`` between bins ``d - w`` apart (``w = len(band_logp) // 2``) inside each
    half, times ``stay`` or ``switch`` for keeping or changing voicing; near the edges of the
    range each bin's transitions are renormalised over the bins they can reach (librosa's
    ``transition_local(..., wrap=False)``). ``log_obs`` is ``(2n, n_frames)``; returns the
    state path.

    Ties go to the first candidate in the order (voiced, then unvoiced source; smaller bin
    offset first). Each step is a sliding-window maximum over the band, one per half."""
    S, T = log_obs.shape
    n = S // 2
    w = len(band_logp) // 2
    back = np.zeros((T, S), dtype=np.int32)
    delta = log_obs[:, 0] - np.log(S)
    idx = np.arange(n)
    band = np.exp(band_logp)
    reach = np.zeros(n)  # each source bin's transition mass to bins inside the range
    for d in range(-w, w + 1):
        reach[max(0, -d):min(n, n - d)] += band[d + w]
    log_reach = np.log(reach)
    padded = np.full(n + 2 * w, -np.inf)
    for t in range(1, T):
        step_best, step_arg = [], []
        for half in (0, 1):  # the best source in this half for every target bin
            padded[w:w + n] = delta[half * n:(half + 1) * n] - log_reach
            cand = np.lib.stride_tricks.sliding_window_view(padded, 2 * w + 1) + band_logp  # [i, m]: from bin i + m - w
            m = np.argmax(cand, axis=1)
            step_best.append(cand[idx, m])
            step_arg.append(idx + m - w + half * n)
        best = np.empty(S)
        arg = np.empty(S, dtype=np.int32)
        for tgt in (0, 1):
            from0 = step_best[0] + (log_stay if tgt == 0 else log_switch)
            from1 = step_best[1] + (log_stay if tgt == 1 else log_switch)
            use1 = from1 > from0
            sl = slice(tgt * n, (tgt + 1) * n)
            best[sl] = np.where(use1, from1, from0)
            arg[sl] = np.where(use1, step_arg[1], step_arg[0])
        back[t] = arg
        delta = best + log_obs[:, t]
    path = np.zeros(T, dtype=np.int64)
    path[-1] = int(np.argmax(delta))
    for t in range(T - 1, 0, -1):
        path[t - 1] = back[t, path[t]]
    return path


def _triangle(width):
    """A triangular transition profile over ``width`` (odd) bin offsets, normalised."""
    half = width // 2
    w = (half + 1 - np.abs(np.arange(-half, half + 1))).astype(float)
    return w / w.sum()


def viterbi_f0(pitch_probs, voiced_probs, *, voicing_threshold=0.5, p_stay=0.99, max_jump=12):
    """Smooth a frame-wise pitch posterior with an HMM (pYIN's model): states are
    (bin, voiced) and (bin, unvoiced); pitch moves at most ``max_jump`` bins per frame
    (triangular prior); voicing changes with probability ``1 - p_stay``.

    Parameters
    ----------
    pitch_probs : np.ndarray [shape=(n_bins, n_frames)]
        Probability of each pitch bin given the frame is voiced (columns sum to 1).
    voiced_probs : np.ndarray [shape=(n_frames,)]
        Probability that the frame is voiced.
    voicing_threshold : float
        The voiced probability that counts as even odds (it is mapped to 0.5).

    Returns
    -------
    bins : np.ndarray [shape=(n_frames,)], int
    voiced : np.ndarray [shape=(n_frames,)], bool
    """
    P = np.asarray(pitch_probs, dtype=np.float64)
    v = np.clip(np.asarray(voiced_probs, dtype=np.float64), 1e-6, 1 - 1e-6)
    # move the decision point to voicing_threshold: odds(v) / odds(threshold)
    th = min(max(voicing_threshold, 1e-3), 1 - 1e-3)
    odds = (v / (1 - v)) / (th / (1 - th))
    v = odds / (1 + odds)
    n = P.shape[0]
    obs = np.vstack([P * v, np.repeat(((1 - v) / n)[None], n, axis=0)])
    path = _banded_viterbi(np.log(obs + 1e-12), np.log(_triangle(2 * int(max_jump) + 1)),
                           log_switch=np.log(1 - p_stay), log_stay=np.log(p_stay))
    return path % n, path < n


def pyin(y, *, sr, fmin=65.0, fmax=2093.0, frame_length=2048, hop_length=None, n_thresholds=100,
         beta_parameters=(2, 18), boltzmann_parameter=2, resolution=0.1, max_transition_rate=35.92,
         switch_prob=0.01, no_trough_prob=0.01):
    """Probabilistic YIN: f0 candidates from YIN troughs under a distribution of
    thresholds, decoded by an HMM over pitch and voicing. Parameters as
    :func:`librosa.pyin`.

    Returns
    -------
    f0 : np.ndarray [shape=(n_frames,)]
        Hz, NaN where unvoiced.
    voiced_flag : np.ndarray [shape=(n_frames,)], bool
    voiced_prob : np.ndarray [shape=(n_frames,)]

    References
    ----------
    Mauch, M., & Dixon, S. "pYIN: A fundamental frequency estimator using probabilistic
    threshold distributions." ICASSP 2014.
    """
    import scipy.fft
    import scipy.special  # not scipy.stats, whose import takes about a second

    if not 0 < fmin < fmax < sr / 2:
        raise ParameterError(f"pyin needs 0 < fmin < fmax < sr/2, got fmin={fmin}, fmax={fmax}, sr={sr}")
    hop_length = hop_length or frame_length // 4
    y = np.asarray(y, dtype=np.float64)
    min_period = max(int(np.floor(sr / fmax)), 1)
    max_period = min(int(np.ceil(sr / fmin)), frame_length - 1)
    if max_period <= min_period + 1:
        raise ParameterError(f"frame_length={frame_length} is too short for fmin={fmin} Hz at sr={sr}")
    yp = np.pad(y, frame_length // 2)
    if len(yp) < frame_length:
        yp = np.pad(yp, (0, frame_length - len(yp)))
    frames = np.lib.stride_tricks.sliding_window_view(yp, frame_length)[::hop_length]  # (T, L)
    T = frames.shape[0]
    # cumulative mean normalised difference (YIN eqs. 6-8), as librosa 0.11 computes it:
    # d(k) = 2 (r(0) - r(k)) - sum_{m<k} y(m)^2 over the whole frame
    n_pad = 2 * frame_length - 1
    spec = scipy.fft.rfft(frames, n_pad, axis=-1)
    acf = scipy.fft.irfft(spec.real**2 + spec.imag**2, n_pad, axis=-1)[:, : max_period + 1]
    csum = np.cumsum(frames**2, axis=-1)
    d = np.zeros((T, max_period + 1))
    d[:, 1:] = 2 * (acf[:, :1] - acf[:, 1:max_period + 1]) - csum[:, :max_period]
    num = d[:, min_period:max_period + 1]
    cum = np.cumsum(d[:, 1:max_period + 1], axis=-1) / np.arange(1, max_period + 1)
    den = cum[:, min_period - 1:max_period]
    cmnd = num / (den + np.finfo(np.float64).tiny)
    # parabolic interpolation of each lag
    x0, x1, x2 = cmnd[:, :-2], cmnd[:, 1:-1], cmnd[:, 2:]
    den = x2 + x0 - 2 * x1
    shift = np.zeros_like(cmnd)
    half = 0.5 * (x2 - x0)
    with np.errstate(divide="ignore", invalid="ignore"):
        s = np.where(np.abs(half) < np.abs(den), -half / den, 0.0)
    shift[:, 1:-1] = s
    thresholds = np.linspace(0, 1, n_thresholds + 1)
    beta_probs = np.diff(scipy.special.betainc(*beta_parameters, thresholds))  # the beta distribution's CDF
    n_bps = int(np.ceil(1.0 / resolution))  # bins per semitone
    n_bins = int(np.floor(12 * n_bps * np.log2(fmax / fmin))) + 1
    obs = np.zeros((n_bins, T))
    # every trough of every frame at once (frames in blocks, to bound the memory): a trough's
    # prior under each threshold is Boltzmann in its rank among the troughs below it
    trough = np.zeros(cmnd.shape, bool)
    trough[:, 1:-1] = (cmnd[:, 1:-1] < cmnd[:, :-2]) & (cmnd[:, 1:-1] <= cmnd[:, 2:])
    trough[:, 0] = cmnd[:, 0] < cmnd[:, 1]
    lam = float(boltzmann_parameter)
    below_min_mass = np.array([beta_probs[:k].sum() for k in range(n_thresholds + 1)])
    for t0 in range(0, T, 256):
        tt, ii = np.nonzero(trough[t0:t0 + 256])
        if tt.size == 0:
            continue
        heights = cmnd[t0 + tt, ii]
        below = heights[:, None] < thresholds[None, 1:]  # (troughs, thresholds)
        first = np.r_[0, np.flatnonzero(np.diff(tt)) + 1]  # each frame's first trough
        group = np.repeat(np.arange(first.size), np.diff(np.r_[first, tt.size]))
        cs = np.cumsum(below, axis=0)
        base = np.vstack([np.zeros((1, below.shape[1]), cs.dtype), cs[first[1:] - 1]])[group]
        pos = cs - base - 1  # rank among the frame's troughs below the threshold
        n_tr = (np.vstack([cs[first[1:] - 1], cs[-1:]]) - base[first])[group]  # troughs below, per frame
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            # scipy.stats.boltzmann.pmf(pos, lam, n_tr)
            pmf = (1 - np.exp(-lam)) / (1 - np.exp(-lam * n_tr)) * np.exp(-lam * pos)
        probs = np.where(below, pmf, 0.0) @ beta_probs
        gmin = np.lexsort((np.arange(tt.size), heights, group))[first]  # each frame's lowest trough
        probs[gmin] += no_trough_prob * below_min_mass[np.count_nonzero(~below[gmin], axis=1)]
        period = min_period + ii + shift[t0 + tt, ii]
        b = np.clip(np.round(12 * n_bps * np.log2(sr / period / fmin)), 0, n_bins - 1).astype(int)
        obs[b, t0 + tt] = probs
    voiced_p = np.clip(obs.sum(axis=0), 0, 1)
    pitch_p = obs / np.maximum(obs.sum(axis=0, keepdims=True), 1e-12)
    max_semitones = int(round(max_transition_rate * 12 * hop_length / sr))
    width = max_semitones * n_bps + 1
    full_obs = np.vstack([obs, np.repeat(((1 - voiced_p) / n_bins)[None], n_bins, axis=0)])
    path = _banded_viterbi(np.log(full_obs + 1e-12), np.log(_triangle(width if width % 2 else width + 1)),
                           log_switch=np.log(switch_prob), log_stay=np.log(1 - switch_prob))
    freqs = fmin * 2.0 ** (np.arange(n_bins) / (12 * n_bps))
    voiced = path < n_bins
    f0 = np.where(voiced, freqs[path % n_bins], np.nan)
    del pitch_p
    return f0, voiced, voiced_p


def f0_to_notes(times, f0, *, min_duration=0.05):
    """Notes from an f0 series: runs of voiced frames whose rounded MIDI pitch stays the
    same, at least ``min_duration`` seconds long. Returns ``(intervals, pitches)``."""
    from ..annotations import hz_to_midi

    times = np.asarray(times, float)
    f0 = np.asarray(f0, float)
    if times.size == 0:
        return np.zeros((0, 2)), np.zeros(0)
    step = float(np.median(np.diff(times))) if times.size > 1 else 0.01
    midi = np.where(f0 > 0, np.round(hz_to_midi(np.where(f0 > 0, f0, 1.0))), -1)
    iv, ps = [], []
    start = 0
    for i in range(1, len(midi) + 1):
        if i == len(midi) or midi[i] != midi[start]:
            if midi[start] >= 0 and times[i - 1] + step - times[start] >= min_duration:
                iv.append((times[start], times[i - 1] + step))
                ps.append(midi[start])
            start = i
    return np.asarray(iv, float).reshape(-1, 2), np.asarray(ps, float)
