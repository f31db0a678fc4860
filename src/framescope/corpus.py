"""Corpora: reading, validating and loading labelled statements as a DatasetDict."""

from __future__ import annotations

import csv
import difflib
import hashlib
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import datasets

from .codebook import _LABEL_NAME, Codebook
from .errors import CodebookError, CorpusError, InputFileError

SPLITS = ("train", "dev", "test")
REQUIRED_FIELDS = ("id", "text", "labels", "split")
OPTIONAL_FIELDS = {
    "speaker": "",
    "speaker_type": "",
    "event": "",
    "country": "",
    "year": None,
    "source": "",
    "hard": False,
    "note": "",
}
CORPUS_FILE = "corpus.jsonl"
CODEBOOK_FILE = "codebook.yaml"

CorpusSource = str | Path | Sequence[Mapping[str, Any]]


@dataclass(frozen=True)
class Problem:
    """One problem in a corpus, located by number: ``unit`` says what it counts (a JSONL or
    CSV file's ``line``, a Parquet ``row``, or an ``item`` of a list); ``line`` is None for a
    problem of the whole corpus."""

    line: int | None
    message: str
    unit: str = "line"

    def __str__(self) -> str:
        return f"{self.unit} {self.line}: {self.message}" if self.line is not None else self.message


@dataclass(frozen=True)
class RawCorpus:
    """Records as read, with their line numbers, the codebook that governs them and problems
    found while parsing."""

    source: str
    records: list[tuple[int, dict[str, Any]]]
    codebook: Codebook | None
    parse_problems: list[Problem]
    unit: str = "line"


def _suggest(value: str, choices: Iterable[str]) -> str:
    match = difflib.get_close_matches(value, list(choices), n=1, cutoff=0.5)
    return f" (did you mean {match[0]!r}?)" if match else ""


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _read_jsonl(path: Path) -> tuple[list[tuple[int, dict[str, Any]]], list[Problem]]:
    records, problems = [], []
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputFileError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    for line_no, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(Problem(line_no, f"malformed JSON ({exc.msg})"))
            continue
        if not isinstance(obj, dict):
            problems.append(Problem(line_no, "a line must hold one JSON object"))
            continue
        records.append((line_no, obj))
    return records, problems


def _split_label_cell(value: Any) -> Any:
    if _is_missing(value):
        return []
    if isinstance(value, str):
        value = value.strip()
        if value.startswith("["):
            try:
                return json.loads(value)
            except json.JSONDecodeError:
                return value
        return [part.strip() for part in value.split(";") if part.strip()]
    return value


def _read_csv(path: Path) -> list[tuple[int, dict[str, Any]]]:
    records = []
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames is None:  # reading the header first numbers the rows right
            return records
        start = reader.line_num + 1
        for row in reader:
            row = dict(row)
            if "labels" in row:  # no labels column: reported as missing, not read as "none"
                row["labels"] = _split_label_cell(row["labels"])
            if "hard" in row:
                row["hard"] = str(row["hard"]).strip().lower() in ("1", "true", "yes")
            if row.get("year") not in (None, ""):
                try:
                    row["year"] = int(row["year"])
                except ValueError:
                    pass
            records.append((start, row))
            start = reader.line_num + 1
    return records


def _read_parquet(path: Path) -> list[tuple[int, dict[str, Any]]]:
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    rows = table.to_pylist()
    return [(i + 1, row) for i, row in enumerate(rows)]


def corpus_file(source: str | Path) -> Path:
    """The file a corpus path names: ``corpus.jsonl`` for a corpus folder, else the path."""
    path = Path(source)
    if path.is_dir():
        if not (path / CORPUS_FILE).is_file():
            raise InputFileError(f"{path}: no {CORPUS_FILE} in this corpus folder")
        return path / CORPUS_FILE
    if not path.is_file():
        raise InputFileError(f"corpus not found: {path}")
    return path


def _codebook_mismatch(own_file: Path, in_use: Codebook) -> list[Problem]:
    """A problem when the codebook.yaml that comes with a corpus is not the codebook in use."""
    try:
        own = Codebook.from_yaml(own_file)
    except CodebookError as exc:
        return [Problem(None, f"the corpus's own codebook cannot be read: {exc}")]
    if own.ref != in_use.ref:
        return [
            Problem(
                None,
                f"codebook version mismatch: the corpus is coded with {own.ref} ({own_file}), "
                f"but the codebook in use is {in_use.ref}",
            )
        ]
    if own.label_names != in_use.label_names:
        return [
            Problem(
                None,
                f"codebook mismatch: {own_file} and the codebook in use are both {own.ref} "
                "but list different labels (a changed codebook needs a new version)",
            )
        ]
    return []


