"""Measure framescope.extract_statements against gold statements.

The gold format is described in data/articles-v1/ANNOTATION.md.

    python benchmarks/extraction.py [--articles PATH ...] [--gold PATH ...]
        [--output results.json] [--show-errors 20] [--bootstrap 1000 --seed 0]

Defaults: data/articles-v1/articles-*.jsonl and data/articles-v1/statements-*.jsonl.
Reports precision, recall and F1 per kind and overall, with exact matching (same start and
end) and overlap matching (a predicted and a gold statement match when their overlap is at
least half the longer one; one-to-one, greedy by overlap). Per-kind recall uses the gold
kind, per-kind precision the predicted kind. On the overlap-matched pairs: kind accuracy
and speaker accuracy (strict: equal after lower-casing, dropping a leading "the" and
collapsing whitespace; lenient: the same last word). With --bootstrap N: 95% percentile
intervals from N resamples of whole articles (with replacement), since statements within
an article are not independent.
"""

from __future__ import annotations

import argparse
import glob
import json
import logging
import random
import re
from collections.abc import Iterable
from dataclasses import asdict
from pathlib import Path

from framescope import extract_statements

KINDS = ("direct", "partial", "indirect")
log = logging.getLogger("benchmarks.extraction")


def read_jsonl(paths: Iterable[str | Path]) -> list[dict]:
    rows = []
    for path in paths:
        with open(path, encoding="utf-8") as handle:
            rows.extend(json.loads(line) for line in handle if line.strip())
    return rows


def predict(articles: list[dict]) -> list[dict]:
    """Every statement extract_statements finds, as gold-format rows."""
    rows = []
    for article in articles:
        for st in extract_statements(article["text"]):
            rows.append({"article_id": str(article["id"]), **asdict(st)})
    return rows


def normalise_speaker(name: str) -> str:
    name = re.sub(r"\s+", " ", (name or "").strip().lower())
    return re.sub(r"^the\s+", "", name)


def _last_word(name: str) -> str:
    words = normalise_speaker(name).split()
    return words[-1].strip(".,'\u2019") if words else ""


def overlap(a: dict, b: dict) -> int:
    return max(0, min(a["end"], b["end"]) - max(a["start"], b["start"]))


def match(gold: list[dict], pred: list[dict], mode: str) -> list[tuple[int, int]]:
    """One-to-one (gold index, predicted index) pairs of the same article: ``exact`` (same
    start and end) or ``overlap`` (overlap >= 50% of the longer span, greedy by overlap)."""
    candidates = []
    for i, g in enumerate(gold):
        for j, p in enumerate(pred):
            if g["article_id"] != p["article_id"]:
                continue
            if mode == "exact":
                ok = g["start"] == p["start"] and g["end"] == p["end"]
                size = g["end"] - g["start"]
            else:
                size = overlap(g, p)
                longer = max(g["end"] - g["start"], p["end"] - p["start"])
                ok = size > 0 and size >= 0.5 * longer
            if ok:
                candidates.append((size, i, j))
    pairs, used_g, used_p = [], set(), set()
    for _, i, j in sorted(candidates, key=lambda c: (-c[0], c[1], c[2])):
        if i not in used_g and j not in used_p:
            pairs.append((i, j))
            used_g.add(i)
            used_p.add(j)
    return sorted(pairs)


def _prf(tp_p: int, n_pred: int, tp_r: int, n_gold: int) -> dict:
    precision = tp_p / n_pred if n_pred else 0.0
    recall = tp_r / n_gold if n_gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "gold": n_gold, "pred": n_pred}


