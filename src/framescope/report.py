"""A visual evaluation report: figures, numbers and the worst errors of a model on one split,
beside the TF-IDF baseline, written as one self-contained HTML file.

``build_report_data`` scores the split once; the ``plot_*`` functions turn the result into
matplotlib figures (built with ``Figure()``: no pyplot, no display needed, usable in
notebooks); ``write_report`` puts everything in a folder.
"""

from __future__ import annotations

import base64
import html
import json
import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import datasets
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from scipy.special import expit
from sklearn.metrics import average_precision_score, precision_recall_curve

from .calibration import expected_calibration_error
from .classifier import FrameClassifier
from .corpus import CorpusSource
from .evaluation import BASELINE, SYSTEM, baseline_for, evaluation_inputs
from .fsutil import check_replaceable, png_bytes, replacing_directory
from .metrics import Scores, multilabel_scores
from .thresholds import apply_thresholds
from .training import label_matrix

log = logging.getLogger(__name__)

BINS = 10  # reliability diagrams and ECE: equal-width bins over [0, 1]
HTML_FILE = "report.html"
JSON_FILE = "report.json"
ERRORS_FILE = "worst_errors.csv"
ERROR_COLUMNS = ["label", "kind", "id", "text", "gold", "predicted", "score"]


@dataclass(frozen=True, eq=False)
class ReportData:
    """Everything the report shows, for one model on one split.

    Matrices have one row per statement and one column per label (``labels`` order):
    ``gold`` and the decisions are 0/1; ``scores`` are the model's scores as it uses them
    (calibrated when the model carries a calibration), ``uncalibrated`` the raw sigmoid
    scores of a calibrated model (None otherwise).
    """

    labels: tuple[str, ...]
    split: str
    texts: tuple[str, ...]
    ids: tuple[str, ...] | None
    gold: np.ndarray
    scores: np.ndarray
    decisions: np.ndarray
    thresholds: tuple[float, ...]
    baseline_scores: np.ndarray
    baseline_decisions: np.ndarray
    baseline_thresholds: tuple[float, ...]
    uncalibrated: np.ndarray | None = None
    temperatures: tuple[float, ...] | None = None
    model_name: str = "framescope model"
    codebook: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        shape = (len(self.texts), len(self.labels))
        matrices = {
            "gold": self.gold,
            "scores": self.scores,
            "decisions": self.decisions,
            "baseline_scores": self.baseline_scores,
            "baseline_decisions": self.baseline_decisions,
        }
        if self.uncalibrated is not None:
            matrices["uncalibrated"] = self.uncalibrated
        for name, matrix in matrices.items():
            if np.shape(matrix) != shape:
                raise ValueError(f"{name} has shape {np.shape(matrix)}, expected {shape}")
        for name in ("thresholds", "baseline_thresholds"):
            if len(getattr(self, name)) != len(self.labels):
                raise ValueError(f"{name} needs one value per label")
        if self.ids is not None and len(self.ids) != len(self.texts):
            raise ValueError("ids needs one value per statement")

    @property
    def n(self) -> int:
        return len(self.texts)

    @property
    def gold_labels(self) -> list[list[str]]:
        return _label_lists(self.gold, self.labels)

    @property
    def predicted_labels(self) -> list[list[str]]:
        return _label_lists(self.decisions, self.labels)


def _label_lists(matrix: np.ndarray, labels: Sequence[str]) -> list[list[str]]:
    return [[labels[j] for j in np.flatnonzero(row)] for row in matrix]


def _label_matrix(lists: Sequence[Sequence[str]], labels: Sequence[str]) -> np.ndarray:
    column = {name: j for j, name in enumerate(labels)}
    out = np.zeros((len(lists), len(labels)), dtype=np.int8)
    for i, names in enumerate(lists):
        out[i, [column[name] for name in names]] = 1
    return out


