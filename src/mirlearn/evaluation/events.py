"""Frame-level metrics: events (onsets, drum hits) and f0 contours, with mir_eval.

Units: times in seconds, frequencies in Hz (0 = unvoiced). Event metrics count hits within a
tolerance ``window`` (±50 ms by default) with mir_eval's one-to-one matching, and return the
counts too, so that scores can be summed over files: the literature's onset F-measure
(Böck et al. 2012) is computed from TP, FP and FN summed over the whole dataset, not the
mean of per-file F-measures (which :func:`sum_counts` also reports).

Near-simultaneous reference onsets (closer than ``combine``, 30 ms by default, as madmom's
onset evaluation does) are merged before matching; several Böck annotations contain such
pairs, which no detector could hit separately.
"""

from __future__ import annotations

import numpy as np

from ..errors import ParameterError

__all__ = ["count_hits", "evaluate_events", "sum_counts", "evaluate_labelled_events", "sum_labelled", "evaluate_pitch", "mean_pitch", "f0_on_notes"]


def _prf(tp, fp, fn):
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return f, p, r


def count_hits(reference, estimated, window):
    """The number of one-to-one hits within ``window`` seconds between two sorted event
    arrays: the size of mir_eval's maximum matching (:func:`mir_eval.util.match_events`),
    found in linear time. On a line with one window for all, matching each annotation to the
    earliest free estimate not before ``t - window`` is a maximum matching. Used where the
    same counts are needed thousands of times (the search of peak-picking parameters)."""
    ref = np.asarray(reference, dtype=float)
    est = np.asarray(estimated, dtype=float)
    j = tp = 0
    n = len(est)
    for r in ref:
        # the same float comparisons as mir_eval's _fast_hit_windows
        while j < n and r > est[j] + window:
            j += 1
        if j < n and est[j] - window <= r:
            tp += 1
            j += 1
    return tp


def evaluate_events(reference, estimated, *, window=0.05, combine=0.03):
    """Precision, recall and F-measure of estimated events against annotated ones.

    Parameters
    ----------
    reference, estimated : np.ndarray [shape=(n,)]
        Event times in seconds.
    window : float > 0
        A hit is an estimate within ``window`` seconds of an annotation (one-to-one).
    combine : float >= 0
        Merge reference events closer than this (s) first; 0 keeps them all (mir_eval).

    Returns
    -------
    scores : dict
        ``f_measure``, ``precision``, ``recall`` (0 when undefined, as mir_eval) and the
        counts ``tp``, ``fp``, ``fn``, ``n_ref``, ``n_est``.
    """
    import mir_eval

    from ..annotations import validate_events
    from ..detection.peaks import combine_events

    if not window > 0:
        raise ParameterError(f"window must be a positive tolerance in seconds, got {window!r}")
    ref = combine_events(validate_events(reference, name="reference"), combine)
    est = validate_events(np.sort(np.asarray(estimated, dtype=float)), name="estimated")
    tp = len(mir_eval.util.match_events(ref, est, window)) if ref.size and est.size else 0
    fp, fn = len(est) - tp, len(ref) - tp
    f, p, r = _prf(tp, fp, fn)
    return dict(f_measure=f, precision=p, recall=r, tp=tp, fp=fp, fn=fn, n_ref=len(ref), n_est=len(est))


def sum_counts(scores):
    """Scores from counts summed over files (the literature's convention), plus the mean of
    the per-file F-measures (``f_measure_mean``) and the number of files."""
    scores = list(scores)
    tp, fp, fn = (sum(s[k] for s in scores) for k in ("tp", "fp", "fn"))
    f, p, r = _prf(tp, fp, fn)
    per_file = [s["f_measure"] for s in scores]
    return dict(f_measure=f, precision=p, recall=r, tp=tp, fp=fp, fn=fn, n_files=len(scores),
                f_measure_mean=float(np.mean(per_file)) if per_file else 0.0,
                precision_mean=float(np.mean([s["precision"] for s in scores])) if scores else 0.0,
                recall_mean=float(np.mean([s["recall"] for s in scores])) if scores else 0.0)


def evaluate_labelled_events(reference, estimated, *, classes, window=0.05, combine=0.0):
    """Per-class event scores of labelled events (drums).

    Parameters
    ----------
    reference, estimated : tuple (times, labels)
    classes : list of str
        The classes scored (others are ignored on both sides).

    Returns
    -------
    per_class : dict
        ``{class: evaluate_events(...)}``.
    """
    (rt, rl), (et, el) = reference, estimated
    rt, et = np.asarray(rt, dtype=float), np.asarray(et, dtype=float)
    rl, el = np.asarray(rl, dtype=object), np.asarray(el, dtype=object)
    return {c: evaluate_events(np.sort(rt[rl == c]), np.sort(et[el == c]), window=window, combine=combine) for c in classes}


