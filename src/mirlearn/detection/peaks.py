"""Post-processing of frame activations: peak picking, thresholds, median filtering, and
the search of their parameters on validation data.

Units: every time parameter is in **seconds** and converted to frames with ``fps`` inside,
as in madmom; activations are ``(n_frames,)`` (one event class) or ``(n_classes, n_frames)``,
time last; events come back as sorted times in seconds.
"""

from __future__ import annotations

import itertools

import numpy as np

from ..errors import ParameterError

__all__ = [
    "peak_pick",
    "combine_events",
    "threshold_events",
    "median_filter",
    "tune_peak_picking",
    "PEAK_PICKING_DEFAULTS",
    "DEFAULT_GRID",
]

#: madmom's ``CNNOnsetProcessor`` settings (100 fps): a robust start for any onset activation.
PEAK_PICKING_DEFAULTS = dict(threshold=0.5, smooth=0.0, pre_max=0.01, post_max=0.01, pre_avg=0.0, post_avg=0.0, combine=0.03, delay=0.0)

#: The grid searched on validation data by default (thresholds for activations in [0, 1]).
DEFAULT_GRID = dict(
    threshold=[0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.7, 0.8],
    pre_max=[0.01, 0.03],
    post_max=[0.01, 0.03],
    pre_avg=[0.0, 0.1],
    post_avg=[0.0],
    smooth=[0.0, 0.05],
    combine=[0.03],
)


def _frames(seconds, fps, name):
    if seconds is None or seconds < 0 or not np.isfinite(seconds):
        raise ParameterError(f"{name} must be a time in seconds >= 0, got {seconds!r}")
    return int(round(seconds * fps))


def _check_activation(activation, fps):
    a = np.asarray(activation, dtype=np.float64)
    if a.ndim != 1:
        raise ParameterError(f"activation must be 1-d (n_frames,), got shape {a.shape}; pick each class's row separately")
    if not (np.isfinite(fps) and fps > 0):
        raise ParameterError(f"fps must be a positive frame rate, got {fps!r}")
    return a


def combine_events(events, delta):
    """Keep the first of events closer than ``delta`` seconds to the last one kept (madmom's
    ``combine_events(..., 'left')``; librosa's ``wait`` in seconds)."""
    events = np.asarray(events, dtype=float)
    if events.size <= 1 or delta <= 0:
        return events
    keep = [events[0]]
    for t in events[1:]:
        if t - keep[-1] > delta:
            keep.append(t)
    return np.asarray(keep)


def peak_pick(activation, *, fps, threshold=0.5, smooth=0.0, pre_max=0.0, post_max=0.0, pre_avg=0.0, post_avg=0.0,
              combine=0.03, delay=0.0):
    """Events at the local maxima of an activation that rise above its local mean.

    Frame ``i`` is an event when ``activation[i] >= mean(activation[i - pre_avg : i + post_avg
    + 1]) + threshold`` and ``activation[i] == max(... [i - pre_max : i + post_max + 1])``
    (windows in frames after conversion from seconds; 0 means "this frame only"; outside the
    signal counts as 0). Events closer than ``combine`` keep the first. Names and meanings
    follow madmom's ``OnsetPeakPickingProcessor``.

    Parameters
    ----------
    activation : np.ndarray [shape=(n_frames,)]
    fps : float
        Frame rate of the activation.
    threshold : float
        Height above the local mean (with ``pre_avg = post_avg = 0``, a plain threshold).
    smooth : float >= 0
        Length (s) of a Hamming window the activation is smoothed with first; 0: none.
    pre_max, post_max, pre_avg, post_avg : float >= 0
        Window lengths before/after the frame, in seconds.
    combine : float >= 0
        Minimum time between two events (s).
    delay : float
        Added to every event time (s); with a negative delay, events that would fall
        before 0 s are dropped.

    Returns
    -------
    events : np.ndarray [shape=(n_events,)]
        Times in seconds.

    References
    ----------
    Böck, S., Krebs, F., & Schedl, M. "Evaluating the online capabilities of onset detection
    methods." ISMIR 2012.
    """
    from scipy.ndimage import maximum_filter1d, uniform_filter1d

    a = _check_activation(activation, fps)
    if not np.isfinite(threshold):
        raise ParameterError(f"threshold must be a finite number, got {threshold!r}")
    pre_max, post_max = _frames(pre_max, fps, "pre_max"), _frames(post_max, fps, "post_max")
    pre_avg, post_avg = _frames(pre_avg, fps, "pre_avg"), _frames(post_avg, fps, "post_avg")
    n_smooth = _frames(smooth, fps, "smooth")
    if a.size == 0:
        return np.zeros(0)
    if n_smooth > 1:
        w = np.hamming(n_smooth)
        a = np.convolve(a, w / w.sum(), mode="same")
    avg_len = pre_avg + post_avg + 1
    if avg_len > 1:
        mov_avg = uniform_filter1d(a, avg_len, mode="constant", origin=int(np.floor((pre_avg - post_avg) / 2)))
    else:
        mov_avg = 0.0
    det = a * (a >= mov_avg + threshold)
    max_len = pre_max + post_max + 1
    if max_len > 1:
        mov_max = maximum_filter1d(det, max_len, mode="constant", origin=int(np.floor((pre_max - post_max) / 2)))
        det = det * (det == mov_max)
    events = np.flatnonzero(det) / float(fps) + delay
    return combine_events(events[events >= 0], combine)


