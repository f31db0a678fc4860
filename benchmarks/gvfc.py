"""Cross-validation on the public Gun Violence Frame Corpus (GVFC), on its published folds.

    python benchmarks/gvfc.py [--data PATH] [--only fold0 ...] [--finetune lora|full]
        [--base-model mpnet-base] [--set pooling=cls ...]
    python benchmarks/gvfc.py --combine runs/a.json runs/b.json --output reports/gvfc

Reads gvfc_cv5_all.jsonl from ../shared/benchmarks/gvfc/ (or --data, or $FRAMESCOPE_GVFC).
The data is not part of this repository. Trains a fresh model per fold with framescope's
default recipe and the default MiniLM-L6 encoder, and prints macro-F1 and micro-F1 per fold
beside the TF-IDF baseline and the published multi-label BERT-base results of
Akyurek et al. (2020). ``--set KEY=VALUE`` changes one TrainConfig setting (the ablations
in docs/training.md). ``--combine`` joins saved reports of runs that tested disjoint folds with
identical settings (made with --only), so a 5-fold run can be split across sessions.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import sys
import time
from dataclasses import fields
from pathlib import Path

from framescope import Codebook, TrainConfig
from framescope.cv import CVReport, cross_validate

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "benchmarks" / "gvfc" / "gvfc_cv5_all.jsonl"
PUBLISHED = {"macro_f1": 0.76, "micro_f1": 0.82}  # Akyurek et al. 2020, Table 1, BERT-base
TARGET = {"macro_f1": 0.82, "micro_f1": 0.85}
WHERE = (
    "GVFC data not found at {path}.\n"
    "Get gvfc_cv5_all.jsonl (one headline a line: text, labels, split = fold0..fold4) from the\n"
    "public repository feyzaakyurek/newsframing (Liu et al. 2019; folds of Akyurek et al. 2020)\n"
    "and pass --data PATH or set FRAMESCOPE_GVFC. Do not copy it into this repository."
)


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def load_gvfc(path: Path) -> tuple[list[dict], Codebook]:
    rows = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
    frames = sorted({f for r in rows for f in r["labels"]})
    book = Codebook.from_dict(
        {"name": "gvfc", "version": "2019", "min_labels": 1, "labels": [slug(f) for f in frames]}
    )
    records = [
        {
            "id": f"{r['split']}-{i}",  # GVFC ids repeat across the file
            "text": r["text"],
            "labels": [slug(f) for f in r["labels"]],
            "fold": r["split"],
        }
        for i, r in enumerate(rows)
    ]
    return records, book


def parse_setting(text: str) -> tuple[str, object]:
    """``"head_lr=1e-4"`` -> ``("head_lr", 0.0001)``, typed by the TrainConfig field."""
    key, sep, value = text.partition("=")
    types = {f.name: f.type for f in fields(TrainConfig)}
    if not sep or key not in types:
        raise SystemExit(f"--set {text!r}: expected KEY=VALUE with KEY one of {sorted(types)}")
    name = str(getattr(types[key], "__name__", types[key])).replace(" | None", "")
    kind = {"int": int, "float": float}.get(name, str)
    return key, kind(value)


def print_summary(report: CVReport, seconds: float, output: Path) -> None:
    config = TrainConfig.from_dict(report.config)
    summary = report.summary()
    print(report.to_text())
    lines = ["| system | macro-F1 (mean ± sd) | micro-F1 (mean ± sd) |", "|---|---|---|"]
    for system, name in (
        ("framescope", f"framescope, {config.base_model}"),
        ("tfidf-logreg", "TF-IDF + logistic regression"),
    ):
        s = summary[system]
        lines.append(
            f"| {name} | {s['macro_f1']['mean']:.3f} ± {s['macro_f1']['std']:.3f} | "
            f"{s['micro_f1']['mean']:.3f} ± {s['micro_f1']['std']:.3f} |"
        )
    lines.append(
        f"| published multi-label BERT-base (110M), Akyurek et al. 2020 | "
        f"{PUBLISHED['macro_f1']:.2f} | {PUBLISHED['micro_f1']:.2f} |"
    )
    print("\n".join(lines))
    default = TrainConfig(base_model=config.base_model)  # the recipe for that base
    changed = {k: v for k, v in config.to_dict().items() if v != getattr(default, k)}
    print(
        f"\nfolds: {len(report.folds)}; framescope above the baseline on macro-F1 in "
        f"{report.folds_won()} of {len(report.folds)}; micro-F1 in "
        f"{report.folds_won('micro_f1')}; total time {seconds / 60:.1f} min "
        f"(settings that differ from the default recipe: {changed or 'none'})."
    )
    js, md = report.save(output)
    md.write_text(md.read_text() + "\n" + "\n".join(lines) + f"\n\nTotal time: {seconds:.0f} s\n")
    print(f"wrote {js} and {md}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data", type=Path, default=Path(os.environ.get("FRAMESCOPE_GVFC", DEFAULT_DATA))
    )
    parser.add_argument("--only", nargs="*", default=None, help="run only these folds")
    parser.add_argument("--finetune", choices=("lora", "full"), default=None)
    parser.add_argument("--epochs", type=int, default=None, help="override the default epochs")
    parser.add_argument("--base-model", default=None, help="preset or folder (default minilm-l6)")
    parser.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE", help="one TrainConfig setting"
    )
    parser.add_argument(
        "--combine",
        nargs="+",
        type=Path,
        default=None,
        metavar="JSON",
        help="join saved reports of disjoint-fold runs instead of training",
    )
    parser.add_argument("--output", type=Path, default=ROOT / "reports" / "gvfc")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(
        level=logging.WARNING if args.quiet else logging.INFO,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if args.combine:
        data = [json.loads(p.read_text(encoding="utf-8")) for p in args.combine]
        try:
            report = CVReport.combine([CVReport.from_dict(d) for d in data])
        except ValueError as exc:
            print(f"--combine: {exc}", file=sys.stderr)
            return 2
        print_summary(report, sum(f.seconds for f in report.folds), args.output)
        return 0
    if not args.data.is_file():
        print(WHERE.format(path=args.data), file=sys.stderr)
        return 2
    records, book = load_gvfc(args.data)
    if args.only:
        # test on the chosen folds only; the others still train
        keep = set(args.only)
        records = [dict(r, fold=r["fold"] if r["fold"] in keep else "train-only") for r in records]
    overrides = {"finetune": args.finetune, "epochs": args.epochs, "base_model": args.base_model}
    overrides = {k: v for k, v in overrides.items() if v is not None}
    overrides.update(parse_setting(x) for x in args.set)
    config = TrainConfig(**overrides)
    started = time.perf_counter()
    report = cross_validate(
        records,
        fold_column="fold",
        codebook=book,
        config=config,
        progress=not args.quiet,
        train_only_folds={"train-only"},
    )
    print_summary(report, time.perf_counter() - started, args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
