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
    """Scores of a bundle on prepared files: the task's metrics, per file and summed."""
    from ..detection.peaks import threshold_events
    from .events import evaluate_events, evaluate_labelled_events, evaluate_pitch, mean_pitch, sum_counts, sum_labelled

    per_file, naive = [], []
    for f in files:
        act = bundle.activations_from_features(f.X)
        if task == "pitch":
            per_file.append(evaluate_pitch(*f.reference, *pitch_track(bundle, act, bundle.postprocess)))
            continue
        events = bundle.decode(act)
        nv = {c: threshold_events(act[k], fps=bundle.fps, threshold=0.5) for k, c in enumerate(classes)}
        if task == "onsets":
            per_file.append(evaluate_events(f.reference, events["onset"]))
            naive.append(evaluate_events(f.reference, nv["onset"]))
        else:
            est = labelled(events)
            per_file.append(evaluate_labelled_events(f.reference, est, classes=classes))
            naive.append(evaluate_labelled_events(f.reference, labelled(nv), classes=classes))
    if task == "pitch":
        m = mean_pitch(per_file)
    elif task == "onsets":
        m = sum_counts(per_file)
        m["threshold_0.5"] = {k: v for k, v in sum_counts(naive).items() if k in ("f_measure", "precision", "recall")}
    else:
        m = sum_labelled(per_file, classes=classes)
        n = sum_labelled(naive, classes=classes)
        m["threshold_0.5"] = {"f_measure": n["f_measure"], **{f"f_measure_{c}": n["per_class"][c]["f_measure"] for c in classes}}
    m["per_file"] = {str(f.item.path): _short(p) for f, p in zip(files, per_file)}
    return m


def _short(p):
    if "per_class" in p or all(isinstance(v, dict) for v in p.values()):
        return {c: {"f_measure": round(v["f_measure"], 4), "tp": v["tp"], "fp": v["fp"], "fn": v["fn"]}
                for c, v in p.items() if isinstance(v, dict)}
    return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in p.items()}


def labelled(events):
    t = np.concatenate([np.asarray(v, float) for v in events.values()]) if events else np.zeros(0)
    lab = np.concatenate([np.full(len(v), c, dtype=object) for c, v in events.items()]) if events else np.zeros(0, object)
    o = np.argsort(t, kind="stable")
    return t[o], lab[o]
