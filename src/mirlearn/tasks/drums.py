"""Drums: kick, snare and hi-hat events (``time<TAB>label`` files, MDB Drums' ``_class.txt``,
JAMS ``drum``); F-measure per class and over all."""

from __future__ import annotations

import numpy as np

from .base import EventTask, register

#: General MIDI percussion notes of the drum classes (channel 10).
GM_DRUMS = {"KD": 36, "SD": 38, "HH": 42, "TT": 45, "CY": 49, "OT": 39}


@register
class Drums(EventTask):
    name = "drums"
    classes = ("KD", "SD", "HH")
    # up to 11 kHz: drum stems at 44.1 kHz and mixtures at 22.05 kHz look alike
    features = dict(kind="multires_logmel", sr=44100, fps=100, n_ffts=[1024, 2048, 4096], n_mels=80, fmin=27.5, fmax=11000.0)
    model = "drum_crnn"
    annotation_suffixes = (".drums", "_class.txt", ".txt", ".jams")
    jams_namespace = "labelled_events"
    output_suffix = ".drums"
    formats = ("txt", "csv", "jams", "midi")

    def read_reference(self, annotation, *, duration=None):
        from .. import annotations as A

        return A.read_labelled_events(annotation, duration=duration)

    def targets(self, reference, *, cfg, n_frames):
        from ..data.frames import labelled_frame_targets

        t, lab = reference
        return labelled_frame_targets(t, lab, classes=cfg["classes"], fps=cfg["features"]["fps"], n_frames=n_frames,
                                      widen=cfg["widen"], widen_weight=cfg["widen_weight"])

    def score(self, bundle, files, *, classes):
        from ..detection.peaks import threshold_events
        from ..evaluation.events import evaluate_labelled_events, sum_labelled
        from ..evaluation.frames import labelled

        per_file, naive = [], []
        for f in files:
            act = bundle.activations_from_features(f.X)
            nv = {c: threshold_events(act[k], fps=bundle.fps, threshold=0.5) for k, c in enumerate(classes)}
            per_file.append(evaluate_labelled_events(f.reference, labelled(bundle.decode(act)), classes=classes))
            naive.append(evaluate_labelled_events(f.reference, labelled(nv), classes=classes))
        m = sum_labelled(per_file, classes=classes)
        n = sum_labelled(naive, classes=classes)
        m["threshold_0.5"] = {"f_measure": n["f_measure"], **{f"f_measure_{c}": n["per_class"][c]["f_measure"] for c in classes}}
        return m, per_file

    def summarise_folds(self, out, fold_metrics, cfg):
        for c in cfg["classes"]:
            v = np.array([m["per_class"][c]["f_measure"] for m in fold_metrics])
            out[f"f_measure_{c}"], out[f"f_measure_{c}_std"] = float(v.mean()), float(v.std(ddof=1))
        return out

    def write(self, result, path, fmt, duration):
        from .. import annotations as A
        from ..fileio import atomic_write_text

        t = np.concatenate([np.asarray(v, float) for v in result.values()]) if result else np.zeros(0)
        lab = np.concatenate([np.full(len(v), c, dtype=object) for c, v in result.items()]) if result else np.zeros(0, object)
        o = np.lexsort((lab.astype(str), t))
        t, lab = t[o], lab[o]
        if fmt == "jams":
            A.write_jams(path, "labelled_events", (t, lab), duration=duration)
        elif fmt == "midi":
            A.write_midi(path, np.stack([t, t + 0.1], 1), [GM_DRUMS.get(x, 39) for x in lab], channel=9)
        elif fmt == "csv":
            atomic_write_text(path, "time,label\n" + "".join(f"{x:.6f},{c}\n" for x, c in zip(t, lab)))
        else:
            A.write_labelled_events(path, t, lab)
        return len(t)