def build_report_data(
    model: FrameClassifier | str | Path | None,
    corpus: CorpusSource | datasets.DatasetDict,
    split: str = "test",
    *,
    batch_size: int = 64,
) -> ReportData:
    """Score ``split`` of ``corpus`` (train, dev, test or all) with the model (a
    FrameClassifier or a model folder; None: the bundled default) and with its TF-IDF
    baseline (the one saved beside the model, else one fitted on the corpus's train split,
    as ``evaluate`` does)."""
    clf, dsd, ds = evaluation_inputs(model, corpus, split)
    labels = clf.labels
    texts = list(ds["text"])
    log.info("scoring %d %s statements with the model", len(texts), split)
    logits = clf.predict_logits(texts, batch_size=batch_size)  # one pass serves both scales
    temperatures = clf.temperatures
    uncalibrated = None
    if temperatures is None:
        scores = expit(logits).astype(np.float32)
    else:
        uncalibrated = expit(logits).astype(np.float32)
        scores = expit(logits / temperatures[None, :]).astype(np.float32)
        temperatures = tuple(float(t) for t in temperatures)
    decisions = _label_matrix(clf.decide(scores), labels)
    baseline = baseline_for(clf, dsd)
    log.info("scoring %d statements with the TF-IDF baseline", len(texts))
    baseline_scores = baseline.predict_proba(texts)
    return ReportData(
        labels=tuple(labels),
        split=split,
        texts=tuple(texts),
        ids=tuple(str(i) for i in ds["id"]) if "id" in ds.column_names else None,
        gold=label_matrix(ds, labels).astype(np.int8),
        scores=scores,
        decisions=decisions,
        thresholds=tuple(float(t) for t in clf.thresholds),
        baseline_scores=baseline_scores,
        baseline_decisions=apply_thresholds(
            baseline_scores, baseline.thresholds_, baseline.min_labels
        ),
        baseline_thresholds=tuple(float(t) for t in baseline.thresholds_),
        uncalibrated=uncalibrated,
        temperatures=temperatures,
        model_name=Path(clf.source).name if clf.source else "framescope model (not saved)",
        codebook=clf.codebook,
    )


# ------------------------------------------------------------------------- numbers
def _bin_index(probs: np.ndarray, bins: int) -> np.ndarray:
    """Equal-width bins over [0, 1], closed on the right (0 falls in the first bin): the
    bins of ``calibration.expected_calibration_error``."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    return np.clip(np.digitize(probs, edges[1:-1], right=True), 0, bins - 1)


def _reliability_bins(
    probs: np.ndarray, y: np.ndarray, bins: int = BINS
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean score, fraction positive and count of each non-empty bin, for one label."""
    which = _bin_index(np.asarray(probs, dtype=np.float64), bins)
    counts = np.bincount(which, minlength=bins)
    keep = counts > 0
    mean_score = np.bincount(which, weights=probs, minlength=bins)[keep] / counts[keep]
    positive = np.bincount(which, weights=y, minlength=bins)[keep] / counts[keep]
    return mean_score, positive, counts[keep]


def _average_precision(y: np.ndarray, scores: np.ndarray) -> float | None:
    """Average precision of one label; None when the split has no positive for it."""
    if not np.any(y):
        return None
    return float(average_precision_score(y, scores))


def _scores(data: ReportData) -> tuple[Scores, Scores]:
    labels = list(data.labels)
    return (
        multilabel_scores(data.gold, data.decisions, labels),
        multilabel_scores(data.gold, data.baseline_decisions, labels),
    )


def _named(labels: Sequence[str], values: Sequence[Any]) -> dict[str, Any]:
    return {name: (None if v is None else float(v)) for name, v in zip(labels, values)}


