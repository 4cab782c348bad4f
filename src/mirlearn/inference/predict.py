"""Prediction from audio files with a trained bundle."""

from __future__ import annotations

import numpy as np

from typing import NamedTuple

from ..extraction.cache import gather
from .bundle import load_bundle

__all__ = ["predict_files", "Prediction"]


class Prediction(NamedTuple):
    """One file's prediction: ``scores`` (one per class) or None with the ``reason`` it
    could not be read, and the ``warnings`` its audio raised (silence, a clip shorter than
    one frame, a truncated file...), which a user must see beside the scores."""

    path: str
    scores: object
    reason: str | None
    warnings: list


def predict_files(run_dir, audio, *, cache=None, progress=False, trust=False):
    """Probabilities per label for each audio file, with the run's bundle.

    Returns
    -------
    bundle : Bundle
    rows : list of :class:`Prediction`
        ``scores`` is None (and ``reason`` says why) for a file that could not be read.
    """
    bundle = load_bundle(run_dir, trust=trust)
    results, store = gather([str(a) for a in audio], bundle.extraction, cache=cache, progress=progress)
    good = [r for r in results.values() if r.status != "error"]
    scores = bundle.scores_from_results(good, store) if good else np.zeros((0, len(bundle.classes)))
    by_path = {r.path: s for r, s in zip(good, scores)}
    rows = [Prediction(str(a), by_path.get(str(a)), results[str(a)].reason, list(results[str(a)].warnings)) for a in audio]
    return bundle, rows
