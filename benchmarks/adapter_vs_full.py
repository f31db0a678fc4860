"""Compare a LoRA-adapter model with a full fine-tune trained on the same corpus and seed.

    python benchmarks/adapter_vs_full.py --adapter runs/lora --full runs/full \
        --corpus data/unrest-v1 [--write-card]

Evaluates both on the test split in one run and prints per-label F1, macro-F1, folder sizes
and training times. With --write-card the comparison is recorded in the adapter model's
framescope.json ("comparison") and its model card is rewritten.
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

from framescope import FrameClassifier, evaluate
from framescope.modelcard import write_model_card


def folder_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--adapter", required=True, type=Path)
    parser.add_argument("--full", required=True, type=Path)
    parser.add_argument("--corpus", default="data/unrest-v1")
    parser.add_argument("--split", default="test")
    parser.add_argument("--write-card", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    models = {"lora": FrameClassifier.load(args.adapter), "full": FrameClassifier.load(args.full)}
    reports = {k: evaluate(m, args.corpus, split=args.split) for k, m in models.items()}
    labels = models["lora"].labels
    rows = ["| label | LoRA adapter F1 | full fine-tune F1 |", "|---|---|---|"]
    for label in labels:
        a = reports["lora"].systems["framescope"].per_label[label].f1
        b = reports["full"].systems["framescope"].per_label[label].f1
        rows.append(f"| {label} | {a:.3f} | {b:.3f} |")
    macro = {k: r.systems["framescope"].macro_f1 for k, r in reports.items()}
    micro = {k: r.systems["framescope"].micro_f1 for k, r in reports.items()}
    rows.append(f"| **macro-F1** | **{macro['lora']:.3f}** | **{macro['full']:.3f}** |")
    rows.append(f"| micro-F1 | {micro['lora']:.3f} | {micro['full']:.3f} |")
    secs = {k: m.config["training_log"]["seconds"] for k, m in models.items()}
    sizes = {"lora": folder_mb(args.adapter), "full": folder_mb(args.full)}
    rows.append(f"| folder size (MB) | {sizes['lora']:.1f} | {sizes['full']:.1f} |")
    rows.append(f"| training time (s) | {secs['lora']:.0f} | {secs['full']:.0f} |")
    diff = macro["lora"] - macro["full"]
    text = (
        f"Both trained by `framescope train` on the same corpus "
        f"(sha256 `{models['lora'].config['corpus_hash'][:12]}…`) with the same seed; "
        f"measured on the {args.split} split in one run by `benchmarks/adapter_vs_full.py`.\n\n"
        + "\n".join(rows)
        + f"\n\nmacro-F1 difference (adapter − full): {diff:+.3f}.\n"
    )
    print(text)
    if args.write_card:
        cfg_path = args.adapter / "framescope.json"
        config = json.loads(cfg_path.read_text())
        config["comparison"] = text
        cfg_path.write_text(json.dumps(config, indent=2, ensure_ascii=False) + "\n")
        write_model_card(args.adapter, config)


if __name__ == "__main__":
    main()
