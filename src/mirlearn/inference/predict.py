"""Prediction from audio files with a trained bundle."""

from __future__ import annotations

import numpy as np

from typing import NamedTuple

from ..extraction.cache import gather
from .bundle import load_bundle

__all__ = ["predict_files", "Prediction", "SHIPPED_CLASSIFIERS", "resolve_model", "family_scores", "decided_labels"]

#: Classification models shipped inside the package (``mirlearn predict instrument NOTE.wav``).
SHIPPED_CLASSIFIERS = ("instrument",)


class Prediction(NamedTuple):
    """One file's prediction: ``scores`` (one per class) or None with the ``reason`` it
    could not be read, and the ``warnings`` its audio raised (silence, a clip shorter than
    one frame, a truncated file...), which a user must see beside the scores."""

    path: str
    scores: object
    reason: str | None
    warnings: list


def resolve_model(run_dir):
    """``run_dir`` itself, or the folder of the shipped model it names (``"instrument"``)
    when no run directory or bundle folder of that name exists."""
    from pathlib import Path

    p = Path(run_dir)
    if str(run_dir) in SHIPPED_CLASSIFIERS and not ((p / "model" / "bundle.json").is_file() or (p / "bundle.json").is_file()):
        from .detect import shipped_model_dir

        return shipped_model_dir(str(run_dir))
    return run_dir


def decided_labels(bundle, scores):
    """The predicted label of each row of ``scores`` ``(n, n_classes)``: the most probable
    class, or for a multi-label model the classes at or above their thresholds joined by
    ``';'`` (``''`` when none is)."""
    scores = np.asarray(scores, dtype=float).reshape(-1, len(bundle.classes))
    decided = bundle.decide(scores)
    if bundle.multilabel:
        return [";".join(c for c, d in zip(bundle.classes, row) if d) for row in decided]
    return [bundle.classes[int(j)] for j in decided]


def family_scores(bundle, scores):
    """``(families, probabilities)`` for a bundle whose classes belong to families (the
    shipped instrument model: ``bundle.extra["families"]`` maps each instrument to its
    NSynth family); a family's probability is the sum over its classes. None otherwise."""
    fam = bundle.extra.get("families")
    if not fam or bundle.multilabel:
        return None
    families = sorted(set(fam.values()))
    M = np.zeros((len(bundle.classes), len(families)))
    for i, c in enumerate(bundle.classes):
        M[i, families.index(fam[c])] = 1.0
    return families, np.asarray(scores, dtype=float) @ M


def predict_files(run_dir, audio, *, cache=None, progress=False, trust=False):
    """Probabilities per label for each audio file, with the run's bundle.

    ``run_dir`` is a run directory, a bundle folder, or the name of a model shipped with
    mirlearn (:data:`SHIPPED_CLASSIFIERS`).

    Returns
    -------
    bundle : Bundle
    rows : list of :class:`Prediction`
        ``scores`` is None (and ``reason`` says why) for a file that could not be read.
    """
    bundle = load_bundle(resolve_model(run_dir), trust=trust)
    results, store = gather([str(a) for a in audio], bundle.extraction, cache=cache, progress=progress)
    good = [r for r in results.values() if r.status != "error"]
    scores = bundle.scores_from_results(good, store) if good else np.zeros((0, len(bundle.classes)))
    by_path = {r.path: s for r, s in zip(good, scores)}
    rows = [Prediction(str(a), by_path.get(str(a)), results[str(a)].reason, list(results[str(a)].warnings)) for a in audio]
    return bundle, rows
