"""Output that survives interruption: completed chunks kept as part files until the end.

While ``OUT`` is written, every completed chunk is a part file in the hidden work folder
``.OUT.partial/`` beside it (``part-000000.<ext>``, ...), written to a temporary name and
renamed, so a part exists only when complete. A ``manifest.json`` in the folder describes
the run (input, settings, model). ``PartStore.finish`` streams the parts into one file in
the work folder and renames it to ``OUT``, so ``OUT`` is never half-written; ``discard``
then removes the work folder. A failed or interrupted run leaves its completed parts in
place, and a later run with the same manifest (``resume=True``) continues after them.

A write that fails (a full disk, a read-only folder) removes its temporary file and raises
OutputError naming the output; the completed parts stay, ready for a resume.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
from pathlib import Path
from typing import Any

import pandas as pd

from .errors import InputFileError, OutputError
from .tables import concat_files, table_format, write_frame

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"
TMP_SUFFIX = ".tmp"


def write_error(output: str | Path, exc: OSError) -> OutputError:
    """The one-line OutputError for ``exc``, met while writing ``output``."""
    reason = (exc.strerror or str(exc) or type(exc).__name__).lower()
    return OutputError(f"cannot write {output}: {reason}")


def os_error(exc: BaseException) -> OSError | None:
    """The OSError behind ``exc``: itself, or the one that safetensors reports only in the
    message of its own error type; None for other failures."""
    if isinstance(exc, OSError):
        return exc
    found = re.search(r"os error (\d+)", str(exc))
    if type(exc).__name__ == "SafetensorError" and found:
        number = int(found.group(1))
        return OSError(number, os.strerror(number))
    return None


def work_dir(output: str | Path) -> Path:
    """The hidden folder beside ``output`` that holds the parts of an unfinished run."""
    output = Path(output)
    return output.parent / f".{output.name}.partial"


def digest(value: Any) -> str:
    """A short, stable hash of a JSON-serialisable value."""
    blob = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]


def _part_name(index: int, fmt: str) -> str:
    return f"part-{index:06d}{fmt}"


def _part_index(name: str, fmt: str) -> int | None:
    digits = name.removeprefix("part-").removesuffix(fmt)
    return int(digits) if name.startswith("part-") and digits.isdigit() else None


def _fsync(path: Path) -> None:
    with open(path, "rb+") as handle:
        os.fsync(handle.fileno())


def _fsync_replace(tmp: Path, final: Path) -> None:
    _fsync(tmp)
    os.replace(tmp, final)


def differences(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """``key (old then, new now)`` for each key whose value differs."""
    keys = sorted(set(old) | set(new))
    return [
        f"{k} ({old.get(k)!r} then, {new.get(k)!r} now)" for k in keys if old.get(k) != new.get(k)
    ]


class PartStore:
    """The completed parts of one output file; ``done`` counts them (parts 0..done-1)."""

    def __init__(self, output: Path, manifest: dict[str, Any], done: int) -> None:
        self.output = output
        self.folder = work_dir(output)
        self.format = table_format(output)
        self.manifest = manifest
        self.done = done

    # ------------------------------------------------------------------ opening
    @classmethod
    def open(cls, output: str | Path, manifest: dict[str, Any], *, resume: bool) -> PartStore:
        """Start a run for ``output``, or continue the unfinished one when ``resume``.

        Without ``resume`` an existing work folder is an error (it holds another run's
        parts); with it, the folder's manifest must equal ``manifest`` and the contiguous
        parts from part 0 are kept.
        """
        output = Path(output)
        folder = work_dir(output)
        done = 0
        if folder.exists():
            if not resume:
                raise InputFileError(
                    f"{output}: an unfinished run left its parts in {folder}; pass --resume "
                    f"(resume=True) to continue it, or delete {folder} to start over"
                )
            done = _adopt(folder, manifest, table_format(output))
            if done:
                log.info("resuming %s: %d completed part(s) in %s", output, done, folder)
        elif resume:
            log.info("no unfinished run for %s (no %s); starting fresh", output, folder.name)
        if not done:
            fresh = not folder.exists()
            try:
                _create(folder, manifest)
            except OSError as exc:
                if fresh:
                    shutil.rmtree(folder, ignore_errors=True)
                raise write_error(output, exc) from exc
        return cls(output, manifest, done)

    # ------------------------------------------------------------------ writing
    def parts(self) -> list[Path]:
        return [self.folder / _part_name(i, self.format) for i in range(self.done)]

    def write(self, df: pd.DataFrame) -> Path:
        """Add ``df`` as the next part; the part file appears only once it is complete."""
        final = self.folder / _part_name(self.done, self.format)
        tmp = self.folder / f".{final.name}{TMP_SUFFIX}"
        try:
            with open(tmp, "wb") as handle:
                write_frame(handle, df, self.format, header=self.done == 0)
            _fsync_replace(tmp, final)
        except BaseException as exc:
            tmp.unlink(missing_ok=True)
            if isinstance(exc, OSError):
                raise write_error(self.output, exc) from exc
            raise
        self.done += 1
        return final

    def finish(self, sidecars: dict[Path, str] | None = None) -> Path:
        """Stream the parts into one file and rename it to the output (atomically).

        Each of ``sidecars`` (path: text) is first written in the work folder, and all are
        renamed into place just before the output, so a failure (a full disk, say) leaves
        neither the output nor a sidecar; the parts stay for a resume."""
        if not self.done:
            raise InputFileError(f"{self.output}: nothing to write (the input had no rows)")
        assembled = self.folder / f".assembled{self.format}{TMP_SUFFIX}"
        staged = [
            (self.folder / f".sidecar-{i}{TMP_SUFFIX}", Path(path), text)
            for i, (path, text) in enumerate((sidecars or {}).items())
        ]
        placed: list[Path] = []
        try:
            with open(assembled, "wb") as handle:
                concat_files(self.parts(), handle, self.format)
            _fsync(assembled)
            for tmp, _, text in staged:
                tmp.write_text(text, encoding="utf-8")
                _fsync(tmp)
            for tmp, path, _ in staged:
                os.replace(tmp, path)
                placed.append(path)
            os.replace(assembled, self.output)
        except BaseException as exc:
            for path in [*placed, assembled, *(tmp for tmp, _, _ in staged)]:
                path.unlink(missing_ok=True)
            if isinstance(exc, OSError):
                raise write_error(self.output, exc) from exc
            raise
        return self.output

    # ------------------------------------------------------------------ ending
    def discard(self) -> None:
        """Remove the work folder (after ``finish``, or when there is nothing to keep)."""
        shutil.rmtree(self.folder, ignore_errors=True)

    def keep(self) -> int:
        """After a failure: keep the completed parts for a resume and return their number;
        a folder without any is removed."""
        if not self.done:
            self.discard()
        return self.done


def _create(folder: Path, manifest: dict[str, Any]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.iterdir():  # an empty run's leftovers: nothing worth keeping
        stale.unlink()
    tmp = folder / f".{MANIFEST}{TMP_SUFFIX}"
    tmp.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    _fsync_replace(tmp, folder / MANIFEST)


def _read_manifest(folder: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _adopt(folder: Path, manifest: dict[str, Any], fmt: str) -> int:
    """Check an existing work folder against ``manifest``, tidy it and count its parts."""
    for tmp in folder.glob(f".*{TMP_SUFFIX}"):  # a killed run's half-written files
        tmp.unlink()
    done = 0
    while (folder / _part_name(done, fmt)).is_file():
        done += 1
    if not done:  # nothing worth keeping, whatever run it was
        return 0
    recorded = _read_manifest(folder)
    if recorded is None:
        raise InputFileError(
            f"{folder}: no readable {MANIFEST}, so its parts cannot be trusted; "
            "delete the folder to start over"
        )
    diffs = differences(recorded, manifest)
    if diffs:
        raise InputFileError(
            f"cannot resume from {folder}: it was made with a different "
            f"{'; '.join(diffs)}; rerun with the same input and settings, or delete the "
            "folder to start over"
        )
    for stray in folder.glob(f"part-*{fmt}"):  # parts after a gap cannot be continued
        index = _part_index(stray.name, fmt)
        if index is not None and index > done:
            log.warning("removing %s: it does not follow the completed parts", stray)
            stray.unlink()
    return done
