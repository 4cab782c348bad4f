"""Beats and downbeats: ``.beats`` files (``time`` or ``time<TAB>position``, madmom's and MDB
Drums'), JAMS ``beat``; two activations per frame (beat, downbeat) decoded by a bar-pointer
HMM or by peak picking; mir_eval's beat metrics, downbeat F and tempo Acc1/Acc2.

``mirlearn detect`` has three names for this task's model: ``beats`` (``<stem>.beats``,
``time<TAB>position``), ``downbeats`` (``<stem>.downbeats``, a time per line) and ``tempo``
(``<stem>.tempo.csv``: the two strongest tempi and their strengths).
"""

from __future__ import annotations

import numpy as np

from ..errors import ParameterError
from .base import FrameTask, TaskView, register, register_view, write_times

#: Peak-picking grid of the ``peaks`` decoder (beats are at least ~0.28 s apart at 215 BPM).
BEAT_GRID = dict(threshold=[0.1, 0.2, 0.3, 0.4, 0.5, 0.6], pre_max=[0.1, 0.2], post_max=[0.1, 0.2], pre_avg=[0.0],
                 post_avg=[0.0], smooth=[0.0], combine=[0.15])
#: The bar-pointer HMM's settings (madmom's DBNDownBeatTrackingProcessor, 55-215 BPM, 3/4 and 4/4).
HMM_DEFAULTS = dict(min_bpm=55.0, max_bpm=215.0, n_tempi=60, beats_per_bar=[3, 4], transition_lambda=100.0,
                    observation_lambda=16, threshold=0.05, correct=True)
#: Thresholds of the HMM searched on the validation files.
HMM_THRESHOLDS = (0.05, 0.1, 0.2)
#: Tempo estimators, chosen on the validation files: comb filters over the beat activation
#: (:func:`~mirlearn.detection.beats.comb_tempo`, the default, and what bundles without the
#: choice use) or the histogram of the decoded beats' intervals
#: (:func:`~mirlearn.detection.beats.interval_tempo`).
TEMPO_METHODS = ("comb", "beats")
#: Files shorter than this (s) get no beats: a bar or two cannot show a tempo.
MIN_SECONDS = 2.0
#: Fewer beats than this in a file are no beat at all (a pulse needs two intervals).
MIN_BEATS = 3


def _tempo_error(result, reference_beats):
    """Relative error of a result's first tempo against the annotated beats' tempo, capped
    at 1 (1 when the result has no tempo; 0 when the annotation has fewer than two beats,
    so that such a file favours no method)."""
    from ..evaluation.beats import reference_tempo

    if len(reference_beats) < 2:
        return 0.0
    if not len(result["tempi"]):
        return 1.0
    ref = reference_tempo(reference_beats)
    return min(abs(float(result["tempi"][0]) / ref - 1.0), 1.0)


def _empty():
    return dict(beats=np.zeros(0), positions=np.zeros(0), tempi=np.zeros(0), strengths=np.zeros(0))


def positions_from_downbeats(beats, downbeat_times, *, tolerance=0.07):
    """Positions in the bar of ``beats`` given separately detected downbeats: each downbeat
    marks the beat nearest to it (within ``tolerance`` s) as position 1, the beats after it
    count up; beats before the first downbeat count down from the most common bar length.
    All NaN when no downbeat lands on a beat."""
    beats = np.asarray(beats, float)
    p = np.full(len(beats), np.nan)
    if not len(beats):
        return p
    ones = set()
    for d in np.asarray(downbeat_times, float):
        k = int(np.argmin(np.abs(beats - d)))
        if abs(beats[k] - d) <= tolerance:
            ones.add(k)
    if not ones:
        return p
    ones = sorted(ones)
    bars = np.diff(ones)
    meter = int(np.bincount(bars).argmax()) if len(bars) else 4
    for a, b in zip(ones, [*ones[1:], len(beats)]):
        p[a:b] = np.arange(1, b - a + 1)
    for j in range(1, ones[0] + 1):  # a pickup bar: ..., meter - 1, meter, then 1
        p[ones[0] - j] = meter - ((j - 1) % meter)
    return p