def scores(
    gold: list[dict], pred: list[dict], modes: tuple[str, ...] = ("exact", "overlap")
) -> dict:
    """All figures for one set of gold and predicted statements (see the module docstring)."""
    result: dict = {}
    for mode in modes:
        pairs = match(gold, pred, mode)
        matched_g = {i for i, _ in pairs}
        matched_p = {j for _, j in pairs}
        table = {"all": _prf(len(pairs), len(pred), len(pairs), len(gold))}
        for kind in KINDS:
            g_idx = [i for i, g in enumerate(gold) if g["kind"] == kind]
            p_idx = [j for j, p in enumerate(pred) if p["kind"] == kind]
            table[kind] = _prf(
                sum(j in matched_p for j in p_idx),
                len(p_idx),
                sum(i in matched_g for i in g_idx),
                len(g_idx),
            )
        n = len(pairs)
        kind_ok = sum(gold[i]["kind"] == pred[j]["kind"] for i, j in pairs)
        strict = sum(
            normalise_speaker(gold[i]["speaker"]) == normalise_speaker(pred[j]["speaker"])
            for i, j in pairs
        )
        lenient = sum(
            _last_word(gold[i]["speaker"]) == _last_word(pred[j]["speaker"]) for i, j in pairs
        )
        for kind in KINDS:  # speaker accuracy per (gold) kind
            of_kind = [(i, j) for i, j in pairs if gold[i]["kind"] == kind]
            right = sum(
                normalise_speaker(gold[i]["speaker"]) == normalise_speaker(pred[j]["speaker"])
                for i, j in of_kind
            )
            table[kind]["matched"] = len(of_kind)
            table[kind]["speaker_accuracy"] = right / len(of_kind) if of_kind else 0.0
        table["matched"] = n
        table["kind_accuracy"] = kind_ok / n if n else 0.0
        table["speaker_accuracy"] = strict / n if n else 0.0
        table["speaker_accuracy_lenient"] = lenient / n if n else 0.0
        result[mode] = table
    return result


BOOTSTRAPPED = (
    ("direct F1", "direct", "f1"),
    ("partial F1", "partial", "f1"),
    ("indirect F1", "indirect", "f1"),
    ("all F1", "all", "f1"),
    ("speaker accuracy", "speaker_accuracy", None),
)


def bootstrap(gold: list[dict], pred: list[dict], n: int, seed: int) -> dict[str, list[float]]:
    """95% percentile intervals of the overlap figures over ``n`` resamples of articles."""
    by_article: dict[str, tuple[list[dict], list[dict]]] = {}
    for g in gold:
        by_article.setdefault(g["article_id"], ([], []))[0].append(g)
    for p in pred:
        by_article.setdefault(p["article_id"], ([], []))[1].append(p)
    ids = sorted(by_article)
    rng = random.Random(seed)
    samples: dict[str, list[float]] = {name: [] for name, _, _ in BOOTSTRAPPED}
    for _ in range(n):
        g_rows: list[dict] = []
        p_rows: list[dict] = []
        for copy, aid in enumerate(rng.choice(ids) for _ in ids):
            key = f"{aid}#{copy}"  # a drawn-twice article is two articles
            g_rows += [dict(g, article_id=key) for g in by_article[aid][0]]
            p_rows += [dict(p, article_id=key) for p in by_article[aid][1]]
        table = scores(g_rows, p_rows, modes=("overlap",))["overlap"]
        for name, key, field in BOOTSTRAPPED:
            samples[name].append(table[key][field] if field else table[key])
    out = {}
    for name, values in samples.items():
        values.sort()
        out[name] = [values[int(0.025 * (n - 1))], values[int(0.975 * (n - 1))]]
    return out


