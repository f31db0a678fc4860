from __future__ import annotations

import numpy as np
import pytest

from framescope.metrics import MultilabelFrameMetric, multilabel_scores
from framescope.thresholds import apply_thresholds, tune_thresholds


def test_scores_by_hand():
    y = np.array([[1, 0], [1, 1], [0, 0], [0, 1]])
    p = np.array([[1, 0], [0, 1], [0, 1], [0, 1]])
    s = multilabel_scores(y, p, ["a", "b"])
    # a: tp1 fp0 fn1 -> P1 R.5 F.667 ; b: tp2 fp1 fn0 -> P.667 R1 F.8
    assert s.per_label["a"].f1 == pytest.approx(2 / 3)
    assert s.per_label["b"].precision == pytest.approx(2 / 3)
    assert s.per_label["b"].support == 2
    assert s.macro_f1 == pytest.approx((2 / 3 + 0.8) / 2)
    assert s.micro_f1 == pytest.approx(2 * 3 / (2 * 3 + 1 + 1))
    assert s.exact_match == pytest.approx(0.5)  # rows 1 and 4


def test_the_evaluate_metric_agrees_with_sklearn():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, (50, 4))
    p = rng.integers(0, 2, (50, 4))
    ref = multilabel_scores(y, p, list("abcd"))
    metric = MultilabelFrameMetric(list("abcd"))
    out = metric.compute(predictions=p.tolist(), references=y.tolist())
    assert out["macro_f1"] == pytest.approx(ref.macro_f1)
    assert out["micro_f1"] == pytest.approx(ref.micro_f1)
    assert out["f1_c"] == pytest.approx(ref.per_label["c"].f1)


def test_min_labels_keeps_the_top_label():
    probs = np.array([[0.1, 0.3], [0.9, 0.2]])
    assert apply_thresholds(probs, [0.5, 0.5], 0).tolist() == [[0, 0], [1, 0]]
    assert apply_thresholds(probs, [0.5, 0.5], 1).tolist() == [[0, 1], [1, 0]]


def test_thresholds_separate_a_shifted_label():
    y = np.array([[1], [1], [1], [0], [0], [0]])
    probs = np.array([[0.30], [0.35], [0.40], [0.10], [0.15], [0.20]])
    (t,) = tune_thresholds(probs, y)
    assert 0.2 < t <= 0.3
    assert apply_thresholds(probs, [t]).ravel().tolist() == [1, 1, 1, 0, 0, 0]


def test_rare_labels_keep_the_default_threshold():
    y = np.array([[1], [0], [0], [0]])
    assert tune_thresholds(np.array([[0.9], [0.1], [0.2], [0.3]]), y) == [0.5]
