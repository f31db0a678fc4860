"""Corpus-level requirements a codebook can declare (``corpus_requirements`` in its YAML):
size, label balance, cue-word independence, near-copies, split shares and coverage.

``framescope validate`` checks them, so a corpus cannot quietly fall below them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from .codebook import Codebook

KNOWN = {
    "min_statements",
    "min_positives_per_label",
    "min_none_share",
    "min_multi_label_share",
    "min_hard_share",
    "min_cue_free_share",
    "min_cue_negatives",
    "max_near_copy_share",
    "near_copy_cosine",
    "min_test_share",
    "min_events",
    "min_countries",
    "min_speaker_types",
}


def has_cue(text: str, cues: tuple[str, ...] | list[str]) -> bool:
    """Case-insensitive substring match of any cue."""
    low = text.lower()
    return any(cue.lower() in low for cue in cues)


def near_copy_lines(texts: list[str], threshold: float) -> list[tuple[int, int, float]]:
    """Pairs (i, j, cosine) with TF-IDF cosine >= threshold, i < j."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    if len(texts) < 2:
        return []
    X = TfidfVectorizer().fit_transform(texts)
    pairs = []
    for start in range(0, len(texts), 1000):
        S = (X[start : start + 1000] @ X.T).toarray()
        for i, row in enumerate(S):
            gi = start + i
            for j in np.flatnonzero(row >= threshold):
                if j > gi:
                    pairs.append((gi, int(j), float(row[j])))
    return pairs


def check_requirements(rows: list[dict[str, Any]], codebook: Codebook) -> list[str]:
    """Messages for every declared requirement the corpus misses (empty list: all met)."""
    req: Mapping[str, Any] = codebook.extra.get("corpus_requirements") or {}
    unknown = sorted(set(req) - KNOWN)
    problems = [f"unknown corpus requirement {name!r}" for name in unknown]
    n = len(rows)
    if not req or n == 0:
        return problems

    def share(count: int) -> str:
        return f"{count}/{n} = {count / n:.1%}"

    if n < req.get("min_statements", 0):
        problems.append(f"{n} statements, fewer than the required {req['min_statements']}")
    for key, count, what in (
        ("min_none_share", sum(not r["labels"] for r in rows), "with no label"),
        ("min_multi_label_share", sum(len(r["labels"]) > 1 for r in rows), "with 2+ labels"),
        ("min_hard_share", sum(bool(r.get("hard")) for r in rows), "marked hard"),
        ("min_test_share", sum(r.get("split") == "test" for r in rows), "in test"),
    ):
        if key in req and count / n < req[key]:
            problems.append(f"statements {what}: {share(count)}, below {req[key]:.0%}")
    for key, field, what in (
        ("min_events", "event", "events"),
        ("min_countries", "country", "countries"),
        ("min_speaker_types", "speaker_type", "speaker types"),
    ):
        found = len({r.get(field) for r in rows if r.get(field)})
        if found < req.get(key, 0):
            problems.append(f"{found} {what}, fewer than the required {req[key]}")
    for spec in codebook.labels:
        pos = [r for r in rows if spec.name in r["labels"]]
        if len(pos) < req.get("min_positives_per_label", 0):
            problems.append(
                f"label {spec.name!r}: {len(pos)} positives, fewer than "
                f"{req['min_positives_per_label']}"
            )
        if not spec.cues:
            continue
        if "min_cue_free_share" in req and pos:
            free = sum(not has_cue(r["text"], spec.cues) for r in pos)
            if free / len(pos) < req["min_cue_free_share"]:
                problems.append(
                    f"label {spec.name!r}: {free}/{len(pos)} positives without its cue words, "
                    f"below {req['min_cue_free_share']:.0%}"
                )
        if "min_cue_negatives" in req:
            neg = sum(has_cue(r["text"], spec.cues) for r in rows if spec.name not in r["labels"])
            if neg < req["min_cue_negatives"]:
                problems.append(
                    f"label {spec.name!r}: {neg} negatives use its cue words, fewer than "
                    f"{req['min_cue_negatives']}"
                )
    if "max_near_copy_share" in req:
        pairs = near_copy_lines([r["text"] for r in rows], req.get("near_copy_cosine", 0.8))
        involved = {i for i, _, _ in pairs} | {j for _, j, _ in pairs}
        if len(involved) / n > req["max_near_copy_share"]:
            worst = ", ".join(f"{rows[i]['id']}~{rows[j]['id']}" for i, j, _ in pairs[:5])
            problems.append(
                f"near-copies: {share(len(involved))} of statements, above "
                f"{req['max_near_copy_share']:.0%} (e.g. {worst})"
            )
    return problems
