from __future__ import annotations

import json

from framescope import Codebook, validate_corpus
from framescope.quality import check_requirements, near_copy_lines

from .conftest import LABELS, tiny_records


def _book(**req) -> Codebook:
    return Codebook.from_dict(
        {
            "name": "toy",
            "version": "1",
            "corpus_requirements": req,
            "labels": [{"name": "alpha", "cues": ["foreign"]}, "beta", "gamma"],
        }
    )


def test_met_requirements_give_no_problems():
    assert check_requirements(tiny_records(), _book(min_statements=10, min_none_share=0.1)) == []


def test_every_missed_requirement_is_reported():
    rows = tiny_records()
    problems = check_requirements(
        rows,
        _book(
            min_statements=100,
            min_positives_per_label=10,
            min_none_share=0.5,
            min_multi_label_share=0.5,
            min_hard_share=0.1,
            min_test_share=0.5,
            min_events=5,
            min_cue_free_share=0.5,
            min_cue_negatives=3,
            bogus=1,
        ),
    )
    text = "\n".join(problems)
    assert "unknown corpus requirement 'bogus'" in text
    assert "22 statements, fewer than the required 100" in text
    for label in LABELS:
        assert f"label {label!r}:" in text
    assert "with no label" in text and "with 2+ labels" in text and "marked hard" in text
    assert "in test" in text and "3 events, fewer than the required 5" in text
    # every alpha positive says "foreign": no cue-free positives, and no negative uses the cue
    assert "label 'alpha': 0/" in text and "positives without its cue words" in text
    assert "label 'alpha': 0 negatives use its cue words" in text


def test_near_copies_are_found_and_limited():
    texts = [
        "the army will leave within a month",
        "the army will leave within a month!",
        "prices rose sharply",
        "calm has returned",
    ]
    pairs = near_copy_lines(texts, 0.8)
    assert [(i, j) for i, j, _ in pairs] == [(0, 1)]
    rows = [{"id": str(i), "text": t, "labels": [], "split": "train"} for i, t in enumerate(texts)]
    problems = check_requirements(rows, _book(max_near_copy_share=0.1))
    assert len(problems) == 1 and "near-copies: 2/4" in problems[0] and "0~1" in problems[0]


def test_validate_reports_duplicate_texts_and_requirements(tmp_path):
    rows = tiny_records()
    rows[5]["text"] = rows[0]["text"].upper()
    (tmp_path / "corpus.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    _book(min_statements=100).to_yaml(tmp_path / "codebook.yaml")
    problems = validate_corpus(tmp_path)
    assert [str(p) for p in problems] == ["line 6: duplicate text (same as line 1)"]
    rows[5]["text"] = "a fresh statement"
    (tmp_path / "corpus.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    problems = validate_corpus(tmp_path)
    assert [str(p) for p in problems] == ["22 statements, fewer than the required 100"]
