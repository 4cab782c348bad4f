"""Run directories: :func:`train_run` trains and evaluates a model and writes everything a
run produces.

A run directory holds ``config.yaml`` (the resolved configuration), ``split.csv`` (every
item's part for the final model, and its fold in cross-validation), ``metrics.json``,
``predictions.csv`` (test or out-of-fold predictions), ``model/`` (the bundle),
``history.json`` and ``logs/`` (deep models' training curves) and ``report.html``.

How the data are used, for both model families alike:

* ``train`` items fit the model; ``valid`` items choose what the fit cannot (the epoch to
  keep and when to stop for deep models, hyperparameters with ``search: true``, per-tag
  decision thresholds); ``test`` items are scored and nothing else. The final model never
  sees its validation items, so its thresholds and selected settings come from data it
  was not fitted on.
* The validation part is the manifest's ``valid`` items, else a stratified, group-aware
  ``valid_size`` fraction (of all items) carved from the training part.
* ``--folds K`` folds every item that is not in the manifest's ``test`` split (groups
  kept whole); each fold's model has its own validation part carved from its training
  folds. The deployable model is refit the same way on every non-test item, and scored on
  the manifest's test items when there are any.

The directory is written into a temporary sibling and renamed into place when the run
succeeds, so a failed run leaves the old directory (or none) as it was. Under DDP every
rank trains, and only rank 0 writes.
"""

from __future__ import annotations

import json
import os
import shutil
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..data import Dataset, assign_splits, kfold_splits, load_dataset
from ..data.splits import holdout
from ..errors import MirlearnWarning, ParameterError
from ..evaluation import aggregate_folds, classification_metrics, tagging_metrics
from ..evaluation.metrics import choose_thresholds
from ..extraction import default_cache, gather
from ..fileio import atomic_write_text, umask_mode, writable_dir, write_csv
from ..inference import Bundle
from ..models import get_model_spec
from .config import load_config, resolve_config
from .features import extraction_config

__all__ = ["train_run", "RunContext"]


def _echo_default(msg):
    print(msg, flush=True)


def _env_rank():
    """This process's global rank as set by a launcher (Lightning's DDP subprocess
    launcher, torchrun, SLURM); 0 when not launched as a rank."""
    for var in ("RANK", "SLURM_PROCID"):
        if os.environ.get(var, "").isdigit():
            return int(os.environ[var])
    node, local = os.environ.get("NODE_RANK", "0"), os.environ.get("LOCAL_RANK", "0")
    return 0 if (node in ("", "0") and local in ("", "0")) else 1


@dataclass
class RunContext:
    """What every step of a run shares: the model, its configuration, the data and their
    features, where outputs go, and how to report."""

    model: str
    spec: object
    cfg: dict
    data: str
    ds: Dataset
    results: dict
    store: Path
    out: Path
    progress: bool = True
    echo: object = _echo_default
    rank: int = 0
    classes: list = field(init=False)
    targets: np.ndarray = field(init=False)

    def __post_init__(self):
        self.classes = self.ds.classes
        self.targets = self.ds.targets(self.classes)

    @property
    def family(self):
        return self.spec.family

    def summaries(self, idx):
        return np.array([list(self.results[self.ds.items[i].path].summary.values()) for i in idx], dtype=np.float64)

    def scores(self, bundle, idx):
        return bundle.scores_from_results([self.results[self.ds.items[i].path] for i in idx], self.store)


