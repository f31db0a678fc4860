"""TF-IDF + logistic regression: the baseline every evaluation reports beside the transformer.

Saved as JSON (vocabulary, settings, thresholds) and safetensors (idf, weights): no pickle.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from safetensors.numpy import load_file, save_file
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from .errors import ModelLoadError
from .thresholds import apply_thresholds, tune_thresholds

VECTORIZER_SETTINGS = {"ngram_range": [1, 2], "sublinear_tf": True, "min_df": 1, "lowercase": True}


class TfidfBaseline:
    """One-vs-rest logistic regression (C=10, balanced classes) over word 1-2 gram TF-IDF."""

    def __init__(self, labels: Sequence[str], C: float = 10.0, min_labels: int = 0) -> None:
        self.labels = list(labels)
        self.C = C
        self.min_labels = min_labels
        self.vocabulary_: dict[str, int] | None = None
        self.idf_: np.ndarray | None = None
        self.coef_: np.ndarray | None = None
        self.intercept_: np.ndarray | None = None
        self.thresholds_: list[float] = [0.5] * len(self.labels)

    def _vectorizer(self) -> TfidfVectorizer:
        settings = dict(VECTORIZER_SETTINGS, ngram_range=tuple(VECTORIZER_SETTINGS["ngram_range"]))
        return TfidfVectorizer(**settings)

    def fit(self, texts: Sequence[str], y: np.ndarray) -> TfidfBaseline:
        vec = self._vectorizer()
        X = vec.fit_transform(list(texts))
        y = np.asarray(y, dtype=int)
        coef = np.zeros((len(self.labels), X.shape[1]), dtype=np.float32)
        intercept = np.full(len(self.labels), -10.0, dtype=np.float32)
        for j in range(len(self.labels)):
            if 0 < y[:, j].sum() < len(y):
                lr = LogisticRegression(C=self.C, class_weight="balanced", max_iter=2000)
                lr.fit(X, y[:, j])
                coef[j] = lr.coef_[0]
                intercept[j] = lr.intercept_[0]
            elif y[:, j].sum() == len(y):
                intercept[j] = 10.0
        self.vocabulary_ = {k: int(v) for k, v in vec.vocabulary_.items()}
        self.idf_ = vec.idf_.astype(np.float32)
        self.coef_, self.intercept_ = coef, intercept
        return self

    def _check_fitted(self) -> None:
        if self.coef_ is None:
            raise RuntimeError("TfidfBaseline is not fitted; call fit() or load() first")

    def _transform(self, texts: Sequence[str]):
        vec = self._vectorizer()
        vec.vocabulary_ = self.vocabulary_
        vec.idf_ = self.idf_
        return vec.transform(list(texts))

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        self._check_fitted()
        logits = self._transform(texts) @ self.coef_.T + self.intercept_
        return (1.0 / (1.0 + np.exp(-np.asarray(logits)))).astype(np.float32)

    def tune(self, texts: Sequence[str], y: np.ndarray) -> TfidfBaseline:
        """Per-label thresholds on dev, the same procedure as the transformer's."""
        self.thresholds_ = tune_thresholds(self.predict_proba(texts), y)
        return self

    def predict_matrix(self, texts: Sequence[str]) -> np.ndarray:
        return apply_thresholds(self.predict_proba(texts), self.thresholds_, self.min_labels)

    def save(self, path: str | Path) -> None:
        self._check_fitted()
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        meta = {
            "kind": "tfidf-logreg",
            "labels": self.labels,
            "C": self.C,
            "min_labels": self.min_labels,
            "thresholds": self.thresholds_,
            "vectorizer": VECTORIZER_SETTINGS,
            "vocabulary": self.vocabulary_,
        }
        (path / "baseline.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
        save_file(
            {"idf": self.idf_, "coef": self.coef_, "intercept": self.intercept_},
            str(path / "baseline.safetensors"),
        )

    @classmethod
    def load(cls, path: str | Path) -> TfidfBaseline:
        path = Path(path)
        try:
            meta = json.loads((path / "baseline.json").read_text(encoding="utf-8"))
            arrays = load_file(str(path / "baseline.safetensors"))
        except (OSError, ValueError) as exc:
            raise ModelLoadError(f"{path}: cannot read the TF-IDF baseline ({exc})") from None
        model = cls(meta["labels"], C=meta["C"], min_labels=meta.get("min_labels", 0))
        model.vocabulary_ = meta["vocabulary"]
        model.idf_ = arrays["idf"]
        model.coef_ = arrays["coef"]
        model.intercept_ = arrays["intercept"]
        model.thresholds_ = list(meta["thresholds"])
        return model
