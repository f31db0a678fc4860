"""Corpus validation: every problem of a corpus is reported at once, with its line (a Parquet
row), by validate_corpus, `framescope validate`, `framescope train`, framescope.train and
`framescope cv`, before any encoder is built."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

import framescope
from framescope import Codebook, training
from framescope.cli import main
from framescope.corpus import Problem, load_corpus, validate_corpus
from framescope.cv import cross_validate
from framescope.errors import CorpusError

LABELS = ["foreign_interference", "legitimate_grievance", "restraint_appeal"]
BOOK = Codebook.from_dict({"name": "unrest-v1", "version": "1.0.0", "labels": LABELS})
OTHER = Codebook.from_dict({"name": "unrest-v1", "version": "2.0.0", "labels": LABELS})
FORMATS = ("jsonl", "csv", "parquet")
UNIT = {"jsonl": "line", "csv": "line", "parquet": "row"}
MISMATCH = "codebook version mismatch: the corpus is coded with unrest-v1@2.0.0 ("
IN_USE = "), but the codebook in use is unrest-v1@1.0.0"
NO_FRAME = "a statement with no frame has labels [] (in a CSV file, an empty cell)"


def _good(n: int) -> list[dict]:
    """n clean statements, one event per split."""
    splits = ["train", "dev", "test"]
    return [
        {
            "id": f"ok-{i}",
            "text": f"clean statement number {i}",
            "labels": [LABELS[i % 3]],
            "split": splits[i % 3],
            "event": f"event-{splits[i % 3]}",
        }
        for i in range(n)
    ]


DROP = object()  # a field left out of the record


def _row(name: str, i: int = 0, **fields) -> dict:
    row = {
        "id": f"{name}-{i}",
        "text": f"statement {i} for {name}",
        "labels": ["restraint_appeal"],
        "split": "train",
        "event": f"event-{name}-{i}",
    }
    row.update(fields)
    return {k: v for k, v in row.items() if v is not DROP}


@dataclass(frozen=True)
class Case:
    """Records with one problem; ``message`` names it, with ``{unit}`` and ``{l0}``/``{l1}``
    (the numbers of the case's first and second record); it is reported on record ``at``."""

    name: str
    rows: tuple
    message: str
    formats: tuple[str, ...] = FORMATS
    at: int = 0
    needs_split: bool = False


CASES = [
    Case(
        "duplicate_id",
        (_row("dup", 0, id="same"), _row("dup", 1, id="same")),
        "duplicate id 'same' (first on {unit} {l0})",
        at=1,
    ),
    Case(
        "unknown_label",
        (_row("unk", labels=["foreign_interferance"]),),
        "unknown label 'foreign_interferance' (did you mean 'foreign_interference'?)",
    ),
    Case(
        "labels_as_string",
        (_row("str", labels="restraint_appeal"),),
        "labels must be a list, not the string 'restraint_appeal': write [\"restraint_appeal\"]",
        formats=("jsonl",),
    ),
    Case(
        "event_in_two_splits",
        (_row("ev", 0, event="kz2022"), _row("ev", 1, event="kz2022", split="test")),
        "event 'kz2022' appears in several splits: train ({unit} {l0}), test ({unit} {l1})",
        at=1,
        needs_split=True,
    ),
    Case(
        "missing_text",
        (_row("notext", text=DROP),),
        "missing field 'text'",
        formats=("jsonl", "parquet"),
    ),
    Case("empty_text", (_row("blank", text="   "),), "empty text"),
    Case(
        "unknown_split",
        (_row("split", split="tset"),),
        "unknown split 'tset' (did you mean 'test'?); use one of train, dev, test",
        needs_split=True,
    ),
    Case(
        "missing_split", (_row("nosplit", split=DROP),), "missing field 'split'", needs_split=True
    ),
    Case("missing_id", (_row("noid", id=DROP),), "missing field 'id'"),
    Case(
        "missing_labels",
        (_row("nolabels", labels=DROP),),
        f"missing field 'labels'; {NO_FRAME}",
        formats=("jsonl", "parquet"),
    ),
    Case(
        "label_not_a_string",
        (_row("int", labels=["restraint_appeal", 7]),),
        "label 7 is not a string",
        formats=("jsonl",),
    ),
    Case(
        "labels_not_a_list",
        (_row("dict", labels={"restraint_appeal": 1}),),
        "labels must be a list of label names, not dict",
        formats=("jsonl",),
    ),
    Case(
        "none_with_labels",
        (_row("none", labels=["none", "restraint_appeal"]),),
        f"'none' is not a label; {NO_FRAME}",
    ),
    Case(
        "label_twice",
        (_row("twice", labels=["restraint_appeal", "restraint_appeal"]),),
        "label 'restraint_appeal' given twice",
    ),
    Case(
        "two_labels_in_one",
        (_row("comma", labels=["restraint_appeal, legitimate_grievance"]),),
        "unknown label 'restraint_appeal, legitimate_grievance' "
        "(several labels are separate list items, ';'-joined in CSV)",
    ),
    Case(
        "hard_not_bool",
        (_row("hard", hard="maybe"),),
        "hard must be true or false, not 'maybe'",
        formats=("jsonl",),
    ),
    Case(
        "malformed_json",
        ('{"id": "broken", "text": ',),
        "malformed JSON (Expecting value)",
        formats=("jsonl",),
    ),
]
GOOD = _good(6)


def _csv_cell(value):
    return ";".join(value) if isinstance(value, list) else value


def write_corpus(rows: list, fmt: str, folder: Path) -> Path:
    """Write ``rows`` (dicts, or raw JSONL lines) in ``fmt`` with the OTHER codebook beside
    them; return the path to hand to framescope (a folder for JSONL)."""
    folder.mkdir(parents=True, exist_ok=True)
    OTHER.to_yaml(folder / "codebook.yaml")
    if fmt == "jsonl":
        lines = [r if isinstance(r, str) else json.dumps(r) for r in rows]
        (folder / "corpus.jsonl").write_text("\n".join(lines) + "\n")
        return folder
    path = folder / f"corpus.{fmt}"
    if fmt == "csv":
        pd.DataFrame([{k: _csv_cell(v) for k, v in r.items()} for r in rows]).to_csv(
            path, index=False
        )
    else:
        pd.DataFrame(rows).to_parquet(path)
    return path


def number(fmt: str, index: int) -> int:
    """The line (or Parquet row) of the record at ``index``: CSV has a header line."""
    return index + (2 if fmt == "csv" else 1)


def corpus_of(cases: list[Case], fmt: str) -> tuple[list, list[Problem]]:
    """Good records followed by every case's records, and the problems expected of them."""
    rows: list = list(GOOD)
    expected = []
    for case in cases:
        lines = [number(fmt, len(rows) + i) for i in range(len(case.rows))]
        rows += case.rows
        message = case.message.format(unit=UNIT[fmt], l0=lines[0], l1=lines[-1])
        expected.append(Problem(lines[case.at], message, UNIT[fmt]))
    return rows, sorted(expected, key=lambda p: p.line)


def cases_for(fmt: str, *, split: bool = True) -> list[Case]:
    return [c for c in CASES if fmt in c.formats and (split or not c.needs_split)]


def _without_mismatch(problems: list[Problem]) -> list[Problem]:
    """The line-less codebook problem, checked apart (its message holds a temporary path)."""
    whole = [p for p in problems if p.line is None]
    assert len(whole) == 1 and whole[0].message.startswith(MISMATCH), whole
    assert whole[0].message.endswith(IN_USE)
    return [p for p in problems if p.line is not None]


@pytest.fixture(autouse=True)
def no_encoder(monkeypatch):
    """Any attempt to build a model fails the test: problems must stop training before."""

    def fail(*args, **kwargs):
        pytest.fail("an encoder was built for a corpus with problems")

    monkeypatch.setattr(training, "_build_encoder", fail)


@pytest.fixture
def in_use_yaml(tmp_path) -> Path:
    path = tmp_path / "in-use.yaml"
    BOOK.to_yaml(path)
    return path


# --- one case at a time -------------------------------------------------------------------


@pytest.mark.parametrize(
    "case, fmt",
    [pytest.param(c, f, id=f"{c.name}-{f}") for c in CASES for f in c.formats],
)
def test_each_case_is_reported_with_its_line(tmp_path, case, fmt):
    rows, expected = corpus_of([case], fmt)
    path = write_corpus(rows, fmt, tmp_path / "corpus")
    assert validate_corpus(path) == expected
    with pytest.raises(CorpusError) as info:
        framescope.train(path, None, progress=False, device="cpu")
    assert info.value.problems == expected


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_corpus_of_another_codebook_version_is_one_problem(tmp_path, fmt):
    path = write_corpus(list(GOOD), fmt, tmp_path / "corpus")
    assert validate_corpus(path) == []  # its own codebook is used when none is given
    problems = validate_corpus(path, BOOK)
    assert len(problems) == 1 and problems[0].line is None
    assert problems[0].message == f"{MISMATCH}{tmp_path / 'corpus' / 'codebook.yaml'}{IN_USE}"
    with pytest.raises(CorpusError) as info:
        framescope.train(path, None, codebook=BOOK, progress=False, device="cpu")
    assert info.value.problems == problems


def test_same_version_but_other_labels_is_a_problem(tmp_path):
    path = write_corpus(list(GOOD), "jsonl", tmp_path / "corpus")
    edited = Codebook.from_dict(
        {"name": "unrest-v1", "version": "2.0.0", "labels": [*LABELS, "order_restored"]}
    )
    (message,) = [str(p) for p in validate_corpus(path, edited)]
    assert message.startswith("codebook mismatch: ")
    assert message.endswith(
        "are both unrest-v1@2.0.0 but list different labels (a changed "
        "codebook needs a new version)"
    )


@pytest.mark.parametrize("cell", ["restraint_appeal", "restraint_appeal;legitimate_grievance"])
def test_a_csv_cell_is_a_documented_semicolon_list(tmp_path, cell):
    rows = [{**r, "labels": r["labels"]} for r in GOOD]
    rows[0] = {**rows[0], "labels": cell.split(";")}
    path = write_corpus(rows, "csv", tmp_path / "corpus")
    assert validate_corpus(path) == []
    assert load_corpus(path)["train"]["labels"][0] == cell.split(";")


def test_a_parquet_labels_column_of_strings_is_reported_row_by_row(tmp_path):
    rows = [{**r, "labels": ";".join(r["labels"])} for r in GOOD]
    path = write_corpus(rows, "parquet", tmp_path / "corpus")
    problems = validate_corpus(path)
    assert [str(p) for p in problems] == [
        f"row {i + 1}: labels must be a list, not the string {r['labels']!r}: "
        f'write ["{r["labels"]}"]'
        for i, r in enumerate(rows)
    ]


@pytest.mark.parametrize(
    "labels, message",
    [
        ("", "labels must be a list, not the string '': write []"),
        ("a;b", 'labels must be a list, not the string \'a;b\': write ["a", "b"]'),
    ],
)
def test_a_string_of_labels_gets_the_list_to_write(tmp_path, labels, message):
    path = tmp_path / "c.jsonl"
    path.write_text(json.dumps(_row("s", labels=labels)) + "\n")
    assert [str(p) for p in validate_corpus(path)] == [f"line 1: {message}"]


def test_without_a_codebook_label_names_are_still_checked_by_line(tmp_path):
    rows = [
        _row("n", 0, labels=["Foreign Interference"]),
        _row("n", 1, labels=["none"]),
        _row("n", 2, labels=[]),
    ]
    path = tmp_path / "c.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert [str(p) for p in validate_corpus(path)] == [
        "line 1: label 'Foreign Interference' is not a label name (lowercase letters, digits, "
        "underscores)",
        f"line 2: 'none' is not a label; {NO_FRAME}",
    ]
    with pytest.raises(CorpusError) as info:  # not a CodebookError without a line
        load_corpus(path)
    assert len(info.value.problems) == 2


