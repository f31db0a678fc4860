"""Turning scores into label sets: per-label thresholds, tuned on dev, and the min-label rule."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

GRID = np.round(np.arange(0.05, 0.951, 0.025), 3)
MIN_POSITIVES_TO_TUNE = 3


def apply_thresholds(
    probs: np.ndarray, thresholds: Sequence[float], min_labels: int = 0
) -> np.ndarray:
    """0/1 decisions; with ``min_labels=1`` a row with no label keeps its top-scoring label."""
    probs = np.asarray(probs, dtype=np.float32)
    decided = probs >= np.asarray(thresholds, dtype=np.float32)[None, :]
    if min_labels >= 1 and len(probs):
        empty = ~decided.any(1)
        decided[empty, probs[empty].argmax(1)] = True
    return decided.astype(np.int8)


def _f1(y: np.ndarray, pred: np.ndarray) -> float:
    tp = float((y & pred).sum())
    denom = float(y.sum() + pred.sum())
    return 2 * tp / denom if denom else 0.0


def tune_thresholds(probs: np.ndarray, y_true: np.ndarray, default: float = 0.5) -> list[float]:
    """Per label, the threshold on ``GRID`` that maximises dev F1.

    Ties are broken towards the middle of the best plateau (thresholds that work equally
    well on dev are usually a range; its centre is the least fragile choice). A label with
    fewer than ``MIN_POSITIVES_TO_TUNE`` dev positives keeps ``default``.
    """
    probs = np.asarray(probs)
    y_true = np.asarray(y_true).astype(bool)
    out: list[float] = []
    for j in range(probs.shape[1]):
        y = y_true[:, j]
        if y.sum() < MIN_POSITIVES_TO_TUNE:
            out.append(default)
            continue
        f1s = np.array([_f1(y, probs[:, j] >= t) for t in GRID])
        best = np.flatnonzero(np.isclose(f1s, f1s.max()))
        # the longest run of consecutive best thresholds, then its middle
        runs, start = [], best[0]
        for a, b in zip(best, best[1:], strict=False):
            if b != a + 1:
                runs.append((start, a))
                start = b
        runs.append((start, best[-1]))
        lo, hi = max(runs, key=lambda r: r[1] - r[0])
        out.append(float(GRID[(lo + hi) // 2]))
    return out
