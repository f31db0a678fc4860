"""Reading and writing statement tables by extension, in chunks.

Formats: .csv, .jsonl, .jsonl.gz, .parquet. ``read_rows`` streams a table in chunks of good
rows with their line numbers, reporting or skipping bad rows; ``read_chunks`` in DataFrames;
``write_frame`` writes one DataFrame as a complete file and ``concat_files`` streams such
files into one (see resumable.py for how scoring uses them to write output safely).
"""

from __future__ import annotations

import csv
import difflib
import gzip
import io
import json
import re
import shutil
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import pandas as pd

from .errors import InputFileError

FORMATS = (".csv", ".jsonl", ".jsonl.gz", ".parquet")
COUNT_LIMIT = 200 * 1024 * 1024  # count lines for a progress total only below this size


def table_format(path: str | Path) -> str:
    name = Path(path).name.lower()
    for fmt in sorted(FORMATS, key=len, reverse=True):
        if name.endswith(fmt):
            return fmt
    raise InputFileError(f"{path}: unsupported format (use one of {', '.join(FORMATS)})")


def suggest_column(name: str, columns: list[str]) -> str:
    names = [str(c) for c in columns]
    match = difflib.get_close_matches(name, names, n=1, cutoff=0.4)
    if not match:  # "TEXT" for "text": difflib compares case
        match = [c for c in names if c.lower() == name.lower()][:1]
    hint = f"; did you mean {match[0]!r}?" if match else ""
    return f" (columns: {', '.join(names)}){hint}"


def _no_column(path: Path, name: str, columns: list[str]) -> InputFileError:
    return InputFileError(f"{path}: no column {name!r}{suggest_column(name, columns)}")


@dataclass(frozen=True)
class BadRow:
    """A row that cannot be scored: ``line`` is its line in a CSV/JSONL file (where a CSV
    record spans lines, the first) or its 1-based row number in a Parquet file."""

    line: int
    problem: str


@dataclass(frozen=True)
class Rows:
    """Up to ``chunk_size`` good rows of a table, with the line (or row) number of each."""

    frame: pd.DataFrame
    lines: list[int]


class _Bad(Exception):
    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


def _check_text(record: dict[str, Any], text_column: str | None) -> None:
    if text_column is None or text_column not in record:
        return
    value = record[text_column]
    if value is None or isinstance(value, str):
        return
    if isinstance(value, float) and value != value:  # NaN: a missing text
        return
    raise _Bad(f"{text_column!r} is {type(value).__name__}, not text")


def _decoded_lines(handle: BinaryIO, path: Path) -> Iterator[tuple[int, str | None]]:
    """(line number, text) for each line; text None when the bytes are not UTF-8.
    A UTF-8 byte order mark is dropped; a UTF-16 one is an error."""
    for number, raw in enumerate(handle, start=1):
        if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        elif number == 1 and raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
            raise InputFileError(f"{path}: line 1: the file is UTF-16; save it as UTF-8")
        try:
            yield number, raw.decode("utf-8")
        except UnicodeDecodeError:
            yield number, None


def _lines(path: Path, gz: bool = False) -> Iterator[tuple[int, str | None]]:
    """``_decoded_lines`` of the file; a read that fails (a cut or damaged gzip stream, a
    failing disk) is an InputFileError naming the line it reached."""
    number = 0
    with (gzip.open if gz else open)(path, "rb") as handle:
        try:
            for number, line in _decoded_lines(handle, path):
                yield number, line
        except (OSError, EOFError) as exc:
            raise InputFileError(
                f"{path}: line {number + 1}: cannot read, the file is cut short or damaged "
                f"({exc}); {number} lines were read"
            ) from None


def _jsonl_records(path: Path, gz: bool) -> Iterator[tuple[int, dict[str, Any] | _Bad]]:
    for number, line in _lines(path, gz):
        if line is None:
            yield number, _Bad("bytes that are not UTF-8")
            continue
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            yield number, _Bad(f"malformed JSON ({exc.msg})")
            continue
        if not isinstance(obj, dict):
            yield number, _Bad("expected a JSON object")
            continue
        if _ESCAPED_SURROGATE.search(line):
            obj = {k: _no_surrogates(v) for k, v in obj.items()}
        yield number, obj


# JSON can escape a lone surrogate ("\ud800"), which no UTF-8 writer or tokenizer accepts
_ESCAPED_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")


def _no_surrogates(value: Any) -> Any:
    """A string with each lone surrogate code point replaced by U+FFFD; other values as given."""
    if isinstance(value, str):
        return re.sub("[\ud800-\udfff]", "\ufffd", value)
    return value


