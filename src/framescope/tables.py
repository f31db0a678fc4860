"""Reading and writing statement tables by extension, in chunks.

Formats: .csv, .jsonl, .jsonl.gz, .parquet. ``read_chunks`` streams a table in DataFrames;
``write_frame`` writes one DataFrame as a complete file and ``concat_files`` streams such
files into one (see resumable.py for how scoring uses them to write output safely).
"""

from __future__ import annotations

import csv
import difflib
import gzip
import io
import json
import shutil
from collections.abc import Iterator, Sequence
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
    match = difflib.get_close_matches(name, [str(c) for c in columns], n=1, cutoff=0.4)
    hint = f"; did you mean {match[0]!r}?" if match else ""
    return f" (columns: {', '.join(map(str, columns))}){hint}"


def _jsonl_chunks(path: Path, chunk_size: int, gz: bool) -> Iterator[pd.DataFrame]:
    opener = gzip.open if gz else open
    try:
        with opener(path, "rt", encoding="utf-8-sig", newline="") as handle:
            rows: list[dict[str, Any]] = []
            for line_no, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise InputFileError(
                        f"{path}: line {line_no}: malformed JSON ({exc.msg})"
                    ) from None
                if not isinstance(obj, dict):
                    raise InputFileError(f"{path}: line {line_no}: expected a JSON object")
                rows.append(obj)
                if len(rows) >= chunk_size:
                    yield pd.DataFrame(rows)
                    rows = []
            if rows:
                yield pd.DataFrame(rows)
    except UnicodeDecodeError as exc:
        raise InputFileError(f"{path}: not UTF-8 text ({exc.reason})") from None
    except (OSError, EOFError) as exc:
        if isinstance(exc, FileNotFoundError):
            raise
        raise InputFileError(f"{path}: cannot read ({exc})") from None


def read_chunks(path: str | Path, chunk_size: int = 10_000) -> Iterator[pd.DataFrame]:
    """Yield the table in DataFrames of at most ``chunk_size`` rows (strings kept as str)."""
    path = Path(path)
    if not path.is_file():
        raise InputFileError(f"input file not found: {path}")
    fmt = table_format(path)
    if fmt == ".csv":
        try:
            yield from pd.read_csv(
                path,
                chunksize=chunk_size,
                dtype=str,
                keep_default_na=False,
                encoding="utf-8-sig",
            )
        except pd.errors.EmptyDataError:
            raise InputFileError(f"{path}: empty file") from None
        except (pd.errors.ParserError, UnicodeDecodeError) as exc:
            raise InputFileError(f"{path}: cannot parse CSV ({str(exc).strip()})") from None
    elif fmt in (".jsonl", ".jsonl.gz"):
        yield from _jsonl_chunks(path, chunk_size, gz=fmt == ".jsonl.gz")
    else:
        import pyarrow.parquet as pq

        try:
            handle = pq.ParquetFile(path)
        except Exception as exc:  # pyarrow raises several types for damaged files
            raise InputFileError(f"{path}: not a readable Parquet file ({exc})") from None
        for batch in handle.iter_batches(batch_size=chunk_size):
            yield batch.to_pandas()


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
