"""Run directories: ``train_run`` trains and evaluates a model and writes everything a
run produces; ``evaluate_run``, ``predict_run`` and ``compare_runs`` read them back.

A run directory holds ``config.yaml`` (the resolved configuration), ``split.csv`` (the
split or the folds), ``metrics.json``, ``predictions.csv`` (test or out-of-fold
predictions), ``model/`` (the bundle), ``history.json`` and ``logs/`` (deep models'
training curves) and ``report.html``.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np

from ..data import Dataset, assign_splits, kfold_splits, load_dataset
from ..errors import MirlearnWarning, ParameterError
from ..evaluation import aggregate_folds, classification_metrics, tagging_metrics
from ..evaluation.metrics import choose_thresholds
from ..models import get_model_spec
from .bundle import Bundle, load_bundle
from .config import load_config, resolve_config
from .features import extraction_config, gather

__all__ = ["train_run", "evaluate_run", "predict_run", "compare_runs"]


def _echo_default(msg):
    print(msg, flush=True)


def _drop_failed(ds, results, echo):
    bad = [(p, r.reason) for p, r in results.items() if r.status == "error"]
    if bad:
        echo(f"skipped {len(bad)} file(s) that could not be read:")
        for p, reason in bad:
            echo(f"  {p}: {reason}")
    good = [it for it in ds.items if results[it.path].status != "error"]
    return Dataset(good, sorted({lab for it in good for lab in it.labels}), ds.multilabel, ds.source, ds.skipped + bad)


def train_run(data, model, out, *, config_file=None, overrides=None, progress=True, echo=_echo_default):
    """Train ``model`` on ``data`` and write the run directory ``out``.

    Parameters
    ----------
    data : path-like
        Folder of class folders or manifest (see :func:`mirlearn.data.load_dataset`).
    model : str
        A name from :data:`mirlearn.models.MODELS`.
    out : path-like
        The run directory (created).
    config_file : path-like or None
        YAML configuration; keys of :data:`mirlearn.training.DEFAULTS`.
    overrides : dict or None
        Keys that win over the file (the command line's ``--folds``, ``--seed``...).

    Returns
    -------
    dict
        The content of ``metrics.json``.
    """
    spec = get_model_spec(model)
    file_cfg = load_config(config_file) if config_file else {}
    if file_cfg.get("model") not in (None, model):
        raise ParameterError(f"the config file names model {file_cfg['model']!r} but --model is {model!r}")
    cfg = resolve_config(spec, file_cfg, overrides or {})
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", MirlearnWarning)
        ds = load_dataset(data)
    for w in caught:
        echo(f"warning: {w.message}")
    excfg = extraction_config(cfg, spec.family)
    echo(f"features of {len(ds)} file(s) ({', '.join(excfg.features)}), cache: {cfg['cache'] or 'default'}")
    results, store = gather(ds.paths, excfg, cache=cfg["cache"], jobs=cfg["jobs"], progress=progress)
    ds = _drop_failed(ds, results, echo)
    folds = cfg["folds"]
    ds.check_trainable(min_per_class=folds or 2)

    import yaml

    (out / "config.yaml").write_text(yaml.safe_dump({"model": model, "data": str(data), **cfg}, sort_keys=False))
    classes = ds.classes
    targets = ds.targets(classes)
    split_table = {"path": ds.paths, "labels": [";".join(it.labels) for it in ds.items]}

    if folds:
        fold = kfold_splits(ds, n_folds=folds, seed=cfg["seed"])
        split_table["fold"] = fold.tolist()
        fold_metrics, oof = [], np.zeros((len(ds), len(classes)))
        for k in range(folds):
            echo(f"fold {k + 1}/{folds}")
            test = np.flatnonzero(fold == k)
            trainval = np.flatnonzero(fold != k)
            tr, va = _inner_valid(ds, trainval, cfg, spec.family)
            fitted = _fit(spec, cfg, ds, results, store, targets, classes, tr, va, out / f"fold{k}", progress)
            scores = fitted.scores_from_results([results[ds.items[i].path] for i in test], store)
            oof[test] = scores
            fold_metrics.append(_metrics(fitted, targets[test], scores, classes))
            echo(_one_line(fold_metrics[-1]))
        summary = aggregate_folds(fold_metrics)
        summary.pop("n_items", None)
        metrics = {
            "model": model, "data": str(data), "evaluation": f"{folds}-fold cross-validation",
            **{k: v["mean"] for k, v in summary.items()},
            "std": {k: v["std"] for k, v in summary.items()},
            "n_items": int(len(ds)),
            # every item scored once by the model that did not see it, pooled
            "pooled": {k: v for k, v in _metrics(_PooledView(ds.multilabel), targets, oof, classes).items() if k not in ("classes",)},
            "folds": fold_metrics,
        }
        pred_idx, pred_scores = np.arange(len(ds)), oof
        # the deployable model: refit on everything (classic) / on all but a validation part (deep)
        tr, va = _inner_valid(ds, np.arange(len(ds)), cfg, spec.family)
        final = _fit(spec, cfg, ds, results, store, targets, classes, tr, va, out, progress)
    else:
        split = assign_splits(ds, test_size=cfg["test_size"], valid_size=cfg["valid_size"], seed=cfg["seed"])
        split_table["split"] = split.tolist()
        tr, va, te = (np.flatnonzero(split == s) for s in ("train", "valid", "test"))
        if len(te) == 0:
            raise ParameterError("the split has no test items; add a 'test' split to the manifest or use --folds")
        if spec.family == "deep" and len(va) == 0:
            tr, va = _inner_valid(ds, tr, cfg, spec.family)
        final = _fit(spec, cfg, ds, results, store, targets, classes, tr, va, out, progress)
        scores = final.scores_from_results([results[ds.items[i].path] for i in te], store)
        metrics = {"model": model, "data": str(data), "evaluation": "holdout test split", **_metrics(final, targets[te], scores, classes)}
        metrics["n_train"], metrics["n_valid"] = int(len(tr)), int(len(va))
        pred_idx, pred_scores = te, scores

    import pandas as pd

    pd.DataFrame(split_table).to_csv(out / "split.csv", index=False)
    _write_predictions(out / "predictions.csv", ds, pred_idx, pred_scores, final)
    final.save(out / "model")
    metrics["skipped"] = [{"path": p, "reason": r} for p, r in ds.skipped]
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2))
    from ..reports import write_report

    write_report(out, metrics, ds=ds, pred_idx=pred_idx, pred_scores=pred_scores, bundle=final)
    echo(_one_line(metrics, prefix=f"{model}: "))
    echo(f"run directory: {out}  report: {out / 'report.html'}")
    return metrics


def _inner_valid(ds, idx, cfg, family):
    """Split ``idx`` into train and validation parts (deep models need one; classic
    models use it for the hyperparameter search only)."""
    if family == "classic" and not cfg["search"]:
        return idx, np.array([], dtype=int)
    sub = ds.subset(idx)
    if sub.has_splits and any(it.split == "valid" for it in sub.items):
        s = np.array([it.split for it in sub.items])
        return idx[s != "valid"], idx[s == "valid"]
    sub = Dataset([type(it)(it.path, it.labels, None, it.group) for it in sub.items], sub.classes, sub.multilabel, sub.source)
    counts = sub.counts()
    if min(counts.values()) < 2:
        return idx, np.array([], dtype=int)
    s = assign_splits(sub, test_size=min(0.5, max(cfg["valid_size"], 0.1)), valid_size=0.0, seed=cfg["seed"] + 7)
    return idx[s == "train"], idx[s == "test"]


def _fit(spec, cfg, ds, results, store, targets, classes, tr, va, out, progress):
    if spec.family == "classic":
        return _fit_classic(spec.name, cfg, ds, results, targets, classes, tr, va)
    return _fit_deep(spec.name, cfg, ds, results, store, targets, classes, tr, va, Path(out), progress)


def _summaries(ds, results, idx):
    return np.array([list(results[ds.items[i].path].summary.values()) for i in idx], dtype=np.float64)


def _fit_classic(name, cfg, ds, results, targets, classes, tr, va):
    with warnings.catch_warnings():
        # SVC(probability=True) is deprecated in scikit-learn 1.9 (removed in 1.11, which
        # pyproject.toml excludes); its Platt scaling is what gives SVMs probabilities here
        warnings.filterwarnings("ignore", message="The `probability` parameter was deprecated", category=FutureWarning)
        return _fit_classic_inner(name, cfg, ds, results, targets, classes, tr, va)


def _fit_classic_inner(name, cfg, ds, results, targets, classes, tr, va):
    from sklearn.model_selection import GridSearchCV, PredefinedSplit, StratifiedKFold

    from ..models.classic import build_classifier, param_grid
    from .bundle import classic_scores

    est = build_classifier(name, seed=cfg["seed"], multilabel=ds.multilabel, **cfg["classifier"])
    Xtr, ytr = _summaries(ds, results, tr), targets[tr]
    thresholds = None
    if cfg["search"]:
        scoring = "average_precision" if ds.multilabel else "f1_macro"
        if len(va):
            X = np.concatenate([Xtr, _summaries(ds, results, va)])
            y = np.concatenate([ytr, targets[va]])
            cv = PredefinedSplit(np.r_[np.full(len(tr), -1), np.zeros(len(va), dtype=int)])
        else:
            X, y, cv = Xtr, ytr, StratifiedKFold(3, shuffle=True, random_state=cfg["seed"])
        search = GridSearchCV(est, param_grid(name, multilabel=ds.multilabel), scoring=scoring, cv=cv, n_jobs=1)
        search.fit(X, y)
        est = search.best_estimator_
    else:
        est.fit(Xtr, ytr)
    if ds.multilabel:
        if len(va):
            thresholds = choose_thresholds(targets[va], classic_scores(est, _summaries(ds, results, va), len(classes)))
        else:
            thresholds = np.full(len(classes), 0.5)
    return Bundle("classic", name, classes, ds.multilabel, extraction_config(cfg, "classic"), est, thresholds)


def _fit_deep(name, cfg, ds, results, store, targets, classes, tr, va, out, progress):
    from ..models.neural import build_network
    from .deep import predict_clips, train_network

    excfg = extraction_config(cfg, "deep")
    hop = excfg.params.get("hop_length", 512)
    chunk_frames = max(8, int(round(cfg["chunk_seconds"] * cfg["sr"] / hop)))
    arch = {"n_classes": len(classes), "n_mels": cfg["n_mels"], "dropout": cfg["dropout"]}
    spec_defaults = get_model_spec(name).defaults
    arch["channels"] = cfg["channels"] or spec_defaults.get("channels")
    if name == "crnn":
        arch["rnn_hidden"] = cfg["rnn_hidden"] or spec_defaults.get("rnn_hidden", 64)
    import torch

    torch.manual_seed(cfg["seed"])  # the initial weights are part of what the seed fixes
    net = build_network(name, **arch)
    files = [Path(store) / results[it.path].key / "logmel.npy" for it in ds.items]
    tgt = targets.astype(np.float32) if ds.multilabel else targets
    out.mkdir(parents=True, exist_ok=True)
    extra, history = train_network(
        net, cfg,
        train_files=[files[i] for i in tr], train_targets=tgt[tr],
        valid_files=[files[i] for i in va], valid_targets=tgt[va],
        multilabel=ds.multilabel, out_dir=out, chunk_frames=chunk_frames, progress=progress,
    )
    extra["multilabel"] = ds.multilabel
    (out / "history.json").write_text(json.dumps(history, indent=2, default=float))
    thresholds = None
    if ds.multilabel:
        thresholds = choose_thresholds(targets[va], predict_clips(net, [files[i] for i in va], extra)) if len(va) else None
    return Bundle("deep", name, classes, ds.multilabel, excfg, net, thresholds, extra)


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


def _write_predictions(path, ds, idx, scores, bundle):
    import pandas as pd

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
        rows[f"p_{c}"] = scores[:, j]
    pd.DataFrame(rows).to_csv(path, index=False)


# ------------------------------------------------------------------------------------
def evaluate_run(run_dir, data, *, split="test", cache=None, progress=False, echo=_echo_default):
    """Score a trained run on ``data`` (its ``split`` part, or ``'all'``).

    The part is taken from the manifest's ``split`` column, else from the run's
    ``split.csv`` when it covers the data, else the whole dataset is used. Items whose
    labels the model never saw are reported and left out; unreadable files too.

    Returns
    -------
    dict
        At least ``accuracy``, ``balanced_accuracy``, ``macro_f1``, ``n_items``, and
        ``skipped`` (path, reason).
    """
    import pandas as pd

    bundle = load_bundle(run_dir)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", MirlearnWarning)
        ds = load_dataset(data)
    skipped = [{"path": p, "reason": r} for p, r in ds.skipped]
    for w in caught:
        echo(f"warning: {w.message}")
    items = ds.items
    how = "all items"
    if split != "all":
        if split not in ("train", "valid", "test"):
            raise ParameterError(f"--split must be train, valid, test or all, got {split!r}")
        if ds.has_splits:
            items = [it for it in items if (it.split or "train") == split]
            how = f"the manifest's {split!r} split"
        else:
            split_csv = Path(run_dir) / "split.csv"
            table = pd.read_csv(split_csv) if split_csv.exists() else None
            if table is not None and "split" in table and set(map(str, ds.paths)) <= set(table["path"]):
                chosen = set(table.loc[table["split"] == split, "path"])
                items = [it for it in items if it.path in chosen]
                how = f"the run's {split!r} split (split.csv)"
            else:
                how = "all items (the data has no split column and the run's split does not cover it)"
    if not items:
        raise ParameterError(f"no items to evaluate in {data} for split {split!r}")
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
    m = _metrics(bundle, sub.targets(bundle.classes), scores, bundle.classes)
    m["evaluated_on"] = how
    m["skipped"] = skipped
    return m


def predict_run(run_dir, audio, *, cache=None, progress=False):
    """Probabilities per label for each audio file.

    Returns
    -------
    classes : list of str
    rows : list of (path, scores or None, reason or None)
    """
    bundle = load_bundle(run_dir)
    results, store = gather([str(a) for a in audio], bundle.extraction, cache=cache, progress=progress)
    good = [r for r in results.values() if r.status != "error"]
    scores = bundle.scores_from_results(good, store) if good else np.zeros((0, len(bundle.classes)))
    by_path = {r.path: s for r, s in zip(good, scores)}
    rows = [(str(a), by_path.get(str(a)), results[str(a)].reason) for a in audio]
    return bundle, rows


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
        row["n_items"] = m.get("n_items")
        rows.append(row)
    return rows
