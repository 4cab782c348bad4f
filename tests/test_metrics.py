"""Evaluation metrics with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from mirlearn import ParameterError
from mirlearn.evaluation import aggregate_folds, classification_metrics, tagging_metrics
from mirlearn.evaluation.metrics import choose_thresholds


def test_classification_known_answer():
    y = [0, 0, 0, 0, 1, 1]
    p = [0, 0, 0, 1, 1, 0]
    m = classification_metrics(y, p, classes=["a", "b"])
    assert m["accuracy"] == pytest.approx(4 / 6)
    assert m["balanced_accuracy"] == pytest.approx((3 / 4 + 1 / 2) / 2)
    assert m["per_class"]["a"] == {"precision": 0.75, "recall": 0.75, "f1": 0.75, "support": 4}
    assert m["per_class"]["b"]["f1"] == pytest.approx(0.5)
    assert m["macro_f1"] == pytest.approx(0.625)
    assert m["confusion"] == [[3, 1], [1, 1]]
    assert m["n_items"] == 6


def test_classification_errors():
    with pytest.raises(ParameterError, match="same length"):
        classification_metrics([0, 1], [0], classes=["a", "b"])
    with pytest.raises(ParameterError, match="no items"):
        classification_metrics([], [], classes=["a"])


def test_tagging_known_answer():
    Y = np.array([[1, 0], [1, 1], [0, 1], [0, 0]])
    S = np.array([[0.9, 0.2], [0.8, 0.7], [0.3, 0.6], [0.1, 0.4]])
    m = tagging_metrics(Y, S, classes=["rock", "guitar"])
    assert m["per_tag"]["rock"]["roc_auc"] == 1.0 and m["per_tag"]["rock"]["pr_auc"] == 1.0
    assert m["per_tag"]["guitar"]["roc_auc"] == 1.0
    assert m["roc_auc_macro"] == 1.0
    assert m["per_tag"]["guitar"]["f1"] == 1.0  # 0.7, 0.6 >= 0.5 > 0.4, 0.2
    th = choose_thresholds(Y, S)
    assert np.all((S >= th) == Y)


def test_tagging_tag_without_positives_is_reported():
    Y = np.array([[1, 0], [0, 0]])
    m = tagging_metrics(Y, np.array([[0.8, 0.1], [0.2, 0.3]]), classes=["a", "b"])
    assert m["undefined_tags"] == ["b"] and "roc_auc" not in m["per_tag"]["b"]


def test_aggregate_folds():
    agg = aggregate_folds([{"accuracy": 0.5, "x": "s"}, {"accuracy": 0.7, "x": "t"}])
    # the sample standard deviation (ddof=1)
    assert agg["accuracy"]["mean"] == pytest.approx(0.6) and agg["accuracy"]["std"] == pytest.approx(0.1 * np.sqrt(2))
    assert "x" not in agg
