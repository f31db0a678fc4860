"""Compare models trained on the same corpus from different base presets: quality and speed.

    python benchmarks/compare_presets.py --model minilm-l6=models/unrest-v1-fast \
        --model mpnet-base=models/unrest-v1 [--corpus data/unrest-v1] [--write-cards]

Evaluates every model on the test split (per-label F1, macro-F1, micro-F1) and times scoring
of the same statements with each, in one run on this machine: statements per second with
``predict_proba`` (batch 64, after one warm-up batch), best of ``--repeats`` passes. Prints
one Markdown table; the first model is the baseline of the speed ratio. With --write-cards the
table is recorded in every model's framescope.json and model card, so each card says which
model to pick when.
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from pathlib import Path

import torch

from framescope import FrameClassifier, evaluate
from framescope.corpus import load_corpus
from framescope.modelcard import write_model_card

SECTION = "Which model to pick"


def folder_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20


def statements_per_second(clf: FrameClassifier, texts: list[str], repeats: int) -> float:
    clf.predict_proba(texts[:64])  # warm-up: first-call allocations and lazy init
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        clf.predict_proba(texts, batch_size=64)
        best = min(best, time.perf_counter() - started)
    return len(texts) / best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--model", action="append", required=True, metavar="NAME=DIR", help="repeat per model"
    )
    parser.add_argument("--corpus", default="data/unrest-v1")
    parser.add_argument("--split", default="test")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--write-cards", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    folders = dict(item.split("=", 1) for item in args.model)
    models = {name: FrameClassifier.load(path) for name, path in folders.items()}
    texts = list(load_corpus(args.corpus)[args.split]["text"])
    reports = {name: evaluate(m, args.corpus, split=args.split) for name, m in models.items()}
    speed = {name: statements_per_second(m, texts, args.repeats) for name, m in models.items()}

    names = list(models)
    first = names[0]
    labels = models[first].labels
    rows = ["| | " + " | ".join(f"`{n}`" for n in names) + " |", "|---|" + "---|" * len(names)]
    for label in labels:
        cells = [f"{reports[n].systems['framescope'].per_label[label].f1:.3f}" for n in names]
        rows.append(f"| {label} F1 | " + " | ".join(cells) + " |")
    for key in ("macro_f1", "micro_f1"):
        cells = [f"**{getattr(reports[n].systems['framescope'], key):.3f}**" for n in names]
        rows.append(f"| {key.replace('_', '-')} | " + " | ".join(cells) + " |")
    tfidf = reports[first].systems["tfidf-logreg"].macro_f1
    rows.append("| TF-IDF baseline macro-F1 (same split) | " + f"{tfidf:.3f} | " * len(names))
    rows.append(
        "| scoring speed (statements/s) | " + " | ".join(f"{speed[n]:.0f}" for n in names) + " |"
    )
    rows.append(
        f"| speed relative to `{first}` | "
        + " | ".join(f"{speed[n] / speed[first]:.2f}×" for n in names)
        + " |"
    )
    rows.append(
        "| training time (s) | "
        + " | ".join(f"{models[n].config['training_log']['seconds']:.0f}" for n in names)
        + " |"
    )
    rows.append(
        "| model folder (MB) | "
        + " | ".join(f"{folder_mb(Path(folders[n])):.1f}" for n in names)
        + " |"
    )
    best = max(names, key=lambda n: reports[n].systems["framescope"].macro_f1)
    fastest = max(names, key=lambda n: speed[n])
    text = (
        f"Measured in one run by `benchmarks/compare_presets.py` on the {args.split} split of "
        f"`{args.corpus}` ({len(texts)} statements from held-out events), on "
        f"{torch.get_num_threads()} CPU threads. Same corpus, recipe and seed; only the base "
        "encoder differs.\n\n" + "\n".join(rows) + "\n\n"
        f"Pick `{best}` (from `{folders[best]}`) for the best frame detection; "
        f"pick `{fastest}` (from `{folders[fastest]}`) when throughput matters more than the "
        "last points of F1, for example for first passes over very large archives.\n"
    )
    print(text)
    if args.write_cards:
        for path in folders.values():
            cfg_path = Path(path) / "framescope.json"
            config = json.loads(cfg_path.read_text(encoding="utf-8"))
            config.setdefault("card_sections", {})[SECTION] = text
            cfg_path.write_text(json.dumps(config, indent=2, ensure_ascii=False) + "\n")
            write_model_card(path, config)


if __name__ == "__main__":
    main()
