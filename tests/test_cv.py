from __future__ import annotations

import json

import numpy as np
import pytest

from framescope.cli import main
from framescope.cv import CVReport, assign_folds, cross_validate
from framescope.errors import FramescopeError

from .conftest import LABELS, tiny_config, tiny_records


def _rows_with_events(n_events: int = 6) -> list[dict]:
    rows = tiny_records()
    for i, row in enumerate(rows):
        row["event"] = f"e{i % n_events}"
        row.pop("split")
    return rows


def test_grouped_folds_never_split_a_group():
    rows = _rows_with_events()
    names = assign_folds(rows, 3, group_by="event")
    assert sorted(set(names)) == ["fold0", "fold1", "fold2"]
    by_event: dict[str, set] = {}
    for row, name in zip(rows, names):
        by_event.setdefault(row["event"], set()).add(name)
    assert all(len(v) == 1 for v in by_event.values())


def test_given_folds_are_used_as_is():
    rows = _rows_with_events()
    for i, row in enumerate(rows):
        row["fold"] = "a" if i % 2 else "b"
    assert assign_folds(rows, 5, fold_column="fold") == [r["fold"] for r in rows]
    rows[0]["fold"] = None
    with pytest.raises(FramescopeError, match="no value in fold column"):
        assign_folds(rows, 5, fold_column="fold")


def test_too_few_groups_is_a_clear_error():
    with pytest.raises(FramescopeError, match="need at least 9 groups"):
        assign_folds(_rows_with_events(3), 9, group_by="event")


def test_cross_validate_reports_every_fold_for_both_systems(tiny_encoder, tiny_codebook):
    rows = _rows_with_events()
    report = cross_validate(
        rows,
        3,
        group_by="event",
        codebook=tiny_codebook,
        config=tiny_config(tiny_encoder, finetune="full", epochs=1),
        progress=False,
    )
    assert [f.fold for f in report.folds] == ["fold0", "fold1", "fold2"]
    assert sum(f.sizes["test"] for f in report.folds) == len(rows)
    for f in report.folds:
        assert f.sizes["train"] + f.sizes["dev"] + f.sizes["test"] == len(rows)
        assert f.sizes["dev"] > 0
    summary = report.summary()
    macro = [f.systems["framescope"].macro_f1 for f in report.folds]
    assert summary["framescope"]["macro_f1"]["mean"] == pytest.approx(np.mean(macro))
    assert summary["framescope"]["macro_f1"]["std"] == pytest.approx(np.std(macro, ddof=1))
    assert set(summary["tfidf-logreg"]) >= {f"f1_{n}" for n in LABELS}
    md = report.to_markdown()
    assert "mean ± sd" in md and "tfidf F1" in md and "of 3 folds" in md


def test_saved_reports_reload_and_disjoint_runs_combine(tiny_encoder, tiny_codebook):
    rows = _rows_with_events()
    config = tiny_config(tiny_encoder, finetune="full", epochs=1)
    whole = cross_validate(
        rows, 3, group_by="event", codebook=tiny_codebook, config=config, progress=False
    )
    again = CVReport.from_dict(json.loads(whole.to_json()))
    assert again.summary() == whole.summary() and again.grouping == whole.grouping
    parts = [CVReport(whole.labels, [f], whole.grouping, whole.config) for f in whole.folds]
    joined = CVReport.combine(parts[::-1])
    assert [f.fold for f in joined.folds] == ["fold0", "fold1", "fold2"]
    assert joined.summary() == whole.summary()
    with pytest.raises(ValueError, match="more than one run"):
        CVReport.combine([parts[0], parts[0]])
    older = {k: v for k, v in whole.config.items() if k != "adapter_dtype"}  # a later setting
    assert (
        len(
            CVReport.combine(
                [parts[0], CVReport(whole.labels, [whole.folds[1]], whole.grouping, older)]
            ).folds
        )
        == 2
    )
    other = CVReport(whole.labels, [whole.folds[1]], whole.grouping, {**whole.config, "seed": 1})
    with pytest.raises(ValueError, match="different config"):
        CVReport.combine([parts[0], other])


def test_cli_cv_writes_json_and_markdown(tmp_path, tiny_encoder, tiny_codebook, capsys):
    path = tmp_path / "c.jsonl"
    rows = _rows_with_events()
    for i, row in enumerate(rows):
        row["fold"] = f"f{i % 2}"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    tiny_codebook.to_yaml(tmp_path / "codebook.yaml")
    rc = main(
        [
            "--quiet",
            "cv",
            "--corpus",
            str(path),
            "--fold-column",
            "fold",
            "--base-model",
            str(tiny_encoder),
            "--epochs",
            "1",
            "--finetune",
            "full",
            "-o",
            str(tmp_path / "cv"),
        ]
    )
    assert rc == 0
    assert "framescope macro / micro" in capsys.readouterr().out
    data = json.loads((tmp_path / "cv.json").read_text())
    assert [f["fold"] for f in data["folds"]] == ["f0", "f1"]
    assert data["grouping"] == "folds from column 'fold'"
    assert (tmp_path / "cv.md").read_text().startswith("| fold |")
