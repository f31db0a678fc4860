"""Is a model overconfident, and does temperature scaling fix it? Measured on held-out test.

    python benchmarks/calibration_check.py [--model models/unrest-v1 ...] [--write]

For each model: fits per-label temperatures on the unrest-v1 dev split (as ``train`` does)
and prints, on the test split, expected calibration error (10 bins) per label before and
after, the mean score of the top decile beside the share of it that is right, and test
macro-F1 before and after (thresholds move with the temperatures, so it must not change).
``--write`` records the fit in each model folder (``calibration.calibrate_folder``).
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

import numpy as np
from scipy.special import expit

from framescope import FrameClassifier
from framescope.calibration import (
    calibrate,
    calibrate_folder,
    expected_calibration_error,
    rescale_thresholds,
)
from framescope.corpus import load_corpus
from framescope.metrics import multilabel_scores
from framescope.thresholds import apply_thresholds
from framescope.training import label_matrix

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "data" / "unrest-v1"


def check(model: str, write: bool) -> None:
    corpus = load_corpus(CORPUS)
    clf = FrameClassifier.load(model, device="cpu", runtime="torch")
    labels = clf.labels
    fitted = clf.config.pop("calibration", None)
    if fitted:  # start from the raw scale
        clf.thresholds = [fitted["uncalibrated_thresholds"][n] for n in labels]
    y_dev, y_test = label_matrix(corpus["dev"], labels), label_matrix(corpus["test"], labels)
    dev_logits = clf.predict_logits(corpus["dev"]["text"])
    test_logits = clf.predict_logits(corpus["test"]["text"])
    raw_thresholds = list(clf.thresholds)
    result = calibrate(clf, corpus["dev"]["text"], y_dev, logits=dev_logits)
    temps = np.array([result.temperatures[n] for n in labels])  # as fitted, kept or not
    before, after = expit(test_logits), expit(test_logits / temps)
    ece_b = expected_calibration_error(before, y_test)
    ece_a = expected_calibration_error(after, y_test)
    f1_b = multilabel_scores(y_test, apply_thresholds(before, raw_thresholds), labels).macro_f1
    moved = rescale_thresholds(raw_thresholds, temps)
    f1_a = multilabel_scores(y_test, apply_thresholds(after, moved), labels).macro_f1
    kept = "kept" if result.applied else "not kept (dev ECE fell by less than 10%)"
    print(f"\n### {model}: the fit is {kept}\n")
    print(
        f"test ({len(y_test)} statements): mean ECE {ece_b.mean():.3f} -> {ece_a.mean():.3f}; "
        f"macro-F1 {f1_b:.3f} -> {f1_a:.3f}; dev mean ECE {result.mean_ece_before:.3f} -> "
        f"{result.mean_ece_after:.3f}\n"
    )
    print("| label | temperature | test ECE before | test ECE after |\n|---|---|---|---|")
    for j, name in enumerate(labels):
        print(f"| {name} | {temps[j]:.2f} | {ece_b[j]:.3f} | {ece_a[j]:.3f} |")
    for name, probs in (("before", before), ("after", after)):
        top = probs >= np.quantile(probs, 0.9)
        print(
            f"\n{name}: the top decile of all scores averages {probs[top].mean():.3f}; "
            f"{y_test[top].mean():.3f} of those are gold positives",
            end="",
        )
    print()
    if write:
        calibrate_folder(model, CORPUS, split="dev")
        print(f"recorded in {model}/framescope.json")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--model",
        nargs="+",
        default=[str(ROOT / "models" / "unrest-v1-fast"), str(ROOT / "models" / "unrest-v1")],
    )
    parser.add_argument("--write", action="store_true", help="record the fit in each folder")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    for model in args.model:
        check(model, args.write)


if __name__ == "__main__":
    main()
