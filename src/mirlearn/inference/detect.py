"""``detect``: events and f0 of audio files, with a trained, shipped or non-learned model.

Outputs per input ``<stem>``, in ``out_dir`` (times in seconds):

==========  ==========================  ==========================  ===================
task        txt (default)               csv                         jams / midi
==========  ==========================  ==========================  ===================
onsets      ``<stem>.onsets``: a time   ``<stem>.onsets.csv``       ``<stem>.jams``
            per line (mir_eval.io)
drums       ``<stem>.drums``:           ``<stem>.drums.csv``        ``<stem>.jams``; ``<stem>.mid``
            ``time<TAB>KD|SD|HH``                                   (GM drums, channel 10)
pitch       ``<stem>.f0.csv``:          ``<stem>.f0.csv``           ``<stem>.jams``; ``<stem>.mid``
            ``time,frequency``                                      (notes from the f0)
==========  ==========================  ==========================  ===================

A file that cannot be read is reported and skipped; the others complete.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import AudioError, ParameterError
from ..tasks import FRAME_TASKS, get_output, get_task
from ..tasks.drums import GM_DRUMS  # noqa: F401  (re-exported)
from .bundle import BundleError

__all__ = ["detect_files", "resolve_detector", "shipped_model_dir", "Detection", "METHODS", "GM_DRUMS"]

#: Non-learned methods of ``--method``, per task.
METHODS = {name: t.methods for name, t in FRAME_TASKS.items()}
FORMATS = ("txt", "csv", "jams", "midi")


@dataclass
class Detection:
    path: str
    output: str | None
    reason: str | None = None
    n: int = 0


def shipped_model_dir(task):
    """The folder of the model shipped for ``task`` inside the package."""
    return Path(__file__).resolve().parent.parent / "pretrained" / task


class _PyinDetector:
    """pYIN behind the bundle interface ``detect`` uses."""

    task = "pitch"
    classes = ["f0"]
    sr = 22050
    fps = 22050 / 256

    def track(self, y):
        from ..detection.pitch import pyin

        f0, voiced, _ = pyin(y, sr=self.sr, fmin=65.0, fmax=2093.0, frame_length=2048, hop_length=256)
        return np.arange(len(f0)) * 256 / self.sr, np.where(voiced, f0, 0.0)


class _DPDetector:
    """Ellis' dynamic-programming beat tracker (:func:`mirlearn.detection.beats.beat_track`)
    behind the bundle interface: beats without positions (it finds no bars), the tempo from
    the onset-strength autocorrelation."""

    task = "beats"
    classes = ["beat"]
    sr = 22050
    hop_length = 512
    fps = 22050 / 512

    def track(self, y):
        from ..detection.beats import beat_track_dp, onset_envelope, tempo_candidates
        from ..tasks.beats import MIN_BEATS, _empty

        env = onset_envelope(y, sr=self.sr, hop_length=self.hop_length)
        _, beats = beat_track_dp(env, fps=self.fps)
        if len(beats) < MIN_BEATS:
            return _empty()
        tempi, strengths = tempo_candidates(env, fps=self.fps)
        return dict(beats=np.asarray(beats, float), positions=np.full(len(beats), np.nan), tempi=tempi, strengths=strengths)


_NON_LEARNED = {"pyin": _PyinDetector, "dp": _DPDetector}


def resolve_detector(task, *, model=None, method=None):
    """The detector ``detect`` runs: a run directory's (or bundle folder's) model, a
    non-learned ``method``, or the model shipped for ``task``."""
    from ..detection.baselines import BASELINES
    from .frames import FrameBundle, load_frame_bundle

    t = get_task(task)
    if model is not None and method is not None:
        raise ParameterError("give --model or --method, not both")
    if method is not None:
        if method not in t.methods:
            raise ParameterError(f"unknown --method {method!r} for {task}; choose one of: {', '.join(t.methods) or f'none ({task} has none)'}")
        if method in _NON_LEARNED:
            return _NON_LEARNED[method]()
        pp = {k: v for k, v in BASELINES[method][1].items()}
        return FrameBundle(task=task, classes=list(t.classes), network=method, network_config={},
                           features={"kind": method, "sr": 44100, "fps": 100}, norm_mean=np.zeros(1, np.float32),
                           norm_std=np.ones(1, np.float32), postprocess={t.classes[0]: pp}, state_dict={}, info={"context": 0})
    if model is None:
        folder = shipped_model_dir(task)
        if not (folder / "bundle.json").is_file():
            raise BundleError(f"no model is shipped for {task} in this installation ({folder}); pass --model RUN_DIR"
                              + (f" or --method {t.methods[0]}" if t.methods else ""))
    else:
        folder = Path(model)
        if (folder / "model" / "bundle.json").is_file():
            folder = folder / "model"
    bundle = load_frame_bundle(folder)
    if bundle.task != task:
        raise ParameterError(f"{model or folder} is a {bundle.task} model; use 'mirlearn detect {bundle.task}' or another --model")
    return bundle


def run_detector(det, y):
    """The task's result of mono audio at ``det.sr``: ``{class: times}`` (onsets, drums),
    ``(times, f0)`` (pitch), ``{"beats", "positions", "tempi", "strengths"}`` (beats)."""
    early = get_task(det.task).prefilter(y, det.sr)
    if early is not None:
        return early
    if isinstance(det, tuple(_NON_LEARNED.values())):
        return det.track(y)
    return det.decode(det.activations(y))


def detect_files(task, paths, out_dir, *, model=None, method=None, fmt="txt", progress=True, echo=print):
    """Detect ``task`` (a task or a view of one: ``downbeats``, ``tempo``) in every file of
    ``paths`` and write one output per file. A file whose result is empty for a reason the
    task names (too short, silent, no pulse) is written empty, with a warning.

    Returns
    -------
    list of Detection
        One per input: the output written, or why the file was skipped.
    """
    from ..audio import load
    from ..fileio import unique_stems, writable_dir

    paths = list(paths)
    output = get_output(task)
    if fmt not in FORMATS:
        raise ParameterError(f"--format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    det = resolve_detector(output.model_task, model=model, method=method)
    out_dir = Path(out_dir)
    ok, why = writable_dir(out_dir)
    if not ok:
        raise ParameterError(f"--out {out_dir}: cannot write there ({why})")
    output.output_path(out_dir, "x", fmt)  # a format the task cannot have fails before any work
    results = []
    it = zip(paths, unique_stems(paths))
    if progress:
        from tqdm import tqdm

        it = tqdm(it, total=len(paths), desc=f"detect {task}", unit="file")
    for p, stem in it:
        try:
            y, _ = load(p, sr=det.sr)
            result = run_detector(det, y)
            out = output.output_path(out_dir, stem, fmt)
            why = output.result_warning(result, len(y) / det.sr)
            if why:
                echo(f"warning: {p}: {why}")
            count = output.write(result, out, fmt, len(y) / det.sr)
            results.append(Detection(str(p), str(out), None, count))
        except (AudioError, ParameterError) as exc:
            reason = exc.reason if isinstance(exc, AudioError) else str(exc)
            results.append(Detection(str(p), None, reason))
            echo(f"skipped {p}: {reason}")
    return results
