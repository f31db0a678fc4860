"""Writing output folders: replaced whole, so that a failure never leaves a half-written one
in place, and only over a folder that holds nothing but an earlier output of the same kind."""

from __future__ import annotations

import io
import shutil
import tempfile
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import OutputError

if TYPE_CHECKING:
    from matplotlib.figure import Figure


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


def check_replaceable(out_dir: Path, ours: Collection[str], what: str) -> None:
    """Refuse to replace ``out_dir`` when it is a file or holds files other than ``ours``
    (the files an earlier ``what``, "report" or "summary", writes)."""
    if not out_dir.exists():
        return
    if not out_dir.is_dir():
        raise OutputError(f"{out_dir} is a file, not a folder for the {what}")
    others = sorted(p.name for p in out_dir.iterdir() if p.name not in ours)
    if others:
        raise OutputError(
            f"{out_dir} holds files that are not part of a {what} ({', '.join(others[:3])}"
            f"{', ...' if len(others) > 3 else ''}); write the {what} to a new or empty folder"
        )


def png_bytes(fig: Figure) -> bytes:
    """``fig`` as PNG bytes, without a timestamp or software tag, so reruns are identical."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, metadata={"Software": None})
    return buffer.getvalue()