# --------------------------------------------------------------------------------------
def _prepare_out(out, overwrite):
    """Refuse a non-empty run directory unless ``overwrite``; return the temporary sibling
    the run writes into."""
    import tempfile

    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ParameterError(f"--out {str(out)!r} exists and is not a folder")
    ok, why = writable_dir(out.parent)
    if not ok:
        raise ParameterError(f"cannot write the run directory {str(out)!r}: {why} ({str(out.parent)!r}); choose another --out")
    if out.is_dir() and any(out.iterdir()) and not overwrite:
        raise ParameterError(
            f"run directory {str(out)!r} is not empty; choose another --out, or pass --overwrite to replace it"
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.tmp-"))
    os.chmod(tmp, umask_mode(0o777))
    return tmp


def _commit_out(tmp, out):
    """Replace ``out`` by the finished ``tmp``."""
    out = Path(out)
    if out.exists():
        old = out.parent / f".{out.name}.old-{os.getpid()}"
        os.rename(out, old)
        os.rename(tmp, out)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.rename(tmp, out)


def train_run(data, model, out, *, config_file=None, overrides=None, overwrite=False, progress=True, echo=_echo_default):
    """Train ``model`` on ``data`` and write the run directory ``out``.

    Parameters
    ----------
    data : path-like
        Folder of class folders or manifest (see :func:`mirlearn.data.load_dataset`).
    model : str
        A name from :data:`mirlearn.models.MODELS`.
    out : path-like
        The run directory. It must be empty or absent unless ``overwrite``.
    config_file : path-like or None
        YAML configuration; keys of :data:`mirlearn.training.DEFAULTS`.
    overrides : dict or None
        Keys that win over the file (the command line's ``--folds``, ``--seed``...).
    overwrite : bool
        Replace an existing run directory (its old content is removed when the new run
        succeeds).

    Returns
    -------
    dict or None
        The content of ``metrics.json`` (None on DDP ranks other than 0).
    """
    spec = get_model_spec(model)
    if spec.family in ("frame", "baseline", "separation"):
        level = "a source-separation" if spec.family == "separation" else "a frame-level"
        raise ParameterError(f"{model} is {level} model: train it with --task {spec.defaults['task']}")
    file_cfg = load_config(config_file) if config_file else {}
    if file_cfg.get("model") not in (None, model):
        raise ParameterError(f"the config file names model {file_cfg['model']!r} but --model is {model!r}")
    cfg = resolve_config(spec, file_cfg, overrides or {})
    if spec.family != "deep" and (cfg["frontend"] is not None or cfg["zero_mean"]):
        raise ParameterError(f"'frontend' and 'zero_mean' configure deep models; {model} is a {spec.family} model")
    if cfg["frontend"] is not None:  # a bad front-end is reported before any work
        from ..nn.frontends import frontend

        fe = frontend_config(cfg)
        if "sr" in (cfg["frontend"] if isinstance(cfg["frontend"], dict) else {}):
            raise ParameterError("frontend: sr is the run's own 'sr' key; leave it out of the front-end's mapping")
        frontend(**fe)
    rank = _env_rank()
    if rank != 0:
        echo = lambda msg: None  # noqa: E731 - other ranks train in silence
    tmp = _prepare_out(out, overwrite) if rank == 0 else None
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", MirlearnWarning)
            ds = load_dataset(data, group_by=cfg["group_by"])
        for w in caught:
            echo(f"warning: {w.message}")
        excfg = extraction_config(cfg, spec.family, waveform=spec.family == "deep" and reads_waveforms(cfg, model))
        echo(f"features of {len(ds)} file(s) ({', '.join(excfg.features)}), cache: {cfg['cache'] or default_cache()}")
        results, store = gather(ds.paths, excfg, cache=cfg["cache"], jobs=cfg["jobs"], progress=progress and rank == 0)
        ds = _drop_failed(ds, results, echo)
        ds.check_trainable(min_per_class=cfg["folds"] or 2)
        ctx = RunContext(model, spec, cfg, str(data), ds, results, store, tmp or Path(os.devnull), progress, echo, rank)
        outcome = _train_cv(ctx) if cfg["folds"] else _train_holdout(ctx)
        if rank != 0:
            return None
        _write_run(ctx, outcome)
        _commit_out(tmp, out)
    finally:
        if tmp is not None and tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    out = Path(out)
    echo(_one_line(outcome.metrics, prefix=f"{model}: "))
    echo(f"run directory: {out}  report: {out / 'report.html'}")
    return outcome.metrics


@dataclass
class _Outcome:
    metrics: dict
    final: Bundle
    roles: np.ndarray  # every item's part for the final model: train / valid / test
    pred_idx: np.ndarray
    pred_scores: np.ndarray
    fold: np.ndarray | None = None


def _manifest_parts(ds):
    return np.array([it.split or "train" for it in ds.items]) if ds.has_splits else None


def _train_holdout(ctx):
    """Train on the training part, select on the validation part, score the test part."""
    cfg, ds = ctx.cfg, ctx.ds
    parts = assign_splits(ds, test_size=cfg["test_size"], valid_size=cfg["valid_size"], seed=cfg["seed"])
    te = np.flatnonzero(parts == "test")
    if len(te) == 0:
        raise ParameterError("the split has no test items; add a 'test' split to the manifest or use --folds")
    tr, va = np.flatnonzero(parts == "train"), np.flatnonzero(parts == "valid")
    if len(va) == 0:
        tr, va = _carve_valid(ctx, tr)
    final = _fit(ctx, tr, va, ctx.out)
    scores = ctx.scores(final, te)
    metrics = {"model": ctx.model, "data": ctx.data, "evaluation": "holdout test split",
               **_metrics(final, ctx.targets[te], scores, ctx.classes)}
    metrics["n_train"], metrics["n_valid"] = int(len(tr)), int(len(va))
    roles = np.full(len(ds), "train", dtype=object)
    roles[va], roles[te] = "valid", "test"
    return _Outcome(metrics, final, roles, te, scores)


def _train_cv(ctx):
    """K-fold cross-validation over the items outside the manifest's test split."""
    cfg, ds, folds = ctx.cfg, ctx.ds, ctx.cfg["folds"]
    parts = _manifest_parts(ds)
    test = np.flatnonzero(parts == "test") if parts is not None else np.array([], dtype=int)
    pool = np.setdiff1d(np.arange(len(ds)), test)
    if len(test):
        ctx.echo(f"{folds}-fold cross-validation over the {len(pool)} non-test item(s); the manifest's "
                 f"{len(test)} test item(s) are scored by the final model only")
    sub = ds.subset(pool)
    sub.check_trainable(min_per_class=folds)
    fold = np.full(len(ds), -1)
    fold[pool] = kfold_splits(sub, n_folds=folds, seed=cfg["seed"])
    fold_metrics, oof = [], np.zeros((len(ds), len(ctx.classes)))
    for k in range(folds):
        ctx.echo(f"fold {k + 1}/{folds}")
        held = np.flatnonzero(fold == k)
        tr, va = _carve_valid(ctx, np.setdiff1d(pool, held))
        fitted = _fit(ctx, tr, va, ctx.out / f"fold{k}")
        oof[held] = ctx.scores(fitted, held)
        fold_metrics.append(_metrics(fitted, ctx.targets[held], oof[held], ctx.classes))
        ctx.echo(_one_line(fold_metrics[-1]))
    summary = aggregate_folds(fold_metrics)
    summary.pop("n_items", None)
    metrics = {
        "model": ctx.model, "data": ctx.data, "evaluation": f"{folds}-fold cross-validation",
        **{k: v["mean"] for k, v in summary.items()},
        "std": {k: v["std"] for k, v in summary.items()},
        "std_ddof": 1,
        "n_items": int(len(pool)),
        # every item scored once by the model that did not see it, pooled
        "pooled": {k: v for k, v in _metrics(_PooledView(ds.multilabel), ctx.targets[pool], oof[pool], ctx.classes).items() if k != "classes"},
        "folds": fold_metrics,
    }
    # the deployable model: fitted like each fold's, on every non-test item
    tr, va = _carve_valid(ctx, pool)
    final = _fit(ctx, tr, va, ctx.out)
    roles = np.full(len(ds), "train", dtype=object)
    roles[va], roles[test] = "valid", "test"
    if len(test):
        test_scores = ctx.scores(final, test)
        metrics["test"] = {k: v for k, v in _metrics(final, ctx.targets[test], test_scores, ctx.classes).items() if k != "classes"}
    return _Outcome(metrics, final, roles, pool, oof[pool], fold)


def _carve_valid(ctx, idx):
    """Split ``idx`` into train and validation parts: the manifest's ``valid`` items among
    them, else a stratified group-aware ``valid_size`` fraction (of all items)."""
    cfg, ds = ctx.cfg, ctx.ds
    idx = np.asarray(idx)
    parts = _manifest_parts(ds)
    if parts is not None and np.any(parts[idx] == "valid"):
        return idx[parts[idx] != "valid"], idx[parts[idx] == "valid"]
    needs_valid = ctx.family == "deep" or cfg["search"] or ds.multilabel
    if cfg["valid_size"] == 0:
        if ctx.family == "deep":
            raise ParameterError("deep models need a validation part: set valid_size > 0 or add 'valid' items to the manifest")
        return idx, np.array([], dtype=int)
    fraction = cfg["valid_size"] * len(ds) / len(idx)
    try:
        tr, va = holdout(ds, idx, fraction, seed=cfg["seed"] + 7)
    except ParameterError as exc:
        if needs_valid:
            raise ParameterError(f"cannot carve a validation part ({exc}); add data or 'valid' items to the manifest") from None
        return idx, np.array([], dtype=int)
    return tr, va


def _drop_failed(ds, results, echo):
    bad = [(p, r.reason) for p, r in results.items() if r.status == "error"]
    if bad:
        echo(f"skipped {len(bad)} file(s) that could not be read:")
        for p, reason in bad:
            echo(f"  {p}: {reason}")
    good = [it for it in ds.items if results[it.path].status != "error"]
    return Dataset(good, sorted({lab for it in good for lab in it.labels}), ds.multilabel, ds.source, ds.skipped + bad)


def _fit(ctx, tr, va, out):
    if ctx.family == "classic":
        return _fit_classic(ctx, tr, va)
    return _fit_deep(ctx, tr, va, Path(out))


def _fit_classic(ctx, tr, va):
    with warnings.catch_warnings():
        # SVC(probability=True) is deprecated in scikit-learn 1.9 (removed in 1.11, which
        # pyproject.toml excludes); its Platt scaling is what gives SVMs probabilities here
        warnings.filterwarnings("ignore", message="The `probability` parameter was deprecated", category=FutureWarning)
        return _fit_classic_inner(ctx, tr, va)


def _fit_classic_inner(ctx, tr, va):
    from sklearn.model_selection import GridSearchCV, PredefinedSplit, StratifiedGroupKFold

    from ..inference import classic_scores
    from ..models.classic import build_classifier, param_grid

    cfg, ds, name = ctx.cfg, ctx.ds, ctx.model
    est = build_classifier(name, seed=cfg["seed"], multilabel=ds.multilabel, **cfg["classifier"])
    Xtr, ytr = ctx.summaries(tr), ctx.targets[tr]
    if cfg["search"]:
        scoring = "average_precision" if ds.multilabel else "f1_macro"
        grid = param_grid(name, multilabel=ds.multilabel)
        if len(va):
            # select on the validation part, then fit the chosen settings on the training
            # part alone: the final model never sees the items that selected it
            X = np.concatenate([Xtr, ctx.summaries(va)])
            y = np.concatenate([ytr, ctx.targets[va]])
            cv = PredefinedSplit(np.r_[np.full(len(tr), -1), np.zeros(len(va), dtype=int)])
            search = GridSearchCV(est, grid, scoring=scoring, cv=cv, n_jobs=1, refit=False).fit(X, y)
            est.set_params(**search.best_params_)
            est.fit(Xtr, ytr)
        else:
            # no validation part: group-aware inner cross-validation on the training part
            strata = np.array([ds.items[i].labels[0] for i in tr])
            groups = np.array([ds.items[i].group or f"__item{i}" for i in tr])
            n_splits = int(min(3, np.unique(strata, return_counts=True)[1].min()))
            if n_splits < 2:
                raise ParameterError("search: true needs a validation part or at least 2 training items per class")
            cv = list(StratifiedGroupKFold(n_splits, shuffle=True, random_state=cfg["seed"]).split(Xtr, strata, groups))
            est = GridSearchCV(est, grid, scoring=scoring, cv=cv, n_jobs=1).fit(Xtr, ytr).best_estimator_
    else:
        est.fit(Xtr, ytr)
    thresholds = None
    if ds.multilabel:
        if len(va) == 0:
            raise ParameterError("tagging needs a validation part to choose per-tag thresholds: set valid_size > 0")
        thresholds = choose_thresholds(ctx.targets[va], classic_scores(est, ctx.summaries(va), ctx.classes))
    return Bundle("classic", name, ctx.classes, ds.multilabel, extraction_config(cfg, "classic"), est, thresholds)


def frontend_config(cfg):
    """The run's front-end as ``frontend()`` arguments (None: cached log-mels)."""
    fe = cfg["frontend"]
    if fe is None:
        return None
    fe = {"type": fe} if isinstance(fe, str) else dict(fe)
    name = fe.pop("type")
    trainable = fe.pop("trainable", [])
    return dict(name=name, sr=cfg["sr"], trainable=list(trainable) if not isinstance(trainable, str) else trainable, **fe)


def reads_waveforms(cfg, model):
    """Whether a deep run's model reads signals (a front-end, or a waveform model)."""
    from ..models.neural import NETWORKS

    return cfg["frontend"] is not None or getattr(NETWORKS.get(model), "INPUT", "spectrogram") == "waveform"


def _deep_network(ctx):
    """The untrained network of a deep run, from its configuration."""
    from ..models.neural import NETWORKS, build_network

    cfg, name = ctx.cfg, ctx.model
    arch = {"n_classes": len(ctx.classes), "dropout": cfg["dropout"], "channels": cfg["channels"] or ctx.spec.defaults.get("channels")}
    if getattr(NETWORKS[name], "INPUT", "spectrogram") == "waveform":
        if cfg["zero_mean"] or cfg["frontend"] is not None:
            raise ParameterError(f"{name} reads raw samples: 'zero_mean' and 'frontend' apply to spectrogram models (cnn, short_chunk_resnet, crnn)")
        if name == "musicnn_finetune":
            arch.update(sr=cfg["sr"], pretrained=cfg["pretrained"])
        return build_network(name, **arch)
    arch["n_mels"] = cfg["n_mels"]
    arch["zero_mean"] = cfg["zero_mean"]
    if name == "crnn":
        arch["rnn_hidden"] = cfg["rnn_hidden"] or ctx.spec.defaults.get("rnn_hidden", 64)
    fe = frontend_config(cfg)
    if fe is None:
        return build_network(name, **arch)
    return build_network("frontend_model", frontend=fe, network=name, network_config=arch)


def _fit_deep(ctx, tr, va, out):
    from ..inference.chunks import predict_clips
    from .deep import train_network

    cfg, ds, name = ctx.cfg, ctx.ds, ctx.model
    waveform = reads_waveforms(cfg, name)
    excfg = extraction_config(cfg, "deep", waveform=waveform)
    hop = excfg.params.get("hop_length", 512)
    chunk_frames = int(round(cfg["chunk_seconds"] * cfg["sr"])) if waveform else max(8, int(round(cfg["chunk_seconds"] * cfg["sr"] / hop)))
    import torch

    torch.manual_seed(cfg["seed"])  # the initial weights are part of what the seed fixes
    net = _deep_network(ctx)
    files = [Path(ctx.store) / ctx.results[it.path].key / ("audio.npy" if waveform else "logmel.npy") for it in ds.items]
    tgt = ctx.targets.astype(np.float32) if ds.multilabel else ctx.targets
    work = out if ctx.rank == 0 else Path(ctx.store).parent / f".rank{ctx.rank}-{os.getpid()}"
    work.mkdir(parents=True, exist_ok=True)
    try:
        extra, history, rank = train_network(
            net, cfg,
            train_files=[files[i] for i in tr], train_targets=tgt[tr],
            valid_files=[files[i] for i in va], valid_targets=tgt[va],
            multilabel=ds.multilabel, out_dir=work, chunk_frames=chunk_frames, progress=ctx.progress and ctx.rank == 0,
            waveform=waveform,
        )
    finally:
        if ctx.rank != 0:
            shutil.rmtree(work, ignore_errors=True)
    ctx.rank = rank
    extra["multilabel"] = ds.multilabel
    if rank == 0:
        atomic_write_text(out / "history.json", json.dumps(history, indent=2, default=float))
    thresholds = None
    if ds.multilabel:
        thresholds = choose_thresholds(ctx.targets[va], predict_clips(net, [files[i] for i in va], extra))
    return Bundle("deep", name, ctx.classes, ds.multilabel, excfg, net, thresholds, extra)


class _PooledView:
    """Just enough of a bundle for :func:`_metrics` on out-of-fold scores."""

    def __init__(self, multilabel):
        self.multilabel = multilabel
        self.thresholds = None


def _metrics(bundle, y_true, scores, classes):
    if bundle.multilabel:
        return tagging_metrics(y_true, scores, classes=classes, thresholds=bundle.thresholds)
    return classification_metrics(y_true, np.argmax(scores, axis=1), classes=classes)


def _one_line(m, prefix=""):
    keys = [k for k in ("accuracy", "balanced_accuracy", "macro_f1", "roc_auc_macro", "pr_auc_macro") if k in m]
    parts = []
    for k in keys:
        s = f"{k} {m[k]:.3f}"
        if "std" in m and k in m["std"]:
            s += f" ± {m['std'][k]:.3f}"
        parts.append(s)
    return prefix + ", ".join(parts) + (f" (n={m['n_items']})" if "n_items" in m and "std" not in m else "")


def _write_run(ctx, outcome):
    """Write every file of the run directory (into the temporary ``ctx.out``)."""
    import yaml

    out, ds = ctx.out, ctx.ds
    atomic_write_text(out / "config.yaml", yaml.safe_dump({"model": ctx.model, "data": ctx.data, **ctx.cfg}, sort_keys=False))
    table = {
        "path": ds.paths,
        "labels": [";".join(it.labels) for it in ds.items],
        "group": [it.group or "" for it in ds.items],
        # the part each item played for the final model (model/): 'test' items were never
        # used to fit, select or calibrate it
        "split": list(outcome.roles),
    }
    if outcome.fold is not None:
        table["fold"] = outcome.fold.tolist()
    write_csv(out / "split.csv", table)
    _write_predictions(out / "predictions.csv", ds, outcome.pred_idx, outcome.pred_scores, outcome.final)
    outcome.final.save(out / "model")
    outcome.metrics["skipped"] = [{"path": p, "reason": r} for p, r in ds.skipped]
    atomic_write_text(out / "metrics.json", json.dumps(outcome.metrics, indent=2))
    from ..reports import write_report

    write_report(out, outcome.metrics, ds=ds, pred_idx=outcome.pred_idx, pred_scores=outcome.pred_scores, bundle=outcome.final)


def _write_predictions(path, ds, idx, scores, bundle):
    decided = bundle.decide(scores)
    rows = {
        "path": [ds.items[i].path for i in idx],
        "true": [";".join(ds.items[i].labels) for i in idx],
    }
    if bundle.multilabel:
        rows["predicted"] = [";".join(c for c, d in zip(bundle.classes, row) if d) for row in decided]
    else:
        rows["predicted"] = [bundle.classes[j] for j in decided]
    for j, c in enumerate(bundle.classes):
        rows[f"p_{c}"] = [repr(float(v)) for v in scores[:, j]]
    write_csv(path, rows)
