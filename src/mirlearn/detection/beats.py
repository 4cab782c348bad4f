"""Beat tracking and tempo without learning: Ellis' dynamic program on onset strength and
tempo from the onset-strength autocorrelation, as :func:`librosa.beat.beat_track` and
:func:`librosa.feature.tempo` compute them (the parity tests hold us to their numbers).

Units: onset envelopes are 1-d, one value per frame, at ``fps`` frames per second (``sr /
hop_length``); beat times are 1-d, sorted, in seconds; tempi in beats per minute (BPM).
"""

from __future__ import annotations

import warnings

import numpy as np

from ..errors import MirlearnWarning, ParameterError

__all__ = ["onset_envelope", "tempogram", "tempo", "tempo_candidates", "beat_track_dp", "beat_track", "bar_pointer_decode", "comb_tempo",
           "interval_tempo"]


def _check_envelope(envelope):
    env = np.asarray(envelope, dtype=float)
    if env.ndim != 1:
        raise ParameterError(f"onset envelope must be 1-d (one value per frame), got shape {env.shape}")
    if not np.all(np.isfinite(env)):
        raise ParameterError("onset envelope must be finite (no NaN or inf)")
    return env


def onset_envelope(y, *, sr, hop_length=512, aggregate="median", **params):
    """The onset strength that :func:`librosa.beat.beat_track` tracks: spectral flux of a
    128-band dB mel spectrogram, the median over bands.

    Parameters
    ----------
    y : np.ndarray [shape=(n,)]
        Mono audio.
    sr : number > 0
    hop_length : int > 0
    aggregate : {"median", "mean"}
    **params
        Further parameters of the ``onset_strength`` feature (``n_fft``, ``n_mels``...).

    Returns
    -------
    np.ndarray [shape=(n_frames,)]
    """
    from ..features.engine import extract

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MirlearnWarning)  # silence is judged by the callers
        env = extract(np.asarray(y), sr=sr, features=["onset_strength"], hop_length=hop_length, aggregate=aggregate, **params)
    return env["onset_strength"].reshape(-1).astype(float)