def report_numbers(data: ReportData) -> dict[str, Any]:
    """The report's numbers as plain JSON-ready data: per-label precision, recall, F1,
    support, average precision and ECE for the model and the baseline; macro/micro F1 and
    exact match; thresholds; ECE before and after calibration (before only for a model
    without calibration); split and counts."""
    labels = list(data.labels)
    gold = data.gold.astype(bool)
    systems: dict[str, Any] = {}
    for name, scored, probs, decided in (
        (SYSTEM, _scores(data)[0], data.scores, data.decisions),
        (BASELINE, _scores(data)[1], data.baseline_scores, data.baseline_decisions),
    ):
        ece = expected_calibration_error(probs, data.gold, BINS)
        entry = scored.to_dict()
        for j, label in enumerate(labels):
            entry["per_label"][label]["average_precision"] = _average_precision(
                gold[:, j], probs[:, j]
            )
            entry["per_label"][label]["ece"] = float(ece[j])
        entry["predicted_positives"] = _named(labels, decided.sum(0))
        systems[name] = entry
    decided = data.decisions.astype(bool)
    calibration: dict[str, Any] = {"temperature_scaling": data.uncalibrated is not None}
    calibration["bins"] = BINS
    if data.uncalibrated is not None:
        before = expected_calibration_error(data.uncalibrated, data.gold, BINS)
        after = expected_calibration_error(data.scores, data.gold, BINS)
        calibration["temperatures"] = _named(labels, data.temperatures or [None] * len(labels))
        calibration["ece_before"] = _named(labels, before)
        calibration["ece_after"] = _named(labels, after)
        calibration["mean_ece_before"] = float(before.mean())
        calibration["mean_ece_after"] = float(after.mean())
    else:
        before = expected_calibration_error(data.scores, data.gold, BINS)
        calibration["ece_before"] = _named(labels, before)
        calibration["mean_ece_before"] = float(before.mean())
    return {
        "model": data.model_name,
        "codebook": dict(data.codebook),
        "split": data.split,
        "labels": labels,
        "counts": {
            "statements": data.n,
            "gold_positives": _named(labels, gold.sum(0)),
            "false_positives": _named(labels, (decided & ~gold).sum(0)),
            "false_negatives": _named(labels, (~decided & gold).sum(0)),
        },
        "thresholds": _named(labels, data.thresholds),
        "baseline_thresholds": _named(labels, data.baseline_thresholds),
        "systems": systems,
        "calibration": calibration,
    }


def worst_errors(data: ReportData, per_label: int = 5) -> pd.DataFrame:
    """For each label, the ``per_label`` false positives with the highest model scores and
    the ``per_label`` false negatives with the lowest. Columns: label, kind ("false
    positive" or "false negative"), id, text, gold and predicted (label lists), score (the
    model's score for that label)."""
    if per_label < 0:
        raise ValueError("per_label must be 0 or more")
    gold_lists, predicted_lists = data.gold_labels, data.predicted_labels
    rows = []
    for j, label in enumerate(data.labels):
        score = data.scores[:, j]
        gold, decided = data.gold[:, j].astype(bool), data.decisions[:, j].astype(bool)
        fp = np.flatnonzero(decided & ~gold)
        fn = np.flatnonzero(~decided & gold)
        picks = (
            ("false positive", fp[np.argsort(-score[fp], kind="stable")][:per_label]),
            ("false negative", fn[np.argsort(score[fn], kind="stable")][:per_label]),
        )
        for kind, idx in picks:
            for i in idx:
                rows.append(
                    {
                        "label": label,
                        "kind": kind,
                        "id": data.ids[i] if data.ids is not None else None,
                        "text": data.texts[i],
                        "gold": gold_lists[i],
                        "predicted": predicted_lists[i],
                        "score": float(score[i]),
                    }
                )
    return pd.DataFrame(rows, columns=ERROR_COLUMNS)


# ------------------------------------------------------------------------- figures
def _plain(text: str) -> str:
    """Text shown as written: a ``$`` would otherwise start matplotlib's math mode."""
    return str(text).replace("$", r"\$")


def _grid(panels: int, ncols: int = 3, size: tuple[float, float] = (3.4, 2.9)):
    """A figure with exactly ``panels`` axes in rows of ``ncols``."""
    ncols = max(1, min(ncols, panels))
    nrows = math.ceil(panels / ncols)
    fig = Figure(figsize=(size[0] * ncols, size[1] * nrows), layout="constrained")
    axes: list[Axes] = list(fig.subplots(nrows, ncols, squeeze=False).ravel())
    for ax in axes[panels:]:
        fig.delaxes(ax)
    return fig, axes[:panels]


