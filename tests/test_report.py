from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from scipy.special import expit, logit

from framescope import FrameClassifier, evaluate, load_corpus
from framescope.cli import main
from framescope.errors import FramescopeError
from framescope.report import (
    ERROR_COLUMNS,
    FIGURES,
    ReportData,
    build_report_data,
    plot_cooccurrence,
    plot_f1_by_label,
    plot_pr_curves,
    plot_reliability,
    plot_score_distributions,
    report_numbers,
    worst_errors,
    write_report,
)

from .conftest import LABELS, tiny_records

SCRIPT = "<script>alert(1)</script>"


def _records() -> list[dict]:
    rows = tiny_records()
    for row in rows:
        if row["id"] == "test-0":
            row["text"] = f"foreign spies {SCRIPT} stirred the unrest"
    return rows


@pytest.fixture(scope="module")
def corpus(tiny_codebook):
    return load_corpus(_records(), tiny_codebook)


@pytest.fixture(scope="module")
def clf(tiny_model_dir):
    return FrameClassifier.load(tiny_model_dir, device="cpu", runtime="torch")


@pytest.fixture(scope="module")
def data(clf, corpus) -> ReportData:
    return build_report_data(clf, corpus, split="test")


def _fake(n_labels: int = 4, n: int = 40, calibrated: bool = True, seed: int = 0) -> ReportData:
    """Hand-made report data: random scores, every label with positives and errors."""
    rng = np.random.default_rng(seed)
    gold = (rng.random((n, n_labels)) < 0.4).astype(np.int8)
    gold[:2] = [1, 0] * (n_labels // 2) + [1] * (n_labels % 2)
    scores = (0.3 * gold + 0.7 * rng.random((n, n_labels))).astype(np.float32)
    base = rng.random((n, n_labels)).astype(np.float32)
    labels = tuple(f"label_{j}" for j in range(n_labels))
    return ReportData(
        labels=labels,
        split="test",
        texts=tuple(f"statement {i}" for i in range(n)),
        ids=tuple(f"s{i}" for i in range(n)),
        gold=gold,
        scores=scores,
        decisions=(scores >= 0.5).astype(np.int8),
        thresholds=(0.5,) * n_labels,
        baseline_scores=base,
        baseline_decisions=(base >= 0.5).astype(np.int8),
        baseline_thresholds=(0.5,) * n_labels,
        uncalibrated=(scores**2 if calibrated else None),
        temperatures=((2.0,) * n_labels if calibrated else None),
        model_name="fake",
    )


def test_build_report_data(data, clf):
    assert data.labels == tuple(LABELS) and data.split == "test" and data.n == 4
    assert data.ids == ("test-0", "test-1", "test-2", "test-3")
    assert SCRIPT in data.texts[0]
    assert data.gold.tolist() == [[1, 0, 0], [0, 1, 0], [0, 0, 1], [0, 0, 0]]
    for matrix in (data.scores, data.decisions, data.baseline_scores, data.baseline_decisions):
        assert matrix.shape == (4, 3)
    assert data.predicted_labels == clf.decide(data.scores)
    assert data.thresholds == tuple(clf.thresholds)
    assert (data.uncalibrated is None) == (getattr(clf, "temperatures", None) is None)
    assert data.model_name == "tiny"


@pytest.mark.parametrize("temperatures", [None, [2.0, 2.0, 2.0]])
def test_uncalibrated_scores_only_for_a_calibrated_model(monkeypatch, clf, corpus, temperatures):
    value = None if temperatures is None else np.asarray(temperatures, dtype=np.float32)
    monkeypatch.setattr(FrameClassifier, "temperatures", property(lambda self: value), False)
    data = build_report_data(clf, corpus)
    raw = clf.predict_proba(list(data.texts), calibrated=False)
    calibration = report_numbers(data)["calibration"]
    if temperatures is None:
        assert data.uncalibrated is None and data.temperatures is None
        np.testing.assert_allclose(data.scores, raw, atol=1e-6)
        assert "ece_after" not in calibration and set(calibration["ece_before"]) == set(LABELS)
    else:
        np.testing.assert_allclose(data.uncalibrated, raw, atol=1e-6)
        np.testing.assert_allclose(data.scores, expit(logit(raw.astype(float)) / 2.0), atol=1e-5)
        assert data.temperatures == (2.0, 2.0, 2.0)
        assert set(calibration["ece_after"]) == set(LABELS)


@pytest.mark.parametrize(
    "plot, panels",
    [
        (plot_f1_by_label, lambda n: 1),
        (plot_pr_curves, lambda n: n),
        (plot_reliability, lambda n: n),
        (plot_cooccurrence, lambda n: 2),
        (plot_score_distributions, lambda n: n),
    ],
)
def test_figures_have_one_panel_per_label(data, plot, panels):
    for d in (data, _fake(n_labels=4)):  # 3 labels fill one row; 4 leave two cells unused
        fig = plot(d)
        assert isinstance(fig, Figure)
        assert len(fig.axes) == panels(len(d.labels))


def test_figure_titles_carry_the_numbers(data):
    f1 = plot_f1_by_label(data).axes[0].get_title()
    assert "macro-F1" in f1 and "baseline" in f1
    assert all("AP" in ax.get_title() for ax in plot_pr_curves(data).axes)
    before_after = [ax.get_title() for ax in plot_reliability(_fake()).axes]
    assert all("ECE" in t and "before" in t and "after" in t for t in before_after)
    single = [ax.get_title() for ax in plot_reliability(_fake(calibrated=False)).axes]
    assert all("ECE" in t and "before" not in t for t in single)


def test_worst_errors_are_real_errors_worst_first():
    d = _fake(n_labels=3, n=60)
    errors = worst_errors(d, per_label=2)
    assert list(errors.columns) == ERROR_COLUMNS
    assert set(errors["kind"]) == {"false positive", "false negative"}
    for (label, kind), group in errors.groupby(["label", "kind"]):
        j = d.labels.index(label)
        assert len(group) <= 2
        for row in group.itertuples():
            assert (label in row.predicted) == (kind == "false positive")
            assert (label in row.gold) == (kind == "false negative")
            assert d.texts[d.ids.index(row.id)] == row.text
        wrong = (d.decisions[:, j] == 1) & (d.gold[:, j] == 0)
        if kind == "false negative":
            wrong = (d.decisions[:, j] == 0) & (d.gold[:, j] == 1)
        pool = np.sort(d.scores[wrong, j])
        expected = pool[::-1][:2] if kind == "false positive" else pool[:2]
        np.testing.assert_allclose(group["score"], expected)


def test_report_numbers_match_evaluate(data, clf, corpus):
    numbers = report_numbers(data)
    json.dumps(numbers, allow_nan=False)
    report = evaluate(clf, corpus, split="test")
    for name, system in report.systems.items():
        assert numbers["systems"][name]["macro_f1"] == pytest.approx(system.macro_f1)
        assert numbers["systems"][name]["micro_f1"] == pytest.approx(system.micro_f1)
    per_label = numbers["systems"]["framescope"]["per_label"]["alpha"]
    assert {"precision", "recall", "f1", "support", "average_precision", "ece"} <= set(per_label)
    assert numbers["split"] == "test" and numbers["counts"]["statements"] == 4
    assert numbers["thresholds"] == dict(zip(LABELS, clf.thresholds))


def test_ece_in_numbers():
    d = _fake(n_labels=2, n=4, calibrated=False)
    d = dataclasses.replace(
        d,
        # label_0: scores 0.05 and 0.95 in bins with 0% and 100% positives; label_1: 0.3 in
        # a bin with 50% positives (gap 0.2) and 0.7 in one with 100% (gap 0.3)
        gold=np.array([[0, 0], [0, 1], [1, 1], [1, 1]], dtype=np.int8),
        scores=np.array([[0.05, 0.3], [0.05, 0.3], [0.95, 0.7], [0.95, 0.7]], dtype=np.float32),
    )
    calibration = report_numbers(d)["calibration"]
    assert calibration["ece_before"]["label_0"] == pytest.approx(0.05, abs=1e-6)
    assert calibration["ece_before"]["label_1"] == pytest.approx(0.25, abs=1e-6)
    assert "ece_after" not in calibration
    after = report_numbers(_fake())["calibration"]
    assert set(after) >= {"ece_before", "ece_after", "temperatures"}


def test_write_report(tmp_path, data):
    # make every label of the statement with the script tag wrong, so it is a listed error
    gold = data.gold.copy()
    gold[0] = 1 - data.decisions[0]
    d = dataclasses.replace(data, gold=gold)
    out = tmp_path / "report"
    page = write_report(d, out, name="tiny <b>model</b>")
    assert page == out / "report.html"
    expected = {"report.html", "report.json", "worst_errors.csv", *FIGURES}
    assert {p.name for p in out.iterdir()} == expected
    for name in FIGURES:
        assert (out / name).read_bytes().startswith(b"\x89PNG")
    text = page.read_text(encoding="utf-8")
    assert "http://" not in text and "https://" not in text
    assert "<script" not in text.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "tiny &lt;b&gt;model&lt;/b&gt;" in text and "<b>" not in text
    assert text.count('src="data:image/png;base64,') == len(FIGURES)
    assert json.loads((out / "report.json").read_text())["split"] == "test"
    errors = pd.read_csv(out / "worst_errors.csv", keep_default_na=False)
    assert list(errors.columns) == ERROR_COLUMNS
    assert SCRIPT in " ".join(errors["text"])
    # an earlier report is replaced; a folder holding anything else is refused
    write_report(_fake(), out)
    assert json.loads((out / "report.json").read_text())["model"] == "fake"
    other = tmp_path / "notes"
    other.mkdir()
    (other / "notes.txt").write_text("keep me")
    with pytest.raises(FramescopeError, match="not part of a report"):
        write_report(_fake(), other)
    assert (other / "notes.txt").read_text() == "keep me"


def test_cli_report(tmp_path, tiny_model_dir, capsys):
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text("".join(json.dumps(r) + "\n" for r in _records()), encoding="utf-8")
    out = tmp_path / "out"
    argv = ["--quiet", "report", "--model", str(tiny_model_dir), "--corpus", str(corpus)]
    assert main([*argv, "-o", str(out)]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1] == str(out / "report.html")
    assert (out / "report.html").is_file()
