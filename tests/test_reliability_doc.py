"""docs/reliability.md names a test for every case it lists; each named test must exist."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "reliability.md"
REFERENCE = re.compile(r"`(test_\w+\.py)::(\w+)`")


def _test_functions(file: Path) -> set[str]:
    tree = ast.parse(file.read_text(encoding="utf-8"))
    return {
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")
    }


def test_every_test_named_in_the_reliability_doc_exists():
    references = REFERENCE.findall(DOC.read_text(encoding="utf-8"))
    assert len(references) >= 60, "the doc should name a test for each case"
    missing = []
    for file_name, function in references:
        file = ROOT / "tests" / file_name
        if not file.is_file() or function not in _test_functions(file):
            missing.append(f"{file_name}::{function}")
    assert not missing, f"docs/reliability.md names tests that do not exist: {missing}"


def test_every_section_of_the_issue_has_cases():
    text = DOC.read_text(encoding="utf-8")
    sections = re.split(r"^## ", text, flags=re.M)[1:]
    titles = [s.splitlines()[0] for s in sections]
    assert [t.split(".")[0] for t in titles] == ["1", "2", "3", "4", "5", "6"], titles
    for section in sections:
        rows = [ln for ln in section.splitlines() if ln.startswith("| ") and "---" not in ln]
        assert len(rows) >= 4, f"section {section.splitlines()[0]!r} lists too few cases"