def read_corpus(source: CorpusSource, codebook: Codebook | None = None) -> RawCorpus:
    """Read records from a corpus folder, a .jsonl/.csv/.parquet file or a list of dicts.

    A folder holds ``corpus.jsonl`` and ``codebook.yaml``; a file may have a ``codebook.yaml``
    beside it. An explicit ``codebook`` is used instead of either, and a corpus whose own
    codebook has another name, version or label list is a problem.
    """
    if isinstance(source, (str, Path)):
        path = corpus_file(source)
        own_file = path.parent / CODEBOOK_FILE
        parse_problems: list[Problem] = []
        if codebook is None and own_file.is_file():
            codebook = Codebook.from_yaml(own_file)
        elif codebook is not None and own_file.is_file():
            parse_problems += _codebook_mismatch(own_file, codebook)
        suffix = path.name.lower()
        unit = "line"
        if suffix.endswith(".jsonl") or suffix.endswith(".json"):
            records, bad_lines = _read_jsonl(path)
            parse_problems += bad_lines
        elif suffix.endswith(".csv"):
            records = _read_csv(path)
        elif suffix.endswith(".parquet"):
            records, unit = _read_parquet(path), "row"
        else:
            raise InputFileError(
                f"{path}: unsupported corpus format (use .jsonl, .csv or .parquet)"
            )
        return RawCorpus(str(path), records, codebook, parse_problems, unit)
    if isinstance(source, Sequence):
        records = []
        for i, item in enumerate(source):
            if not isinstance(item, Mapping):
                raise InputFileError(f"corpus item {i + 1} is a {type(item).__name__}, not a dict")
            records.append((i + 1, dict(item)))
        return RawCorpus("<list>", records, codebook, [], "item")
    raise TypeError(f"cannot read a corpus from a {type(source).__name__}")


NO_FRAME = "a statement with no frame has labels [] (in a CSV file, an empty cell)"


def _labels_hint(value: str) -> str:
    parts = _split_label_cell(value)
    return json.dumps(parts if isinstance(parts, list) else [value], ensure_ascii=False)


def _label_messages(labels: Any, codebook: Codebook | None) -> list[str]:
    """What is wrong with one record's labels (empty list: nothing)."""
    if isinstance(labels, str):
        return [f"labels must be a list, not the string {labels!r}: write {_labels_hint(labels)}"]
    if not isinstance(labels, (list, tuple)):
        return [f"labels must be a list of label names, not {type(labels).__name__}"]
    known = set(codebook.label_names) if codebook else None
    out: list[str] = []
    seen: set[str] = set()
    for label in labels:
        if not isinstance(label, str):
            out.append(f"label {label!r} is not a string")
        elif label.strip().lower() == "none" and (known is None or label not in known):
            out.append(f"{label!r} is not a label; {NO_FRAME}")
        elif known is not None and label not in known:
            several = "," in label and all(part.strip() in known for part in label.split(","))
            hint = " (several labels are separate list items, ';'-joined in CSV)" if several else ""
            out.append(f"unknown label {label!r}{hint or _suggest(label, known)}")
        elif known is None and not _LABEL_NAME.match(label):
            out.append(
                f"label {label!r} is not a label name (lowercase letters, digits, underscores)"
            )
        elif label in seen:
            out.append(f"label {label!r} given twice")
        seen.add(str(label))
    if not labels and codebook is not None and codebook.min_labels > 0:
        out.append(
            f"no label, but codebook {codebook.ref} gives every statement at least one "
            "(min_labels: 1)"
        )
    return out


def _absent(rec: dict[str, Any], name: str) -> bool:
    value = rec.get(name)
    blank = name in ("id", "split") and isinstance(value, str) and not value.strip()
    return name not in rec or _is_missing(value) or blank


