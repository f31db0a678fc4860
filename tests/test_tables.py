"""read_rows: line numbers for every row, bad rows reported or skipped, awkward encodings."""

from __future__ import annotations

import gzip

import pandas as pd
import pytest

from framescope.errors import InputFileError
from framescope.tables import BadRow, read_rows

JSONL_LINES = [
    b'{"id": 1, "text": "first"}',
    b'{"id": 2, "text": ',  # 2: malformed JSON
    b'{"id": 3, "text": "caf\xe9"}',  # 3: Latin-1 bytes, not UTF-8
    b"",  # 4: blank, ignored
    b'{"id": 5, "text": 42}',  # 5: a number where text belongs
    b'["not", "an", "object"]',  # 6
    b'{"id": 7, "text": null}',  # 7: a missing text is fine
    b'{"id": 8, "text": "last"}',
]
JSONL_BAD = [
    BadRow(2, "malformed JSON (Expecting value)"),
    BadRow(3, "bytes that are not UTF-8"),
    BadRow(5, "'text' is int, not text"),
    BadRow(6, "expected a JSON object"),
]


def _collect(path, **kwargs) -> tuple[pd.DataFrame, list[int]]:
    chunks = list(read_rows(path, chunk_size=2, text_column="text", **kwargs))
    frame = pd.concat([c.frame for c in chunks], ignore_index=True)
    return frame, [n for c in chunks for n in c.lines]


@pytest.mark.parametrize("gz", [False, True])
def test_jsonl_bad_rows_are_skipped_with_their_line_numbers(tmp_path, gz):
    data = b"\n".join(JSONL_LINES) + b"\n"
    path = tmp_path / ("in.jsonl.gz" if gz else "in.jsonl")
    path.write_bytes(gzip.compress(data) if gz else data)
    bad: list[BadRow] = []
    frame, lines = _collect(path, bad=bad)
    assert bad == JSONL_BAD
    assert frame["id"].tolist() == [1, 7, 8] and lines == [1, 7, 8]
    assert all(len(c.frame) <= 2 for c in read_rows(path, chunk_size=2, bad=[]))


@pytest.mark.parametrize(
    "lines, message",
    [
        (JSONL_LINES[:2], "line 2: malformed JSON"),
        ([JSONL_LINES[0], JSONL_LINES[2]], "line 2: bytes that are not UTF-8"),
        ([JSONL_LINES[0], JSONL_LINES[4]], "line 2: 'text' is int, not text"),
    ],
)
def test_by_default_the_first_bad_row_is_an_error_naming_file_and_line(tmp_path, lines, message):
    path = tmp_path / "in.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    with pytest.raises(InputFileError, match=message) as info:
        list(read_rows(path, text_column="text"))
    assert str(path) in str(info.value)


def test_csv_with_bom_crlf_and_quoted_newlines_keeps_record_line_numbers(tmp_path):
    path = tmp_path / "in.csv"
    path.write_bytes(
        b"\xef\xbb\xbfid,text\r\n"
        b'1,"two\r\nlines"\r\n'  # record on lines 2-3
        b"2,plain\r\n"  # 4
        b"3,caf\xe9\r\n"  # 5: not UTF-8
        b"4,too,many\r\n"  # 6
        b'5,"quoted, comma"\r\n'  # 7
    )
    bad: list[BadRow] = []
    frame, lines = _collect(path, bad=bad)
    assert list(frame.columns) == ["id", "text"]  # no BOM in the first column name
    assert frame["text"].tolist() == ["two\r\nlines", "plain", "quoted, comma"]
    assert frame["id"].tolist() == ["1", "2", "5"]  # CSV cells stay text
    assert lines == [2, 4, 7]
    assert bad == [
        BadRow(5, "bytes that are not UTF-8"),
        BadRow(6, "3 fields where the header has 2"),
    ]


def test_parquet_text_column_of_the_wrong_type_is_refused_by_name(tmp_path):
    path = tmp_path / "in.parquet"
    pd.DataFrame({"id": [1, 2], "text": [3, 4]}).to_parquet(path)
    with pytest.raises(InputFileError, match="column 'text' holds int64, not text"):
        list(read_rows(path, text_column="text"))
    good = tmp_path / "ok.parquet"
    pd.DataFrame({"text": ["a", None, "c"]}).to_parquet(good)
    assert [n for c in read_rows(good, chunk_size=2, text_column="text") for n in c.lines] == [
        1,
        2,
        3,
    ]


def test_empty_and_header_only_csv(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(InputFileError, match="empty file"):
        list(read_rows(empty))
    header = tmp_path / "header.csv"
    header.write_bytes(b"id,text\n")
    assert list(read_rows(header)) == []
