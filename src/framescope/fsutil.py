"""Writing folders so that a failure never leaves a half-written one in place."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def replacing_directory(target: Path) -> Iterator[Path]:
    """Yield a fresh staging folder beside ``target``. When the block succeeds the staging
    folder takes ``target``'s place; when it fails the staging folder is removed and
    ``target`` is left as it was."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        yield staging
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