def plot_f1_by_label(data: ReportData) -> Figure:
    """Per-label F1 of the model beside the TF-IDF baseline, macro-F1 of both in the title."""
    model, baseline = _scores(data)
    labels = list(data.labels)
    rows = np.arange(len(labels))
    height = 0.38
    fig = Figure(figsize=(7.5, 1.6 + 0.5 * len(labels)), layout="constrained")
    ax = fig.subplots()
    for offset, name, scored, color in (
        (-height / 2, "framescope", model, "C0"),
        (height / 2, "TF-IDF baseline", baseline, "C7"),
    ):
        f1 = [scored.per_label[label].f1 for label in labels]
        bars = ax.barh(rows + offset, f1, height, color=color, label=name)
        ax.bar_label(bars, fmt="%.2f", padding=2, fontsize=7)
    ax.set_yticks(rows, [_plain(label) for label in labels])
    ax.invert_yaxis()
    ax.set_xlim(0, 1.1)
    ax.set_xlabel("F1")
    ax.legend(loc="lower right", fontsize=8)
    ax.set_title(
        f"F1 by label, {_plain(data.split)} split (n={data.n}): macro-F1 "
        f"{model.macro_f1:.3f}, baseline {baseline.macro_f1:.3f}",
        fontsize=10,
    )
    return fig


def _point_at_threshold(y: np.ndarray, scores: np.ndarray, threshold: float):
    """(recall, precision) of thresholding one label's scores (precision 1 when nothing is
    predicted, as on the end of a precision-recall curve)."""
    predicted = scores >= np.float32(threshold)
    tp = float((predicted & y).sum())
    precision = tp / predicted.sum() if predicted.any() else 1.0
    return tp / max(float(y.sum()), 1.0), precision


def plot_pr_curves(data: ReportData) -> Figure:
    """Precision-recall curve of each label (the baseline's dashed), the model's threshold
    marked on it, average precision in each title."""
    fig, axes = _grid(len(data.labels))
    for j, (ax, label) in enumerate(zip(axes, data.labels)):
        y = data.gold[:, j].astype(bool)
        ax.set_xlim(0, 1.02)
        ax.set_ylim(0, 1.05)
        ax.set_xlabel("recall", fontsize=8)
        ax.set_ylabel("precision", fontsize=8)
        if not y.any():
            ax.text(0.5, 0.5, "no positives in this split", ha="center", va="center", fontsize=8)
            ax.set_title(f"{_plain(label)}: AP n/a", fontsize=9)
            continue
        for scores, name, style in (
            (data.baseline_scores[:, j], "TF-IDF", dict(color="C7", ls="--", lw=1)),
            (data.scores[:, j], "framescope", dict(color="C0", lw=1.6)),
        ):
            precision, recall, _ = precision_recall_curve(y, scores)
            ax.plot(recall, precision, drawstyle="steps-post", label=name, **style)
        recall, precision = _point_at_threshold(y, data.scores[:, j], data.thresholds[j])
        ax.plot(recall, precision, "o", color="C3", label=f"threshold {data.thresholds[j]:.2f}")
        ap = _average_precision(y, data.scores[:, j])
        ap_base = _average_precision(y, data.baseline_scores[:, j])
        ax.set_title(f"{_plain(label)}: AP {ap:.2f} (baseline {ap_base:.2f})", fontsize=9)
        ax.legend(loc="lower left", fontsize=7)
    return fig


