"""Evaluating and comparing run directories.

:func:`evaluate_run` scores a run's model on a dataset and refuses to report, as a test
score, items that the model was fitted, selected or calibrated on: it reads the part
every item played for the final model from the run's ``split.csv`` (paths compared after
resolving them). :func:`compare_runs` tabulates runs' headline metrics.
"""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path

from ..data import Dataset, load_dataset
from ..errors import MirlearnWarning, ParameterError
from ..extraction import gather
from ..fileio import read_csv
from ..inference import load_bundle
from ..tasks import FRAME_TASKS
from .metrics import classification_metrics, tagging_metrics

__all__ = ["evaluate_run", "evaluate_frame_run", "is_frame_run", "compare_runs", "LeakError"]


class LeakError(ParameterError):
    """The items asked for were used to fit the model being evaluated."""


def _echo_default(msg):
    print(msg, flush=True)


def _norm(p):
    return os.path.realpath(str(p))


def _fit_items(run_dir):
    """Resolved paths of the items the run's final model was fitted or selected on (its
    ``train`` and ``valid`` parts), and the run's own test items."""
    f = Path(run_dir) / "split.csv"
    if not f.is_file():
        raise ParameterError(f"{str(run_dir)!r} has no split.csv: cannot tell which items trained its model")
    table = read_csv(f)
    if "split" not in table:
        raise ParameterError(f"{f} has no 'split' column (a run from an older mirlearn): retrain it")
    paths = [_norm(p) for p in table["path"]]
    fit = {p for p, s in zip(paths, table["split"]) if s in ("train", "valid")}
    test = {p for p, s in zip(paths, table["split"]) if s == "test"}
    return fit, test


def evaluate_run(run_dir, data, *, split="test", cache=None, progress=False, trust=False, echo=_echo_default):
    """Score a trained run on ``data``: its ``split`` part, or ``'all'`` of it.

    The part is the manifest's ``split`` column when it has one, else the run's own test
    items (``split.csv``), or every item when the model was neither trained, validated nor
    selected on any of them (new data). Items with labels the model never saw are reported
    and left out, and so are unreadable files. Items are matched to the run's by resolved
    path.

    Raises
    ------
    LeakError
        ``split`` is ``'test'`` and some of the items to score were used to fit or select
        the model (for example ``--split test`` on a cross-validation run, whose final model
        was fitted on every item). Its scores are in the run's ``metrics.json``. The
        ``train``, ``valid`` and ``all`` parts may be scored; the result then says how many
        of its items the model has seen.

    Returns
    -------
    dict
        At least ``accuracy``, ``balanced_accuracy``, ``macro_f1``, ``n_items``,
        ``evaluated_on`` (what was scored), ``n_seen_in_training`` and ``skipped``.
    """
    if split not in ("train", "valid", "test", "all"):
        raise ParameterError(f"--split must be train, valid, test or all, got {split!r}")
    bundle = load_bundle(run_dir, trust=trust)
    fit, run_test = _fit_items(run_dir)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", MirlearnWarning)
        ds = load_dataset(data)
    skipped = [{"path": p, "reason": r} for p, r in ds.skipped]
    for w in caught:
        echo(f"warning: {w.message}")
    items, how, seen = _select_items(ds.items, split=split, has_splits=ds.has_splits, fit=fit, run_test=run_test,
                                     data=data, run_dir=run_dir, echo=echo)
    known = set(bundle.classes)
    if bundle.multilabel:
        unseen = sorted({lab for it in items for lab in it.labels if lab not in known})
        if unseen:
            echo(f"tags the model was not trained on are ignored: {', '.join(unseen)}")
    else:
        unseen_items = [it for it in items if it.label not in known]
        if unseen_items:
            labels = sorted({it.label for it in unseen_items})
            echo(f"{len(unseen_items)} item(s) with label(s) the model was not trained on ({', '.join(labels)}) are left out")
            skipped += [{"path": it.path, "reason": f"unseen label {it.label!r}"} for it in unseen_items]
            items = [it for it in items if it.label in known]
    if not items:
        raise ParameterError("no item has a label the model knows; nothing to evaluate")
    results, store = gather([it.path for it in items], bundle.extraction, cache=cache, progress=progress)
    for it in items:
        r = results[it.path]
        if r.status == "error":
            skipped.append({"path": it.path, "reason": r.reason})
    items = [it for it in items if results[it.path].status != "error"]
    if not items:
        raise ParameterError("none of the files could be read; nothing to evaluate")
    sub = Dataset(items, bundle.classes, bundle.multilabel, ds.source)
    scores = bundle.scores_from_results([results[it.path] for it in items], store)
    y_true = sub.targets(bundle.classes)
    if bundle.multilabel:
        m = tagging_metrics(y_true, scores, classes=bundle.classes, thresholds=bundle.thresholds)
    else:
        m = classification_metrics(y_true, bundle.decide(scores), classes=bundle.classes)
    m["evaluated_on"] = how
    m["n_seen_in_training"] = len(seen)
    m["skipped"] = skipped
    return m


