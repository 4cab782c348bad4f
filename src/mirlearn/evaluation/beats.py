"""Beat, downbeat and tempo metrics, as the MIREX tasks report them, with mir_eval.

Units: beat times in seconds (1-d, sorted); tempi in BPM. Beats before ``min_beat_time``
(5 s, mir_eval's and MIREX's default) are ignored in both the reference and the estimate;
the F-measure counts a beat within ±70 ms. Downbeats are scored as beats (F-measure only).
Tempo: Acc1 counts an estimate within ±4 % of the reference tempo, Acc2 also at 2, 3, 1/2
or 1/3 of it (octave errors allowed).

Empty or too-short input is legal: every metric is then 0 (mir_eval's convention), without
mir_eval's warnings.
"""

from __future__ import annotations

import warnings

import numpy as np

from ..errors import ParameterError

__all__ = ["BEAT_METRICS", "evaluate_beats", "evaluate_downbeats", "reference_tempo", "tempo_accuracy", "mean_scores"]

#: Our key -> mir_eval.beat.evaluate's name, in the order tables show them.
BEAT_METRICS = {
    "f_measure": "F-measure",
    "cmlt": "Correct Metric Level Total",
    "amlt": "Any Metric Level Total",
    "cmlc": "Correct Metric Level Continuous",
    "amlc": "Any Metric Level Continuous",
    "p_score": "P-score",
    "cemgil": "Cemgil",
    "goto": "Goto",
    "information_gain": "Information gain",
}


def _beats(x, name):
    from ..annotations import validate_events

    return validate_events(np.asarray(x, dtype=float).reshape(-1), name=name)


def evaluate_beats(reference, estimated, *, min_beat_time=5.0):
    """The beat metrics of one file.

    Parameters
    ----------
    reference, estimated : np.ndarray [shape=(n,)]
        Beat times, seconds.
    min_beat_time : float >= 0
        Beats before this time are not scored.

    Returns
    -------
    dict
        The keys of :data:`BEAT_METRICS`, with ``n_reference`` and ``n_estimated`` (the
        beats scored).
    """
    import mir_eval

    ref, est = _beats(reference, "reference beats"), _beats(estimated, "estimated beats")
    ref = ref[ref >= min_beat_time]
    est = est[est >= min_beat_time]
    out = {k: 0.0 for k in BEAT_METRICS}
    if len(ref) and len(est):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # mir_eval warns on fewer than 2 beats; the scores are 0 there
            s = mir_eval.beat.evaluate(ref, est, min_beat_time=0.0)
        out = {k: float(s[v]) for k, v in BEAT_METRICS.items()}
    out.update(n_reference=int(len(ref)), n_estimated=int(len(est)))
    return out


def evaluate_downbeats(reference, estimated, *, min_beat_time=5.0):
    """Downbeat F-measure (±70 ms) of one file: ``{"downbeat_f_measure", "n_reference", "n_estimated"}``."""
    s = evaluate_beats(reference, estimated, min_beat_time=min_beat_time)
    return {"downbeat_f_measure": s["f_measure"], "n_reference": s["n_reference"], "n_estimated": s["n_estimated"]}


def reference_tempo(beats):
    """The tempo of annotated beats: 60 over the median inter-beat interval (BPM)."""
    b = _beats(beats, "reference beats")
    if len(b) < 2:
        raise ParameterError(f"a reference tempo needs at least 2 beats, got {len(b)}")
    return float(60.0 / np.median(np.diff(b)))


def tempo_accuracy(reference_bpm, estimated_bpm, *, tolerance=0.04):
    """MIREX tempo accuracies of one estimate: ``{"acc1", "acc2"}`` (1.0 or 0.0).

    Parameters
    ----------
    reference_bpm : float > 0
    estimated_bpm : float >= 0
        0 (no tempo found) scores 0.
    tolerance : float in (0, 1)
        Relative tolerance (4 %).
    """
    if not reference_bpm > 0:
        raise ParameterError(f"reference tempo must be positive BPM, got {reference_bpm!r}")
    if not 0 < tolerance < 1:
        raise ParameterError(f"tolerance must lie in (0, 1), got {tolerance!r}")

    def near(f):
        return abs(estimated_bpm - f * reference_bpm) <= tolerance * f * reference_bpm

    return {"acc1": float(near(1.0)), "acc2": float(any(near(f) for f in (1.0, 2.0, 3.0, 1 / 2, 1 / 3)))}


def mean_scores(per_file):
    """The mean of each numeric score over files (the ``n_*`` counts are summed)."""
    if not per_file:
        return {}
    keys = [k for k in per_file[0] if isinstance(per_file[0][k], (int, float))]
    return {k: (int(sum(f[k] for f in per_file)) if k.startswith("n_") else float(np.mean([f[k] for f in per_file]))) for k in keys}
