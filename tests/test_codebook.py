from __future__ import annotations

import pytest

from framescope import Codebook
from framescope.errors import CodebookError

from .conftest import ROOT

SCHEME_ORDER = [
    "foreign_interference",
    "legitimate_grievance",
    "restraint_appeal",
    "security_threat",
    "stabilization_mission",
    "order_restored",
    "sovereignty_concern",
    "escalation_warning",
    "repression_critique",
]


def test_default_codebook_matches_the_label_scheme():
    book = Codebook.from_yaml(ROOT / "data" / "unrest-v1" / "codebook.yaml")
    assert book.name == "unrest-v1"
    assert book.label_names == SCHEME_ORDER
    assert book.min_labels == 0
    for label in book.labels:
        assert label.definition and label.include and label.exclude and label.cues
        assert len(label.examples) >= 5
        for example in label.examples:
            assert set(example["labels"]) <= set(SCHEME_ORDER), example


def test_round_trip_through_yaml(tmp_path):
    book = Codebook.from_dict(
        {
            "name": "mine",
            "version": "2",
            "min_labels": 1,
            "labels": ["a_b", {"name": "c", "definition": "d"}],
        }
    )
    book.to_yaml(tmp_path / "cb.yaml")
    again = Codebook.from_yaml(tmp_path / "cb.yaml")
    assert again == book
    assert again.ref == "mine@2"
    assert again.labels[1].definition == "d"


@pytest.mark.parametrize(
    "data, message",
    [
        ({"name": "x", "version": "1", "labels": ["a", "a"]}, "duplicate"),
        ({"name": "x", "version": "1", "labels": ["Bad Name"]}, "lowercase"),
        ({"name": "x", "labels": ["a"]}, "missing version"),
        ({"name": "x", "version": "1", "labels": []}, "no labels"),
        ({"name": "x", "version": "1", "labels": ["a"], "min_labels": 3}, "min_labels"),
    ],
)
def test_bad_codebooks_are_refused(data, message):
    with pytest.raises(CodebookError, match=message):
        Codebook.from_dict(data)


def test_missing_and_malformed_yaml(tmp_path):
    with pytest.raises(CodebookError, match="not found"):
        Codebook.from_yaml(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [unclosed\n")
    with pytest.raises(CodebookError, match="not valid YAML"):
        Codebook.from_yaml(bad)
