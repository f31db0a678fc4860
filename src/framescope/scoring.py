"""score_file: stream a table through a classifier and write it back with labels and scores."""

from __future__ import annotations

import json
import logging
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from .classifier import FrameClassifier
from .errors import InputFileError
from .tables import TableWriter, read_chunks, suggest_column, table_format

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ScoreSummary:
    rows: int
    seconds: float
    output: Path
    empty_texts: int

    @property
    def rate(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else 0.0

    def __str__(self) -> str:
        return (
            f"scored {self.rows} rows in {self.seconds:.1f} s "
            f"({self.rate:.1f} statements/s) -> {self.output}"
        )


def _cell_text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return value if isinstance(value, str) else str(value)


def score_file(
    input_path: str | Path,
    output_path: str | Path,
    model: FrameClassifier | str | Path | None = None,
    *,
    text_column: str = "text",
    batch_size: int = 64,
    chunk_size: int = 4096,
    progress: bool = True,
) -> ScoreSummary:
    """Score every row of ``input_path`` and write ``output_path`` (format by extension).

    Every input column is kept; ``labels`` and one ``score_<label>`` column per label are
    added. Input is read in chunks of ``chunk_size`` rows and written as it goes. Output is
    renamed into place only when complete; a sidecar ``<output>.meta.json`` records the
    model, its codebook and thresholds. Empty or missing texts get no label.
    """
    output_path = Path(output_path)
    if not Path(input_path).is_file():
        raise InputFileError(f"input file not found: {input_path}")
    table_format(input_path), table_format(output_path)  # unsupported formats fail before work
    if Path(input_path).resolve() == output_path.resolve():
        raise InputFileError(f"{output_path}: output would overwrite the input")
    clf = model if isinstance(model, FrameClassifier) else FrameClassifier.load(model)
    started = time.perf_counter()
    writer = TableWriter(output_path)
    rows = empty = 0
    bar = tqdm(unit="stmt", disable=not progress, desc="scoring")
    try:
        for chunk in read_chunks(input_path, chunk_size):
            if text_column not in chunk.columns:
                raise InputFileError(
                    f"{input_path}: no column {text_column!r}"
                    f"{suggest_column(text_column, list(chunk.columns))}"
                )
            cells = [_cell_text(v) for v in chunk[text_column].tolist()]
            empty += sum(1 for c in cells if c is None or not c.strip())
            probs = clf.predict_proba([c or "" for c in cells], batch_size=batch_size)
            decided = clf.decide(probs)
            out = chunk.copy()
            out["labels"] = [
                labels if (c is not None and c.strip()) else [] for c, labels in zip(cells, decided)
            ]
            for j, name in enumerate(clf.labels):
                out[f"score_{name}"] = probs[:, j]
            writer.write(out)
            rows += len(chunk)
            bar.update(len(chunk))
        if rows == 0:
            raise InputFileError(f"{input_path}: no rows to score")
        final = writer.commit()
    except BaseException:
        writer.abort()
        raise
    finally:
        bar.close()
    seconds = time.perf_counter() - started
    meta = {
        "input": str(input_path),
        "rows": rows,
        "empty_texts": empty,
        "seconds": round(seconds, 3),
        "model": clf.source or "",
        "codebook": clf.codebook,
        "labels": clf.labels,
        "thresholds": dict(zip(clf.labels, clf.thresholds, strict=True)),
    }
    Path(f"{final}.meta.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    summary = ScoreSummary(rows, seconds, final, empty)
    log.debug("%s", summary)
    return summary
