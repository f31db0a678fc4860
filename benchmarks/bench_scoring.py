"""Scoring speed: transformers' text-classification pipeline against framescope's scorer.

    python benchmarks/bench_scoring.py [--model models/unrest-v1-fast] [--n 2000]
        [--precision fp32 int8] [--agreement]

Builds N statements of 5 to 120 words (uniform) from the unrest-v1 corpus text, then, in one
run on this machine, times:

(a) ``pipeline("text-classification", top_k=None, function_to_apply="sigmoid",
    batch_size=64)`` over ``AutoModelForSequenceClassification`` of the same base encoder with
    a fresh head of as many labels (the usual way to serve a fine-tuned encoder);
(b) ``framescope.score_file`` on the same statements written to a Parquet file, at each
    ``--precision`` (reading, length-sorted batching, scoring and writing included).

Prints statements/second for each and the ratio to (a). With ``--agreement``, also compares
each precision with fp32 on the unrest-v1 test split: macro-F1 and identical label sets.
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from framescope import FrameClassifier, evaluate, score_file
from framescope.corpus import load_corpus
from framescope.encoders import resolve_base_model

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "data" / "unrest-v1"


def make_statements(n: int, seed: int = 0) -> list[str]:
    """``n`` texts of 5 to 120 words cut from the corpus read as one stream of words."""
    words = " ".join(load_corpus(CORPUS)["train"]["text"]).split()
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        length = int(rng.integers(5, 121))
        start = int(rng.integers(0, len(words) - length))
        out.append(" ".join(words[start : start + length]))
    return out


def time_pipeline(base: str, num_labels: int, texts: list[str], batch_size: int) -> float:
    from transformers import AutoModelForSequenceClassification, AutoTokenizer, pipeline

    path = resolve_base_model(base)
    model = AutoModelForSequenceClassification.from_pretrained(
        path, num_labels=num_labels, problem_type="multi_label_classification"
    )
    tokenizer = AutoTokenizer.from_pretrained(path)
    pipe = pipeline(
        "text-classification",
        model=model,
        tokenizer=tokenizer,
        top_k=None,
        function_to_apply="sigmoid",
        batch_size=batch_size,
        device=-1,
    )
    pipe(texts[:batch_size])  # warm-up
    started = time.perf_counter()
    out = pipe(texts)
    seconds = time.perf_counter() - started
    assert len(out) == len(texts)
    return len(texts) / seconds


def time_framescope(model_dir: str, precision: str, texts: list[str], batch_size: int) -> float:
    clf = FrameClassifier.load(model_dir, device="cpu", precision=precision)
    clf.predict_proba(texts[:batch_size])  # warm-up
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "in.parquet"
        pd.DataFrame({"id": range(len(texts)), "text": texts}).to_parquet(src)
        summary = score_file(
            src, Path(tmp) / "out.parquet", clf, batch_size=batch_size, progress=False
        )
    return summary.rows / summary.seconds


def agreement(model_dir: str, precision: str) -> tuple[float, float, float]:
    """(fp32 macro-F1, macro-F1 at ``precision``, share of identical label sets) on test."""
    exact = FrameClassifier.load(model_dir, device="cpu")
    other = FrameClassifier.load(model_dir, device="cpu", precision=precision)
    texts = load_corpus(CORPUS)["test"]["text"]
    same = np.mean([a == b for a, b in zip(exact.predict(texts), other.predict(texts))])
    macro = [evaluate(m, CORPUS).systems["framescope"].macro_f1 for m in (exact, other)]
    return macro[0], macro[1], float(same)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=str(ROOT / "models" / "unrest-v1-fast"))
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--precision", nargs="+", default=["fp32", "int8"])
    parser.add_argument("--agreement", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    probe = FrameClassifier.load(args.model, device="cpu")
    base = probe.config["base_model"]["name"]
    texts = make_statements(args.n)
    words = [len(t.split()) for t in texts]
    print(
        f"{args.n} statements, {min(words)}-{max(words)} words (mean {np.mean(words):.0f}); "
        f"model {args.model} (base {base}); {torch.get_num_threads()} CPU threads"
    )
    rates = {"pipeline (a)": time_pipeline(base, len(probe.labels), texts, args.batch_size)}
    for precision in args.precision:
        rates[f"framescope {precision} (b)"] = time_framescope(
            args.model, precision, texts, args.batch_size
        )
    reference = rates["pipeline (a)"]
    print("| scorer | statements/s | ratio to the pipeline |\n|---|---|---|")
    for name, rate in rates.items():
        print(f"| {name} | {rate:.1f} | {rate / reference:.2f}× |")
    if args.agreement:
        print(
            "\n| precision | fp32 macro-F1 | macro-F1 | identical label sets |\n|---|---|---|---|"
        )
        for precision in args.precision:
            if precision != "fp32":
                a, b, same = agreement(args.model, precision)
                print(f"| {precision} | {a:.3f} | {b:.3f} | {same:.1%} |")


if __name__ == "__main__":
    main()
