"""Reading and writing statement tables by extension, in chunks, with atomic output.

Formats: .csv, .jsonl, .jsonl.gz, .parquet. Output goes to a temporary file beside the
target and is renamed into place only when complete, so a failed run leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import csv
import difflib
import gzip
import io
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from .errors import InputFileError

FORMATS = (".csv", ".jsonl", ".jsonl.gz", ".parquet")


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


class TableWriter:
    """Appends DataFrame chunks to a temporary file; ``commit`` renames it into place."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.format = table_format(self.path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(
            prefix=f".{self.path.name}.", suffix=".part", dir=self.path.parent
        )
        os.close(fd)
        self.tmp = Path(tmp)
        self._handle: Any = None
        self._parquet: Any = None
        self._csv_header = True

    def write(self, df: pd.DataFrame) -> None:
        if self.format == ".parquet":
            import pyarrow as pa
            import pyarrow.parquet as pq

            table = pa.Table.from_pandas(df, preserve_index=False)
            if self._parquet is None:
                self._parquet = pq.ParquetWriter(str(self.tmp), table.schema)
            self._parquet.write_table(table.cast(self._parquet.schema))
            return
        if self._handle is None:
            if self.format == ".jsonl.gz":
                self._handle = io.TextIOWrapper(gzip.open(self.tmp, "wb"), encoding="utf-8")
            else:
                self._handle = open(self.tmp, "w", encoding="utf-8", newline="")
        if self.format == ".csv":
            out = df.copy()
            if "labels" in out.columns:
                out["labels"] = [";".join(v) for v in out["labels"]]
            out.to_csv(
                self._handle, index=False, header=self._csv_header, quoting=csv.QUOTE_MINIMAL
            )
            self._csv_header = False
        else:
            for record in df.to_dict(orient="records"):
                self._handle.write(json.dumps(_jsonable(record), ensure_ascii=False) + "\n")

    def _close(self) -> None:
        if self._parquet is not None:
            self._parquet.close()
            self._parquet = None
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    def commit(self) -> Path:
        self._close()
        if not self.tmp.exists() or (self.format == ".parquet" and self.tmp.stat().st_size == 0):
            raise InputFileError(f"{self.path}: nothing to write (the input had no rows)")
        umask = os.umask(0)
        os.umask(umask)
        self.tmp.chmod(0o666 & ~umask)  # mkstemp made it owner-only
        os.replace(self.tmp, self.path)
        return self.path

    def abort(self) -> None:
        with contextlib.suppress(Exception):
            self._close()
        with contextlib.suppress(FileNotFoundError):
            self.tmp.unlink()


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
