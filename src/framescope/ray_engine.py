"""``framescope score --engine ray``: the same scorer on Ray Data, for many machines.

Reads a Parquet or JSONL file or folder with Ray Data, scores it with ``map_batches`` over a
pool of actors (each loads the model once; with GPUs, one GPU an actor) and writes a folder
of files in the input's format with the same columns as the local engine. Ray connects to
``address``, else to $RAY_ADDRESS, else starts a local instance. Needs the optional extra:
``pip install 'framescope[ray]'``. The model folder must be readable at the same path on
every node (a shared file system, or the same checkout everywhere).
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import Any

import pandas as pd

from .errors import FramescopeError, InputFileError
from .scoring import ScoreSummary, score_frame

log = logging.getLogger(__name__)

RAY_FORMATS = (".parquet", ".jsonl")


class _Scorer:
    """A Ray actor: loads the model once, then scores each batch it is given."""

    def __init__(self, model: str | None, options: dict[str, Any]) -> None:
        from .classifier import FrameClassifier, default_batch_size

        self.clf = FrameClassifier.load(
            model,
            device=options["device"],
            precision=options["precision"],
            runtime=options["runtime"],
        )
        self.text_column = options["text_column"]
        self.batch_size = options["batch_size"] or default_batch_size(self.clf.device)

    def __call__(self, batch: pd.DataFrame) -> pd.DataFrame:
        return score_frame(self.clf, batch, self.text_column, self.batch_size)


def _format_of(path: Path) -> str:
    files = sorted(path.iterdir()) if path.is_dir() else [path]
    kinds = {f.suffix.lower() for f in files if f.suffix.lower() in RAY_FORMATS}
    if len(kinds) != 1:
        found = ", ".join(sorted(kinds)) or "none"
        raise InputFileError(
            f"{path}: the Ray engine reads one format, .parquet or .jsonl (found: {found})"
        )
    return kinds.pop()


def _connect(address: str | None, quiet: bool) -> None:
    import ray

    if ray.is_initialized():
        return
    target = address or os.environ.get("RAY_ADDRESS") or None
    log.info("Ray: %s", f"connecting to {target}" if target else "starting a local instance")
    ray.init(address=target, include_dashboard=False, log_to_driver=not quiet)


def score_with_ray(
    input_path: str | Path,
    output_path: str | Path,
    model: str | Path | None = None,
    *,
    text_column: str = "text",
    batch_size: int | None = None,
    chunk_size: int = 4096,
    device: str = "auto",
    precision: str = "auto",
    runtime: str = "auto",
    actors: int | None = None,
    gpus_per_actor: float | None = None,
    address: str | None = None,
    quiet: bool = False,
) -> ScoreSummary:
    """Score a Parquet/JSONL file or folder into the folder ``output_path`` on Ray Data.

    ``actors``: size of the actor pool (default: the cluster's GPUs when it has any, else
    its CPUs). ``gpus_per_actor``: default 1 when the cluster has GPUs, else 0.
    ``chunk_size`` rows go to an actor at a time; ``batch_size`` statements to the model.
    Output rows hold every input column plus ``labels``, ``score_<label>`` and ``windows``
    (how many windows of the model's max length each text was scored in); files are
    written in the input's format, in no particular order of rows across files.
    """
    try:
        import ray
    except ImportError:
        raise FramescopeError(
            "the Ray engine needs Ray Data: pip install 'framescope[ray]'"
        ) from None
    input_path, output_path = Path(input_path), Path(output_path)
    if not input_path.exists():
        raise InputFileError(f"input not found: {input_path}")
    fmt = _format_of(input_path)
    if output_path.exists() and (not output_path.is_dir() or any(output_path.iterdir())):
        raise InputFileError(f"{output_path}: the Ray engine writes a new, empty folder")
    started = time.perf_counter()
    _connect(address, quiet)
    resources = ray.cluster_resources()
    gpus = resources.get("GPU", 0)
    per_actor = gpus_per_actor if gpus_per_actor is not None else (1.0 if gpus else 0.0)
    pool = actors or max(1, int(gpus // per_actor) if per_actor else int(resources.get("CPU", 1)))
    options = {
        "device": device if per_actor else "cpu",
        "precision": precision,
        "runtime": runtime,
        "text_column": text_column,
        "batch_size": batch_size,
    }
    model_arg = str(Path(model).resolve()) if model is not None else None
    log.info("Ray: %d actor(s), %s GPU each", pool, per_actor)
    read = ray.data.read_parquet if fmt == ".parquet" else ray.data.read_json
    dataset = read(str(input_path.resolve()))
    scored = dataset.map_batches(
        _Scorer,
        fn_constructor_args=(model_arg, options),
        batch_size=chunk_size,
        batch_format="pandas",
        compute=ray.data.ActorPoolStrategy(size=pool),
        num_gpus=per_actor,
        num_cpus=1 if not per_actor else 0,
    )
    if fmt == ".parquet":
        scored.write_parquet(str(output_path.resolve()))
    else:
        scored.write_json(str(output_path.resolve()))
        for part in output_path.glob("*.json"):  # Ray names JSON-lines files .json
            part.rename(part.with_suffix(".jsonl"))
    rows, empty = _count_output(output_path, fmt, text_column)
    seconds = time.perf_counter() - started
    files = len(list(output_path.glob(f"*{fmt}")))
    return ScoreSummary(rows, seconds, output_path, empty_texts=empty, files=files)


def _count_output(folder: Path, fmt: str, text_column: str) -> tuple[int, int]:
    """(rows, rows with a missing or blank text) in the written files."""
    rows = empty = 0
    for part in sorted(folder.glob(f"*{fmt}")):
        if fmt == ".parquet":
            texts = pd.read_parquet(part, columns=[text_column])[text_column].tolist()
        else:
            texts = pd.read_json(part, lines=True, dtype=False).get(text_column, pd.Series())
            texts = texts.tolist()
        rows += len(texts)
        empty += sum(1 for t in texts if not isinstance(t, str) or not t.strip())
    return rows, empty