def sum_labelled(per_file, *, classes):
    """Per-class scores from counts summed over files, and their mean (``f_measure``,
    ``precision``, ``recall``: the unweighted mean over classes)."""
    per_class = {c: sum_counts([pf[c] for pf in per_file]) for c in classes}
    out = {k: float(np.mean([per_class[c][k] for c in classes])) for k in ("f_measure", "precision", "recall")}
    out["per_class"] = per_class
    out["n_files"] = len(per_file)
    return out


def evaluate_pitch(ref_times, ref_freqs, est_times, est_freqs, *, cent_tolerance=50):
    """Melody/f0 metrics of mir_eval: raw pitch and raw chroma accuracy, voicing recall,
    voicing false alarm, overall accuracy. The estimate is resampled to the reference's
    times (mir_eval's ``to_cent_voicing``).

    Returns
    -------
    scores : dict
        ``raw_pitch_accuracy``, ``raw_chroma_accuracy``, ``voicing_recall``,
        ``voicing_false_alarm``, ``overall_accuracy``, plus ``n_voiced`` (reference frames).
    """
    import warnings

    import mir_eval

    rt, rf = np.asarray(ref_times, float), np.asarray(ref_freqs, float)
    et, ef = np.asarray(est_times, float), np.asarray(est_freqs, float)
    if rt.shape != rf.shape or et.shape != ef.shape:
        raise ParameterError("times and frequencies must have the same length")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # mir_eval warns on empty voicing; the counts say it
        ref_v, ref_c, est_v, est_c = mir_eval.melody.to_cent_voicing(rt, rf, et, ef)
        out = dict(
            voicing_recall=float(mir_eval.melody.voicing_measures(ref_v, est_v)[0]),
            voicing_false_alarm=float(mir_eval.melody.voicing_measures(ref_v, est_v)[1]),
            raw_pitch_accuracy=float(mir_eval.melody.raw_pitch_accuracy(ref_v, ref_c, est_v, est_c, cent_tolerance)),
            raw_chroma_accuracy=float(mir_eval.melody.raw_chroma_accuracy(ref_v, ref_c, est_v, est_c, cent_tolerance)),
            overall_accuracy=float(mir_eval.melody.overall_accuracy(ref_v, ref_c, est_v, est_c, cent_tolerance)),
        )
    out["n_voiced"] = int(np.sum(ref_v > 0))
    out["n_frames"] = int(len(ref_v))
    return out


def mean_pitch(per_file):
    """Pitch metrics over files: raw pitch/chroma accuracy and voicing recall weighted by the
    files' voiced frames (frame-level pooling), voicing false alarm and overall accuracy by
    their frames; ``*_file_mean`` the plain means over files."""
    per_file = list(per_file)
    out = {}
    wv = np.array([p["n_voiced"] for p in per_file], float)
    wu = np.array([p["n_frames"] - p["n_voiced"] for p in per_file], float)
    wa = np.array([p["n_frames"] for p in per_file], float)
    for k, w in (("raw_pitch_accuracy", wv), ("raw_chroma_accuracy", wv), ("voicing_recall", wv),
                 ("voicing_false_alarm", wu), ("overall_accuracy", wa)):
        v = np.array([p[k] for p in per_file], float)
        out[k] = float((v * w).sum() / w.sum()) if w.sum() else 0.0
        out[k + "_file_mean"] = float(v.mean()) if len(v) else 0.0
    out["n_files"] = len(per_file)
    return out


def f0_on_notes(times, f0, intervals, pitches, *, cent_tolerance=50, onset_margin=0.03):
    """How often a monophonic f0 track names one of the notes sounding in polyphonic music:
    of the voiced frames (``f0 > 0``) that fall inside a note (later than ``onset_margin``
    after its onset), the fraction within ``cent_tolerance`` of a sounding note's pitch,
    octave errors allowed (chroma, as mir_eval's raw chroma accuracy).

    Parameters
    ----------
    times, f0 : np.ndarray [shape=(n,)]
        Frame times (s) and frequencies (Hz; 0 where unvoiced).
    intervals : np.ndarray [shape=(m, 2)]
        Note onsets and offsets in seconds.
    pitches : np.ndarray [shape=(m,)]
        MIDI pitches of the notes.

    Returns
    -------
    dict
        ``fraction`` (0 when no voiced frame is inside a note), ``hits``, ``voiced``.
    """
    times, f0 = np.asarray(times, float), np.asarray(f0, float)
    iv, pitches = np.asarray(intervals, float).reshape(-1, 2), np.asarray(pitches, float)
    if times.shape != f0.shape or len(iv) != len(pitches):
        raise ParameterError("times and f0, and intervals and pitches, must have the same lengths")
    hits = voiced = 0
    for t, hz in zip(times, f0):
        sounding = pitches[(iv[:, 0] + onset_margin < t) & (t < iv[:, 1])]
        if hz <= 0 or not len(sounding):
            continue
        voiced += 1
        cents = np.abs(1200 * np.log2(hz / (440.0 * 2.0 ** ((sounding - 69) / 12)))) % 1200
        hits += bool(np.min(np.minimum(cents, 1200 - cents)) < cent_tolerance)
    return dict(fraction=hits / voiced if voiced else 0.0, hits=hits, voiced=voiced)
