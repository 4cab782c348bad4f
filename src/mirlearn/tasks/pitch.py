"""Pitch: a monophonic f0 track, ``(times, f0)`` with 0 for unvoiced frames (``time,frequency``
files, notes and MIDI files sampled at 100 fps, JAMS ``pitch_contour``); a softmax over pitch
bins and a no-pitch bin, mir_eval's melody metrics."""

from __future__ import annotations

import numpy as np

from ..errors import ParameterError
from .base import FrameTask, register


def _pitch_ce(logits, targets, mask=None):
    import torch.nn.functional as F

    t = targets[:, 0].long().clamp_min(0)  # -1 (outside the pitch grid) is masked out
    loss = F.cross_entropy(logits, t, reduction="none")  # (b, t)
    if mask is None:
        return loss.mean()
    m = mask[:, 0]
    return (loss * m).sum() / m.sum().clamp_min(1.0)


@register
class Pitch(FrameTask):
    name = "pitch"
    classes = ("f0",)
    features = dict(kind="logfreq", sr=16000, fps=100, n_fft=2048, fmin=32.703195662574835, n_bins=360, bins_per_octave=60)
    model = "pitch_cnn"
    config = dict(loss="ce", widen=0, chunk_frames=100)
    methods = ("pyin",)
    annotation_suffixes = (".f0.csv", ".f0", ".csv", ".notes", ".mid", ".jams")
    jams_namespace = "f0"
    output_suffix = ".f0.csv"
    formats = ("txt", "csv", "jams", "midi")
    unit = "voiced frames"
    metrics = ("raw_pitch_accuracy", "raw_chroma_accuracy", "voicing_recall", "voicing_false_alarm", "overall_accuracy")
    plot_rows = 1
    #: The voicing thresholds searched on validation.
    thresholds = (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.98, 0.99)

    def read_reference(self, annotation, *, duration=None):
        from .. import annotations as A

        name = str(annotation).lower()
        if name.endswith((".notes", ".mid", ".midi")):
            iv, p = A.read_midi(annotation)[:2] if name.endswith((".mid", ".midi")) else A.read_notes(annotation, duration=duration)
            end = float(iv[:, 1].max()) if len(iv) else 0.0
            t = np.arange(int(np.ceil(max(end, duration or 0) * 100)) + 1) / 100.0
            return t, A.notes_to_f0(iv, p, times=t)
        return A.read_f0(annotation, duration=duration)

    def reference_times(self, reference):
        raise ParameterError("--reference draws event annotations (onsets, drums, beats); an f0 track is not drawn here")

    def targets(self, reference, *, cfg, n_frames):
        from ..data.frames import f0_frame_targets

        t, f = reference
        f0 = f0_frame_targets(t, f, fps=cfg["features"]["fps"], n_frames=n_frames)
        feats = cfg["features"]
        n_bins = feats["n_bins"]
        with np.errstate(divide="ignore"):
            b = np.round(np.log2(np.where(f0 > 0, f0, 1.0) / feats["fmin"]) * feats["bins_per_octave"]).astype(int)
        # index n_bins = unvoiced; pitches outside the grid are ignored in the loss (-1)
        b = np.where(f0 > 0, np.where((b >= 0) & (b < n_bins), b, -1), n_bins)
        return b[None].astype(np.float32)

    def target_mask(self, Y, mask):
        return mask * (Y >= 0)

    def check_augment(self, augment):
        if augment["band_shift"]:
            raise ParameterError("augment band_shift would move the pitch labels of --task pitch; use it for onsets and drums")

    def network_config(self, net_cfg, cfg, n_bands):
        net_cfg.setdefault("n_bins", cfg["features"]["n_bins"])
        return net_cfg

    def loss(self, cfg, train_targets):
        return _pitch_ce, {"type": "ce"}

    def activate(self, logits):
        import torch

        return torch.softmax(logits, dim=0)

    def decode(self, bundle, act):
        return bundle.f0(act)

    def tune_postprocess(self, activations, references, cfg, *, fps, bundle=None, fallback=None, echo=print):
        """The voicing threshold of best overall accuracy on the validation files."""
        from ..evaluation.events import evaluate_pitch, mean_pitch

        best = None
        for th in self.thresholds:
            pp = dict(voicing_threshold=th, viterbi=bool(cfg["viterbi"]))
            m = mean_pitch(evaluate_pitch(*ref, *bundle.f0(act, pp)) for act, ref in zip(activations, references))
            if best is None or m["overall_accuracy"] > best[0]:
                best = (m["overall_accuracy"], pp)
        return best[1]

    def score(self, bundle, files, *, classes):
        from ..evaluation.events import evaluate_pitch, mean_pitch

        per_file = [evaluate_pitch(*f.reference, *bundle.f0(bundle.activations_from_features(f.X), bundle.postprocess)) for f in files]
        return mean_pitch(per_file), per_file

    def output_path(self, out_dir, stem, fmt):
        if fmt == "csv":
            fmt = "txt"  # the f0 file is a CSV already
        return super().output_path(out_dir, stem, fmt)

    def write(self, result, path, fmt, duration):
        from .. import annotations as A

        times, f0 = result
        if fmt == "jams":
            A.write_jams(path, "f0", (times, f0), duration=duration)
        elif fmt == "midi":
            from ..detection.pitch import f0_to_notes

            iv, p = f0_to_notes(times, f0)
            A.write_midi(path, iv, p)
        else:
            A.write_f0(path, times, f0)
        return int(np.sum(f0 > 0))

    def plot(self, det, y, ax, axes, offset):
        from ..inference.detect import run_detector

        times, f0 = run_detector(det, y)
        voiced = f0 > 0
        ax.plot(offset + times[voiced], f0[voiced], ".", ms=2, color="w", label="f0")
        ax.set_yscale("log")
        ax.legend(loc="upper right")