def validate_records(
    records: list[tuple[int, dict[str, Any]]],
    codebook: Codebook | None,
    *,
    require_split: bool = True,
    unit: str = "line",
) -> list[Problem]:
    """Every problem in the records, in order; ``unit`` names what the numbers count.

    With ``require_split=False`` (cross-validation pools all statements) the split field
    may be absent or hold any value, such as a fold name.
    """
    if not records:
        return [Problem(None, "the corpus holds no statements")]
    required = REQUIRED_FIELDS if require_split else ("id", "text", "labels")
    problems: list[Problem] = []
    first_line_of_id: dict[str, int] = {}
    event_splits: dict[str, dict[str, int]] = {}
    for line, rec in records:
        messages: list[str] = []
        missing = [f for f in required if _absent(rec, f)]
        for name in missing:
            hint = f"; {NO_FRAME}" if name == "labels" else ""
            messages.append(f"missing field {name!r}{hint}")
        if "id" not in missing:
            rid = str(rec["id"])
            if rid in first_line_of_id:
                messages.append(f"duplicate id {rid!r} (first on {unit} {first_line_of_id[rid]})")
            else:
                first_line_of_id[rid] = line
        text = rec.get("text")
        if "text" not in missing:
            if not isinstance(text, str):
                messages.append(f"text must be a string, not {type(text).__name__}")
            elif not text.strip():
                messages.append("empty text")
        if "labels" not in missing:
            messages += _label_messages(rec["labels"], codebook)
        split = rec.get("split")
        if require_split and "split" not in missing:
            if split not in SPLITS:
                messages.append(
                    f"unknown split {split!r}{_suggest(str(split), SPLITS)}; "
                    f"use one of {', '.join(SPLITS)}"
                )
            event = rec.get("event")
            if not _is_missing(event) and str(event).strip():
                event_splits.setdefault(str(event), {}).setdefault(str(split), line)
        if "hard" in rec and not isinstance(rec["hard"], bool) and not _is_missing(rec["hard"]):
            messages.append(f"hard must be true or false, not {rec['hard']!r}")
        problems += [Problem(line, message, unit) for message in messages]
    for event, splits in event_splits.items():
        if len(splits) > 1:
            where = ", ".join(
                f"{s} ({unit} {ln})" for s, ln in sorted(splits.items(), key=lambda x: x[1])
            )
            problems.append(
                Problem(
                    max(splits.values()),
                    f"event {event!r} appears in several splits: {where}",
                    unit,
                )
            )
    problems.sort(key=lambda p: (p.line is None, p.line or 0))
    return problems


def validate_corpus(source: CorpusSource, codebook: Codebook | None = None) -> list[Problem]:
    """All problems of a corpus, in line order: parse errors, content errors, exact duplicate
    texts, then the corpus-level requirements its codebook declares (no line number)."""
    from .quality import check_requirements

    raw = read_corpus(source, codebook)
    problems = raw.parse_problems + validate_records(raw.records, raw.codebook, unit=raw.unit)
    first_line_of_text: dict[str, int] = {}
    for line, rec in raw.records:
        text = rec.get("text")
        if isinstance(text, str) and text.strip():
            key = " ".join(text.lower().split())
            if key in first_line_of_text:
                same = f"same as {raw.unit} {first_line_of_text[key]}"
                problems.append(Problem(line, f"duplicate text ({same})", raw.unit))
            else:
                first_line_of_text[key] = line
    problems.sort(key=lambda p: (p.line is None, p.line or 0))
    if not problems and raw.codebook is not None:
        rows = [normalise_record(rec) for _, rec in raw.records]
        problems += [Problem(None, msg) for msg in check_requirements(rows, raw.codebook)]
    return problems


def normalise_record(rec: dict[str, Any]) -> dict[str, Any]:
    out = {
        "id": str(rec["id"]),
        "text": rec["text"],
        "labels": [str(label) for label in rec["labels"]],
        "split": "" if _is_missing(rec.get("split")) else str(rec["split"]),
    }
    for name, default in OPTIONAL_FIELDS.items():
        value = rec.get(name, default)
        out[name] = default if _is_missing(value) else value
    out["year"] = int(out["year"]) if out["year"] not in (None, "") else None
    for name in ("speaker", "speaker_type", "event", "country", "source", "note"):
        out[name] = str(out[name])
    out["hard"] = bool(out["hard"])
    return out


