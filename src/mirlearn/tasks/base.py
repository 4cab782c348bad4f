"""The frame-task registry: one object per frame-level task (onsets, drums, pitch, ...).

A task object says everything that differs between frame tasks, so that the rooms that
share them (data, training, inference, detection, evaluation, reports, cli) never branch on a
task's name:

=======================  ===============================================================
part                     attributes and methods
=======================  ===============================================================
names and defaults       ``name``, ``classes``, ``features``, ``model``, ``config``
                         (overrides of the frame defaults), ``methods`` (non-learned
                         ``--method`` names)
annotations              ``annotation_suffixes``, ``jams_namespace``,
                         :meth:`read_reference`
targets and loss         :meth:`targets`, :meth:`target_mask`, :meth:`check_augment`,
                         :meth:`network_config`, :meth:`loss`
activations, decoding    :meth:`activate`, :meth:`decode`, :meth:`tune_postprocess`
metrics                  ``metrics`` (the summary keys), :meth:`score`,
                         :meth:`summarise_folds`
outputs                  ``output_suffix``, ``formats``, ``unit``, :meth:`output_path`,
                         :meth:`write`, :meth:`api_result`, :meth:`plot`
=======================  ===============================================================

A task is a subclass of :class:`FrameTask` (or :class:`EventTask`, for tasks whose outputs
are event times per class) in its own module of this package, registered with
:func:`register`. docs/frames.md says how to add one.

The methods import what they use from the other rooms when called, so importing the
registry costs nothing.
"""

from __future__ import annotations

import numpy as np

from ..errors import ParameterError

__all__ = ["FrameTask", "EventTask", "TaskView", "FRAME_TASKS", "TASK_VIEWS", "register", "register_view", "get_task",
           "get_output", "detect_names"]

#: name -> task object, in the order of registration.
FRAME_TASKS = {}
#: name -> view object: another ``detect`` name for a part of a task's result.
TASK_VIEWS = {}


def register(cls):
    """Class decorator: register one instance of a :class:`FrameTask` subclass under its ``name``."""
    task = cls()
    if task.name in FRAME_TASKS:
        raise ValueError(f"frame task {task.name!r} is registered twice")
    FRAME_TASKS[task.name] = task
    return cls


def register_view(cls):
    """Class decorator: register one instance of a :class:`TaskView` subclass under its ``name``."""
    view = cls()
    if view.name in FRAME_TASKS or view.name in TASK_VIEWS:
        raise ValueError(f"detect name {view.name!r} is registered twice")
    if view.task not in FRAME_TASKS:
        raise ValueError(f"view {view.name!r} names task {view.task!r}, which is not registered (register it first)")
    TASK_VIEWS[view.name] = view
    return cls


def detect_names():
    """Every name ``mirlearn detect`` and :func:`mirlearn.detect` take: the tasks, then the views."""
    return [*FRAME_TASKS, *TASK_VIEWS]


def get_output(name):
    """The task or view that ``detect NAME`` writes, or a clear error naming the known ones."""
    if name in TASK_VIEWS:
        return TASK_VIEWS[name]
    try:
        return FRAME_TASKS[name]
    except (KeyError, TypeError):
        raise ParameterError(f"task must be one of {', '.join(detect_names())}, got {name!r}") from None


def get_task(name):
    """The registered frame task called ``name``, or a clear error naming the known ones."""
    try:
        return FRAME_TASKS[name]
    except (KeyError, TypeError):
        raise ParameterError(f"task must be one of {', '.join(FRAME_TASKS)}, got {name!r}") from None


def write_times(path, times, fmt, duration=None):
    """Event times as ``fmt``: ``txt`` a time per line (mir_eval.io), ``csv`` with a ``time``
    header, ``jams`` an ``onset`` annotation; returns their count."""
    from .. import annotations as A
    from ..fileio import atomic_write_text

    t = np.asarray(times, dtype=float)
    if fmt == "jams":
        A.write_jams(path, "events", t, duration=duration)
    elif fmt == "csv":
        atomic_write_text(path, "time\n" + "".join(f"{x:.6f}\n" for x in t))
    else:
        A.write_events(path, t)
    return len(t)