def _select_items(items, *, split, has_splits, fit, run_test, data, run_dir, echo):
    """The items of ``split`` to score, a description, and those the model has seen; raises
    :class:`LeakError` when a test score would include items the model was fitted or
    selected on."""
    if split == "all":
        how = f"all {len(items)} item(s) of {data}"
    elif has_splits:
        items = [it for it in items if (it.split or "train") == split]
        how = f"the manifest's {split!r} split"
    elif split == "test":
        in_test = [it for it in items if _norm(it.path) in run_test]
        if not any(_norm(it.path) in fit for it in items):  # new data: nothing of it trained or selected the model
            how = (f"all {len(items)} item(s) of {data}, none of which the model was trained, validated or selected on"
                   + (f" ({len(in_test)} in the run's own test split)" if in_test else ""))
            echo(f"{data} has no split column and the model has not seen any of its items: scoring all {len(items)}")
        elif not in_test:
            raise LeakError(
                f"{data} has no split column and none of its items is in the run's test split: the run's model "
                f"was fitted on them ({_describe_run(run_dir)}). Its held-out scores are in "
                f"{Path(run_dir) / 'metrics.json'}; evaluate on other data, or use --split all to score these "
                "items knowing the model has seen them."
            )
        else:
            items = in_test
            how = "the run's own test split (split.csv)"
    else:
        raise ParameterError(f"--split {split} needs a manifest with a split column")
    if not items:
        raise ParameterError(f"no items to evaluate in {data} for split {split!r}")
    seen = [it for it in items if _norm(it.path) in fit]
    if seen and split == "test":
        raise LeakError(
            f"{len(seen)} of the {len(items)} item(s) of {how} were used to fit or select this model "
            f"({_describe_run(run_dir)}; e.g. {seen[0].path}): scoring them would not measure generalisation. "
            f"The run's held-out scores are in {Path(run_dir) / 'metrics.json'}; use --split all to score them anyway."
        )
    if seen:  # --split all, train or valid: allowed, and said plainly
        how += f", {len(seen)} of which the model was trained or selected on: NOT a held-out score"
        echo(f"warning: {len(seen)} of the {len(items)} item(s) were used to fit or select this model; "
             "this score does not measure generalisation")
    return items, how, seen


def _describe_run(run_dir):
    f = Path(run_dir) / "metrics.json"
    try:
        return str(json.loads(f.read_text()).get("evaluation", "a trained run"))
    except (OSError, ValueError):
        return "a trained run"


def is_frame_run(run_dir):
    """Whether ``run_dir`` is a frame-level (onsets, drums, pitch) run."""
    for f, key in (("model/bundle.json", "format"), ("metrics.json", "task")):
        try:
            d = json.loads((Path(run_dir) / f).read_text())
        except (OSError, ValueError):
            continue
        if key == "format" and d.get("format") == "mirlearn-frame-bundle":
            return True
        if key == "task" and d.get("task") in FRAME_TASKS:
            return True
    return False


def evaluate_frame_run(run_dir, data, *, split="test", echo=_echo_default):
    """Score a frame-level run on paired ``data`` (see :func:`mirlearn.data.frames.load_paired`)
    with the same rules as :func:`evaluate_run`: a test score never includes files the
    model was trained or tuned on.

    Returns
    -------
    dict
        ``f_measure``, ``precision``, ``recall`` (events; ``per_class`` for drums) or
        ``raw_pitch_accuracy``, ``raw_chroma_accuracy``, ``voicing_recall``,
        ``voicing_false_alarm``, ``overall_accuracy`` (pitch), with ``evaluated_on``,
        ``n_items``, ``n_seen_in_training``, ``skipped``.
    """
    from ..data.frames import load_paired, prepare_files
    from ..inference.frames import load_frame_bundle
    from .frames import score_files

    if split not in ("train", "valid", "test", "all"):
        raise ParameterError(f"--split must be train, valid, test or all, got {split!r}")
    if not (Path(run_dir) / "model" / "bundle.json").is_file():
        raise ParameterError(f"{run_dir} holds no model (a cross-validation run with final_model: false); "
                             f"its scores are in {Path(run_dir) / 'metrics.json'}")
    bundle = load_frame_bundle(Path(run_dir) / "model")
    fit, run_test = _fit_items(run_dir)
    items = load_paired(data, task=bundle.task)
    items, how, seen = _select_items(items, split=split, has_splits=any(it.split for it in items), fit=fit, run_test=run_test,
                                     data=data, run_dir=run_dir, echo=echo)
    cfg = {"features": bundle.features, "classes": bundle.classes, "widen": 0, "widen_weight": 0.5}
    files, skipped = prepare_files(bundle.task, items, cfg, echo=echo)
    if not files:
        raise ParameterError("none of the files could be read; nothing to evaluate")
    m = score_files(bundle.task, bundle, files, classes=bundle.classes)
    m.update(task=bundle.task, evaluated_on=how, n_items=len(files), n_seen_in_training=len(seen),
             skipped=[{"path": p, "reason": r} for p, r in skipped])
    return m


