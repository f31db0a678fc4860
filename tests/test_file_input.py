"""Bad and awkward input files for `framescope score`: one line on stderr naming the file,
the line and the problem, exit code 2, nothing left beside the output; or scored as if clean."""

from __future__ import annotations

import csv
import gzip
import io
import json
import random
import re
from pathlib import Path

import pandas as pd
import pytest

from framescope import score_file
from framescope.cli import main
from framescope.errors import InputFileError
from framescope.tables import read_rows

from .conftest import read_scored


def _jsonl(*lines: bytes) -> bytes:
    return b"".join(line + b"\n" for line in lines)


def _parquet(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.to_parquet(buffer)
    return buffer.getvalue()


def _cut_gzip() -> bytes:
    lines = _jsonl(*(json.dumps({"text": f"prices rose {i}"}).encode() for i in range(3000)))
    whole = gzip.compress(lines)
    return whole[: len(whole) // 2]


def _score(folder: Path, model: Path, name: str, data: bytes, *extra: str, out: str = ""):
    """Run `framescope score` on ``data`` saved as ``folder/name``: (exit code, stderr lines,
    output path)."""
    src = folder / name
    src.write_bytes(data)
    dst = folder / (out or f"scored{name[name.index('.') :]}")
    argv = ["--quiet", "score", str(src), "-o", str(dst), "--model", str(model), *extra]
    return main(argv), src, dst


def _assert_one_line_error(capsys, rc: int, src: Path, message: str) -> None:
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2
    assert len(err) == 1, err
    assert err[0].startswith(f"framescope: error: {src}: "), err[0]
    assert re.search(message, err[0]), err[0]
    assert sorted(p.name for p in src.parent.iterdir()) == [src.name]  # nothing else left


BAD_FILES = {
    "malformed JSON": (
        "in.jsonl",
        _jsonl(b'{"text": "calm"}', b"", b'{"text": "prices", '),
        r"line 3: malformed JSON",
    ),
    "JSON list": ("in.jsonl", _jsonl(b'{"text": "calm"}', b'["calm"]'), r"line 2: expected a JSON"),
    "JSON number": ("in.jsonl", _jsonl(b'{"text": "calm"}', b"42"), r"line 2: expected a JSON"),
    "text is a number": (
        "in.jsonl",
        _jsonl(b'{"text": "calm"}', b'{"text": 4.5}'),
        r"line 2: 'text' is float, not text",
    ),
    "text is a list": (
        "in.jsonl",
        _jsonl(b'{"text": "calm"}', b'{"text": ["calm"]}'),
        r"line 2: 'text' is list, not text",
    ),
    "text is an object": (
        "in.jsonl",
        _jsonl(b'{"text": "calm"}', b'{"text": {"en": "calm"}}'),
        r"line 2: 'text' is dict, not text",
    ),
    "undecodable CSV": (
        "in.csv",
        b"id,text\n1,calm\n2,caf\xe9 prices\n3,calm\n",
        r"line 3: bytes that are not UTF-8",
    ),
    "undecodable JSONL": (
        "in.jsonl",
        _jsonl(b'{"text": "calm"}', b'{"text": "caf\xe9"}'),
        r"line 2: bytes that are not UTF-8",
    ),
    "bad row after a quoted newline": (
        "in.csv",
        b'id,text\n1,"calm\nand ""quiet"",\nplease"\n2,prices\n3,too,many\n',
        r"line 6: 3 fields where the header has 2",
    ),
    "UTF-16 CSV": ("in.csv", "text\ncalm\n".encode("utf-16"), r"line 1: the file is UTF-16"),
    "unclosed quote": (
        "in.csv",
        b'id,text\n1,calm\n2,"prices\n' + b"3,a long statement about prices\n" * 6000,
        r"line 3: cannot read this CSV record \(field larger than field limit",
    ),
    "column named twice": (
        "in.csv",
        b"text,id,text\ncalm,1,prices\n",
        r"line 1: the header names column 'text' twice",
    ),
    "empty CSV": ("in.csv", b"", r"empty file \(0 bytes\)"),
    "empty JSONL": ("in.jsonl", b"", r"empty file \(0 bytes\)"),
    "empty JSONL.gz": ("in.jsonl.gz", b"", r"empty file \(0 bytes\)"),
    "empty Parquet": ("in.parquet", b"", r"empty file \(0 bytes\)"),
    "header-only CSV": ("in.csv", b"id,text\r\n", r"no rows to score"),
    "blank-line JSONL": ("in.jsonl", b"\n \n\r\n", r"no rows to score"),
    "gzip of nothing": ("in.jsonl.gz", gzip.compress(b""), r"no rows to score"),
    "Parquet without rows": (
        "in.parquet",
        _parquet(pd.DataFrame({"text": pd.Series([], dtype=str)})),
        r"no rows to score",
    ),
    "Parquet text int64": (
        "in.parquet",
        _parquet(pd.DataFrame({"id": [1], "text": [7]})),
        r"column 'text' holds int64, not text",
    ),
    "Parquet text list": (
        "in.parquet",
        _parquet(pd.DataFrame({"text": [["calm"], ["prices"]]})),
        r"column 'text' holds list<element: string>, not text",
    ),
    "not Parquet": ("in.parquet", b"id,text\n1,calm\n" * 50, r"not a readable Parquet file"),
    "cut gzip": ("in.jsonl.gz", _cut_gzip(), r"line [1-9]\d+: cannot read, the file is cut short"),
    "not gzip": ("in.jsonl.gz", _jsonl(b'{"text": "calm"}'), r"line 1: cannot read"),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_a_bad_file_is_one_line_exit_2_and_leaves_nothing(tmp_path, tiny_model_dir, capsys, case):
    name, data, message = BAD_FILES[case]
    rc, src, _ = _score(tmp_path, tiny_model_dir, name, data)
    _assert_one_line_error(capsys, rc, src, message)


@pytest.mark.parametrize("name", ["in.csv", "in.jsonl", "in.parquet"])
@pytest.mark.parametrize("column", ["txt", "Text", "texts", "TEXT"])
def test_a_missing_or_misspelt_text_column_suggests_the_closest(
    tmp_path, tiny_model_dir, capsys, name, column
):
    frame = pd.DataFrame({"id": [1, 2], column: ["calm", "prices"], "speaker": ["a", "b"]})
    if name.endswith(".parquet"):
        data = _parquet(frame)
    elif name.endswith(".csv"):
        data = frame.to_csv(index=False).encode()
    else:
        data = _jsonl(*(json.dumps(r).encode() for r in frame.to_dict(orient="records")))
    rc, src, _ = _score(tmp_path, tiny_model_dir, name, data)
    _assert_one_line_error(capsys, rc, src, rf"no column 'text' .*did you mean '{column}'\?")


@pytest.mark.parametrize("extra", [[], ["--on-error", "skip"]])
def test_a_bad_row_in_a_later_chunk_leaves_no_parts_behind(tmp_path, tiny_model_dir, capsys, extra):
    """Earlier chunks were scored into parts; a bad file is not resumable, so they go."""
    lines = [json.dumps({"text": f"calm {i}"}).encode() for i in range(6)]
    data = gzip.compress(_jsonl(*lines))[:-12]  # the last bytes of the stream are missing
    rc, src, _ = _score(tmp_path, tiny_model_dir, "in.jsonl.gz", data, "--chunk-size", "1", *extra)
    _assert_one_line_error(capsys, rc, src, r"line \d: cannot read, the file is cut short")


def test_a_malformed_line_after_scored_chunks_leaves_no_parts_behind(
    tmp_path, tiny_model_dir, capsys
):
    data = _jsonl(b'{"text": "calm"}', b'{"text": "prices"}', b'{"text": "calm"', b"{}")
    rc, src, _ = _score(tmp_path, tiny_model_dir, "in.jsonl", data, "--chunk-size", "1")
    _assert_one_line_error(capsys, rc, src, r"line 3: malformed JSON")


PLAIN_CSV = b'id,text\n1,prices doubled and people are angry\n2,"we call for calm, all"\n3,\n'
AWKWARD = {
    "BOM CSV": ("in.csv", b"\xef\xbb\xbf" + PLAIN_CSV),
    "CRLF CSV": ("in.csv", PLAIN_CSV.replace(b"\n", b"\r\n")),
    "BOM and CRLF CSV": ("in.csv", b"\xef\xbb\xbf" + PLAIN_CSV.replace(b"\n", b"\r\n")),
    "BOM JSONL": (
        "in.jsonl",
        b"\xef\xbb\xbf"
        + _jsonl(
            b'{"id": 1, "text": "prices doubled and people are angry"}',
            b'{"id": 2, "text": "we call for calm, all"}',
            b'{"id": 3, "text": ""}',
        ),
    ),
    "CRLF JSONL": (
        "in.jsonl",
        b'{"id": 1, "text": "prices doubled and people are angry"}\r\n'
        b'{"id": 2, "text": "we call for calm, all"}\r\n'
        b'{"id": 3, "text": ""}\r\n',
    ),
}


@pytest.mark.parametrize("case", list(AWKWARD))
def test_bom_and_crlf_files_score_like_plain_ones(tmp_path, tiny_model_dir, capsys, case):
    plain = tmp_path / "plain"
    plain.mkdir()
    assert _score(plain, tiny_model_dir, "in.csv", PLAIN_CSV)[0] == 0
    name, data = AWKWARD[case]
    rc, _, dst = _score(tmp_path, tiny_model_dir, name, data, out="scored.csv")
    assert rc == 0
    expected, got = read_scored(plain / "scored.csv"), read_scored(dst)
    assert list(got.columns) == list(expected.columns)  # "id" is not "\ufeffid"
    assert got["text"].tolist() == expected["text"].tolist()  # no stray "\r"
    pd.testing.assert_frame_equal(got, expected)


def test_a_quoted_newline_stays_in_the_text(tmp_path, tiny_model_dir):
    data = b'id,text\n1,"prices rose\nand people are angry"\n2,calm\n'
    rc, _, dst = _score(tmp_path, tiny_model_dir, "in.csv", data)
    assert rc == 0
    assert read_scored(dst)["text"].tolist() == ["prices rose\nand people are angry", "calm"]


@pytest.mark.parametrize(
    "name, data, line",
    [
        ("in.csv", b'text,id\ncalm,1\ncaf\xe9,2\n\n"prices\nrose",3\nr\xe9sum\xe9,4\n', [3, 7]),
        ("in.jsonl", _jsonl(b'{"text": "calm"}', b'{"text": "caf\xe9"}', b'{"text": "x"}'), [2]),
    ],
)
def test_undecodable_rows_are_listed_and_skipped_with_on_error_skip(
    tmp_path, tiny_model_dir, name, data, line
):
    rc, src, dst = _score(tmp_path, tiny_model_dir, name, data, "--on-error", "skip")
    assert rc == 0
    side = pd.read_csv(f"{dst}.bad_rows.csv")
    assert side["line"].tolist() == line
    assert set(side["problem"]) == {"bytes that are not UTF-8"}
    assert set(side["file"]) == {str(src)}
    texts = read_scored(dst)["text"].tolist()
    assert texts == (["calm", "prices\nrose"] if name.endswith(".csv") else ["calm", "x"])


def test_a_categorical_parquet_text_column_is_text(tmp_path, tiny_model_dir):
    frame = pd.DataFrame({"text": pd.Categorical(["calm", "prices", "calm"])})
    rc, _, dst = _score(tmp_path, tiny_model_dir, "in.parquet", _parquet(frame))
    assert rc == 0
    assert read_scored(dst)["text"].tolist() == ["calm", "prices", "calm"]


@pytest.mark.parametrize("out", ["scored.jsonl", "scored.parquet", "scored.csv"])
def test_an_escaped_lone_surrogate_in_json_is_read_as_the_replacement_character(
    tmp_path, tiny_model_dir, out
):
    """JSON may escape a lone surrogate, which no UTF-8 writer or tokenizer takes; before,
    this crashed with a UnicodeEncodeError traceback."""
    data = _jsonl(
        rb'{"id": "a\ud800", "text": "calm \udc00 prices"}', b'{"id": "b", "text": "calm"}'
    )
    rc, _, dst = _score(tmp_path, tiny_model_dir, "in.jsonl", data, out=out)
    assert rc == 0
    scored = read_scored(dst)
    assert scored["id"].tolist() == ["a\ufffd", "b"]
    assert scored["text"].tolist() == ["calm \ufffd prices", "calm"]


def test_json_lines_may_leave_out_a_missing_texts_key_in_a_whole_chunk(tmp_path, tiny_model_dir):
    """As Spark writes nulls: no "text" key means no text (no label), in any chunk."""
    data = _jsonl(b'{"id": 1, "text": "calm"}', b'{"id": 2}', b'{"id": 3}')
    rc, _, dst = _score(tmp_path, tiny_model_dir, "in.jsonl", data, "--chunk-size", "1")
    assert rc == 0
    scored = read_scored(dst)
    assert scored["id"].tolist() == [1, 2, 3] and scored["labels"].tolist()[1:] == [[], []]


def test_a_bad_file_in_a_folder_is_named(tmp_path, tiny_model_dir, capsys):
    """Files before the bad one are complete outputs (a --resume run skips them); the bad
    one and those after it leave nothing."""
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.jsonl").write_bytes(_jsonl(b'{"text": "calm"}'))
    (folder / "b.csv").write_bytes(b"id,text\n1,calm\n2,caf\xe9\n")
    (folder / "c.jsonl").write_bytes(_jsonl(b'{"text": "calm"}'))
    out = tmp_path / "out"
    argv = ["--quiet", "score", str(folder), "-o", str(out), "--model", str(tiny_model_dir)]
    rc = main(argv)
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1
    assert err[0] == f"framescope: error: {folder / 'b.csv'}: line 3: bytes that are not UTF-8"
    assert sorted(p.name for p in out.iterdir()) == ["a.jsonl", "a.jsonl.meta.json"]


def test_score_file_raises_input_file_error_and_writes_nothing(tmp_path, tiny_model_dir):
    src = tmp_path / "in.jsonl"
    src.write_bytes(_jsonl(b'{"text": "calm"}', b'{"text": true}'))
    with pytest.raises(InputFileError, match=r"in.jsonl: line 2: 'text' is bool, not text"):
        score_file(src, tmp_path / "out.parquet", tiny_model_dir, progress=False)
    assert [p.name for p in tmp_path.iterdir()] == ["in.jsonl"]


def test_an_empty_file_is_refused_before_the_model_loads(tmp_path):
    src = tmp_path / "in.csv"
    src.write_bytes(b"")
    with pytest.raises(InputFileError, match=r"in.csv: empty file \(0 bytes\)"):
        score_file(src, tmp_path / "out.csv", tmp_path / "no-such-model", progress=False)


# ---------------------------------------------------------------- CSV line numbers
_PIECES = ["calm", "prices", ",", '"', "\n", "\r\n", " ", "é", "ünrest", "—", "'", ";"]


def _random_csv(rng: random.Random) -> tuple[bytes, list[str], list[int]]:
    """A CSV of random texts (quotes, commas and newlines in them), with a BOM and CRLF line
    ends at random; returns its bytes, texts and each record's first physical line."""
    texts = ["".join(rng.choices(_PIECES, k=rng.randint(1, 8))) for _ in range(rng.randint(1, 9))]
    ending = rng.choice(["\n", "\r\n"])
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=ending)
    writer.writerow(["id", "text"])
    starts = []
    for i, text in enumerate(texts):
        starts.append(buffer.getvalue().count("\n") + 1)
        writer.writerow([str(i), text])
    data = buffer.getvalue().encode()
    return (b"\xef\xbb\xbf" + data if rng.random() < 0.5 else data), texts, starts


def test_csv_texts_and_physical_line_numbers_survive_quotes_and_newlines(tmp_path):
    """200 random tables: every text comes back unchanged with the physical line its record
    starts on, and a bad record appended after them is reported at its physical line."""
    rng = random.Random(7)
    path = tmp_path / "in.csv"
    for _ in range(200):
        data, texts, starts = _random_csv(rng)
        path.write_bytes(data)
        rows = list(read_rows(path, chunk_size=3, text_column="text"))
        assert [t for r in rows for t in r.frame["text"]] == texts
        assert [n for r in rows for n in r.lines] == starts
        bad_line = data.count(b"\n") + 1
        path.write_bytes(data + b"x,y,z\n")
        with pytest.raises(InputFileError, match=rf"line {bad_line}: 3 fields"):
            list(read_rows(path, text_column="text"))