class FrameTask:
    """The parts of a frame-level task; subclasses fill them in."""

    #: CLI and registry name (``mirlearn detect NAME``, ``mirlearn train --task NAME``).
    name = ""
    #: Output classes (rows of the targets and activations).
    classes = ()
    #: Default input features (:func:`mirlearn.features.frames.frame_features`).
    features = {}
    #: Default network (:data:`mirlearn.models.neural.FRAME_NETWORKS`).
    model = ""
    #: Frame-config keys whose default differs for this task.
    config = {}
    #: Non-learned methods of ``mirlearn detect --method``.
    methods = ()
    #: Annotation file endings looked for in a data folder, in order of preference.
    annotation_suffixes = ()
    #: The kind :func:`mirlearn.annotations.read_jams` reads for this task.
    jams_namespace = ""
    #: The output file ending of ``detect`` (format txt).
    output_suffix = ""
    #: The output formats of ``detect``.
    formats = ("txt", "csv", "jams")
    #: Why a format is missing from :attr:`formats` (for the error message).
    why_not = {}
    #: What ``detect`` counts in each output.
    unit = "events"
    #: The summary metrics, in the order tables show them.
    metrics = ()
    #: Summary metrics averaged over folds beyond :attr:`metrics`.
    extra_fold_metrics = ()

    def __repr__(self):
        return f"<frame task {self.name}>"

    # annotations and targets -------------------------------------------------------

    def read_reference(self, annotation, *, duration=None):
        """The annotation file in the task's reference form."""
        raise NotImplementedError

    def reference(self, annotation, *, duration=None):
        """:meth:`read_reference`, or the JAMS namespace of the task for ``.jams`` files."""
        if str(annotation).lower().endswith(".jams"):
            from .. import annotations as A

            return A.read_jams(annotation, self.jams_namespace)
        return self.read_reference(annotation, duration=duration)

    def reference_times(self, reference):
        """The times (s) of a reference, to draw (``mirlearn show --reference``)."""
        if isinstance(reference, tuple):
            return np.asarray(reference[0], dtype=float)
        return np.asarray(reference, dtype=float)

    def targets(self, reference, *, cfg, n_frames):
        """``(n_outputs, n_frames)`` training targets of a reference."""
        raise NotImplementedError

    def target_mask(self, Y, mask):
        """The loss mask of a chunk's targets ``Y`` (``mask``: 1 on real frames)."""
        return mask

    def check_augment(self, augment):
        """Raise when an augmentation would move this task's labels."""

    def network_config(self, net_cfg, cfg, n_bands):
        """Fill in the output size of the network configuration ``net_cfg``."""
        net_cfg.setdefault("n_classes", len(cfg["classes"]))
        net_cfg.setdefault("n_bands", n_bands)
        return net_cfg

    def loss(self, cfg, train_targets):
        """``(loss_fn, loss_config)`` of the training run."""
        from ..nn.losses import build_loss

        return build_loss(cfg["loss"], train_targets=train_targets)

    # activations and decoding ------------------------------------------------------

    def activate(self, logits):
        """Probabilities of a network's ``(n_outputs, n_frames)`` logits (torch)."""
        import torch

        return torch.sigmoid(logits)

    def decode(self, bundle, act):
        """The task's result from a bundle's activations."""
        raise NotImplementedError

    def tune_postprocess(self, activations, references, cfg, *, fps, bundle=None, fallback=None, echo=print):
        """Post-processing parameters chosen on validation activations and references."""
        raise NotImplementedError

    # metrics ------------------------------------------------------------------------

    def score(self, bundle, files, *, classes):
        """``(summary, per_file)`` scores of a bundle on prepared files."""
        raise NotImplementedError

    def summarise_folds(self, out, fold_metrics, cfg):
        """Add task-specific fold means and standard deviations to ``out``."""
        return out

    # outputs ------------------------------------------------------------------------

    def output_path(self, out_dir, stem, fmt):
        """The file ``detect`` writes for ``stem`` in format ``fmt``."""
        if fmt not in self.formats:
            able = " or ".join(t.name for t in FRAME_TASKS.values() if fmt in t.formats)
            raise ParameterError(f"--format {fmt} needs {able} ({self.name} {self.why_not.get(fmt, 'cannot be written so')}); "
                                 f"use {', '.join(self.formats)}")
        if fmt == "jams":
            return out_dir / f"{stem}.jams"
        if fmt == "midi":
            return out_dir / f"{stem}.mid"
        return out_dir / f"{stem}{self.output_suffix}{'.csv' if fmt == 'csv' else ''}"

    def write(self, result, path, fmt, duration):
        """Write a result as ``fmt``; returns the count of :attr:`unit` written."""
        raise NotImplementedError

    def api_result(self, result):
        """What :func:`mirlearn.detect` returns for a result."""
        return result

    @property
    def model_task(self):
        """The task whose model makes this output (itself; a view's parent)."""
        return self.name

    def prefilter(self, y, sr):
        """The result of audio the task answers without its model (e.g. too short or
        silent for beats), or None to run the model."""
        return None

    def result_warning(self, result, duration):
        """Why a result of a file ``duration`` s long is empty, for a warning; None when it
        is not (or when empty is an ordinary answer)."""
        return None

    def plot(self, det, y, ax, axes, offset):
        """Draw the result over a spectrogram axis ``ax`` (``axes``: the figure's axes)."""
        raise NotImplementedError

    #: Rows of the ``mirlearn show --activations`` figure.
    plot_rows = 2