def is_separation_run(run_dir):
    """Whether ``run_dir`` is a source-separation run."""
    for f, key, value in (("model/bundle.json", "format", "mirlearn-separation-bundle"), ("metrics.json", "task", "separation")):
        try:
            d = json.loads((Path(run_dir) / f).read_text())
        except (OSError, ValueError):
            continue
        if d.get(key) == value:
            return True
    return False


def evaluate_separation_run(run_dir, data, *, split="test", echo=_echo_default):
    """Score a separation run on a separation dataset with BSS Eval v4, under the same
    rules as :func:`evaluate_run`: a test score never includes songs the model was trained or
    selected on.

    Returns
    -------
    dict
        ``sdr``, ``isr``, ``sir``, ``sar``, ``si_sdr``: ``{stem: median over songs, 'mean':
        mean over stems}``; ``songs`` (per-song scores), ``evaluated_on``, ``n_items``,
        ``n_seen_in_training``, ``skipped``. NaN (a stem silent in every song) is None.
    """
    from types import SimpleNamespace

    from ..data.separation import load_separation, read_song
    from ..errors import AudioError
    from ..inference.separate import load_separation_bundle
    from .separation import jsonable, score_songs

    if split not in ("train", "valid", "test", "all"):
        raise ParameterError(f"--split must be train, valid, test or all, got {split!r}")
    if not (Path(run_dir) / "model" / "bundle.json").is_file():
        raise ParameterError(f"{run_dir} holds no model (a cross-validation run with final_model: false); "
                             f"its scores are in {Path(run_dir) / 'metrics.json'}")
    bundle = load_separation_bundle(Path(run_dir) / "model")
    fit, run_test = _fit_items(run_dir)
    songs, stems = load_separation(data, stems=bundle.stems)
    items = [SimpleNamespace(path=s.paths[stems[0]], split=s.split, song=s) for s in songs]
    items, how, seen = _select_items(items, split=split, has_splits=any(s.split for s in songs), fit=fit, run_test=run_test,
                                     data=data, run_dir=run_dir, echo=echo)
    tracks, names, skipped = [], [], []
    for it in items:
        try:
            tracks.append(read_song(it.song, stems=stems, sr=bundle.sr))
            names.append(it.song.name)
        except (AudioError, ParameterError) as exc:
            reason = exc.reason if isinstance(exc, AudioError) else str(exc)
            skipped.append({"path": it.song.name, "reason": reason})
            echo(f"skipped {it.song.name}: {reason}")
    if not tracks:
        raise ParameterError("none of the songs could be read; nothing to evaluate")
    per_song, summary = score_songs(bundle, tracks, names, stems=stems, sr=bundle.sr)
    m = dict(summary, songs=per_song, task="separation", stems=stems, evaluated_on=how, n_items=len(tracks),
             n_seen_in_training=len(seen), skipped=skipped)
    return jsonable(m)


def compare_runs(run_dirs):
    """One row per run: model, data, evaluation and the headline metrics (± std for CV)."""
    rows = []
    for d in run_dirs:
        f = Path(d) / "metrics.json"
        if not f.is_file():
            raise ParameterError(f"{str(d)!r} is not a run directory (no metrics.json)")
        m = json.loads(f.read_text())
        row = {"run": str(d), "model": m.get("model"), "evaluation": m.get("evaluation")}
        for k in ("accuracy", "balanced_accuracy", "macro_f1", "roc_auc_macro", "pr_auc_macro"):
            if k in m:
                row[k] = m[k]
                if "std" in m and k in m["std"]:
                    row[k + "_std"] = m["std"][k]
        for k in ("f_measure", "precision", "recall", "raw_pitch_accuracy", "raw_chroma_accuracy", "overall_accuracy"):
            if k in m:  # frame-level runs (their fold std sits beside each key)
                row[k] = m[k]
                if k + "_std" in m:
                    row[k + "_std"] = m[k + "_std"]
        row["n_items"] = m.get("n_items", m.get("n_files"))
        rows.append(row)
    return rows
