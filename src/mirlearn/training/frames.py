"""Frame-level training: onsets, drums and pitch, through the same Lightning layer as
classification.

:func:`train_frames` reads paired data (:func:`mirlearn.data.frames.load_paired`), computes
each file's input features and frame targets, and trains a frame network on random chunks
(``chunk_frames`` output frames plus the network's context). Early stopping and the best
checkpoint follow the validation loss; then the post-processing is tuned on the validation
files (peak picking per class; voicing threshold for pitch) and applied unchanged to the
test files. Nothing about the test part is used before it is scored.

Parts: the manifest's ``split`` column; else ``fold`` (given folds, e.g. Böck's) or
``folds: K`` (group-aware random folds) for cross-validation; else a seeded group-aware
holdout. In every case the validation part is carved from the training part (``valid_size``),
groups kept whole; a group is the manifest's ``group`` (stems or takes of one song) or the file.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import warnings
from pathlib import Path

import numpy as np

from ..data.frames import prepare_files
from ..errors import MirlearnWarning, ParameterError
from ..evaluation.frames import score_files
from ..fileio import atomic_write_text, write_csv
from ..tasks import FRAME_TASKS, get_task

__all__ = ["FRAME_DEFAULTS", "TASK_SPECS", "train_frames", "split_items", "fit_frame_model", "resolve_frame_config"]

#: The tasks' classes, input features and default network (from the registry, :mod:`mirlearn.tasks`).
TASK_SPECS = {name: dict(classes=list(t.classes), features=dict(t.features), model=t.model) for name, t in FRAME_TASKS.items()}

#: Every configuration key of a frame-level run, with its default.
FRAME_DEFAULTS = {
    "seed": 0,
    "folds": None,
    "valid_size": 0.15,
    "test_size": 0.2,
    # a seeded fraction of the training part's groups, the rest left unused (validation and
    # test parts unchanged): one point of a learning curve
    "train_fraction": 1.0,
    "classes": None,
    "features": {},
    "network": {},
    "loss": "bce",
    "ensemble": 1,
    "widen": 1,
    "widen_weight": 0.5,
    "epochs": 30,
    "batch_size": 16,
    "chunk_frames": 200,
    "chunks_per_file": 8,
    "lr": 1e-3,
    "weight_decay": 1e-4,
    "patience": 5,
    "grid": None,
    "viterbi": False,
    "final_model": True,
    # gain_db: a random gain within ±gain_db; band_shift: the input shifted by a random whole
    # number of bands within ±band_shift (edge bands repeated), a pitch shift of about
    # band_shift mel bands (onsets and drums: their labels do not move with pitch)
    "augment": {"gain_db": 0.0, "band_shift": 0},
    "accelerator": "auto",
    "devices": "auto",
    "strategy": "auto",
    "num_nodes": 1,
    "num_workers": 0,
}


def resolve_frame_config(task, *layers):
    if task not in FRAME_TASKS:
        raise ParameterError(f"--task must be one of {', '.join(FRAME_TASKS)}, got {task!r}")
    cfg = copy.deepcopy(FRAME_DEFAULTS)
    cfg.update(copy.deepcopy(get_task(task).config))
    for layer in layers:
        for k, v in (layer or {}).items():
            if k in ("model", "task"):
                continue
            if k not in FRAME_DEFAULTS:
                import difflib

                near = difflib.get_close_matches(k, list(FRAME_DEFAULTS), n=1)
                raise ParameterError(f"unknown config key {k!r} for --task {task}" + (f" (did you mean {near[0]!r}?)" if near else "")
                                     + f"; valid keys: {', '.join(sorted(FRAME_DEFAULTS))}")
            cfg[k] = v
    for k in ("epochs", "batch_size", "chunk_frames", "chunks_per_file", "patience", "ensemble"):
        if not (isinstance(cfg[k], int) and cfg[k] >= 1):
            raise ParameterError(f"{k} must be a positive integer, got {cfg[k]!r}")
    if not 0 < cfg["valid_size"] < 1:
        raise ParameterError(f"valid_size must be a fraction in (0, 1), got {cfg['valid_size']!r}")
    if not (isinstance(cfg["train_fraction"], (int, float)) and 0 < cfg["train_fraction"] <= 1):
        raise ParameterError(f"train_fraction must be a fraction in (0, 1], got {cfg['train_fraction']!r}")
    cfg["augment"] = _check_augment(task, cfg["augment"])
    feats = {**TASK_SPECS[task]["features"]}
    bad = set(cfg["features"]) - set(feats)
    if bad:
        raise ParameterError(f"unknown feature parameter(s) {', '.join(sorted(bad))}; known: {', '.join(k for k in feats if k != 'kind')}")
    cfg["features"] = {**feats, **cfg["features"]}
    cfg["classes"] = list(cfg["classes"] or TASK_SPECS[task]["classes"])
    return cfg


def _check_augment(task, augment):
    """The ``augment`` mapping with defaults filled in, or a clear error."""
    if not isinstance(augment, dict):
        raise ParameterError(f"augment must be a mapping such as {{gain_db: 6, band_shift: 2}}, got {augment!r}")
    known = FRAME_DEFAULTS["augment"]
    bad = sorted(set(augment) - set(known))
    if bad:
        raise ParameterError(f"unknown augment key(s) {', '.join(map(repr, bad))}; valid: {', '.join(known)}")
    out = {**known, **augment}
    if not (isinstance(out["gain_db"], (int, float)) and not isinstance(out["gain_db"], bool) and out["gain_db"] >= 0):
        raise ParameterError(f"augment gain_db must be a number of dB >= 0, got {out['gain_db']!r}")
    if not (isinstance(out["band_shift"], int) and not isinstance(out["band_shift"], bool) and out["band_shift"] >= 0):
        raise ParameterError(f"augment band_shift must be a whole number of bands >= 0, got {out['band_shift']!r}")
    get_task(task).check_augment(out)
    return out


def _shift_bands(X, s):
    """``X (..., n_bands, n_frames)`` moved up by ``s`` bands (down for ``s < 0``), the edge
    band repeated into the gap."""
    if s == 0:
        return X
    n = X.shape[-2]
    idx = np.clip(np.arange(n) - s, 0, n - 1)
    return X[..., idx, :]


def _carve(groups, idx, fraction, *, seed, salt):
    """Split ``idx`` into (rest, carved): a seeded ``fraction`` of its groups, whole."""
    g = sorted({groups[i] for i in idx})
    np.random.default_rng([seed, salt]).shuffle(g)
    n = max(1, int(round(fraction * len(g)))) if len(g) > 1 else 0
    pick = set(g[:n])
    return [i for i in idx if groups[i] not in pick], [i for i in idx if groups[i] in pick]


def split_items(items, *, cfg):
    """``[(train, valid, test)]`` index lists: one holdout, or one per fold; with
    ``train_fraction`` < 1, each training part keeps that seeded fraction of its groups."""
    splits = _split_items(items, cfg=cfg)
    frac = cfg.get("train_fraction", 1.0)
    if frac >= 1:
        return splits
    groups = [it.group or it.path for it in items]
    out = []
    for k, (tr, va, te) in enumerate(splits):
        unused, kept = _carve(groups, tr, frac, seed=cfg["seed"], salt=200 + k)
        out.append((kept or tr, va, te))  # one group cannot be subsampled
    return out


def _split_items(items, *, cfg):
    rng = np.random.default_rng(cfg["seed"])
    groups = [it.group or it.path for it in items]

    def carve(idx, fraction, salt):
        return _carve(groups, idx, fraction, seed=cfg["seed"], salt=salt)

    splits = [it.split for it in items]
    folds = [it.fold for it in items]
    # in cross-validation, items with split=train and no fold only ever train (e.g. synthetic
    # data added to every fold's training part, never scored)
    extra = [i for i in range(len(items)) if folds[i] is None and splits[i] == "train"]
    if cfg["folds"] or any(f is not None for f in folds):
        core = [i for i in range(len(items)) if i not in set(extra)]
        if any(f is not None for f in folds):
            missing = [items[i].path for i in core if folds[i] is None]
            if missing:
                raise ParameterError(f"the manifest's fold column is empty for {len(missing)} item(s) (e.g. {missing[0]}); "
                                     "give every item a fold, or split=train to items that should only ever train")
            fold_of = {i: folds[i] for i in core}
        else:
            k = int(cfg["folds"])
            order = sorted({groups[i] for i in core})
            if k > len(order):
                raise ParameterError(f"folds={k} but only {len(order)} group(s) of files")
            rng.shuffle(order)
            gf = {g: n % k for n, g in enumerate(order)}
            fold_of = {i: gf[groups[i]] for i in core}
        out = []
        for f in sorted(set(fold_of.values())):
            te = [i for i in core if fold_of[i] == f]
            rest = [i for i in core if fold_of[i] != f]
            tr, va = carve(rest, cfg["valid_size"], 100 + int(f))
            out.append((tr + extra, va, te))
        return out
    if any(s is not None for s in splits):
        tr = [i for i, s in enumerate(splits) if s in (None, "train")]
        va = [i for i, s in enumerate(splits) if s == "valid"]
        te = [i for i, s in enumerate(splits) if s == "test"]
        if not va:
            tr, va = carve(tr, cfg["valid_size"], 1)
        return [(tr, va, te)]
    idx = list(range(len(items)))
    rest, te = carve(idx, cfg["test_size"], 2)
    tr, va = carve(rest, cfg["valid_size"] / (1 - cfg["test_size"]), 1)
    return [(tr, va, te)]


# --------------------------------------------------------------------------------------
# training


class _Chunks:
    """Random chunks (training) or consecutive chunks (validation) of files' features and
    targets, with the network's context on both sides (zeros, i.e. silence, beyond the
    file) and a mask of real frames."""

    def __init__(self, files, *, mean, std, context, chunk, train, n_per_file, task, seed, gain_db=0.0, band_shift=0):
        self.files, self.mean, self.std = files, mean[..., None], std[..., None]
        self.ctx, self.chunk, self.train, self.task = context, chunk, train, get_task(task)
        self.n_per_file = n_per_file
        self.gain_db, self.band_shift = gain_db, int(band_shift)
        self.index = [] if train else [(k, s) for k, f in enumerate(files) for s in range(0, f.X.shape[-1], chunk)]
        self.rng = np.random.default_rng(seed)

    def __len__(self):
        return len(self.files) * self.n_per_file if self.train else len(self.index)

    def __getitem__(self, i):
        import torch

        if self.train:
            f = self.files[i % len(self.files)]
            T = f.X.shape[-1]
            start = int(torch.randint(0, max(T - self.chunk, 0) + 1, (1,)))
        else:
            k, start = self.index[i]
            f = self.files[k]
            T = f.X.shape[-1]
        lo, hi = start - self.ctx, start + self.chunk + self.ctx
        X = np.zeros(f.X.shape[:-1] + (hi - lo,), np.float32)
        a, b = max(lo, 0), min(hi, T)
        X[..., a - lo:b - lo] = f.X[..., a:b]
        if self.train and self.gain_db:
            # a gain change: log(1 + g x) for log(1 + x) features (approximately, per bin)
            g = 10 ** (float(torch.empty(1).uniform_(-self.gain_db, self.gain_db)) / 20)
            X = np.log1p(g * np.expm1(X)).astype(np.float32)
        if self.train and self.band_shift:
            X = _shift_bands(X, int(torch.randint(-self.band_shift, self.band_shift + 1, (1,))))
        X = (X - self.mean) / self.std
        Y = np.zeros((f.Y.shape[0], self.chunk), np.float32)
        m = np.zeros((1, self.chunk), np.float32)
        e = min(start + self.chunk, T)
        Y[:, : e - start] = f.Y[:, start:e]
        m[:, : e - start] = 1.0
        m = self.task.target_mask(Y, m)
        return torch.from_numpy(X.astype(np.float32)), torch.from_numpy(Y), torch.from_numpy(m)


def _frame_module(net, loss_fn, *, lr, weight_decay, epochs):
    import torch

    from .deep import loss_module

    def batch_loss(net, batch, stage):
        x, y, m = batch
        if stage == "train" and hasattr(net, "member_forward"):
            # an ensemble: each member fits the targets on its own
            return torch.stack([loss_fn(o, y, mask=m) for o in net.member_forward(x)]).mean()
        return loss_fn(net(x), y, mask=m)

    return loss_module(net, batch_loss, lr=lr, weight_decay=weight_decay, epochs=epochs)


def _norm(files):
    s = ss = 0.0
    n = 0
    for f in files:
        X = f.X.astype(np.float64)
        s = s + X.sum(-1)
        ss = ss + (X**2).sum(-1)
        n += X.shape[-1]
    mean = s / n
    std = np.sqrt(np.maximum(ss / n - mean**2, 1e-8))
    return mean.astype(np.float32), std.astype(np.float32)


def fit_frame_model(task, train, valid, cfg, *, out_dir, progress=True, echo=print):
    """Train a network on prepared files; tune its post-processing on ``valid``. Returns the
    :class:`~mirlearn.inference.frames.FrameBundle` and the history."""
    import lightning as L
    import torch
    from torch.utils.data import DataLoader

    from ..detection.baselines import BASELINES
    from ..inference.frames import FrameBundle
    from ..models.neural import build_network
    from .deep import fit_best

    if not valid:
        raise ParameterError("frame-level training needs validation files (early stopping, post-processing search); add data or raise valid_size")
    model_name = cfg.get("model") or TASK_SPECS[task]["model"]
    if model_name in BASELINES:
        # a non-learned detection function: nothing to fit, only its peak picking to tune
        bundle = FrameBundle(task=task, classes=list(cfg["classes"]), network=model_name, network_config={},
                             features=dict(cfg["features"]), norm_mean=np.zeros(1, np.float32), norm_std=np.ones(1, np.float32),
                             postprocess={}, state_dict={}, info=dict(context=0, n_valid=len(valid)))
        grid_cfg = dict(cfg, grid=cfg["grid"] or BASELINES[model_name][2])
        valid_act = [bundle.activations_from_features(f.X) for f in valid]
        bundle.postprocess = tune_postprocess(task, valid_act, [f.reference for f in valid], grid_cfg, fps=bundle.fps)
        return bundle, [], 0
    L.seed_everything(cfg["seed"], workers=True, verbose=False)
    C, F_ = train[0].X.shape[:2]
    net_cfg = get_task(task).network_config(dict(cfg["network"]), cfg, F_)
    net_cfg.setdefault("n_channels", C)
    if cfg["ensemble"] > 1:
        net = build_network("ensemble", member=model_name, member_config=net_cfg, n_members=cfg["ensemble"])
    else:
        net = build_network(model_name, **net_cfg)
    ctx = int(net.context)
    mean, std = _norm(train)
    loss_fn, loss_cfg = get_task(task).loss(cfg, [f.Y for f in train])
    common = dict(mean=mean, std=std, context=ctx, chunk=cfg["chunk_frames"], task=task, seed=cfg["seed"])
    train_ds = _Chunks(train, train=True, n_per_file=cfg["chunks_per_file"], gain_db=cfg["augment"]["gain_db"], band_shift=cfg["augment"]["band_shift"], **common)
    valid_ds = _Chunks(valid, train=False, n_per_file=1, **common)
    g = torch.Generator().manual_seed(cfg["seed"])
    kw = dict(num_workers=cfg["num_workers"], persistent_workers=cfg["num_workers"] > 0)
    train_dl = DataLoader(train_ds, batch_size=cfg["batch_size"], shuffle=True, generator=g, drop_last=len(train_ds) > cfg["batch_size"], **kw)
    valid_dl = DataLoader(valid_ds, batch_size=cfg["batch_size"], shuffle=False, **kw)
    module = _frame_module(net, loss_fn, lr=cfg["lr"], weight_decay=cfg["weight_decay"], epochs=cfg["epochs"])
    trainer, history = fit_best(module, train_dl, valid_dl, cfg, out_dir, progress=progress)
    net.eval()
    bundle = FrameBundle(
        task=task, classes=list(cfg["classes"]), network=net.NAME, network_config=net.get_config(), features=dict(cfg["features"]),
        norm_mean=mean, norm_std=std, postprocess={}, state_dict=net.state_dict(),
        info=dict(context=ctx, loss=loss_cfg, epochs_run=int(trainer.current_epoch), n_train=len(train), n_valid=len(valid)),
    )
    valid_act = [bundle.activations_from_features(f.X) for f in valid]  # (inference mode)
    def fallback():  # a class absent from the validation files is tuned on the training files
        return [bundle.activations_from_features(f.X) for f in train], [f.reference for f in train]

    bundle.postprocess = tune_postprocess(task, valid_act, [f.reference for f in valid], cfg, fps=bundle.fps, bundle=bundle,
                                          fallback=fallback, echo=echo)
    return bundle, history, trainer.global_rank


def tune_postprocess(task, activations, references, cfg, *, fps, bundle=None, fallback=None, echo=print):
    """Post-processing parameters chosen on validation data (the task's
    :meth:`~mirlearn.tasks.FrameTask.tune_postprocess`): peak picking per class (events), or
    the voicing threshold (pitch).

    A class with no event in the validation files cannot be tuned there (every setting
    scores 0); its parameters are then searched on ``fallback()`` = ``(activations,
    references)`` of the training files (never the test files), and the run says so.
    """
    return get_task(task).tune_postprocess(activations, references, cfg, fps=fps, bundle=bundle, fallback=fallback, echo=echo)


# --------------------------------------------------------------------------------------
# the run directory


def train_frames(task, data, model, out, *, config_file=None, overrides=None, overwrite=False, progress=True, echo=print):
    """Train a frame-level model and write its run directory (see the module docstring).

    The run directory holds ``config.yaml``, ``split.csv`` (path, annotation, part, fold),
    ``metrics.json`` (test scores; per-fold, mean and std under cross-validation),
    ``history.json`` (the final model's training curves), ``report.html``, ``model/`` (the
    frame bundle of the final model) and ``logs/``.
    """
    import yaml

    from ..data.frames import load_paired
    from .config import load_config
    from .run import _commit_out, _env_rank, _prepare_out

    file_cfg = load_config(config_file) if config_file else {}
    model = model or file_cfg.get("model")
    for key, given in (("task", task), ("model", model)):
        if file_cfg.get(key) not in (None, given):
            raise ParameterError(f"the config file names {key} {file_cfg[key]!r} but --{key} is {given!r}")
    cfg = resolve_frame_config(task, file_cfg, overrides)
    model = model or TASK_SPECS[task]["model"]
    from ..detection.baselines import BASELINES
    from ..models.neural import FRAME_NETWORKS

    if model in BASELINES:
        if model not in get_task(task).methods:
            raise ParameterError(f"{model} is an onset detection function; --task {task} has no such baseline")
        cfg["features"] = {"kind": model, "sr": cfg["features"]["sr"], "fps": cfg["features"]["fps"]}
    elif model not in FRAME_NETWORKS or model == "ensemble":
        hint = " (an ensemble is the config key 'ensemble: N' with a network as --model)" if model == "ensemble" else ""
        raise ParameterError(f"unknown model {model!r} for --task {task}{hint}; frame-level models: "
                             f"{', '.join(m for m in FRAME_NETWORKS if m != 'ensemble')}; baselines (onsets): {', '.join(BASELINES)}")
    cfg["model"] = model
    rank = _env_rank()
    if rank != 0:
        echo = lambda msg: None  # noqa: E731
    tmp = _prepare_out(out, overwrite) if rank == 0 else None
    try:
        items = load_paired(data, task=task)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", MirlearnWarning)
            files, skipped = prepare_files(task, items, cfg, echo=echo, progress=progress and rank == 0)
        for w in caught:
            echo(f"warning: {w.message}")
        if len(files) < 3:
            raise ParameterError(f"--data {data}: {len(files)} usable file(s); frame-level training needs at least 3 (train, valid, test)")
        items = [f.item for f in files]
        parts = split_items(items, cfg=cfg)
        work = tmp or Path(os.devnull)
        fold_metrics, roles, fold_no = [], np.array(["train"] * len(items), dtype=object), np.full(len(items), -1)
        final, history = None, []
        for k, (tr, va, te) in enumerate(parts):
            cv = len(parts) > 1
            if cv:
                echo(f"fold {k + 1}/{len(parts)}: {len(tr)} train, {len(va)} valid, {len(te)} test file(s)")
                fold_no[te] = k
            bundle, hist, rank = fit_frame_model(task, [files[i] for i in tr], [files[i] for i in va], cfg,
                                                 out_dir=work / (f"fold{k}" if cv else "."), progress=progress, echo=echo)
            if te:
                # the fold's post-processing, chosen on its validation files, is kept beside its scores
                fold_metrics.append(dict(score_files(task, bundle, [files[i] for i in te], classes=cfg["classes"]),
                                         postprocess=bundle.postprocess))
            if not cv:
                final, history = bundle, hist
                roles[va], roles[te] = "valid", "test"
        if len(parts) > 1 and cfg["final_model"]:
            groups = [it.group or it.path for it in items]
            tr, va = _carve(groups, list(range(len(items))), cfg["valid_size"], seed=cfg["seed"], salt=7)
            echo(f"final model: {len(tr)} train, {len(va)} valid file(s)")
            final, history, rank = fit_frame_model(task, [files[i] for i in tr], [files[i] for i in va], cfg, out_dir=work / "final",
                                                   progress=progress, echo=echo)
            roles[:] = "train"
            roles[va] = "valid"
        if rank != 0:
            return None
        metrics = _summarise(task, fold_metrics, cfg)
        metrics.update(task=task, model=model, n_files=len(items), skipped=[{"path": p, "reason": r} for p, r in skipped])
        if final is not None:
            final.info["task_config"] = {k: cfg[k] for k in ("loss", "widen", "widen_weight", "seed")}
            final.save(tmp / "model")
        write_csv(tmp / "split.csv", {"path": [it.path for it in items], "annotation": [it.annotation for it in items],
                                      "group": [it.group or "" for it in items], "split": list(roles),
                                      "fold": [int(x) if x >= 0 else "" for x in fold_no]})
        atomic_write_text(tmp / "config.yaml", yaml.safe_dump({"task": task, **cfg}, sort_keys=True))
        atomic_write_text(tmp / "metrics.json", json.dumps(metrics, indent=1) + "\n")
        atomic_write_text(tmp / "history.json", json.dumps(history, indent=1) + "\n")
        from ..reports import write_frame_report

        write_frame_report(tmp, dict(metrics, data=str(data)), postprocess=final.postprocess if final is not None else None, history=history)
        _commit_out(tmp, out)
    finally:
        if tmp is not None and tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    echo(_one_line(task, metrics, prefix=f"{model}: "))
    echo(f"run directory: {out}")
    return metrics


def _summarise(task, fold_metrics, cfg):
    if not fold_metrics:
        return {"evaluation": "none (no test files)"}
    if len(fold_metrics) == 1:
        return {"evaluation": "holdout", **fold_metrics[0]}
    out = {"evaluation": f"{len(fold_metrics)}-fold cross-validation", "folds": fold_metrics}
    t = get_task(task)
    for k in (*t.metrics, *t.extra_fold_metrics):
        v = np.array([m[k] for m in fold_metrics], float)
        out[k], out[k + "_std"] = float(v.mean()), float(v.std(ddof=1))
    return t.summarise_folds(out, fold_metrics, cfg)


def _one_line(task, m, prefix=""):
    parts = []
    for k in get_task(task).metrics:
        if k in m:
            parts.append(f"{k} {m[k]:.3f}" + (f" ± {m[k + '_std']:.3f}" if k + "_std" in m else ""))
    return prefix + (", ".join(parts) or m.get("evaluation", ""))