class TaskView:
    """Another ``detect`` name for part of a task's result, written in its own format (beats:
    ``downbeats``, ``tempo``): it runs the :attr:`task`'s model and decoder; subclasses give
    the output's name, formats and writer."""

    name = ""
    #: The registered task whose model and decoder make the result.
    task = ""
    output_suffix = ""
    formats = ("txt", "csv")
    why_not = {}
    unit = "events"
    output_path = FrameTask.output_path

    def __repr__(self):
        return f"<view {self.name} of frame task {self.task}>"

    @property
    def model_task(self):
        return self.task

    def write(self, result, path, fmt, duration):
        raise NotImplementedError

    def api_result(self, result):
        raise NotImplementedError

    def result_warning(self, result, duration):
        return FRAME_TASKS[self.task].result_warning(result, duration)


class EventTask(FrameTask):
    """A task whose result is event times per class, ``{class: times}``: peak picking per
    class, tuned on validation; F-measure from counts summed over files."""

    metrics = ("f_measure", "precision", "recall")
    #: The reference onsets closer than this (s) are merged when tuning peak picking.
    combine_reference = 0.0

    def class_references(self, references, c):
        """Each file's reference times of class ``c``."""
        return [np.sort(np.asarray(t)[np.asarray(lab) == c]) for t, lab in references]

    def decode(self, bundle, act):
        from ..detection.peaks import peak_pick

        return {c: peak_pick(act[k], fps=bundle.fps, **bundle.postprocess[c]) for k, c in enumerate(bundle.classes)}

    def tune_postprocess(self, activations, references, cfg, *, fps, bundle=None, fallback=None, echo=print):
        """Peak picking per class. A class with no event in the validation files cannot be
        tuned there (every setting scores 0); its parameters are then searched on
        ``fallback()`` = ``(activations, references)`` of the training files (never the test
        files), and the run says so."""
        from ..detection.peaks import tune_peak_picking

        out = {}
        for k, c in enumerate(cfg["classes"]):
            acts, refs = [a[k] for a in activations], self.class_references(references, c)
            if not any(len(r) for r in refs) and fallback is not None:
                echo(f"warning: no {c} event in the validation files; {c}'s peak picking is tuned on the training files")
                fa, fr = fallback()
                acts, refs = [a[k] for a in fa], self.class_references(fr, c)
            best = tune_peak_picking(acts, refs, fps=fps, grid=cfg["grid"], combine_reference=self.combine_reference)
            best.pop("f_measure")
            out[c] = best
        return out

    def plot(self, det, y, ax, axes, offset):
        act = det.activations(y)
        events = det.decode(act)
        ax2 = axes[1, 0]
        t = offset + np.arange(act.shape[-1]) / det.fps
        for k, c in enumerate(det.classes):
            line, = ax2.plot(t, act[k], lw=0.8, label=c)
            for e in events[c]:
                ax2.axvline(offset + e, color=line.get_color(), alpha=0.4, lw=0.8)
                ax.axvline(offset + e, color=line.get_color(), alpha=0.5, lw=0.6)
        ax2.set_ylabel("activation")
        ax2.set_xlabel("time (s)")
        ax2.legend(loc="upper right")
