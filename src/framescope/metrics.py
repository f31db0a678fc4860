"""Multi-label metrics: per-label precision/recall/F1/support, micro and macro F1, exact match.

scikit-learn does the arithmetic; ``MultilabelFrameMetric`` exposes it through the
``evaluate`` library's Metric interface (add_batch / compute) without any hub download.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import datasets
import evaluate
import numpy as np
from sklearn.metrics import precision_recall_fscore_support


@dataclass(frozen=True)
class LabelScores:
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True)
class Scores:
    """Scores of one system on one set of statements."""

    per_label: dict[str, LabelScores]
    micro_f1: float
    macro_f1: float
    exact_match: float
    n: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "macro_f1": self.macro_f1,
            "micro_f1": self.micro_f1,
            "exact_match": self.exact_match,
            "per_label": {name: asdict(s) for name, s in self.per_label.items()},
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Scores:
        return cls(
            per_label={k: LabelScores(**v) for k, v in data["per_label"].items()},
            micro_f1=data["micro_f1"],
            macro_f1=data["macro_f1"],
            exact_match=data["exact_match"],
            n=data["n"],
        )


def multilabel_scores(y_true: np.ndarray, y_pred: np.ndarray, labels: Sequence[str]) -> Scores:
    """Scores for 0/1 matrices of shape (n, len(labels)).

    Macro-F1 averages over labels with support or predictions (a label absent from both
    gold and predictions is left out rather than counted as 0 or 1).
    """
    y_true = np.asarray(y_true, dtype=int).reshape(-1, len(labels))
    y_pred = np.asarray(y_pred, dtype=int).reshape(-1, len(labels))
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, average=None, zero_division=0)
    per_label = {
        name: LabelScores(float(p[i]), float(r[i]), float(f[i]), int(s[i]))
        for i, name in enumerate(labels)
    }
    present = (y_true.sum(0) + y_pred.sum(0)) > 0
    macro = float(f[present].mean()) if present.any() else 0.0
    _, _, micro, _ = precision_recall_fscore_support(
        y_true, y_pred, average="micro", zero_division=0
    )
    exact = float((y_true == y_pred).all(1).mean()) if len(y_true) else 0.0
    return Scores(per_label, float(micro), macro, exact, int(len(y_true)))


class MultilabelFrameMetric(evaluate.Metric):
    """``evaluate`` metric: predictions and references are 0/1 vectors, one entry a label."""

    def __init__(self, labels: Sequence[str], **kwargs: Any) -> None:
        self.label_names = list(labels)
        kwargs.setdefault("keep_in_memory", True)
        super().__init__(**kwargs)

    def _info(self) -> evaluate.MetricInfo:
        return evaluate.MetricInfo(
            description="Per-label, micro and macro F1 for multi-label framing.",
            citation="",
            inputs_description="predictions, references: lists of 0/1 vectors",
            features=datasets.Features(
                {
                    "predictions": datasets.Sequence(datasets.Value("int8")),
                    "references": datasets.Sequence(datasets.Value("int8")),
                }
            ),
        )

    def _compute(self, predictions: list, references: list) -> dict[str, Any]:
        scores = multilabel_scores(np.array(references), np.array(predictions), self.label_names)
        out: dict[str, Any] = {
            "macro_f1": scores.macro_f1,
            "micro_f1": scores.micro_f1,
            "exact_match": scores.exact_match,
        }
        for name, s in scores.per_label.items():
            out[f"f1_{name}"] = s.f1
        return out