def _csv_records(
    path: Path, text_column: str | None
) -> Iterator[tuple[int, dict[str, Any] | _Bad]]:
    undecodable: set[int] = set()

    def text_lines() -> Iterator[str]:
        for number, line in _lines(path):
            if line is None:
                undecodable.add(number)
                line = "\n"  # stands in for the bad line; its record is reported
            yield line

    reader = csv.reader(text_lines())
    first = 1  # the line on which the next record starts

    def next_record() -> list[str] | None:
        try:
            return next(reader, None)
        except csv.Error as exc:  # a cell over the size limit, usually an unclosed quote
            raise InputFileError(
                f"{path}: line {first}: cannot read this CSV record ({exc}; an unclosed quote?)"
            ) from None

    header = next_record()
    if header is None:
        raise InputFileError(f"{path}: empty file")
    if 1 in undecodable:
        raise InputFileError(f"{path}: line 1: the header has bytes that are not UTF-8")
    if header in ([], [""]):
        raise InputFileError(f"{path}: line 1: the header is empty")
    twice = sorted({n for n in header if n and header.count(n) > 1})
    if twice:
        raise InputFileError(f"{path}: line 1: the header names column {twice[0]!r} twice")
    if text_column is not None and text_column not in header:
        raise _no_column(path, text_column, header)
    first = reader.line_num + 1
    while (fields := next_record()) is not None:
        lines = range(first, reader.line_num + 1)
        record_line, first = first, reader.line_num + 1
        if not fields or fields == [""]:
            if any(n in undecodable for n in lines):
                yield record_line, _Bad("bytes that are not UTF-8")
            continue
        if any(n in undecodable for n in lines):
            yield record_line, _Bad("bytes that are not UTF-8")
        elif len(fields) != len(header):
            yield record_line, _Bad(f"{len(fields)} fields where the header has {len(header)}")
        else:
            yield record_line, dict(zip(header, fields))


def _grouped(
    records: Iterator[tuple[int, dict[str, Any] | _Bad]],
    path: Path,
    chunk_size: int,
    text_column: str | None,
    bad: list[BadRow] | None,
) -> Iterator[Rows]:
    rows: list[dict[str, Any]] = []
    lines: list[int] = []
    seen = False  # whether an earlier chunk had the text column

    def chunk() -> Rows:
        nonlocal seen
        frame = pd.DataFrame(rows)
        if text_column is not None and text_column not in frame.columns and seen:
            frame[text_column] = None  # JSON lines may leave out a missing text's key
        seen = seen or text_column in frame.columns
        return Rows(frame, lines)

    for number, record in records:
        if not isinstance(record, _Bad):
            try:
                _check_text(record, text_column)
            except _Bad as exc:
                record = exc
        if isinstance(record, _Bad):
            if bad is None:
                raise InputFileError(f"{path}: line {number}: {record.problem}")
            bad.append(BadRow(number, record.problem))
            continue
        rows.append(record)
        lines.append(number)
        if len(rows) >= chunk_size:
            yield chunk()
            rows, lines = [], []
    if rows:
        yield chunk()


def _parquet_rows(
    path: Path, chunk_size: int, text_column: str | None, bad: list[BadRow] | None
) -> Iterator[Rows]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        handle = pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises several types for damaged files
        raise InputFileError(f"{path}: not a readable Parquet file ({exc})") from None
    schema = handle.schema_arrow
    if text_column is not None:
        if text_column not in schema.names:
            raise _no_column(path, text_column, schema.names)
        kind = schema.field(text_column).type
        if pa.types.is_dictionary(kind):  # pandas' categorical columns
            kind = kind.value_type
        if not (
            pa.types.is_string(kind)
            or pa.types.is_large_string(kind)
            or pa.types.is_string_view(kind)
            or pa.types.is_null(kind)
        ):
            raise InputFileError(
                f"{path}: column {text_column!r} holds {schema.field(text_column).type}, not text"
            )
    start = 1
    batches = handle.iter_batches(batch_size=chunk_size)
    while True:
        try:
            batch = next(batches, None)
        except (pa.ArrowException, OSError) as exc:  # a damaged row group
            raise InputFileError(f"{path}: row {start}: cannot read ({exc})") from None
        if batch is None:
            return
        frame = batch.to_pandas()
        yield Rows(frame, list(range(start, start + len(frame))))
        start += len(frame)


