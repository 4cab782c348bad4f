"""Scoring frame-level models on prepared files: events (onsets, drums) and f0 (pitch).

Times in seconds. Event scores come from counts summed over files (see
:mod:`mirlearn.evaluation.events`); the same activations decoded by a plain 0.5 threshold
are reported beside peak picking (``threshold_0.5``).
"""

from __future__ import annotations


import numpy as np

__all__ = ["score_files", "pitch_track", "labelled"]


def pitch_track(bundle, act, pp):
    """``(times, f0)`` of a pitch bundle's activations under post-processing ``pp``."""
    return bundle.f0(act, pp)


def score_files(task, bundle, files, *, classes):
    """Scores of a bundle on prepared files: the task's metrics (its
    :meth:`~mirlearn.tasks.FrameTask.score`), summed over files and per file."""
    from ..tasks import get_task

    m, per_file = get_task(task).score(bundle, files, classes=classes)
    m["per_file"] = {str(f.item.path): _short(p) for f, p in zip(files, per_file)}
    return m


def _short(p):
    if "per_class" in p or all(isinstance(v, dict) for v in p.values()):
        return {c: {"f_measure": round(v["f_measure"], 4), "tp": v["tp"], "fp": v["fp"], "fn": v["fn"]}
                for c, v in p.items() if isinstance(v, dict)}
    return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in p.items()}


def labelled(events):
    """``{class: times}`` as ``(times, labels)`` sorted by time."""
    t = np.concatenate([np.asarray(v, float) for v in events.values()]) if events else np.zeros(0)
    lab = np.concatenate([np.full(len(v), c, dtype=object) for c, v in events.items()]) if events else np.zeros(0, object)
    o = np.argsort(t, kind="stable")
    return t[o], lab[o]
