"""Corpus statistics for the data card: sizes, label and event distributions, cue-word
independence, near-copies, lengths, and agreement with an independent second annotator.

    python benchmarks/corpus_stats.py [data/unrest-v1] [--markdown]
"""

from __future__ import annotations

import argparse
import json
import statistics
from collections import Counter
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import cohen_kappa_score, f1_score
from sklearn.metrics.pairwise import cosine_similarity

from framescope import Codebook


def has_cue(text: str, cues: list[str]) -> bool:
    low = text.lower()
    return any(cue.lower() in low for cue in cues)


def near_copies(texts: list[str], threshold: float = 0.8) -> int:
    """Statements that have at least one other statement at TF-IDF cosine >= threshold."""
    X = TfidfVectorizer().fit_transform(texts)
    flagged = np.zeros(len(texts), dtype=bool)
    for start in range(0, len(texts), 1000):
        S = cosine_similarity(X[start : start + 1000], X)
        for i in range(S.shape[0]):
            S[i, start + i] = 0
        flagged[start : start + 1000] = (S >= threshold).any(1)
    return int(flagged.sum())


def _read_labels(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def agreement(rows: list[dict], labels: list[str], folder: Path) -> list[str]:
    """Agreement between the two independent annotations (before adjudication)."""
    gold = {r["id"]: r["labels"] for r in _read_labels(folder / "first_annotator.jsonl")}
    second = _read_labels(folder / "second_annotator.jsonl")
    second = [s for s in second if s["id"] in gold]
    a = np.array([[name in gold[s["id"]] for name in labels] for s in second])
    b = np.array([[name in s["labels"] for name in labels] for s in second])
    out = [
        f"Two independent annotations of {len(second)} statements (a random sample; the second "
        "annotator saw only the text and the codebook), compared before adjudication.",
        "",
        "| label | positives (first / second) | Cohen's kappa | F1 between annotators |",
        "|---|---|---|---|",
    ]
    for j, name in enumerate(labels):
        kappa = cohen_kappa_score(a[:, j], b[:, j])
        f1 = f1_score(a[:, j], b[:, j], zero_division=0)
        out.append(f"| {name} | {a[:, j].sum()} / {b[:, j].sum()} | {kappa:.2f} | {f1:.2f} |")
    macro = f1_score(a, b, average="macro", zero_division=0)
    out.append(
        f"| **all** | | | macro-F1 {macro:.2f}, identical label sets {(a == b).all(1).mean():.0%} |"
    )
    adjudicated = folder / "adjudication.jsonl"
    if adjudicated.is_file():
        decisions = _read_labels(adjudicated)
        wins = {k: sum(d["winner"] == k for d in decisions) for k in ("a", "b", "neither")}
        out += [
            "",
            f"Adjudication: {len(decisions)} disagreements were decided against the codebook "
            f"(first annotator's labels kept {wins['a']} times, second's {wins['b']}, a third "
            f"set {wins['neither']}). The corpus holds the adjudicated labels; the rules that "
            "settled them are in docs/annotation-guide.md.",
        ]
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("corpus", nargs="?", default="data/unrest-v1", type=Path)
    args = parser.parse_args()
    book = Codebook.from_yaml(args.corpus / "codebook.yaml")
    rows = [json.loads(x) for x in (args.corpus / "corpus.jsonl").read_text().splitlines() if x]
    n = len(rows)
    labels = book.label_names
    lines = ["## Size and coverage", ""]
    events = Counter(r["event"] for r in rows)
    countries = {r["country"] for r in rows}
    years = [r["year"] for r in rows if r.get("year")]
    splits = Counter(r["split"] for r in rows)
    split_events = {s: len({r["event"] for r in rows if r["split"] == s}) for s in splits}
    lines += [
        f"- Statements: {n}; events: {len(events)}; countries: {len(countries)}; "
        f"years {min(years)}–{max(years)}.",
        "- Splits (grouped by event): "
        + ", ".join(
            f"{s} {splits[s]} ({splits[s] / n:.0%}, {split_events[s]} events)"
            for s in ("train", "dev", "test")
        ),
        f"- No label: {sum(not r['labels'] for r in rows) / n:.1%}; two or more labels: "
        f"{sum(len(r['labels']) > 1 for r in rows) / n:.1%}; hard: "
        f"{sum(bool(r.get('hard')) for r in rows) / n:.1%}.",
        "- Speaker types: "
        + ", ".join(f"{k} {v}" for k, v in Counter(r["speaker_type"] for r in rows).most_common()),
    ]
    words = [len(r["text"].split()) for r in rows]
    lines.append(
        f"- Length in words: min {min(words)}, median {statistics.median(words):.0f}, "
        f"max {max(words)}; under 10 words: {sum(w < 10 for w in words)}, over 60: "
        f"{sum(w > 60 for w in words)}, over 80: {sum(w > 80 for w in words)}."
    )
    copies = near_copies([r["text"] for r in rows])
    lines.append(
        f"- Near-copies (TF-IDF cosine ≥ 0.8 to another statement): {copies} ({copies / n:.2%})."
    )
    lines += [
        "",
        "## Labels and cue words",
        "",
        "Cue words are the `cues` of each label in codebook.yaml (case-insensitive "
        "substring match).",
        "",
        "| label | positives | train / dev / test | positives without its cues | "
        "negatives with its cues |",
        "|---|---|---|---|---|",
    ]
    for spec in book.labels:
        pos = [r for r in rows if spec.name in r["labels"]]
        neg = [r for r in rows if spec.name not in r["labels"]]
        by_split = "/".join(
            str(sum(r["split"] == s for r in pos)) for s in ("train", "dev", "test")
        )
        free = sum(not has_cue(r["text"], list(spec.cues)) for r in pos)
        cue_neg = sum(has_cue(r["text"], list(spec.cues)) for r in neg)
        lines.append(
            f"| {spec.name} | {len(pos)} | {by_split} | {free} ({free / max(len(pos), 1):.0%}) "
            f"| {cue_neg} |"
        )
    lines += [
        "",
        "## Events",
        "",
        "| event | country | year | split | statements |",
        "|---|---|---|---|---|",
    ]
    seen = {}
    for r in rows:
        seen.setdefault(r["event"], r)
    for event, r in sorted(seen.items(), key=lambda x: (x[1]["split"], x[0])):
        lines.append(f"| {event} | {r['country']} | {r['year']} | {r['split']} | {events[event]} |")
    folder = args.corpus / "agreement"
    if (folder / "second_annotator.jsonl").is_file():
        lines += ["", "## Agreement", ""] + agreement(rows, labels, folder)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
