"""Metrics of segment- and note-level classification and of tagging.

Every function takes ``(reference, estimated, ...)`` in that order and returns a dict of
named scores, as mir_eval does. Labels are class indices (single-label) or multi-hot
matrices (tagging); scores are probabilities.
"""

from __future__ import annotations

import numpy as np

from ..errors import ParameterError

__all__ = ["classification_metrics", "tagging_metrics", "aggregate_folds", "choose_thresholds"]


def classification_metrics(y_true, y_pred, *, classes):
    """Accuracy, balanced accuracy, macro-F1, per-class precision/recall/F1, confusion.

    Macro-F1 averages over every class of ``classes`` (the model's label set), so a class
    that a test part happens to lack still counts (F1 = 0). Balanced accuracy averages the
    recall of the classes present in the reference.

    Parameters
    ----------
    y_true, y_pred : array of int [shape=(n_items,)]
        Class indices into ``classes``.
    classes : list of str

    Returns
    -------
    dict
        ``accuracy``, ``balanced_accuracy``, ``macro_f1``, ``n_items``, ``per_class``
        (``{class: {precision, recall, f1, support}}``), ``confusion`` (rows: reference,
        columns: estimate), ``classes``.
    """
    from sklearn import metrics as skm

    y_true = np.asarray(y_true)
    y_pred = np.asarray(y_pred)
    if y_true.shape != y_pred.shape or y_true.ndim != 1:
        raise ParameterError(f"reference and estimate must be 1-d and the same length, got {y_true.shape} and {y_pred.shape}")
    if len(y_true) == 0:
        raise ParameterError("no items to evaluate")
    labels = np.arange(len(classes))
    p, r, f, s = skm.precision_recall_fscore_support(y_true, y_pred, labels=labels, zero_division=0)
    present = s > 0
    with np.errstate(invalid="ignore"):
        bal = float(np.mean(r[present])) if present.any() else 0.0
    return {
        "accuracy": float(skm.accuracy_score(y_true, y_pred)),
        # mean recall over the classes present in the reference (recall of an absent class
        # is undefined), as sklearn.metrics.balanced_accuracy_score
        "balanced_accuracy": bal,
        # over the model's full label set: a class absent from the reference that the model
        # predicts (or never predicts) counts with F1 = 0, as sklearn's f1_score(labels=...)
        "macro_f1": float(np.mean(f)),
        "n_items": int(len(y_true)),
        "per_class": {
            c: {"precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]), "support": int(s[i])}
            for i, c in enumerate(classes)
        },
        "confusion": skm.confusion_matrix(y_true, y_pred, labels=labels).tolist(),
        "classes": list(classes),
    }


def choose_thresholds(Y_true, scores):
    """Per-tag decision thresholds that maximise F1 on (validation) data; 0.5 for a tag
    without positives."""
    from sklearn.metrics import precision_recall_curve

    Y_true = np.asarray(Y_true)
    scores = np.asarray(scores)
    th = np.full(Y_true.shape[1], 0.5)
    for j in range(Y_true.shape[1]):
        if Y_true[:, j].sum() == 0:
            continue
        prec, rec, thr = precision_recall_curve(Y_true[:, j], scores[:, j])
        f1 = 2 * prec * rec / np.maximum(prec + rec, 1e-12)
        th[j] = float(thr[np.argmax(f1[:-1])]) if len(thr) else 0.5
    return th


def tagging_metrics(Y_true, scores, *, classes, thresholds=None):
    """ROC-AUC and PR-AUC (macro and per tag) and thresholded F1 of multi-label scores.

    Tags without both positives and negatives in ``Y_true`` have no AUC and are left out of
    the macro averages (listed in ``undefined_tags``).
    """
    from sklearn import metrics as skm

    Y_true = np.asarray(Y_true)
    scores = np.asarray(scores, dtype=float)
    if Y_true.shape != scores.shape:
        raise ParameterError(f"reference {Y_true.shape} and scores {scores.shape} differ in shape")
    thresholds = np.full(len(classes), 0.5) if thresholds is None else np.asarray(thresholds)
    Y_pred = (scores >= thresholds).astype(int)
    per_tag, undefined = {}, []
    for j, c in enumerate(classes):
        pos = Y_true[:, j].sum()
        entry = {"support": int(pos), "threshold": float(thresholds[j])}
        if 0 < pos < len(Y_true):
            entry["roc_auc"] = float(skm.roc_auc_score(Y_true[:, j], scores[:, j]))
            entry["pr_auc"] = float(skm.average_precision_score(Y_true[:, j], scores[:, j]))
        else:
            undefined.append(c)
        entry["f1"] = float(skm.f1_score(Y_true[:, j], Y_pred[:, j], zero_division=0))
        per_tag[c] = entry
    defined = [e for e in per_tag.values() if "roc_auc" in e]
    exact = float(np.mean(np.all(Y_true == Y_pred, axis=1)))
    return {
        "roc_auc_macro": float(np.mean([e["roc_auc"] for e in defined])) if defined else float("nan"),
        "pr_auc_macro": float(np.mean([e["pr_auc"] for e in defined])) if defined else float("nan"),
        "macro_f1": float(np.mean([e["f1"] for e in per_tag.values()])),
        "accuracy": exact,  # subset accuracy: every tag right
        "balanced_accuracy": float(skm.balanced_accuracy_score(Y_true.ravel(), Y_pred.ravel())),
        "n_items": int(len(Y_true)),
        "per_tag": per_tag,
        "undefined_tags": undefined,
        "classes": list(classes),
    }


def aggregate_folds(fold_metrics):
    """Mean and sample standard deviation (``ddof=1``, the unbiased variance's square
    root; 0 for a single fold) over folds of every scalar metric.

    Returns
    -------
    dict
        ``{metric: {"mean": m, "std": s, "folds": [...]}}`` for each scalar metric.
    """
    if not fold_metrics:
        raise ParameterError("no folds to aggregate")
    out = {}
    for key, value in fold_metrics[0].items():
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            vals = [float(m[key]) for m in fold_metrics]
            std = float(np.std(vals, ddof=1)) if len(vals) > 1 else 0.0
            out[key] = {"mean": float(np.mean(vals)), "std": std, "folds": vals}
    return out