def threshold_events(activation, *, fps, threshold=0.5, combine=0.0):
    """The naive decoder: an event at the first frame of every run of frames at or above
    ``threshold`` (what rounding a sigmoid at 0.5 gives). Reported beside :func:`peak_pick`."""
    a = _check_activation(activation, fps)
    on = a >= threshold
    starts = np.flatnonzero(on & ~np.concatenate([[False], on[:-1]]))
    return combine_events(starts / float(fps), combine)


def median_filter(activation, *, fps, length):
    """Median filter along time with a window of ``length`` seconds (odd number of frames,
    at least 1). Works on ``(n_frames,)`` and ``(n_classes, n_frames)``."""
    from scipy.ndimage import median_filter as _mf

    a = np.asarray(activation, dtype=np.float64)
    n = _frames(length, fps, "length")
    n = max(1, n + (n % 2 == 0))
    if n == 1:
        return a
    size = (1,) * (a.ndim - 1) + (n,)
    return _mf(a, size=size, mode="nearest")


def tune_peak_picking(activations, references, *, fps, grid=None, window=0.05, combine_reference=0.03):
    """Search peak-picking parameters that maximise the F-measure of summed counts.

    Use validation activations and annotations only; the chosen parameters are then applied,
    unchanged, to the test part.

    Parameters
    ----------
    activations : list of np.ndarray [shape=(n_frames,)]
    references : list of np.ndarray
        Annotated event times (s), one array per activation.
    grid : dict of lists or None
        Values to try for each :func:`peak_pick` parameter (default :data:`DEFAULT_GRID`).
    window : float
        Tolerance of a hit (s).

    Returns
    -------
    best : dict
        The parameters, plus ``f_measure`` (summed counts) on the data given.
    """
    from ..annotations import validate_events
    from ..evaluation.events import count_hits

    if len(activations) != len(references):
        raise ParameterError(f"{len(activations)} activations but {len(references)} references")
    if not activations:
        raise ParameterError("tune_peak_picking needs at least one validation file")
    grid = dict(DEFAULT_GRID if grid is None else grid)
    unknown = set(grid) - set(PEAK_PICKING_DEFAULTS)
    if unknown:
        raise ParameterError(f"unknown peak-picking parameter(s) in grid: {', '.join(sorted(unknown))}; "
                             f"known: {', '.join(PEAK_PICKING_DEFAULTS)}")
    refs = [combine_events(validate_events(r, name="reference"), combine_reference) for r in references]
    n_ref = sum(len(r) for r in refs)
    names = list(grid)
    best, best_key = None, None
    for values in itertools.product(*(grid[n] for n in names)):
        params = {**PEAK_PICKING_DEFAULTS, **dict(zip(names, values))}
        tp = n_est = 0
        for act, ref in zip(activations, refs):
            est = peak_pick(act, fps=fps, **params)
            tp += count_hits(ref, est, window)
            n_est += len(est)
        p = tp / n_est if n_est else 0.0
        r = tp / n_ref if n_ref else 0.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        # ties: the higher threshold (fewer false alarms on new data), then the grid's order
        key = (round(f, 12), params["threshold"])
        if best_key is None or key > best_key:
            best, best_key = dict(params, f_measure=f), key
    return best
