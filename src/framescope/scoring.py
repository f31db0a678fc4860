"""score_file: stream a table (or a folder of tables) through a classifier and write it back
with labels and scores, resumably (see resumable.py)."""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from tqdm.auto import tqdm

from .classifier import FrameClassifier, default_batch_size
from .errors import FramescopeError, InputFileError, OutputError
from .interrupts import check as check_interrupts
from .resumable import PartStore, digest, work_dir, write_error
from .tables import FORMATS, BadRow, Rows, count_rows, read_rows, suggest_column, table_format

log = logging.getLogger(__name__)

MANIFEST_VERSION = 2  # 2: a windows column, and long texts scored in windows, not truncated
ON_ERROR = ("raise", "skip")
BAD_ROWS_SUFFIX = ".bad_rows.csv"


@dataclass(frozen=True)
class ScoreSummary:
    """What a run produced: ``rows`` in the output(s), of which ``resumed`` were scored by an
    earlier, interrupted run; ``seconds`` is this run's time. For a folder, totals over its
    ``files`` and ``output`` is the output folder."""

    rows: int
    seconds: float
    output: Path
    empty_texts: int
    files: int = 1
    resumed: int = 0
    bad_rows: int = 0

    @property
    def rate(self) -> float:
        """Statements scored per second by this run."""
        scored = self.rows - self.resumed
        return scored / self.seconds if self.seconds > 0 else 0.0

    def __str__(self) -> str:
        plural = "s" if self.files != 1 else ""
        many = self.files != 1 or self.output.is_dir()
        files = f" from {self.files} file{plural}" if many else ""
        resumed = f", {self.resumed} resumed" if self.resumed else ""
        bad = (
            f"; {self.bad_rows} bad rows skipped (see *{BAD_ROWS_SUFFIX})" if self.bad_rows else ""
        )
        return (
            f"scored {self.rows} rows{files} in {self.seconds:.1f} s "
            f"({self.rate:.1f} statements/s{resumed}) -> {self.output}{bad}"
        )


@dataclass(frozen=True)
class _Settings:
    text_column: str
    batch_size: int
    chunk_size: int
    progress: bool
    resume: bool
    on_error: str


def score_file(
    input_path: str | Path,
    output_path: str | Path,
    model: FrameClassifier | str | Path | None = None,
    *,
    text_column: str = "text",
    batch_size: int | None = None,
    chunk_size: int = 4096,
    progress: bool = True,
    resume: bool = False,
    device: str = "auto",
    precision: str = "auto",
    runtime: str = "auto",
    on_error: str = "raise",
) -> ScoreSummary:
    """Score every row of ``input_path`` and write ``output_path`` (format by extension).

    Every input column is kept; ``labels``, one ``score_<label>`` column per label and
    ``windows`` (how many windows a long text was scored in) are added. Input is read in
    chunks of ``chunk_size`` rows; each scored chunk is kept as a part file in the hidden
    folder ``.<output>.partial`` beside the output, and the parts are joined and renamed
    into place only when all are done, so the output is never half-written. After a failure
    or an interruption, ``resume=True`` keeps the completed parts and scores only the rest;
    without it an unfinished run's folder is an error. A sidecar ``<output>.meta.json``
    records the model, its codebook and thresholds.
    Empty or missing texts get no label.

    ``model`` is a loaded FrameClassifier, a model folder, or None for the default model;
    a folder is loaded with ``device``, ``precision`` and ``runtime`` (see
    ``FrameClassifier.load``; ``auto`` means ONNX Runtime in float32 on a CPU, bfloat16 or
    float16 on a GPU). ``batch_size`` defaults to the device's (default_batch_size).

    A row that cannot be read (malformed JSON, bytes that are not UTF-8, a CSV record with
    the wrong number of fields, a text that is a number or an object) stops the run with
    an InputFileError naming its line, and no output is written. With ``on_error="skip"``
    such rows are left out and listed (line and problem) in ``<output>.bad_rows.csv``.

    When ``input_path`` is a folder, each .csv/.jsonl/.jsonl.gz/.parquet file in it (not
    recursively, by name) is scored into the folder ``output_path`` under the same name;
    with ``resume=True`` outputs finished earlier are skipped.
    """
    input_path, output_path = Path(input_path), Path(output_path)
    if chunk_size < 1 or (batch_size is not None and batch_size < 1):
        raise FramescopeError("chunk_size and batch_size must be at least 1")
    if on_error not in ON_ERROR:
        raise FramescopeError(f"on_error must be 'raise' or 'skip', not {on_error!r}")
    if input_path.is_dir():
        jobs = _folder_jobs(input_path, output_path, resume)
    else:
        _check_file_job(input_path, output_path)
    if isinstance(model, FrameClassifier):
        clf = model
    else:
        clf = FrameClassifier.load(model, device=device, precision=precision, runtime=runtime)
    batch = batch_size or default_batch_size(clf.device)
    log.info(
        "scoring on %s, runtime %s, %s, batches of %d",
        clf.device,
        clf.runtime,
        clf.precision,
        batch,
    )
    settings = _Settings(text_column, batch, chunk_size, progress, resume, on_error)
    if input_path.is_dir():
        return _score_folder(jobs, output_path, clf, settings)
    return _score_one(input_path, output_path, clf, settings)


