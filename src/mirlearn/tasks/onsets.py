"""Onsets: one event class; Böck's ``.onsets`` files (a time per line), notes and MIDI
files (their note onsets), JAMS ``onset``."""

from __future__ import annotations

import numpy as np

from .base import EventTask, register, write_times


@register
class Onsets(EventTask):
    name = "onsets"
    classes = ("onset",)
    features = dict(kind="multires_logmel", sr=44100, fps=100, n_ffts=[1024, 2048, 4096], n_mels=80, fmin=27.5, fmax=16000.0)
    model = "onset_cnn"
    methods = ("superflux", "spectral_flux")
    annotation_suffixes = (".onsets", ".onset", ".notes", ".mid", ".jams", ".txt")
    jams_namespace = "events"
    output_suffix = ".onsets"
    why_not = {"midi": "have no pitch"}
    extra_fold_metrics = ("f_measure_mean",)
    combine_reference = 0.03  # as the Böck annotations are scored (mir_eval-style merging)

    def read_reference(self, annotation, *, duration=None):
        from .. import annotations as A

        name = str(annotation).lower()
        if name.endswith((".notes", ".mid", ".midi")):  # the notes' onsets, each time once
            iv = A.read_midi(annotation)[0] if name.endswith((".mid", ".midi")) else A.read_notes(annotation, duration=duration)[0]
            return np.unique(iv[:, 0])
        return A.read_events(annotation, duration=duration)

    def targets(self, reference, *, cfg, n_frames):
        from ..data.frames import frame_targets

        return frame_targets(reference, fps=cfg["features"]["fps"], n_frames=n_frames, widen=cfg["widen"],
                             widen_weight=cfg["widen_weight"])[None]

    def class_references(self, references, c):
        return list(references)

    def score(self, bundle, files, *, classes):
        from ..detection.peaks import threshold_events
        from ..evaluation.events import evaluate_events, sum_counts

        per_file, naive = [], []
        for f in files:
            act = bundle.activations_from_features(f.X)
            per_file.append(evaluate_events(f.reference, bundle.decode(act)["onset"]))
            naive.append(evaluate_events(f.reference, threshold_events(act[0], fps=bundle.fps, threshold=0.5)))
        m = sum_counts(per_file)
        m["threshold_0.5"] = {k: v for k, v in sum_counts(naive).items() if k in ("f_measure", "precision", "recall")}
        return m, per_file

    def write(self, result, path, fmt, duration):
        return write_times(path, result["onset"], fmt, duration)

    def api_result(self, result):
        return np.asarray(result["onset"], dtype=float)
