"""Codebooks: the label set, its definitions and rules, read from YAML."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import CodebookError

_LABEL_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class LabelSpec:
    """One label of a codebook."""

    name: str
    definition: str = ""
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    cues: tuple[str, ...] = ()
    examples: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True)
class Codebook:
    """A named, versioned label set.

    ``min_labels`` is 0 when "none" (no label) is a valid answer and 1 when every
    statement must receive at least one label (the top-scoring label is then kept).
    """

    name: str
    version: str
    labels: tuple[LabelSpec, ...]
    description: str = ""
    min_labels: int = 0
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        if not self.name:
            raise CodebookError("codebook has no name")
        if not self.labels:
            raise CodebookError(f"codebook {self.name!r} defines no labels")
        names = [label.name for label in self.labels]
        for name in names:
            if not _LABEL_NAME.match(name):
                raise CodebookError(
                    f"codebook {self.name!r}: label {name!r} must be lowercase letters, "
                    "digits and underscores"
                )
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise CodebookError(f"codebook {self.name!r}: duplicate labels {dupes}")
        if self.min_labels not in (0, 1):
            raise CodebookError(f"codebook {self.name!r}: min_labels must be 0 or 1")

    @property
    def label_names(self) -> list[str]:
        """Label names in codebook order."""
        return [label.name for label in self.labels]

    @property
    def ref(self) -> str:
        """``name@version``, the identity carried by corpora, models and predictions."""
        return f"{self.name}@{self.version}"

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Codebook:
        """Build a codebook from a mapping; labels may be plain names or full entries."""
        if not isinstance(data, Mapping):
            raise CodebookError("a codebook must be a mapping with name, version and labels")
        missing = [key for key in ("name", "version", "labels") if key not in data]
        if missing:
            raise CodebookError(f"codebook is missing {', '.join(missing)}")
        labels = []
        for i, entry in enumerate(data["labels"] or []):
            if isinstance(entry, str):
                labels.append(LabelSpec(name=entry))
                continue
            if not isinstance(entry, Mapping) or "name" not in entry:
                raise CodebookError(f"codebook label #{i + 1} has no name")
            labels.append(
                LabelSpec(
                    name=str(entry["name"]),
                    definition=str(entry.get("definition", "")).strip(),
                    include=tuple(entry.get("include") or ()),
                    exclude=tuple(entry.get("exclude") or ()),
                    cues=tuple(entry.get("cues") or ()),
                    examples=tuple(entry.get("examples") or ()),
                )
            )
        known = {"name", "version", "labels", "description", "min_labels"}
        return cls(
            name=str(data["name"]),
            version=str(data["version"]),
            labels=tuple(labels),
            description=str(data.get("description", "")).strip(),
            min_labels=int(data.get("min_labels", 0)),
            extra={k: v for k, v in data.items() if k not in known},
        )

    @classmethod
    def from_yaml(cls, path: str | Path) -> Codebook:
        """Read a codebook YAML file (safe loader only)."""
        path = Path(path)
        if not path.is_file():
            raise CodebookError(f"codebook file not found: {path}")
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise CodebookError(f"{path}: not valid YAML ({exc})") from None
        try:
            return cls.from_dict(data)
        except CodebookError as exc:
            raise CodebookError(f"{path}: {exc}") from None

    def to_dict(self) -> dict[str, Any]:
        """A YAML/JSON-ready mapping that ``from_dict`` reads back."""
        out: dict[str, Any] = {
            "name": self.name,
            "version": self.version,
            "description": self.description,
            "min_labels": self.min_labels,
        }
        out.update(self.extra)
        out["labels"] = [
            {
                "name": label.name,
                "definition": label.definition,
                "include": list(label.include),
                "exclude": list(label.exclude),
                "cues": list(label.cues),
                "examples": list(label.examples),
            }
            for label in self.labels
        ]
        return out

    def to_yaml(self, path: str | Path) -> None:
        Path(path).write_text(
            yaml.safe_dump(self.to_dict(), sort_keys=False, allow_unicode=True), encoding="utf-8"
        )