def errors(gold: list[dict], pred: list[dict]) -> list[str]:
    """Misses, false alarms, wrong kinds and wrong speakers under overlap matching."""
    pairs = match(gold, pred, "overlap")
    matched_g = {i for i, _ in pairs}
    matched_p = {j for _, j in pairs}
    out = []
    for i, g in enumerate(gold):
        if i not in matched_g:
            out.append(f"MISSED  {g['article_id']} {g['kind']} [{g['speaker']}] {g['text']!r}")
    for j, p in enumerate(pred):
        if j not in matched_p:
            out.append(f"EXTRA   {p['article_id']} {p['kind']} [{p['speaker']}] {p['text']!r}")
    for i, j in pairs:
        g, p = gold[i], pred[j]
        if (g["start"], g["end"]) != (p["start"], p["end"]):
            out.append(f"SPAN    {g['article_id']} gold {g['text']!r} / got {p['text']!r}")
        if g["kind"] != p["kind"]:
            out.append(f"KIND    {g['article_id']} {g['kind']} -> {p['kind']}: {g['text'][:60]!r}")
        if normalise_speaker(g["speaker"]) != normalise_speaker(p["speaker"]):
            who = f"{g['speaker']!r} -> {p['speaker']!r}"
            out.append(f"SPEAKER {g['article_id']} {who}: {g['text'][:50]!r}")
    return out


def markdown(result: dict) -> str:
    lines = [
        "| kind | gold | predicted | P exact | R exact | F1 exact | P overlap | R overlap "
        "| F1 overlap |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for kind in (*KINDS, "all"):
        e, o = result["exact"][kind], result["overlap"][kind]
        lines.append(
            f"| {kind} | {o['gold']} | {o['pred']} | {e['precision']:.3f} | {e['recall']:.3f} "
            f"| {e['f1']:.3f} | {o['precision']:.3f} | {o['recall']:.3f} | {o['f1']:.3f} |"
        )
    o = result["overlap"]
    lines += [
        "",
        f"On {o['matched']} overlap-matched pairs: kind accuracy {o['kind_accuracy']:.3f}, "
        f"speaker accuracy {o['speaker_accuracy']:.3f} "
        f"(lenient, last word: {o['speaker_accuracy_lenient']:.3f}).",
        "Speaker accuracy by kind: "
        + ", ".join(
            f"{kind} {o[kind]['speaker_accuracy']:.3f} ({o[kind]['matched']})" for kind in KINDS
        )
        + ".",
    ]
    return "\n".join(lines) + "\n"


def _paths(given: list[str] | None, default: str) -> list[str]:
    patterns = given or [default]
    paths = sorted({p for pattern in patterns for p in (glob.glob(pattern) or [pattern])})
    missing = [p for p in paths if not Path(p).is_file()]
    if missing:
        raise SystemExit(f"extraction benchmark: no such file: {', '.join(missing)}")
    return paths


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", action="append", help="articles .jsonl (repeatable)")
    parser.add_argument("--gold", action="append", help="gold statements .jsonl (repeatable)")
    parser.add_argument("--output", default=None, help="write the figures as JSON here")
    parser.add_argument("--show-errors", type=int, default=0, metavar="N")
    parser.add_argument("--bootstrap", type=int, default=0, metavar="N", help="resamples")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)

    articles = read_jsonl(_paths(args.articles, "data/articles-v1/articles-*.jsonl"))
    gold = read_jsonl(_paths(args.gold, "data/articles-v1/statements-*.jsonl"))
    ids = {str(a["id"]) for a in articles}
    gold = [dict(g, article_id=str(g["article_id"])) for g in gold if str(g["article_id"]) in ids]
    pred = predict(articles)
    result = scores(gold, pred)
    print(f"{len(articles)} articles, {len(gold)} gold and {len(pred)} predicted statements\n")
    print(markdown(result))
    if args.bootstrap:
        result["bootstrap_95"] = bootstrap(gold, pred, args.bootstrap, args.seed)
        print(f"95% intervals, {args.bootstrap} resamples of articles (seed {args.seed}):")
        for name, (low, high) in result["bootstrap_95"].items():
            print(f"  {name}: {low:.3f} to {high:.3f}")
        print()
    if args.show_errors:
        found = errors(gold, pred)
        print(f"First {min(args.show_errors, len(found))} of {len(found)} errors:")
        for line in found[: args.show_errors]:
            print("  " + line)
    if args.output:
        Path(args.output).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
