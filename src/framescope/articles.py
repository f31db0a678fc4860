"""Articles in, statements out: ``extract_file`` writes one row per extracted statement and
``score_articles`` adds the classifier's labels and scores to those rows.

Input: a .csv/.jsonl/.jsonl.gz/.parquet table of articles with columns ``id`` and ``text``
(other columns such as outlet, date, event, title are carried through to every statement
row), or a folder of .txt files (id = the file's stem). Output rows: article_id,
statement_index, text, speaker, speaker_description, kind, start, end, then the carried
article columns (a carried column whose name is already taken gets an ``article_`` prefix).
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from .errors import InputFileError
from .extraction import extract_statements
from .tables import read_rows, table_format, write_frame

if TYPE_CHECKING:
    from .classifier import FrameClassifier

log = logging.getLogger(__name__)

STATEMENT_COLUMNS = [
    "article_id",
    "statement_index",
    "text",
    "speaker",
    "speaker_description",
    "kind",
    "start",
    "end",
]


def read_articles(path: str | Path) -> pd.DataFrame:
    """The articles of a table file or of a folder of .txt files, as a DataFrame."""
    path = Path(path)
    if path.is_dir():
        files = sorted(path.glob("*.txt"))
        if not files:
            raise InputFileError(f"{path}: no .txt files in the folder")
        rows = []
        for file in files:
            try:
                rows.append({"id": file.stem, "text": file.read_text(encoding="utf-8")})
            except UnicodeDecodeError:
                raise InputFileError(f"{file}: not UTF-8 text") from None
        return pd.DataFrame(rows)
    frames = [rows.frame for rows in read_rows(path, text_column="text")]
    if not frames:
        raise InputFileError(f"{path}: no articles")
    frame = pd.concat(frames, ignore_index=True)
    for column in ("id", "text"):
        if column not in frame.columns:
            raise InputFileError(
                f"{path}: no column {column!r} (columns: {', '.join(map(str, frame.columns))})"
            )
    return frame


def statements_frame(articles: pd.DataFrame) -> pd.DataFrame:
    """One row per statement of every article (columns: the module docstring)."""
    carried = [c for c in articles.columns if c not in ("id", "text")]
    names = {c: (f"article_{c}" if c in STATEMENT_COLUMNS else c) for c in carried}
    rows = []
    for record in articles.to_dict(orient="records"):
        text = record.get("text")
        if not isinstance(text, str):
            continue
        for index, st in enumerate(extract_statements(text)):
            row = {
                "article_id": str(record["id"]),
                "statement_index": index,
                "text": st.text,
                "speaker": st.speaker,
                "speaker_description": st.speaker_description,
                "kind": st.kind,
                "start": st.start,
                "end": st.end,
            }
            row.update({names[c]: record[c] for c in carried})
            rows.append(row)
    return pd.DataFrame(rows, columns=STATEMENT_COLUMNS + [names[c] for c in carried])


def _frame(frame_or_path: pd.DataFrame | str | Path) -> pd.DataFrame:
    if isinstance(frame_or_path, pd.DataFrame):
        for column in ("id", "text"):
            if column not in frame_or_path.columns:
                raise InputFileError(f"articles: no column {column!r}")
        return frame_or_path
    return read_articles(frame_or_path)


def score_articles(
    frame_or_path: pd.DataFrame | str | Path,
    model: FrameClassifier | str | Path | None = None,
) -> pd.DataFrame:
    """Extract the statements of articles (a DataFrame with id and text, or a path as for
    ``read_articles``) and classify them: the statement rows with ``labels``, one
    ``score_<label>`` column per label and ``windows`` added."""
    from .classifier import FrameClassifier
    from .scoring import score_frame

    statements = statements_frame(_frame(frame_or_path))
    clf = model if isinstance(model, FrameClassifier) else FrameClassifier.load(model)
    if statements.empty:
        out = statements.copy()
        out["labels"] = pd.Series([], dtype=object)
        for name in clf.labels:
            out[f"score_{name}"] = pd.Series([], dtype=float)
        out["windows"] = pd.Series([], dtype=int)
        return out
    return score_frame(clf, statements)


def write_table(frame: pd.DataFrame, output: str | Path) -> Path:
    """Write ``frame`` in the format of ``output``'s extension, all or nothing."""
    output = Path(output)
    fmt = table_format(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(prefix=f".{output.name}.", dir=output.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            write_frame(out, frame, fmt)
        os.replace(tmp, output)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return output


def extract_file(input_path: str | Path, output_path: str | Path) -> pd.DataFrame:
    """Extract the statements of an articles file or folder and write them to a table."""
    table_format(output_path)  # an unsupported output format fails before any work
    statements = statements_frame(read_articles(input_path))
    write_table(statements, output_path)
    log.info("wrote %d statements to %s", len(statements), output_path)
    return statements