FEATURES = datasets.Features(
    {
        "id": datasets.Value("string"),
        "text": datasets.Value("string"),
        "labels": datasets.Sequence(datasets.Value("string")),
        "split": datasets.Value("string"),
        "speaker": datasets.Value("string"),
        "speaker_type": datasets.Value("string"),
        "event": datasets.Value("string"),
        "country": datasets.Value("string"),
        "year": datasets.Value("int32"),
        "source": datasets.Value("string"),
        "hard": datasets.Value("bool"),
        "note": datasets.Value("string"),
    }
)


def infer_codebook(records: Iterable[dict[str, Any]], name: str) -> Codebook:
    """A minimal codebook (labels in sorted order) for a corpus that comes without one."""
    labels = sorted({label for rec in records for label in rec["labels"]})
    return Codebook.from_dict({"name": name, "version": "0", "labels": labels})


def corpus_hash(records: Iterable[dict[str, Any]]) -> str:
    """sha256 of the corpus content (id, text, labels, split), independent of row order."""
    digest = hashlib.sha256()
    for rec in sorted(records, key=lambda r: r["id"]):
        key = [rec["id"], rec["text"], sorted(rec["labels"]), rec["split"]]
        digest.update(json.dumps(key, ensure_ascii=False).encode("utf-8"))
        digest.update(b"\n")
    return digest.hexdigest()


def load_corpus(
    source: CorpusSource,
    codebook: Codebook | None = None,
    *,
    default_split: str | None = None,
) -> datasets.DatasetDict:
    """Load a validated corpus as a ``datasets.DatasetDict`` with train/dev/test splits.

    Any problem (malformed lines, unknown labels, duplicate ids, an event in two splits, ...)
    raises ``CorpusError`` listing all of them. The codebook identity, label order and the
    corpus hash are recorded in each split's ``info.description`` (see ``corpus_metadata``).
    With ``default_split`` (e.g. "test"), statements that have no split go to that split,
    so a plain labelled file can be evaluated.
    """
    raw = read_corpus(source, codebook)
    if default_split is not None:
        if default_split not in SPLITS:
            raise ValueError(f"default_split must be one of {SPLITS}")
        for _, rec in raw.records:
            if _is_missing(rec.get("split")) or rec.get("split") == "":
                rec["split"] = default_split
    problems = raw.parse_problems + validate_records(raw.records, raw.codebook, unit=raw.unit)
    if problems:
        problems.sort(key=lambda p: (p.line is None, p.line or 0))
        raise CorpusError(raw.source, problems)
    rows = [normalise_record(rec) for _, rec in raw.records]
    book = raw.codebook or infer_codebook(rows, Path(raw.source).stem or "corpus")
    return rows_to_dataset_dict(rows, book, raw.source)


def rows_to_dataset_dict(
    rows: list[dict[str, Any]], book: Codebook, source: str = "<rows>"
) -> datasets.DatasetDict:
    """Normalised, already validated rows -> DatasetDict with the codebook recorded."""
    meta = json.dumps(
        {
            "codebook": book.name,
            "codebook_version": book.version,
            "labels": book.label_names,
            "min_labels": book.min_labels,
            "corpus_hash": corpus_hash(rows),
            "source": source,
        }
    )
    splits = {}
    for split in SPLITS:
        part = [row for row in rows if row["split"] == split]
        info = datasets.DatasetInfo(description=meta, features=FEATURES)
        columns = {name: [row[name] for row in part] for name in FEATURES}
        splits[split] = datasets.Dataset.from_dict(columns, features=FEATURES, info=info)
    return datasets.DatasetDict(splits)


def corpus_metadata(corpus: datasets.DatasetDict | datasets.Dataset) -> dict[str, Any]:
    """The codebook identity, label order and corpus hash that ``load_corpus`` recorded."""
    ds = corpus["train"] if isinstance(corpus, datasets.DatasetDict) else corpus
    try:
        meta = json.loads(ds.info.description or "")
    except (json.JSONDecodeError, TypeError):
        meta = None
    if not isinstance(meta, dict) or "labels" not in meta:
        raise CorpusError(
            "corpus", [Problem(None, "this dataset was not made by load_corpus (no codebook)")]
        )
    return meta


def as_corpus(
    corpus: CorpusSource | datasets.DatasetDict, codebook: Codebook | None = None
) -> datasets.DatasetDict:
    """Accept anything ``load_corpus`` accepts, or an already loaded DatasetDict."""
    if isinstance(corpus, datasets.DatasetDict):
        return corpus
    return load_corpus(corpus, codebook)