def plot_reliability(data: ReportData) -> Figure:
    """Reliability diagram of each label (mean score against fraction positive per bin),
    ECE in each title; before and after calibration when the model is calibrated."""
    if data.uncalibrated is not None:
        series = [("before calibration", data.uncalibrated, "C7"), ("after", data.scores, "C0")]
    else:
        series = [("framescope", data.scores, "C0")]
    eces = [expected_calibration_error(probs, data.gold, BINS) for _, probs, _ in series]
    fig, axes = _grid(len(data.labels))
    for j, (ax, label) in enumerate(zip(axes, data.labels)):
        ax.plot([0, 1], [0, 1], ":", color="0.5", lw=1)
        for (name, probs, color), ece in zip(series, eces):
            mean_score, positive, _ = _reliability_bins(probs[:, j], data.gold[:, j], BINS)
            ax.plot(mean_score, positive, "o-", color=color, ms=3, label=f"{name} {ece[j]:.3f}")
        ax.set_xlim(0, 1)
        ax.set_ylim(-0.02, 1.02)
        ax.set_xlabel("mean score", fontsize=8)
        ax.set_ylabel("fraction positive", fontsize=8)
        if len(series) == 2:
            title = f"{_plain(label)}\nECE {eces[0][j]:.3f} before, {eces[1][j]:.3f} after"
        else:
            title = f"{_plain(label)}: ECE {eces[0][j]:.3f}"
        ax.set_title(title, fontsize=9)
        ax.legend(loc="lower right", fontsize=7, title="ECE", title_fontsize=7)
    return fig


def plot_cooccurrence(data: ReportData) -> Figure:
    """How often each pair of labels occurs together, gold beside the model's predictions
    (the diagonal counts the statements with each label)."""
    names = [_plain(label) for label in data.labels]
    matrices = [
        ("gold", data.gold.astype(np.int64)),
        ("predicted (framescope)", data.decisions.astype(np.int64)),
    ]
    counts = [(title, m.T @ m) for title, m in matrices]
    vmax = max(1, *(int(c.max()) for _, c in counts))
    side = 1.2 + 0.55 * len(names)
    fig = Figure(figsize=(2 * side + 1, side + 0.6), layout="constrained")
    for ax, (title, count) in zip(fig.subplots(1, 2), counts):
        ax.imshow(count, cmap="Blues", vmin=0, vmax=vmax)
        for (r, c), value in np.ndenumerate(count):
            color = "white" if value > vmax / 2 else "black"
            ax.text(c, r, str(value), ha="center", va="center", fontsize=7, color=color)
        ticks = np.arange(len(names))
        ax.set_xticks(ticks, names, rotation=45, ha="right", fontsize=8)
        ax.set_yticks(ticks, names, fontsize=8)
        ax.set_title(title, fontsize=10)
    fig.suptitle(f"Label co-occurrence, {_plain(data.split)} split (n={data.n})", fontsize=10)
    return fig


def plot_score_distributions(data: ReportData) -> Figure:
    """For each label, histograms of the model's score over gold positives and gold
    negatives, the threshold as a vertical line."""
    edges = np.linspace(0, 1, 21)
    fig, axes = _grid(len(data.labels))
    for j, (ax, label) in enumerate(zip(axes, data.labels)):
        y = data.gold[:, j].astype(bool)
        score = data.scores[:, j]
        ax.hist(score[~y], edges, color="C7", alpha=0.6, label=f"gold negative ({(~y).sum()})")
        ax.hist(score[y], edges, color="C0", alpha=0.6, label=f"gold positive ({y.sum()})")
        threshold = data.thresholds[j]
        ax.axvline(threshold, color="C3", ls="--", lw=1, label=f"threshold {threshold:.2f}")
        ax.set_xlim(0, 1)
        ax.set_xlabel("model score", fontsize=8)
        ax.set_ylabel("statements", fontsize=8)
        ax.set_title(_plain(label), fontsize=9)
        ax.legend(fontsize=7)
    return fig


FIGURES: dict[str, tuple[Callable[[ReportData], Figure], str]] = {
    "f1_by_label.png": (plot_f1_by_label, "F1 by label: framescope beside the TF-IDF baseline"),
    "pr_curves.png": (plot_pr_curves, "Precision-recall curves, the threshold marked"),
    "reliability.png": (plot_reliability, "Reliability diagrams"),
    "score_distributions.png": (
        plot_score_distributions,
        "Model scores of gold positives and gold negatives",
    ),
    "cooccurrence.png": (plot_cooccurrence, "Label co-occurrence, gold beside predicted"),
}