@register
class Beats(FrameTask):
    name = "beats"
    classes = ("beat", "downbeat")
    # 50 fps (Beat This!'s rate): the HMM's cost grows with the square of the frame rate
    features = dict(kind="multires_logmel", sr=22050, fps=50, n_ffts=[1024, 2048], n_mels=80, fmin=27.5, fmax=11000.0)
    model = "beat_tcn"
    config = dict(chunk_frames=750, chunks_per_file=4, widen=1, widen_weight=0.5, epochs=60, patience=10, batch_size=8)
    methods = ("dp",)
    annotation_suffixes = (".beats", ".jams")
    jams_namespace = "beats"
    output_suffix = ".beats"
    formats = ("txt", "csv", "jams")
    why_not = {"midi": "are not notes"}
    unit = "beats"
    metrics = ("f_measure", "cmlt", "amlt", "downbeat_f_measure", "acc1", "acc2")
    plot_rows = 2

    def read_reference(self, annotation, *, duration=None):
        from .. import annotations as A

        return A.read_beats(annotation, duration=duration)

    def targets(self, reference, *, cfg, n_frames):
        """Row 0: every beat; row 1: the downbeats (position 1; none for a file of times
        only, whose downbeat row is then left out of the loss by :meth:`target_mask`)."""
        from ..data.frames import frame_targets

        t, p = reference
        fps = cfg["features"]["fps"]
        kw = dict(fps=fps, n_frames=n_frames, widen=cfg["widen"], widen_weight=cfg["widen_weight"])
        beat = frame_targets(t, **kw)
        if np.all(np.isnan(p)):
            down = np.full(n_frames, -1.0, np.float32)  # unknown
        else:
            down = frame_targets(t[p == 1], **kw)
        return np.stack([beat, down]).astype(np.float32)

    def target_mask(self, Y, mask):
        m = np.repeat(mask, Y.shape[0], axis=0)
        m[1] *= Y[1] >= 0
        return m

    def check_augment(self, augment):
        pass  # beats do not move with gain or pitch

    def loss(self, cfg, train_targets):
        from ..nn.losses import build_loss

        # unknown downbeats (-1) are masked out of the loss; they must not count as negatives
        return build_loss(cfg["loss"], train_targets=[np.maximum(Y, 0) for Y in train_targets])

    def prefilter(self, y, sr):
        """No beats in audio shorter than :data:`MIN_SECONDS` or silent (peak below -80 dBFS)."""
        y = np.asarray(y)
        if y.shape[-1] < MIN_SECONDS * sr or not np.any(np.abs(y) >= 1e-4):
            return _empty()
        return None

    # decoding ------------------------------------------------------------------------

    def decode(self, bundle, act, decoder=None):
        """``{"beats", "positions", "tempi", "strengths"}``: the HMM (the bundle's
        ``postprocess["decoder"]``, default) or peak picking (``decoder="peaks"``); the tempi
        by the bundle's ``postprocess["tempo"]`` (:data:`TEMPO_METHODS`, default comb)."""
        from ..detection.beats import bar_pointer_decode, comb_tempo, interval_tempo
        from ..detection.peaks import peak_pick

        pp = bundle.postprocess
        fps = bundle.fps
        decoder = decoder or pp.get("decoder", "hmm")
        act = np.clip(np.asarray(act, float), 0.0, 1.0)
        if act.shape[-1] < MIN_SECONDS * fps:
            return _empty()
        beat, down = act[0], act[1]
        if decoder == "peaks":
            beats = peak_pick(beat, fps=fps, **pp["beat"])
            positions = positions_from_downbeats(beats, peak_pick(down, fps=fps, **pp["downbeat"]))
        else:
            d = np.clip(down / np.maximum(beat, 1e-6), 0.0, 1.0)
            beats, positions = bar_pointer_decode(beat, d, fps=fps, **{**HMM_DEFAULTS, **pp.get("hmm", {})})
        if len(beats) < MIN_BEATS:
            return _empty()
        method = pp.get("tempo", "comb")
        if method not in TEMPO_METHODS:
            raise ParameterError(f"unknown tempo method {method!r} in the bundle's postprocess; known: {', '.join(TEMPO_METHODS)}")
        tempi, strengths = comb_tempo(beat, fps=fps) if method == "comb" else interval_tempo(beats)
        return dict(beats=np.asarray(beats, float), positions=np.asarray(positions, float), tempi=tempi, strengths=strengths)

    def tune_postprocess(self, activations, references, cfg, *, fps, bundle=None, fallback=None, echo=print):
        """Peak picking for each row (beat, downbeat), the HMM's threshold and the tempo
        method, each the best on the validation files (beat F for the beats; beat F +
        downbeat F for the HMM; for the tempo, the smaller mean relative error of T1, each
        file's capped at 1, the comb filters kept on a tie)."""
        from ..detection.peaks import tune_peak_picking

        grid = cfg["grid"] or BEAT_GRID
        out = {"decoder": "hmm"}
        beats = [r[0] for r in references]
        downs = [r[0][r[1] == 1] for r in references]
        for k, (c, refs) in enumerate((("beat", beats), ("downbeat", downs))):
            best = tune_peak_picking([a[k] for a in activations], refs, fps=fps, grid=grid, window=0.07, combine_reference=0.0)
            best.pop("f_measure")
            out[c] = best
        if bundle is None:
            return out
        scores = []
        for th in HMM_THRESHOLDS:
            trial = _Postprocessed(bundle, dict(out, hmm={"threshold": th}))
            s = [self._file_scores(trial, a, ref) for a, ref in zip(activations, references)]
            scores.append(np.mean([x["f_measure"] + x.get("downbeat_f_measure", 0.0) for x in s]))
        out["hmm"] = {"threshold": HMM_THRESHOLDS[int(np.argmax(scores))]}
        errors = []
        for method in TEMPO_METHODS:
            trial = _Postprocessed(bundle, dict(out, tempo=method))
            errors.append(np.mean([_tempo_error(self.decode(trial, a), ref[0]) for a, ref in zip(activations, references)]))
        out["tempo"] = TEMPO_METHODS[int(np.argmin(errors))]  # argmin: the first (comb) on a tie
        echo(f"tempo on the validation files: mean relative error of T1 "
             + ", ".join(f"{m} {e:.3f}" for m, e in zip(TEMPO_METHODS, errors)) + f"; using {out['tempo']}")
        return out

    # metrics ------------------------------------------------------------------------

    def _file_scores(self, bundle, act, reference, decoder=None):
        from ..evaluation.beats import evaluate_beats, evaluate_downbeats, reference_tempo, tempo_accuracy

        t, p = reference
        res = self.decode(bundle, act, decoder)
        s = {k: v for k, v in evaluate_beats(t, res["beats"]).items()}
        if not np.all(np.isnan(p)):
            est_down = res["beats"][res["positions"] == 1] if len(res["beats"]) else np.zeros(0)
            s["downbeat_f_measure"] = evaluate_downbeats(t[p == 1], est_down)["downbeat_f_measure"]
        if len(t) >= 2:
            s.update(tempo_accuracy(reference_tempo(t), float(res["tempi"][0]) if len(res["tempi"]) else 0.0))
        return s

    def score(self, bundle, files, *, classes):
        """Mean scores over the files (beats after 5 s, as MIREX scores them); the peak-picking
        decoder's under ``"peaks"``."""
        from ..evaluation.beats import mean_scores

        per_file, peaks = [], []
        for f in files:
            act = bundle.activations_from_features(f.X)
            per_file.append(self._file_scores(bundle, act, f.reference))
            peaks.append(self._file_scores(bundle, act, f.reference, decoder="peaks"))
        m = _mean_with_missing(per_file, mean_scores)
        m["peaks"] = {k: v for k, v in _mean_with_missing(peaks, mean_scores).items() if k in self.metrics}
        return m, per_file

    def summarise_folds(self, out, fold_metrics, cfg):
        for k in self.metrics:
            v = np.array([m["peaks"][k] for m in fold_metrics if k in m["peaks"]], float)
            if len(v):
                out.setdefault("peaks", {})[k] = float(v.mean())
                out["peaks"][k + "_std"] = float(v.std(ddof=1)) if len(v) > 1 else 0.0
        return out

    # outputs ------------------------------------------------------------------------

    def write(self, result, path, fmt, duration):
        from .. import annotations as A
        from ..fileio import atomic_write_text

        t, p = result["beats"], result["positions"]
        if fmt == "jams":
            A.write_jams(path, "beats", (t, p), duration=duration)
        elif fmt == "csv":
            atomic_write_text(path, "time,position\n" + "".join(f"{x:.6f},{'' if np.isnan(q) else int(q)}\n" for x, q in zip(t, p)))
        else:
            A.write_beats(path, t, p)
        return len(t)

    def api_result(self, result):
        return np.stack([result["beats"], result["positions"]], axis=1) if len(result["beats"]) else np.zeros((0, 2))

    def result_warning(self, result, duration):
        if len(result["beats"]):
            return None
        if duration < MIN_SECONDS:
            return f"too short to track beats ({duration:.1f} s; at least {MIN_SECONDS:g} s); no beats written"
        return "no beat found (silent, or no pulse: e.g. a sustained tone); no beats written"

    def plot(self, det, y, ax, axes, offset):
        from ..inference.detect import run_detector

        ax2 = axes[1, 0]
        early = self.prefilter(y, det.sr)
        if early is None and hasattr(det, "activations"):  # one pass of features and network: drawn and decoded
            act = det.activations(y)
            res = det.decode(act)
            t = offset + np.arange(act.shape[-1]) / det.fps
            for k, c in enumerate(det.classes):
                ax2.plot(t, act[k], lw=0.8, label=c)
        else:
            res = early if early is not None else run_detector(det, y)
        for b, q in zip(res["beats"], res["positions"]):
            colour = "r" if q == 1 else "w"
            ax.axvline(offset + b, color=colour, alpha=0.7, lw=1.2 if q == 1 else 0.6)
            ax2.axvline(offset + b, color="r" if q == 1 else "k", alpha=0.4, lw=0.8)
        ax2.set_ylabel("activation")
        ax2.set_xlabel("time (s)")
        if ax2.get_legend_handles_labels()[0]:
            ax2.legend(loc="upper right")