def tempogram(envelope, *, win_length=384, center=True, window="hann"):
    """Local autocorrelation of an onset envelope, as :func:`librosa.feature.tempogram`.

    Parameters
    ----------
    envelope : np.ndarray [shape=(n_frames,)]
    win_length : int > 0
        Autocorrelation window, in frames (lags ``0 .. win_length - 1``).
    center : bool
        Centre the windows on the frames (the envelope is padded with linear ramps to 0).
    window : str
        Analysis window (:func:`mirlearn.features.filters.get_window`).

    Returns
    -------
    np.ndarray [shape=(win_length, n_frames)]
        Each column scaled to a maximum of 1 (columns of zeros stay zero).
    """
    import scipy.fft

    from ..features.filters import get_window, normalize

    env = _check_envelope(envelope)
    if not (isinstance(win_length, (int, np.integer)) and win_length > 0):
        raise ParameterError(f"win_length must be a positive integer, got {win_length!r}")
    n = len(env)
    if center:
        env = np.pad(env, win_length // 2, mode="linear_ramp", end_values=(0, 0))
    frames = np.lib.stride_tricks.sliding_window_view(env, win_length).T  # (win_length, n_windows)
    if center:
        frames = frames[:, :n]
    x = frames * get_window(window, win_length, fftbins=True)[:, None]
    n_pad = scipy.fft.next_fast_len(2 * win_length - 1, real=True)
    ac = scipy.fft.irfft(np.abs(scipy.fft.rfft(x, n=n_pad, axis=0)) ** 2, n=n_pad, axis=0)[:win_length]
    return normalize(ac, norm=np.inf, axis=0)


def _tempo_frequencies(n_bins, fps):
    """BPM of each autocorrelation lag (lag 0: infinity)."""
    with np.errstate(divide="ignore"):
        return 60.0 * fps / np.arange(n_bins, dtype=float)


def _weighted_tempogram(envelope, fps, start_bpm, std_bpm, ac_size, max_tempo):
    if start_bpm <= 0 or std_bpm <= 0:
        raise ParameterError(f"start_bpm and std_bpm must be strictly positive, got {start_bpm!r} and {std_bpm!r}")
    if fps <= 0:
        raise ParameterError(f"fps must be strictly positive, got {fps!r}")
    win_length = max(1, int(np.floor(round(ac_size * fps * 1e6) / 1e6)))
    tg = tempogram(envelope, win_length=win_length).mean(axis=1)
    bpms = _tempo_frequencies(win_length, fps)
    with np.errstate(divide="ignore"):
        logprior = -0.5 * ((np.log2(bpms) - np.log2(start_bpm)) / std_bpm) ** 2
    if max_tempo is not None:
        logprior[: int(np.argmax(bpms < max_tempo))] = -np.inf
    return bpms, tg, np.log1p(1e6 * tg) + logprior


def tempo(envelope, *, fps, start_bpm=120.0, std_bpm=1.0, ac_size=8.0, max_tempo=320.0):
    """The global tempo of an onset envelope: the autocorrelation lag of greatest mean
    tempogram, weighted by a log-normal prior around ``start_bpm``, as
    :func:`librosa.feature.tempo`.

    Parameters
    ----------
    envelope : np.ndarray [shape=(n_frames,)]
    fps : number > 0
        Frames per second of the envelope (``sr / hop_length``).
    start_bpm : number > 0
        Centre of the prior, BPM.
    std_bpm : number > 0
        Its standard deviation, in octaves.
    ac_size : number > 0
        Autocorrelation window, seconds.
    max_tempo : number > 0 or None
        Tempi above it are never chosen.

    Returns
    -------
    float
        BPM.

    References
    ----------
    Ellis, Daniel P. W. "Beat tracking by dynamic programming." Journal of New Music
    Research 36(1), 2007.
    """
    bpms, _, score = _weighted_tempogram(envelope, fps, start_bpm, std_bpm, ac_size, max_tempo)
    return float(bpms[int(np.argmax(score))])


def tempo_candidates(envelope, *, fps, n_tempi=2, min_bpm=40.0, max_bpm=250.0, start_bpm=120.0, std_bpm=1.0, ac_size=8.0):
    """The strongest tempi of an onset envelope or activation, with their strengths, as the
    MIREX tempo task reports them (T1, T2 and the salience of T1).

    The candidates are the local maxima of the mean tempogram over the lags of ``min_bpm ..
    max_bpm``, weighted by the log-normal prior of :func:`tempo` (``start_bpm``, ``std_bpm``),
    strongest first; each peak is refined by a parabola through its neighbours.

    Parameters
    ----------
    envelope : np.ndarray [shape=(n_frames,)]
    fps : number > 0
    n_tempi : int > 0
    min_bpm, max_bpm : number > 0
    start_bpm, std_bpm : number > 0
        The prior, as :func:`tempo`.
    ac_size : number > 0
        Autocorrelation window, seconds (at least one period of ``min_bpm``).

    Returns
    -------
    tempi : np.ndarray [shape=(k,)]
        BPM, strongest first; ``k <= n_tempi`` (0 when the envelope has no periodicity).
    strengths : np.ndarray [shape=(k,)]
        Each candidate's share of the candidates' summed weighted tempogram values (they sum
        to 1).
    """
    if not 0 < min_bpm < max_bpm:
        raise ParameterError(f"need 0 < min_bpm < max_bpm, got {min_bpm!r} and {max_bpm!r}")
    ac_size = max(ac_size, 60.0 / min_bpm + 2.0 / fps)
    bpms, tg, _ = _weighted_tempogram(envelope, fps, start_bpm, std_bpm, ac_size, None)
    with np.errstate(divide="ignore"):
        prior = np.exp(-0.5 * ((np.log2(bpms) - np.log2(start_bpm)) / std_bpm) ** 2)
    lags = np.flatnonzero((bpms >= min_bpm) & (bpms <= max_bpm))
    peaks = [k for k in lags if 0 < k < len(tg) - 1 and tg[k] > tg[k - 1] and tg[k] >= tg[k + 1] and tg[k] > 0]
    peaks = sorted(peaks, key=lambda k: -tg[k] * prior[k])[:n_tempi]
    tempi, strengths = [], []
    for k in peaks:
        a, b, c = tg[k - 1], tg[k], tg[k + 1]
        d = a - 2 * b + c
        shift = 0.5 * (a - c) / d if d < 0 else 0.0
        tempi.append(60.0 * fps / (k + shift))
        strengths.append(b * prior[k])
    s = np.asarray(strengths, dtype=float)
    return np.asarray(tempi, dtype=float), s / s.sum() if len(s) else s


def comb_tempo(activation, *, fps, n_tempi=2, min_bpm=40.0, max_bpm=250.0, alpha=0.79, smooth=0.09):
    """The strongest tempi of a beat activation, from a bank of resonating comb filters
    (madmom's ``CombFilterTempoHistogramProcessor``).

    Each filter ``y[t] = x[t] + alpha * y[t - tau]`` resonates with a period of ``tau``
    frames; at every frame the filter of the largest output wins that output's value, and the
    sum over frames makes a histogram over periods. The histogram is smoothed with a Hamming
    window, and its local maxima are the candidates, strongest first, each refined by a
    parabola through its neighbours.

    Parameters
    ----------
    activation : np.ndarray [shape=(n_frames,)]
        Beat activation (or any onset envelope), one value per frame.
    fps : number > 0
    n_tempi : int > 0
    min_bpm, max_bpm : number > 0
        Tempo range.
    alpha : float in (0, 1)
        Filter gain: the larger, the longer each filter remembers.
    smooth : float >= 0
        Width of the smoothing window as a fraction of the number of periods searched
        (rounded to an odd number of periods; 0: none).

    Returns
    -------
    tempi : np.ndarray [shape=(k,)]
        BPM, strongest first; ``k <= n_tempi`` (0 when the activation is all zero).
    strengths : np.ndarray [shape=(k,)]
        Each candidate's share of the candidates' summed histogram values (they sum to 1).

    References
    ----------
    Böck, S., Krebs, F., & Widmer, G. "Accurate tempo estimation based on recurrent neural
    networks and resonating comb filters." ISMIR 2015.
    """
    from scipy.signal import lfilter

    a = _check_envelope(activation)
    if fps <= 0 or not 0 < min_bpm < max_bpm:
        raise ParameterError(f"need fps > 0 and 0 < min_bpm < max_bpm, got fps={fps!r}, {min_bpm!r}, {max_bpm!r}")
    if not 0 < alpha < 1:
        raise ParameterError(f"alpha must be in (0, 1), got {alpha!r}")
    taus = np.arange(max(1, int(np.floor(60.0 * fps / max_bpm))), int(np.ceil(60.0 * fps / min_bpm)) + 1)
    if not len(a) or not np.any(a > 0):
        return np.zeros(0), np.zeros(0)
    out = np.empty((len(taus), len(a)))
    for i, tau in enumerate(taus):
        # y[t] = x[t] + alpha y[t - tau]: a first-order recursion down each column of the
        # signal cut into rows of tau frames
        n = -(-len(a) // tau) * tau
        x = np.pad(a, (0, n - len(a))).reshape(-1, tau)
        out[i] = lfilter([1.0], [1.0, -alpha], x, axis=0).ravel()[: len(a)]
    hist = np.bincount(out.argmax(axis=0), weights=out.max(axis=0), minlength=len(taus))
    width = 2 * int(round(smooth * len(taus) / 2)) + 1  # odd: centred, no shift
    if width > 1:
        hist = np.convolve(hist, np.hamming(width) / np.hamming(width).sum(), mode="same")
    peaks = [k for k in range(1, len(hist) - 1) if hist[k] > hist[k - 1] and hist[k] >= hist[k + 1] and hist[k] > 0]
    peaks = sorted(peaks, key=lambda k: -hist[k])[:n_tempi]
    tempi, strengths = [], []
    for k in peaks:
        u, v, w = hist[k - 1], hist[k], hist[k + 1]
        d = u - 2 * v + w
        shift = 0.5 * (u - w) / d if d < 0 else 0.0
        tempi.append(60.0 * fps / (taus[k] + shift))
        strengths.append(v)
    s = np.asarray(strengths, dtype=float)
    return np.asarray(tempi, dtype=float), s / s.sum() if len(s) else s


def interval_tempo(beats, *, n_tempi=2, tolerance=0.04):
    """The tempi of decoded beats, from a histogram of their inter-beat intervals.

    The interval with the most others within ``tolerance`` of it (relative) is the first
    cluster's centre; the cluster is every interval within ``tolerance`` of that centre, and
    its tempo is 60 over the cluster's median interval. Its intervals are removed and the
    next cluster drawn the same way, up to ``n_tempi``. A steady beat sequence (what the
    bar-pointer HMM decodes) has one cluster: one tempo, of strength 1.

    Parameters
    ----------
    beats : np.ndarray [shape=(n,)]
        Beat times in seconds, increasing.
    n_tempi : int > 0
    tolerance : float in (0, 1)
        Relative width of a cluster (4 %: MIREX's tempo tolerance).

    Returns
    -------
    tempi : np.ndarray [shape=(k,)]
        BPM, the most frequent interval first; ``k <= n_tempi`` (0 for fewer than 2 beats).
    strengths : np.ndarray [shape=(k,)]
        Each cluster's share of all the intervals (they sum to 1 when every interval falls
        in one of the ``k`` clusters).

    Examples
    --------
    >>> tempi, strengths = interval_tempo(np.arange(20) * 0.5)
    >>> tempi.round(1).tolist(), strengths.tolist()
    ([120.0], [1.0])
    """
    b = np.asarray(beats, dtype=float)
    if b.ndim != 1 or not np.all(np.isfinite(b)):
        raise ParameterError(f"beats must be a 1-d array of finite times in seconds, got shape {b.shape}")
    if not (isinstance(n_tempi, (int, np.integer)) and n_tempi > 0):
        raise ParameterError(f"n_tempi must be a positive integer, got {n_tempi!r}")
    if not 0 < tolerance < 1:
        raise ParameterError(f"tolerance must lie in (0, 1), got {tolerance!r}")
    ibi = np.diff(b)
    if np.any(ibi <= 0):
        raise ParameterError("beats must increase strictly")
    total, tempi, strengths = len(ibi), [], []
    while len(ibi) and len(tempi) < n_tempi:
        near = np.abs(ibi[None, :] - ibi[:, None]) <= tolerance * ibi[:, None]  # row i: intervals near ibi[i]
        centre = ibi[int(np.argmax(near.sum(axis=1)))]
        member = np.abs(ibi - centre) <= tolerance * centre
        tempi.append(60.0 / float(np.median(ibi[member])))
        strengths.append(member.sum() / total)
        ibi = ibi[~member]
    return np.asarray(tempi, dtype=float), np.asarray(strengths, dtype=float)


def _local_score(env, frames_per_beat):
    """The envelope (normalised by its std) smoothed by a Gaussian of a beat's width."""
    env = env / (env.std(ddof=1) + np.finfo(float).tiny)
    w = np.exp(-0.5 * (np.arange(-frames_per_beat, frames_per_beat + 1) * 32.0 / frames_per_beat) ** 2)
    x = env.copy()
    x[0] = 0.0  # as librosa's loop, which never reaches the first frame
    return np.convolve(x, w, mode="same")


def _localmax(x):
    left = np.concatenate([[x[0]], x[:-1]])
    right = np.concatenate([x[1:], [x[-1]]])
    return (x > left) & (x >= right)


def beat_track_dp(envelope, *, fps, bpm=None, tightness=100.0, trim=True, start_bpm=120.0):
    """Ellis' dynamic-programming beat tracker on an onset envelope, as
    :func:`librosa.beat.beat_track`: the beat sequence that best trades onset strength
    against deviation from one tempo.

    Parameters
    ----------
    envelope : np.ndarray [shape=(n_frames,)]
        Onset strength (:func:`onset_envelope`) or a beat activation.
    fps : number > 0
        Frames per second of the envelope.
    bpm : number > 0 or None
        The tempo to follow; estimated with :func:`tempo` when None.
    tightness : number > 0
        How strongly inter-beat intervals are held to the tempo.
    trim : bool
        Drop weak leading and trailing beats.
    start_bpm : number > 0
        Centre of the tempo prior when ``bpm`` is None.

    Returns
    -------
    bpm : float
        The tempo followed (0 when the envelope is all zeros).
    beats : np.ndarray [shape=(n_beats,)]
        Beat times, seconds (frame ``k`` at ``k / fps``).

    References
    ----------
    Ellis, Daniel P. W. "Beat tracking by dynamic programming." Journal of New Music
    Research 36(1), 2007.
    """
    env = _check_envelope(envelope)
    if tightness <= 0:
        raise ParameterError(f"tightness must be strictly positive, got {tightness!r}")
    if not env.any():
        return 0.0, np.zeros(0)
    if bpm is None:
        bpm = tempo(env, fps=fps, start_bpm=start_bpm)
    if bpm <= 0:
        raise ParameterError(f"bpm must be strictly positive, got {bpm!r}")
    period = float(np.round(fps * 60.0 / bpm))
    local = _local_score(env, period)
    n = len(local)
    # predecessors lie between half a period and two periods back
    d = np.arange(int(np.round(period / 2)), int(2 * period) + 1)
    penalty = tightness * (np.log(d) - np.log(period)) ** 2
    cum = np.empty(n)
    back = np.full(n, -1, dtype=np.int64)
    thresh = 0.01 * local.max()
    first = True
    for i in range(n):
        ok = d <= i
        if ok.any():
            cand = cum[i - d[ok]] - penalty[ok]
            j = int(np.argmax(cand))  # ties: the nearest predecessor, as librosa's descending scan
            cum[i] = local[i] + cand[j]
            link = i - int(d[ok][j])
        else:
            cum[i] = local[i]
            link = -1
        if first and local[i] < thresh:
            back[i] = -1
        else:
            back[i] = link
            first = False
    # the last beat: the last local maximum of the cumulative score above half their median
    peaks = _localmax(cum)
    tail = n - 1
    if peaks.any():
        half = 0.5 * np.median(cum[peaks])
        above = np.flatnonzero(peaks & (cum >= half))
        tail = int(above[-1]) if len(above) else n - 1
    beats = []
    k = tail
    while k >= 0:
        beats.append(k)
        k = int(back[k])
    beats = np.asarray(beats[::-1], dtype=np.int64)
    keep = np.ones(n, dtype=bool)
    smooth = np.convolve(local[beats], np.hanning(5))[2 : n + 2]
    threshold = 0.5 * np.sqrt(np.mean(smooth**2)) if trim else 0.0
    k = 0
    while k < n and local[k] <= threshold:
        keep[k] = False
        k += 1
    k = n - 1
    while k >= 0 and local[k] <= threshold:
        keep[k] = False
        k -= 1
    beats = beats[keep[beats]]
    return float(bpm), beats / float(fps)


def beat_track(y, *, sr, hop_length=512, bpm=None, tightness=100.0, trim=True, start_bpm=120.0):
    """:func:`beat_track_dp` on the :func:`onset_envelope` of ``y``: the non-learned
    beat-tracking baseline (``dp`` in bench/beats.py).

    Parameters
    ----------
    y : np.ndarray [shape=(n,)]
        Mono audio.
    sr : number > 0
    hop_length : int > 0
    bpm, tightness, trim, start_bpm
        As :func:`beat_track_dp`.

    Returns
    -------
    bpm : float
    beats : np.ndarray [shape=(n_beats,)]
        Seconds.

    Examples
    --------
    >>> import numpy as np
    >>> from mirlearn.detection.beats import beat_track
    >>> sr = 22050
    >>> y = np.zeros(sr * 8)
    >>> y[:: sr // 2] = 1.0  # a click every 0.5 s: 120 BPM
    >>> bpm, beats = beat_track(y, sr=sr)
    >>> round(bpm)
    117
    >>> bool(np.all(np.abs(np.diff(beats) - 0.5) < 0.03))
    True
    """
    env = onset_envelope(y, sr=sr, hop_length=hop_length)
    return beat_track_dp(env, fps=sr / hop_length, bpm=bpm, tightness=tightness, trim=trim, start_bpm=start_bpm)


# ---------------------------------------------------------------------------------------
# the bar-pointer hidden Markov model (madmom's DBN beat and downbeat trackers)


def _tempo_intervals(fps, min_bpm, max_bpm, n_tempi):
    lo = max(1, int(np.round(60.0 * fps / max_bpm)))
    hi = int(np.round(60.0 * fps / min_bpm))
    if n_tempi is None or n_tempi >= hi - lo + 1:
        return np.arange(lo, hi + 1)
    return np.unique(np.round(np.exp(np.linspace(np.log(lo), np.log(hi), n_tempi))).astype(int))


def _viterbi_bar(obs_none, obs_beat, obs_down, *, intervals, meters, transition_lambda, observation_lambda):
    """Viterbi through the bar-pointer states of every meter at once (one state space, in
    which no path changes meter); returns per frame (tempo index, position in the bar, in a
    beat region) and the meter of the best path.

    Each state advances one frame per frame; the first frame of each beat is an entry whose
    best predecessor is the last frame of the previous beat at any tempo (one decision per
    entry row and tempo)."""
    n_frames = len(obs_none)
    n_t = len(intervals)
    tempo_of, pos, meter_of, entry, exit_ = [], [], [], [], []
    base = 0
    for m in meters:
        lengths = m * intervals
        offsets = base + np.concatenate([[0], np.cumsum(lengths)[:-1]])
        t_idx = np.repeat(np.arange(n_t), lengths)
        tempo_of.append(t_idx)
        pos.append(np.arange(int(lengths.sum())) + base - offsets[t_idx])
        meter_of.append(np.full(int(lengths.sum()), m))
        # entries: the first frame of beat k of tempo j; exits: the last frame of beat k - 1 of tempo i
        entry.append(offsets[None, :] + np.arange(m)[:, None] * intervals[None, :])
        exit_.append(offsets[None, :] + ((np.arange(m)[:, None] - 1) % m + 1) * intervals[None, :] - 1)
        base += int(lengths.sum())
    tempo_of, pos, meter_of = np.concatenate(tempo_of), np.concatenate(pos), np.concatenate(meter_of)
    entry, exit_ = np.concatenate(entry), np.concatenate(exit_)  # (rows, n_t)
    n_states = base
    tau = intervals[tempo_of]
    in_beat = (pos % tau) / tau < 1.0 / observation_lambda  # (0 at a beat, in beats)
    cls = np.where(in_beat & (pos < tau), 2, np.where(in_beat, 1, 0))  # 2: downbeat region, 1: other beats
    ratio = intervals[None, :] / intervals[:, None]  # i -> j
    logT = -transition_lambda * np.abs(ratio - 1.0)
    logT -= np.log(np.exp(logT).sum(axis=1, keepdims=True))
    logT[logT < np.log(1e-12)] = -np.inf
    # the tempi each tempo j can be entered from (a band around j), padded to one width
    # with impossible ones: the search at each entry looks at the band only
    allowed = np.isfinite(logT).T  # (j, i)
    width = int(allowed.sum(axis=1).max())
    nb = np.zeros((n_t, width), dtype=np.int64)
    logTb = np.full((n_t, width), -np.inf)
    for j in range(n_t):
        i = np.flatnonzero(allowed[j])
        nb[j, : len(i)], logTb[j, : len(i)] = i, logT[i, j]
    exit_nb = exit_[:, nb]  # (rows, j, band): the exit state of each candidate predecessor
    rows, cols = np.arange(len(entry))[:, None], np.arange(n_t)[None, :]
    back = np.empty((n_frames, len(entry), n_t), dtype=np.int16)
    obs = np.stack([obs_none, obs_beat, obs_down], axis=1)  # (n_frames, 3)
    delta = np.full(n_states, -np.log(n_states)) + obs[0, cls]
    new = np.empty_like(delta)
    block = 256  # observations of a block of frames gathered at once
    for t0 in range(1, n_frames, block):
        o = obs[t0:t0 + block][:, cls]
        for t in range(t0, min(t0 + block, n_frames)):
            new[1:] = delta[:-1]
            cand = delta[exit_nb] + logTb  # (rows, j, band)
            best = cand.argmax(axis=2)  # (rows, j)
            back[t] = nb[cols, best]  # the predecessor tempo i
            new[entry] = cand[rows, cols, best]
            np.add(new, o[t - t0], out=delta)
    s = int(np.argmax(delta))
    is_entry = np.zeros(n_states, dtype=bool)
    is_entry[entry.ravel()] = True
    row_of = np.zeros(n_states, dtype=np.int64)
    row_of[entry.ravel()] = np.repeat(np.arange(len(entry)), n_t)
    path = np.empty(n_frames, dtype=np.int64)
    for t in range(n_frames - 1, -1, -1):
        path[t] = s
        if t == 0:
            break
        if is_entry[s]:
            r, j = row_of[s], tempo_of[s]
            s = int(exit_[r, back[t, r, j]])
        else:
            s -= 1
    return tempo_of[path], pos[path], in_beat[path], int(meter_of[path[-1]])


def bar_pointer_decode(beat, downbeat=None, *, fps, min_bpm=55.0, max_bpm=215.0, n_tempi=60, beats_per_bar=(3, 4),
                       transition_lambda=100.0, observation_lambda=16, threshold=0.05, correct=True):
    """Beats (and downbeats) from beat activations with a bar-pointer hidden Markov model:
    the state is the tempo and the position in the bar, decoded by Viterbi, as madmom's
    ``DBNBeatTrackingProcessor`` and ``DBNDownBeatTrackingProcessor``.

    Each state advances one frame per frame; at the end of each beat the tempo may change,
    with a probability falling exponentially with the ratio of the intervals. States in the
    first ``1 / observation_lambda`` of a beat expect a beat, those of the first beat of a bar
    a downbeat. One Viterbi pass per meter; the most probable meter wins.

    Parameters
    ----------
    beat : np.ndarray [shape=(n_frames,)]
        Probability of a beat (any beat, downbeats included) per frame.
    downbeat : np.ndarray [shape=(n_frames,)] or None
        Probability that a beat at this frame is a downbeat; None tracks beats only (no bars,
        positions NaN). A beat state sees ``beat * (1 - downbeat)``, a downbeat state
        ``beat * downbeat``, the other states ``(1 - beat) / (observation_lambda - 1)``;
        ``downbeat`` is first max-filtered over the width of a beat region.
    fps : number > 0
    min_bpm, max_bpm : number > 0
        Tempo range.
    n_tempi : int or None
        Tempo states, log-spaced over the range (None: every whole number of frames).
    beats_per_bar : int or sequence of int
        Meters to try (3: 3/4, 4: 4/4); ignored without ``downbeat``.
    transition_lambda : number > 0
        Tempo stability: the larger, the rarer tempo changes.
    observation_lambda : int > 1
        A beat's "beat region" is its first 1/observation_lambda.
    threshold : float in [0, 1)
        Decode only from the first to the last frame whose beat activation exceeds it
        (no beats invented in silence).
    correct : bool
        Move each beat to the activation's maximum within its beat region.

    Returns
    -------
    times : np.ndarray [shape=(n_beats,)]
        Seconds.
    positions : np.ndarray [shape=(n_beats,)]
        Position of each beat in its bar (1 = downbeat); NaN without ``downbeat``.

    References
    ----------
    Krebs, Florian, Sebastian Böck, and Gerhard Widmer. "An efficient state-space model for
    joint tempo and meter tracking." ISMIR 2015.
    Böck, Sebastian, Florian Krebs, and Gerhard Widmer. "Joint beat and downbeat tracking with
    recurrent neural networks." ISMIR 2016.
    """
    b = _check_envelope(beat)
    if fps <= 0 or not 0 < min_bpm < max_bpm:
        raise ParameterError(f"need fps > 0 and 0 < min_bpm < max_bpm, got fps={fps!r}, {min_bpm!r}, {max_bpm!r}")
    if not (isinstance(observation_lambda, (int, np.integer)) and observation_lambda > 1):
        raise ParameterError(f"observation_lambda must be an integer > 1, got {observation_lambda!r}")
    if transition_lambda <= 0:
        raise ParameterError(f"transition_lambda must be positive, got {transition_lambda!r}")
    if np.any((b < 0) | (b > 1)):
        raise ParameterError("beat activations must be probabilities in [0, 1]")
    d = None
    if downbeat is not None:
        d = _check_envelope(downbeat)
        if d.shape != b.shape or np.any((d < 0) | (d > 1)):
            raise ParameterError(f"downbeat activations must be probabilities shaped as the beats' {b.shape}, got {d.shape}")
    meters = [1] if d is None else sorted({int(m) for m in np.atleast_1d(beats_per_bar)})
    if any(m < 1 for m in meters):
        raise ParameterError(f"beats_per_bar must be positive integers, got {beats_per_bar!r}")
    empty = (np.zeros(0), np.zeros(0))
    above = np.flatnonzero(b > threshold)
    if len(above) == 0:
        return empty
    lo, hi = int(above[0]), int(above[-1]) + 1
    bb = b[lo:hi]
    eps = 1e-10
    intervals = _tempo_intervals(fps, min_bpm, max_bpm, n_tempi)
    if d is None:
        o_none = np.log(np.maximum(1 - bb, eps) / (observation_lambda - 1))
        o_beat = o_down = np.log(np.maximum(bb, eps))
    else:
        import scipy.ndimage

        # a beat with probability b; given a beat, a downbeat with probability d, taken as its
        # maximum over a beat region's width, so that every frame of a region weighs the same
        # evidence for bar position (a sharp downbeat peak beside a wider beat peak would
        # otherwise make downbeat regions costly and favour longer bars)
        width = 2 * int(np.ceil(intervals.min() / observation_lambda)) + 1
        dd = scipy.ndimage.maximum_filter1d(d, width, mode="nearest")[lo:hi]
        o_none = np.log(np.maximum(1 - bb, eps) / (observation_lambda - 1))
        o_beat = np.log(np.maximum(bb * (1 - dd), eps))
        o_down = np.log(np.maximum(bb * dd, eps))
    tempo_idx, pos, in_beat, _ = _viterbi_bar(o_none, o_beat, o_down, intervals=intervals, meters=meters,
                                              transition_lambda=transition_lambda, observation_lambda=observation_lambda)
    tau = intervals[tempo_idx]
    # one beat per run of frames inside a beat region
    starts = np.flatnonzero(in_beat & ~np.concatenate([[False], in_beat[:-1]]))
    frames, numbers = [], []
    for s in starts:
        e = s
        while e + 1 < len(in_beat) and in_beat[e + 1]:
            e += 1
        f = s + int(np.argmax(bb[s : e + 1])) if correct else s
        frames.append(f)
        numbers.append(int(pos[s] // tau[s]) + 1)
    times = (lo + np.asarray(frames, dtype=float)) / fps
    positions = np.asarray(numbers, dtype=float) if d is not None else np.full(len(times), np.nan)
    return times, positions