# ------------------------------------------------------------------------- writing
def write_report(data: ReportData, out_dir: str | Path, name: str | None = None) -> Path:
    """Write ``out_dir`` with report.html (one self-contained file, figures embedded, no
    scripts or external links), each figure as PNG, report.json (``report_numbers``) and
    worst_errors.csv. ``name`` titles the report (default: the model's folder name). The
    folder is built beside ``out_dir`` and takes its place when complete; an existing
    ``out_dir`` must be empty or an earlier report. Returns the HTML path."""
    out_dir = Path(out_dir)
    check_replaceable(out_dir, {HTML_FILE, JSON_FILE, ERRORS_FILE, *FIGURES}, "report")
    title = name or data.model_name
    numbers = report_numbers(data)
    errors = worst_errors(data)
    with replacing_directory(out_dir) as staging:
        images = {}
        for filename, (make, _) in FIGURES.items():
            log.info("drawing %s", filename)
            images[filename] = png_bytes(make(data))
            (staging / filename).write_bytes(images[filename])
        (staging / JSON_FILE).write_text(
            json.dumps(numbers, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        table = errors.copy()
        for column in ("gold", "predicted"):
            table[column] = [";".join(v) for v in table[column]]
        table.to_csv(staging / ERRORS_FILE, index=False)
        page = _render_html(title, data, numbers, errors, images)
        (staging / HTML_FILE).write_text(page, encoding="utf-8")
    log.info("wrote the report to %s", out_dir)
    return out_dir / HTML_FILE


# ------------------------------------------------------------------------- HTML
CSS = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1100px;
       padding: 0 1em; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 2em; }
table { border-collapse: collapse; margin: 1em 0; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: right;
         vertical-align: top; }
th { background: #f3f3f3; }
td.t, th.t { text-align: left; }
td.text { text-align: left; max-width: 38em; white-space: pre-wrap; overflow-wrap: anywhere; }
tr.total td { font-weight: bold; }
img { max-width: 100%; height: auto; display: block; margin: 0.5em 0; }
.meta { color: #555; } .better { font-weight: bold; }
"""


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _fmt(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def _table(
    head: Sequence[str], rows: Sequence[Sequence[str]], classes: dict[int, str] | None = None
) -> str:
    """An HTML table; ``head`` and cells are already escaped. ``classes``: CSS class by
    column (default: the first column is text)."""
    classes = {0: "t"} if classes is None else classes

    def cls(i: int) -> str:
        return f' class="{classes[i]}"' if i in classes else ""

    out = [
        "<table>",
        "<tr>" + "".join(f"<th{cls(i)}>{h}</th>" for i, h in enumerate(head)) + "</tr>",
    ]
    for row in rows:
        out.append("<tr>" + "".join(f"<td{cls(i)}>{c}</td>" for i, c in enumerate(row)) + "</tr>")
    out.append("</table>")
    return "\n".join(out)


def _scores_table(numbers: dict[str, Any]) -> str:
    model, base = numbers["systems"][SYSTEM], numbers["systems"][BASELINE]
    head = ["label", "support", "threshold"]
    head += [f"framescope {m}" for m in ("P", "R", "F1", "AP")]
    head += [f"baseline {m}" for m in ("P", "R", "F1", "AP")]
    rows = []
    for label in numbers["labels"]:
        m, b = model["per_label"][label], base["per_label"][label]
        f1 = _fmt(m["f1"])
        if m["f1"] > b["f1"]:
            f1 = f'<span class="better">{f1}</span>'
        row = [_e(label), str(m["support"]), _fmt(numbers["thresholds"][label], 2)]
        row += [_fmt(m["precision"], 2), _fmt(m["recall"], 2), f1, _fmt(m["average_precision"])]
        row += [_fmt(b["precision"], 2), _fmt(b["recall"], 2), _fmt(b["f1"])]
        row += [_fmt(b["average_precision"])]
        rows.append(row)
    table = _table(head, rows)
    totals = []
    for key, title in (
        ("macro_f1", "macro-F1"),
        ("micro_f1", "micro-F1"),
        ("exact_match", "exact"),
    ):
        totals.append(
            f'<tr class="total"><td class="t">{title}</td><td>{model["n"]}</td><td></td>'
            f'<td colspan="4">{_fmt(model[key])}</td><td colspan="4">{_fmt(base[key])}</td></tr>'
        )
    return table.replace("</table>", "\n".join(totals) + "\n</table>")


def _ece_table(numbers: dict[str, Any]) -> str:
    calibration = numbers["calibration"]
    base = numbers["systems"][BASELINE]["per_label"]
    scaled = calibration["temperature_scaling"]
    if scaled:
        head = ["label", "temperature", "framescope before", "framescope after", "baseline"]
    else:
        head = ["label", "framescope", "baseline"]
    rows = []
    for label in numbers["labels"]:
        row = [_e(label)]
        if scaled:
            row += [_fmt(calibration["temperatures"][label], 2)]
            row += [_fmt(calibration["ece_before"][label]), _fmt(calibration["ece_after"][label])]
        else:
            row += [_fmt(calibration["ece_before"][label])]
        rows.append(row + [_fmt(base[label]["ece"])])
    return _table(head, rows)


def _errors_table(errors: pd.DataFrame) -> str:
    if errors.empty:
        return "<p>No errors on this split.</p>"
    head = ["label", "kind", "score", "id", "gold", "predicted", "statement"]
    rows = []
    for row in errors.itertuples(index=False):
        rows.append(
            [
                _e(row.label),
                _e(row.kind),
                f"{row.score:.3f}",
                _e("" if row.id is None else row.id),
                _e(", ".join(row.gold) or "(none)"),
                _e(", ".join(row.predicted) or "(none)"),
                _e(row.text),
            ]
        )
    classes = {0: "t", 1: "t", 3: "t", 4: "t", 5: "t", 6: "text"}
    return _table(head, rows, classes)


def _render_html(
    title: str,
    data: ReportData,
    numbers: dict[str, Any],
    errors: pd.DataFrame,
    images: dict[str, bytes],
) -> str:
    codebook = data.codebook
    book = f"{codebook.get('name', '?')}@{codebook.get('version', '?')}" if codebook else "n/a"
    calibration = numbers["calibration"]
    if calibration["temperature_scaling"]:
        calibrated = (
            f"per-label temperature scaling; mean ECE {calibration['mean_ece_before']:.3f} "
            f"before, {calibration['mean_ece_after']:.3f} after"
        )
    else:
        calibrated = f"none; mean ECE {calibration['mean_ece_before']:.3f}"

    def figure(filename: str) -> str:
        encoded = base64.b64encode(images[filename]).decode("ascii")
        return f'<img alt="{_e(FIGURES[filename][1])}" src="data:image/png;base64,{encoded}">'

    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>framescope report: {_e(title)}</title>",
        f"<style>{CSS}</style></head><body>",
        f"<h1>framescope report: {_e(title)}</h1>",
        '<p class="meta">'
        f"model {_e(data.model_name)} &middot; codebook {_e(book)} &middot; "
        f"split {_e(data.split)} &middot; {data.n} statements &middot; "
        f"calibration: {_e(calibrated)}</p>",
        "<h2>Scores by label</h2>",
        "<p>P, R: precision and recall at the threshold; AP: average precision over all "
        "thresholds. Bold: framescope's F1 above the baseline's.</p>",
        _scores_table(numbers),
        figure("f1_by_label.png"),
        "<h2>Precision and recall</h2>",
        figure("pr_curves.png"),
        "<h2>Calibration</h2>",
        f"<p>Expected calibration error (ECE) over {BINS} equal-width score bins: the mean gap "
        "between the score and the fraction of positives, weighted by the share of "
        "statements in each bin. With few positives per label it is noisy.</p>",
        _ece_table(numbers),
        figure("reliability.png"),
        "<h2>Score distributions</h2>",
        figure("score_distributions.png"),
        "<h2>Label co-occurrence</h2>",
        figure("cooccurrence.png"),
        "<h2>Worst errors</h2>",
        "<p>Per label, the false positives with the highest scores and the false negatives "
        "with the lowest (at most 5 of each). Also in worst_errors.csv.</p>",
        _errors_table(errors),
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"