def read_rows(
    path: str | Path,
    chunk_size: int = 10_000,
    *,
    text_column: str | None = None,
    bad: list[BadRow] | None = None,
) -> Iterator[Rows]:
    """Stream the table in chunks of good rows, each with its line (or row) numbers.

    A row that cannot be read (malformed JSON, bytes that are not UTF-8, a CSV record with
    the wrong number of fields, or a ``text_column`` cell that is a number, list or object)
    raises InputFileError naming the file and line; when ``bad`` is a list, the row is
    appended to it as a BadRow and skipped instead. CSV cells are kept as str; a UTF-8 BOM
    is dropped. An empty (0-byte) file, a missing ``text_column`` in a CSV header or Parquet
    schema, a Parquet text column that is not a string type, a CSV header that is empty or
    names a column twice, a cut gzip stream and a CSV cell over the csv module's size limit
    (an unclosed quote) are InputFileErrors whatever ``bad`` is. A CSV with a header only,
    or a JSONL file of blank lines, yields no chunks.
    """
    path = Path(path)
    if not path.is_file():
        raise InputFileError(f"input file not found: {path}")
    fmt = table_format(path)
    if path.stat().st_size == 0:
        raise InputFileError(f"{path}: empty file (0 bytes)")
    if fmt == ".parquet":
        yield from _parquet_rows(path, chunk_size, text_column, bad)
        return
    if fmt == ".csv":
        records = _csv_records(path, text_column)
    else:
        records = _jsonl_records(path, fmt == ".jsonl.gz")
    try:
        yield from _grouped(records, path, chunk_size, text_column, bad)
    except (OSError, EOFError, csv.Error) as exc:
        if isinstance(exc, FileNotFoundError):
            raise
        raise InputFileError(f"{path}: cannot read ({exc})") from None


def read_chunks(path: str | Path, chunk_size: int = 10_000) -> Iterator[pd.DataFrame]:
    """Yield the table in DataFrames of at most ``chunk_size`` rows (CSV cells as str);
    the first unreadable row raises InputFileError with its line number."""
    for rows in read_rows(path, chunk_size):
        yield rows.frame


def write_frame(handle: BinaryIO, df: pd.DataFrame, fmt: str, *, header: bool = True) -> None:
    """Write ``df`` as a complete file of format ``fmt`` to the binary ``handle``.

    CSV joins list cells of ``labels`` with ``;`` and writes the header row only when
    ``header`` is true; .jsonl.gz writes one gzip member. The handle is left open.
    """
    if fmt == ".parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        pq.write_table(pa.Table.from_pandas(df, preserve_index=False), handle)
        return
    gz = (
        gzip.GzipFile(filename="", fileobj=handle, mode="wb", mtime=0)
        if fmt == ".jsonl.gz"
        else None
    )
    text = io.TextIOWrapper(gz or handle, encoding="utf-8", newline="")
    if fmt == ".csv":
        out = df.copy()
        if "labels" in out.columns:
            out["labels"] = [";".join(v) for v in out["labels"]]
        out.to_csv(text, index=False, header=header, quoting=csv.QUOTE_MINIMAL)
    else:
        for record in df.to_dict(orient="records"):
            text.write(json.dumps(_jsonable(record), ensure_ascii=False) + "\n")
    text.flush()
    text.detach()
    if gz is not None:
        gz.close()  # writes the gzip trailer; the handle stays open


def concat_files(sources: Sequence[Path], handle: BinaryIO, fmt: str) -> None:
    """Stream files written by ``write_frame`` into one file of format ``fmt``.

    CSV (header only in the first), JSONL and gzip members are joined byte for byte;
    Parquet row groups are copied one at a time, cast to the first file's schema.
    """
    if fmt != ".parquet":
        for source in sources:
            with open(source, "rb") as part:
                shutil.copyfileobj(part, handle, 1024 * 1024)
        return
    import pyarrow.parquet as pq

    writer = None
    try:
        for source in sources:
            part = pq.ParquetFile(source)
            if writer is None:
                writer = pq.ParquetWriter(handle, part.schema_arrow)
            for group in range(part.num_row_groups):
                writer.write_table(part.read_row_group(group).cast(writer.schema))
    finally:
        if writer is not None:
            writer.close()


def count_rows(path: str | Path) -> int | None:
    """The number of rows, when it is cheap to know: Parquet metadata always; CSV and JSONL
    by counting lines only below ``COUNT_LIMIT`` bytes (compressed: a fifth of it).
    An estimate for CSV with line breaks inside quoted cells; None when not counted."""
    path = Path(path)
    fmt = table_format(path)
    if fmt == ".parquet":
        import pyarrow.parquet as pq

        try:
            return int(pq.ParquetFile(path).metadata.num_rows)
        except Exception:  # unreadable files fail with a clear error when they are read
            return None
    size = path.stat().st_size
    if size > (COUNT_LIMIT // 5 if fmt == ".jsonl.gz" else COUNT_LIMIT):
        return None
    opener = gzip.open if fmt == ".jsonl.gz" else open
    lines = 0
    last = b"\n"
    try:
        with opener(path, "rb") as handle:
            while block := handle.read(1024 * 1024):
                lines += block.count(b"\n")
                last = block[-1:]
    except (OSError, EOFError):
        return None
    lines += last != b"\n"
    return max(lines - 1, 0) if fmt == ".csv" else lines


def _jsonable(record: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for key, value in record.items():
        if hasattr(value, "item") and not isinstance(value, (list, dict, str)):
            try:
                value = value.item()
            except (ValueError, AttributeError):
                value = value.tolist()
        elif hasattr(value, "tolist"):
            value = value.tolist()
        if isinstance(value, float) and value != value:
            value = None
        out[str(key)] = value
    return out