# ---------------------------------------------------------------------- checks and set-up


def _check_file_job(input_path: Path, output_path: Path) -> None:
    if not input_path.is_file():
        raise InputFileError(f"input file not found: {input_path}")
    table_format(input_path), table_format(output_path)  # unsupported formats fail before work
    if input_path.stat().st_size == 0:
        raise InputFileError(f"{input_path}: empty file (0 bytes)")
    if input_path.resolve() == output_path.resolve():
        raise InputFileError(f"{output_path}: output would overwrite the input")


def _folder_jobs(folder: Path, output: Path, resume: bool) -> list[tuple[Path, Path]]:
    """(input, output) pairs for every table in ``folder``, checked before any work."""
    if output.exists() and not output.is_dir():
        raise InputFileError(f"{output}: the input is a folder, so the output must be one too")
    if output.resolve() == folder.resolve():
        raise InputFileError(f"{output}: output folder would overwrite the input files")
    inputs = sorted(
        p
        for p in folder.iterdir()
        if p.is_file() and not p.name.startswith(".") and _is_table(p.name)
    )
    if not inputs:
        raise InputFileError(f"{folder}: no {', '.join(FORMATS)} files in this folder")
    jobs = [(p, output / p.name) for p in inputs]
    if not resume:
        unfinished = [str(work_dir(dst)) for _, dst in jobs if work_dir(dst).exists()]
        if unfinished:
            raise InputFileError(
                f"{output}: unfinished runs left their parts in {', '.join(unfinished)}; "
                "pass --resume (resume=True) to continue them, or delete them to start over"
            )
    return jobs


def _is_table(name: str) -> bool:
    return any(name.lower().endswith(fmt) for fmt in FORMATS)


def _manifest(
    input_path: Path, output_path: Path, clf: FrameClassifier, settings: _Settings
) -> dict[str, Any]:
    """What must not change between an interrupted run and its resumption."""
    stat = input_path.stat()
    return {
        "version": MANIFEST_VERSION,
        "input": str(input_path.resolve()),
        "input_size": stat.st_size,
        "input_mtime_ns": stat.st_mtime_ns,
        "chunk_size": settings.chunk_size,
        "text_column": settings.text_column,
        "model": str(Path(clf.source).resolve()) if clf.source else "",
        "model_hash": digest(
            {
                "labels": clf.labels,
                "thresholds": clf.thresholds,
                "min_labels": clf.min_labels,
                "max_length": clf.max_length,
                "codebook": clf.codebook,
                "files": clf.config.get("files", {}),
            }
        ),
        "format": table_format(output_path),
    }


