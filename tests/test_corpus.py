from __future__ import annotations

import json

import pandas as pd
import pytest

from framescope import Codebook, load_corpus, validate_corpus
from framescope.corpus import corpus_metadata
from framescope.errors import CorpusError, InputFileError

from .conftest import LABELS, ROOT, tiny_records

DEFAULT = ROOT / "data" / "unrest-v1"


def test_default_corpus_meets_the_starter_requirements():
    corpus = load_corpus(DEFAULT)
    assert set(corpus) == {"train", "dev", "test"}
    rows = [r for split in corpus.values() for r in split]
    assert len(rows) >= 300
    book = Codebook.from_yaml(DEFAULT / "codebook.yaml")
    for label in book.label_names:
        assert sum(label in r["labels"] for r in rows) >= 25, label
    assert sum(not r["labels"] for r in rows) / len(rows) >= 0.15
    events = {}
    for r in rows:
        events.setdefault(r["event"], set()).add(r["split"])
    assert all(len(s) == 1 for s in events.values())
    meta = corpus_metadata(corpus)
    assert (meta["codebook"], meta["labels"]) == ("unrest-v1", book.label_names)


def test_inputs_of_every_kind_load_the_same(tmp_path, tiny_codebook):
    rows = tiny_records()
    jsonl = tmp_path / "c.jsonl"
    jsonl.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    csv_path = tmp_path / "c.csv"
    pd.DataFrame([{**r, "labels": ";".join(r["labels"])} for r in rows]).to_csv(
        csv_path, index=False
    )
    parquet = tmp_path / "c.parquet"
    pd.DataFrame(rows).to_parquet(parquet)
    loaded = [load_corpus(src, tiny_codebook) for src in (rows, jsonl, csv_path, parquet)]
    for corpus in loaded:
        assert [len(corpus[s]) for s in ("train", "dev", "test")] == [12, 6, 4]
        assert corpus["train"]["labels"] == loaded[0]["train"]["labels"]
        assert corpus["train"]["text"] == loaded[0]["train"]["text"]
        assert corpus_metadata(corpus)["corpus_hash"] == corpus_metadata(loaded[0])["corpus_hash"]


def test_a_folder_brings_its_codebook(tmp_path):
    folder = tmp_path / "corp"
    folder.mkdir()
    (folder / "corpus.jsonl").write_text("\n".join(json.dumps(r) for r in tiny_records()))
    Codebook.from_dict({"name": "toy", "version": "3", "labels": LABELS}).to_yaml(
        folder / "codebook.yaml"
    )
    meta = corpus_metadata(load_corpus(folder))
    assert (meta["codebook"], meta["codebook_version"], meta["labels"]) == ("toy", "3", LABELS)


def _bad_corpus_lines() -> list[str]:
    good = {"id": "a", "text": "t", "labels": [], "split": "train", "event": "e1"}
    return [
        json.dumps(good),  # 1 ok
        json.dumps({**good, "id": "b", "labels": ["alpah"], "text": "t2"}),  # 2 unknown label
        json.dumps({**good, "id": "c", "text": "   "}),  # 3 empty text
        json.dumps({**good, "id": "a", "text": "t4"}),  # 4 duplicate id
        json.dumps({k: v for k, v in good.items() if k != "text"} | {"id": "d"}),  # 5 missing
        json.dumps({**good, "id": "e", "split": "dev", "text": "t6"}),  # 6 event in 2 splits
        "{not json",  # 7 malformed
        json.dumps({**good, "id": "f", "labels": "alpha", "text": "t8"}),  # 8 string labels
    ]


def test_validate_reports_every_problem_with_its_line(tmp_path, tiny_codebook):
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(_bad_corpus_lines()) + "\n")
    problems = validate_corpus(path, tiny_codebook)
    found = {(p.line, p.message.split(" (")[0].split(":")[0]) for p in problems}
    assert (2, "unknown label 'alpah'") in found
    assert any(p.line == 2 and "did you mean 'alpha'" in p.message for p in problems)
    assert (3, "empty text") in found
    assert any(p.line == 4 and "duplicate id 'a'" in p.message for p in problems)
    assert (5, "missing field 'text'") in found
    assert any(
        p.line == 6 and "event 'e1' appears in several splits" in p.message for p in problems
    )
    assert (7, "malformed JSON") in found
    assert any(p.line == 8 and "must be a list" in p.message for p in problems)
    assert len(problems) == 7
    with pytest.raises(CorpusError) as info:
        load_corpus(path, tiny_codebook)
    assert len(info.value.problems) == 7


def test_the_default_corpus_validates_clean():
    assert validate_corpus(DEFAULT) == []


def test_missing_corpus_is_a_clear_error(tmp_path):
    with pytest.raises(InputFileError, match="not found"):
        load_corpus(tmp_path / "missing.jsonl")