class _Postprocessed:
    """A bundle seen with other post-processing parameters (the HMM search)."""

    def __init__(self, bundle, postprocess):
        self.fps, self.postprocess = bundle.fps, postprocess


def _mean_with_missing(per_file, mean_scores):
    """:func:`mean_scores` over the files that have each key (downbeats and tempo are scored
    only where the reference gives them)."""
    keys = dict.fromkeys(k for f in per_file for k in f)
    out = {}
    for k in keys:
        have = [f for f in per_file if k in f]
        out.update({k: v for k, v in mean_scores([{k: f[k]} for f in have]).items()})
    return out


@register_view
class Downbeats(TaskView):
    name = "downbeats"
    task = "beats"
    output_suffix = ".downbeats"
    formats = ("txt", "csv")
    why_not = {"jams": "are written as beats with positions (detect beats --format jams)", "midi": "are not notes"}
    unit = "downbeats"

    def select(self, result):
        t, p = result["beats"], result["positions"]
        return t[p == 1] if len(t) else np.zeros(0)

    def write(self, result, path, fmt, duration):
        return write_times(path, self.select(result), fmt, duration)

    def api_result(self, result):
        return self.select(result)

    def result_warning(self, result, duration):
        if len(result["beats"]) and np.all(np.isnan(result["positions"])):
            return "this method finds beats but no bars, so no downbeats (use the shipped model, not --method dp)"
        return super().result_warning(result, duration)


@register_view
class Tempo(TaskView):
    name = "tempo"
    task = "beats"
    output_suffix = ".tempo"
    formats = ("csv", "txt")
    why_not = {"jams": "has no JAMS writer here", "midi": "is not notes"}
    unit = "tempi"

    def output_path(self, out_dir, stem, fmt):
        super().output_path(out_dir, stem, fmt)  # the format check
        return out_dir / f"{stem}.tempo.csv"  # both formats: a CSV (as the f0 track is)

    def write(self, result, path, fmt, duration):
        from ..fileio import atomic_write_text

        rows = "".join(f"{t:.2f},{s:.4f}\n" for t, s in zip(result["tempi"], result["strengths"]))
        atomic_write_text(path, "tempo,strength\n" + rows)
        return len(result["tempi"])

    def api_result(self, result):
        return np.stack([result["tempi"], result["strengths"]], axis=1) if len(result["tempi"]) else np.zeros((0, 2))