# ---------------------------------------------------------------------- scoring
def _cell_text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return value if isinstance(value, str) else str(value)


def _texts(chunk: pd.DataFrame, source: Path, text_column: str) -> list[str | None]:
    if text_column not in chunk.columns:
        raise InputFileError(
            f"{source}: no column {text_column!r}{suggest_column(text_column, list(chunk.columns))}"
        )
    return [_cell_text(v) for v in chunk[text_column].tolist()]


def _count_empty(cells: list[str | None]) -> int:
    return sum(1 for c in cells if c is None or not c.strip())


def score_frame(
    clf: FrameClassifier,
    frame: pd.DataFrame,
    text_column: str = "text",
    batch_size: int | None = None,
) -> pd.DataFrame:
    """``frame`` with ``labels``, one ``score_<label>`` column per label and ``windows`` added:
    what every engine writes for a chunk of rows. Missing or empty texts get no label, scores
    of 0 and 0 windows; a text longer than the model's ``max_length`` tokens is scored in
    overlapping windows, its score for a label the highest over them (see
    ``FrameClassifier.predict_logits``), and ``windows`` says how many there were."""
    return _score_chunk(clf, frame, _texts(frame, Path("input"), text_column), batch_size)


def _score_chunk(
    clf: FrameClassifier, chunk: pd.DataFrame, cells: list[str | None], batch_size: int | None
) -> pd.DataFrame:
    texts = [c or "" for c in cells]
    probs = clf.predict_proba(texts, batch_size=batch_size)
    decided = clf.decide(probs)
    out = chunk.copy()
    out["labels"] = [
        labels if (c is not None and c.strip()) else [] for c, labels in zip(cells, decided)
    ]
    for j, name in enumerate(clf.labels):
        out[f"score_{name}"] = probs[:, j]
    out["windows"] = clf.count_windows(texts)
    return out


def _skip(
    chunks: Iterator[Rows], store: PartStore, source: Path, text_column: str
) -> tuple[int, int]:
    """Read and discard the chunks that completed parts already cover: (rows, empty texts)."""
    rows = empty = 0
    for _ in range(store.done):
        chunk = next(chunks, None)
        if chunk is None:
            raise InputFileError(
                f"{source}: has fewer chunks than the {store.done} completed parts in "
                f"{store.folder}; delete that folder to start over"
            )
        rows += len(chunk.frame)
        empty += _count_empty(_texts(chunk.frame, source, text_column))
    return rows, empty


def _score_one(
    input_path: Path, output_path: Path, clf: FrameClassifier, settings: _Settings
) -> ScoreSummary:
    started = time.perf_counter()
    store = PartStore.open(
        output_path, _manifest(input_path, output_path, clf, settings), resume=settings.resume
    )
    try:
        bad: list[BadRow] | None = [] if settings.on_error == "skip" else None
        chunks = iter(
            read_rows(input_path, settings.chunk_size, text_column=settings.text_column, bad=bad)
        )
        resumed, empty = _skip(chunks, store, input_path, settings.text_column)
        rows = resumed
        with tqdm(
            total=count_rows(input_path) if settings.progress else None,
            initial=resumed,
            unit="stmt",
            desc=input_path.name,
            disable=not settings.progress,
        ) as bar:
            for chunk in chunks:
                cells = _texts(chunk.frame, input_path, settings.text_column)
                store.write(_score_chunk(clf, chunk.frame, cells, settings.batch_size))
                check_interrupts()  # a SIGTERM that a finalizer swallowed stops here
                empty += _count_empty(cells)
                rows += len(chunk.frame)
                bar.update(len(chunk.frame))
            bar.total = bar.n  # the line count is an estimate for CSV
        if rows == 0:
            raise InputFileError(f"{input_path}: no rows to score")
        seconds = time.perf_counter() - started
        skipped = bad or []
        bad_file = Path(f"{output_path}{BAD_ROWS_SUFFIX}")
        listed = bad_file if skipped else None
        meta = _meta(input_path, clf, rows, empty, seconds, len(skipped), listed)
        sidecars = {Path(f"{output_path}.meta.json"): meta}
        if skipped:
            sidecars[bad_file] = _bad_rows_csv(input_path, skipped)
        final = store.finish(sidecars)  # the output and its sidecars appear together
    except OutputError as exc:  # a full disk, say: the parts are good for a resume
        if store.keep():
            raise OutputError(
                f"{exc}; {store.done} completed part(s) kept in {store.folder}: once it is "
                "fixed, rerun with --resume to continue"
            ) from exc
        raise
    except FramescopeError:
        store.discard()  # a bad input file: its parts could not be resumed, so none are kept
        raise
    except BaseException:
        if store.keep():
            log.warning(
                "%s: %d completed part(s) kept in %s; rerun with --resume to continue",
                output_path,
                store.done,
                store.folder,
            )
        raise
    if skipped:
        log.warning("%s: %d bad rows skipped; listed in %s", input_path, len(skipped), bad_file)
    else:
        bad_file.unlink(missing_ok=True)  # a stale list from an earlier run would mislead
    store.discard()
    summary = ScoreSummary(rows, seconds, final, empty, resumed=resumed, bad_rows=len(skipped))
    log.debug("%s", summary)
    return summary