def test_no_label_is_a_problem_where_the_codebook_demands_one(tmp_path):
    strict = Codebook.from_dict({"name": "s", "version": "1", "labels": LABELS, "min_labels": 1})
    rows = [_row("m", 0), _row("m", 1, labels=[])]
    path = tmp_path / "c.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert [str(p) for p in validate_corpus(path, strict)] == [
        "line 2: no label, but codebook s@1 gives every statement at least one (min_labels: 1)"
    ]
    assert validate_corpus(path, BOOK) == []  # "none" ([]) is a valid answer by default


def test_a_blank_csv_id_is_missing_not_a_duplicate(tmp_path):
    rows = [_row("b", 0, id=""), _row("b", 1, id="")]
    path = write_corpus(rows, "csv", tmp_path / "corpus")
    assert [str(p) for p in validate_corpus(path)] == [
        "line 2: missing field 'id'",
        "line 3: missing field 'id'",
    ]


def test_a_csv_without_a_labels_column_is_not_read_as_none(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("id,text,split\na,hello,train\nb,bye,dev\n")
    assert [str(p) for p in validate_corpus(path, BOOK)] == [
        f"line 2: missing field 'labels'; {NO_FRAME}",
        f"line 3: missing field 'labels'; {NO_FRAME}",
    ]


@pytest.mark.parametrize("content", ["", "id,text,labels,split\n"], ids=["jsonl", "csv"])
def test_an_empty_corpus_is_a_problem(tmp_path, content):
    path = tmp_path / ("c.csv" if content else "c.jsonl")
    path.write_text(content)
    assert [str(p) for p in validate_corpus(path, BOOK)] == ["the corpus holds no statements"]
    with pytest.raises(CorpusError, match="no statements"):
        framescope.train(path, None, codebook=BOOK, progress=False, device="cpu")


# --- every case in one corpus --------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_validate_corpus_reports_every_problem_at_once(tmp_path, fmt):
    rows, expected = corpus_of(cases_for(fmt), fmt)
    path = write_corpus(rows, fmt, tmp_path / "corpus")
    assert len(expected) >= 10
    assert validate_corpus(path) == expected
    assert _without_mismatch(validate_corpus(path, BOOK)) == expected


@pytest.mark.parametrize("fmt", FORMATS)
def test_cli_validate_prints_every_problem_and_a_count(tmp_path, fmt, in_use_yaml, capsys):
    rows, expected = corpus_of(cases_for(fmt), fmt)
    path = write_corpus(rows, fmt, tmp_path / "corpus")
    assert main(["validate", str(path), "--codebook", str(in_use_yaml)]) == 2
    out, err = capsys.readouterr()
    file = path / "corpus.jsonl" if fmt == "jsonl" else path
    lines = out.splitlines()
    assert lines[: len(expected)] == [f"{file}: {p}" for p in expected]
    assert len(lines) == len(expected) + 1
    assert lines[-1].startswith(f"{file}: {MISMATCH}") and lines[-1].endswith(IN_USE)
    assert err == f"framescope: error: {len(expected) + 1} problem(s) in {path}\n"


@pytest.mark.parametrize("fmt", FORMATS)
def test_cli_train_reports_every_problem_before_any_model(tmp_path, fmt, capsys):
    rows, expected = corpus_of(cases_for(fmt), fmt)
    path = write_corpus(rows, fmt, tmp_path / "corpus")
    out_dir = tmp_path / "model"
    assert main(["--quiet", "train", "--corpus", str(path), "--output", str(out_dir)]) == 2
    err = capsys.readouterr().err.splitlines()
    file = path / "corpus.jsonl" if fmt == "jsonl" else path
    assert err == [f"{file}: {p}" for p in expected] + [
        f"framescope: error: the corpus has {len(expected)} problem(s)"
    ]
    assert not out_dir.exists()


@pytest.mark.parametrize("fmt", FORMATS)
def test_api_train_raises_every_problem_before_any_model(tmp_path, fmt):
    rows, expected = corpus_of(cases_for(fmt), fmt)
    path = write_corpus(rows, fmt, tmp_path / "corpus")
    out_dir = tmp_path / "model"
    with pytest.raises(CorpusError) as info:
        framescope.train(path, out_dir, codebook=BOOK, progress=False, device="cpu")
    assert _without_mismatch(info.value.problems) == expected
    assert not out_dir.exists()


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_cv_reports_every_problem_before_any_model(tmp_path, fmt, in_use_yaml, capsys):
    # cross-validation pools all statements, so split problems do not apply to it
    rows, expected = corpus_of(cases_for(fmt, split=False), fmt)
    path = write_corpus(rows, fmt, tmp_path / "corpus")
    with pytest.raises(CorpusError) as info:
        cross_validate(path, 2, codebook=BOOK, progress=False)
    found = _without_mismatch(info.value.problems)
    assert sorted(found, key=lambda p: p.line) == expected
    rc = main(["--quiet", "cv", "--corpus", str(path), "--codebook", str(in_use_yaml)])
    assert rc == 2
    err = capsys.readouterr().err.splitlines()
    file = path / "corpus.jsonl" if fmt == "jsonl" else path
    assert sorted(line for line in err if MISMATCH not in line) == sorted(
        [f"{file}: {p}" for p in expected]
        + [f"framescope: error: the corpus has {len(expected) + 1} problem(s)"]
    )
