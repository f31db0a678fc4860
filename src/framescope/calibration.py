"""Post-hoc calibration: per-label temperature scaling fitted on dev, and the expected
calibration error (ECE) that tells whether it is needed.

A fine-tuned multi-label classifier trained with positive-class weights tends to give
scores that are not probabilities: a label scored 0.9 may be right far less than 90% of the
time. Temperature scaling divides each label's logit by a constant T (fitted by minimising
the log-loss on dev) before the sigmoid. It is monotonic per label, so each label's decisions
stay the same once its threshold is mapped to the new scale (``sigmoid(logit(t) / T)``);
only the scores change. With a codebook that requires at least one label, the fallback label
of a statement with none above threshold is the one with the highest calibrated score.

The result lives in framescope.json under ``calibration``:
``{"method": "temperature", "fitted_on": ..., "statements": n, "temperatures": {label: T},
"uncalibrated_thresholds": {...}, "ece_before": {...}, "ece_after": {...}}``;
``FrameClassifier.predict_proba`` applies it unless called with ``calibrated=False``.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy.optimize import minimize_scalar
from scipy.special import expit, logit

if TYPE_CHECKING:
    from .classifier import FrameClassifier

log = logging.getLogger(__name__)

BINS = 10
# temperatures outside this range mean the fit found nothing to fit (e.g. no positives)
T_MIN, T_MAX = 0.05, 20.0
# the fit is kept only when it lowers mean ECE on the statements it was fitted on by at least
# this share: a well-calibrated model is left alone (see docs/training.md, "Calibration")
MIN_GAIN = 0.10


def expected_calibration_error(probs: np.ndarray, y: np.ndarray, bins: int = BINS) -> np.ndarray:
    """Per-label ECE: scores cut into ``bins`` equal-width bins over [0, 1]; the mean over
    bins, weighted by their share of statements, of |fraction positive - mean score|."""
    probs = np.asarray(probs, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if probs.shape != y.shape or probs.ndim != 2:
        raise ValueError(f"probs {probs.shape} and y {y.shape} must be the same 2-D shape")
    n = len(probs)
    if n == 0:
        return np.zeros(probs.shape[1])
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(probs, edges[1:-1], right=True), 0, bins - 1)
    ece = np.zeros(probs.shape[1])
    for j in range(probs.shape[1]):
        for b in range(bins):
            members = which[:, j] == b
            count = int(members.sum())
            if count:
                gap = abs(y[members, j].mean() - probs[members, j].mean())
                ece[j] += count / n * gap
    return ece


def _log_loss(logits: np.ndarray, y: np.ndarray, temperature: float) -> float:
    z = logits / temperature
    # log(1 + exp(-|z|)) form: stable for large |z|
    return float(np.mean(np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))))


def fit_temperatures(logits: np.ndarray, y: np.ndarray) -> np.ndarray:
    """One temperature per label, minimising that label's log-loss over [0.05, 20] (searched
    on log T, deterministic). A label with no positives or no negatives keeps T = 1."""
    logits = np.asarray(logits, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    out = np.ones(logits.shape[1])
    for j in range(logits.shape[1]):
        if y[:, j].min() == y[:, j].max():
            continue
        result = minimize_scalar(
            lambda log_t, j=j: _log_loss(logits[:, j], y[:, j], float(np.exp(log_t))),
            bounds=(np.log(T_MIN), np.log(T_MAX)),
            method="bounded",
            options={"xatol": 1e-4},
        )
        out[j] = float(np.exp(result.x))
    return out


def rescale_thresholds(thresholds: Sequence[float], temperatures: Sequence[float]) -> list[float]:
    """Thresholds on the calibrated scale that keep each label's decisions: a raw score
    ``sigmoid(z) >= t`` exactly when ``sigmoid(z / T) >= sigmoid(logit(t) / T)``."""
    t = np.clip(np.asarray(thresholds, dtype=np.float64), 1e-6, 1 - 1e-6)
    return [float(v) for v in expit(logit(t) / np.asarray(temperatures, dtype=np.float64))]


@dataclass(frozen=True)
class CalibrationResult:
    """What ``calibrate`` fitted and how much it changed ECE on the statements it saw."""

    temperatures: dict[str, float]
    ece_before: dict[str, float]
    ece_after: dict[str, float]
    statements: int
    applied: bool

    @property
    def mean_ece_before(self) -> float:
        return float(np.mean(list(self.ece_before.values())))

    @property
    def mean_ece_after(self) -> float:
        return float(np.mean(list(self.ece_after.values())))


def calibrate(
    clf: FrameClassifier,
    texts: Sequence[str],
    y: np.ndarray,
    fitted_on: str = "dev",
    logits: np.ndarray | None = None,
    min_gain: float | None = MIN_GAIN,
) -> CalibrationResult:
    """Fit per-label temperatures on ``texts`` with gold 0/1 matrix ``y`` (use dev, never
    test), store them in ``clf.config["calibration"]`` and move ``clf.thresholds`` to the
    calibrated scale. Calibrating again starts from the uncalibrated thresholds. ``logits``:
    ``clf.predict_logits(texts)`` when the caller already has them.

    The temperatures are kept only if they lower the mean ECE on ``texts`` by at least
    ``min_gain`` (a share; None keeps them whatever); otherwise the record says
    ``"method": "none"`` with the figures, and scores and thresholds stay raw."""
    y = np.asarray(y)
    texts = list(texts)
    if len(texts) != len(y):
        raise ValueError(f"{len(texts)} texts but {len(y)} rows of gold labels")
    if not texts:
        raise ValueError("calibration needs statements (the dev split is empty)")
    previous: dict[str, Any] = clf.config.get("calibration") or {}
    raw_thresholds = [
        float(previous.get("uncalibrated_thresholds", {}).get(n, t))
        for n, t in zip(clf.labels, clf.thresholds)
    ]
    logits = clf.predict_logits(texts) if logits is None else np.asarray(logits)
    filled = np.isfinite(logits).all(1)  # empty texts score 0 whatever the temperature
    temperatures = fit_temperatures(logits[filled], y[filled])
    at_limit = [j for j, t in enumerate(temperatures) if not T_MIN * 1.01 < t < T_MAX * 0.99]
    if at_limit:
        # a fit at the edge of the range means dev separates the label perfectly (or says
        # nothing about it): no evidence for a temperature, so that label stays raw
        temperatures[at_limit] = 1.0
        log.warning(
            "temperature fit reached its search limit for %s: %d %s statements are too few "
            "to calibrate these labels, which keep their raw scores",
            ", ".join(clf.labels[j] for j in at_limit),
            len(texts),
            fitted_on,
        )
    before = expected_calibration_error(expit(logits), y)
    after = expected_calibration_error(expit(logits / temperatures), y)
    labels = clf.labels
    applied = min_gain is None or float(after.mean()) <= (1.0 - min_gain) * float(before.mean())
    clf.thresholds = rescale_thresholds(raw_thresholds, temperatures) if applied else raw_thresholds
    clf.config["calibration"] = {
        "method": "temperature" if applied else "none",
        "fitted_on": fitted_on,
        "statements": len(texts),
        "min_gain": min_gain,
        "temperatures": _named(labels, temperatures),
        "uncalibrated_thresholds": _named(labels, raw_thresholds),
        "ece_before": _named(labels, before),
        "ece_after": _named(labels, after),
    }
    result = CalibrationResult(
        _named(labels, temperatures),
        _named(labels, before),
        _named(labels, after),
        len(texts),
        applied,
    )
    log.info(
        "temperature scaling on %d %s statements: mean ECE %.3f -> %.3f; %s",
        len(texts),
        fitted_on,
        result.mean_ece_before,
        result.mean_ece_after,
        "kept" if applied else f"not kept (less than {min_gain:.0%} lower)",
    )
    return result


def _named(labels: Sequence[str], values: Sequence[float]) -> dict[str, float]:
    # not rounded: stored temperatures must reproduce the thresholds computed from them
    return {name: float(v) for name, v in zip(labels, values, strict=True)}


def calibrate_folder(
    path: str | Path,
    corpus: Any,
    split: str = "dev",
    codebook: Any = None,
    min_gain: float | None = MIN_GAIN,
) -> CalibrationResult:
    """Fit temperature scaling for a saved model on ``split`` of ``corpus`` and record it in
    the folder's framescope.json (thresholds moved to the calibrated scale) and model card.
    Nothing else in the folder changes, so weights and checksums stay as they were."""
    from .classifier import FrameClassifier
    from .corpus import as_corpus
    from .errors import FramescopeError
    from .model_folder import CONFIG_FILE
    from .modelcard import write_model_card
    from .training import label_matrix

    path = Path(path)
    clf = FrameClassifier.load(path, device="cpu", runtime="torch")
    dsd = as_corpus(corpus, codebook)
    if split not in dsd or not len(dsd[split]):
        raise FramescopeError(f"the corpus has no {split!r} statements to calibrate on")
    y = label_matrix(dsd[split], clf.labels)
    result = calibrate(clf, dsd[split]["text"], y, fitted_on=split, min_gain=min_gain)
    config_path = path / CONFIG_FILE
    config = json.loads(config_path.read_text(encoding="utf-8"))
    config["thresholds"] = dict(zip(clf.labels, clf.thresholds, strict=True))
    config["calibration"] = clf.config["calibration"]
    staging = config_path.with_name(f".{CONFIG_FILE}.tmp")
    staging.write_text(json.dumps(config, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(staging, config_path)
    write_model_card(path, config)
    return result