def _bad_rows_csv(input_path: Path, bad: list[BadRow]) -> str:
    """The text of ``<output>.bad_rows.csv``: file, line and problem of each skipped row."""
    frame = pd.DataFrame(
        {
            "file": str(input_path),
            "line": [b.line for b in bad],
            "problem": [b.problem for b in bad],
        }
    )
    return frame.to_csv(index=False)


def _meta(
    input_path: Path,
    clf: FrameClassifier,
    rows: int,
    empty: int,
    seconds: float,
    bad_rows: int = 0,
    bad_rows_file: Path | None = None,
) -> str:
    """The text of ``<output>.meta.json``."""
    meta = {
        "input": str(input_path),
        "rows": rows,
        "empty_texts": empty,
        "bad_rows": bad_rows,
        "bad_rows_file": str(bad_rows_file) if bad_rows_file else None,
        "seconds": round(seconds, 3),
        "model": clf.source or "",
        "codebook": clf.codebook,
        "labels": clf.labels,
        "thresholds": dict(zip(clf.labels, clf.thresholds, strict=True)),
    }
    return json.dumps(meta, indent=2) + "\n"


# ---------------------------------------------------------------------- folders
def _finished(output: Path) -> dict[str, Any] | None:
    """The sidecar of an output that an earlier run finished, else None."""
    if not output.is_file() or work_dir(output).exists():
        return None
    try:
        meta = json.loads(Path(f"{output}.meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return meta if isinstance(meta, dict) and isinstance(meta.get("rows"), int) else None


def _score_folder(
    jobs: list[tuple[Path, Path]], output: Path, clf: FrameClassifier, settings: _Settings
) -> ScoreSummary:
    started = time.perf_counter()
    try:
        output.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise write_error(output, exc) from exc
    rows = empty = resumed = bad = 0
    for number, (src, dst) in enumerate(jobs, start=1):
        done = _finished(dst) if settings.resume else None
        if done is not None:
            log.info("[%d/%d] %s: already scored, skipped", number, len(jobs), dst)
            rows += done["rows"]
            resumed += done["rows"]
            empty += int(done.get("empty_texts", 0))
            bad += int(done.get("bad_rows", 0))
            continue
        log.info("[%d/%d] scoring %s -> %s", number, len(jobs), src, dst)
        one = _score_one(src, dst, clf, settings)
        rows, empty, resumed = rows + one.rows, empty + one.empty_texts, resumed + one.resumed
        bad += one.bad_rows
    seconds = time.perf_counter() - started
    summary = ScoreSummary(
        rows, seconds, output, empty, files=len(jobs), resumed=resumed, bad_rows=bad
    )
    log.debug("%s", summary)
    return summary
