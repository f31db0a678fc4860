"""Errors a user can cause and fix. The CLI turns them into one line and exit code 2."""

from __future__ import annotations


class FramescopeError(Exception):
    """Base class for problems in the user's input, files or models (not bugs)."""


class CodebookError(FramescopeError):
    """A codebook file is missing, malformed or inconsistent."""


class InputFileError(FramescopeError):
    """An input file is missing, unreadable or lacks a required column."""


class ModelLoadError(FramescopeError):
    """A model directory is missing, incomplete or not trustworthy."""


class OutputError(FramescopeError):
    """An output cannot be written: no space left on the device, no permission, a read-only
    file system."""


class CorpusError(FramescopeError):
    """A corpus has problems; ``problems`` lists every one of them."""

    def __init__(self, source: str, problems: list) -> None:
        self.source = source
        self.problems = list(problems)
        first = self.problems[0] if self.problems else "no details"
        more = f" (and {len(self.problems) - 1} more)" if len(self.problems) > 1 else ""
        super().__init__(f"{source}: {first}{more}")


class SettingsError(FramescopeError, ValueError):
    """An impossible choice of device, precision or runtime (int8 on a GPU, say)."""
