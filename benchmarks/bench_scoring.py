"""Scoring speed: transformers' text-classification pipeline against framescope's scorer.

    python benchmarks/bench_scoring.py [--model models/unrest-v1-fast] [--n 2000]
        [--configs torch:fp32 onnx:fp32 onnx:int8 torch:int8] [--agreement]

Builds N statements of 5 to 120 words (uniform) from the unrest-v1 corpus text, then, in one
run on this machine, times:

(a) ``pipeline("text-classification", top_k=None, function_to_apply="sigmoid",
    batch_size=64)`` over ``AutoModelForSequenceClassification`` of the same base encoder with
    a fresh head of as many labels (the usual way to serve a fine-tuned encoder);
(b) ``framescope.score_file`` on the same statements written to a Parquet file, for each
    ``RUNTIME:PRECISION`` in ``--configs`` (reading, length-sorted batching, scoring and
    writing included; ONNX exports are made before timing, as a first load would).

Prints statements/second for each and the ratio to (a). With ``--agreement``, also compares
each configuration with PyTorch fp32 on the CPU on the unrest-v1 test split: macro-F1,
identical label sets and the largest score difference.

On a GPU: ``--device cuda --configs torch:fp32 torch:bf16 torch:fp16`` (both scorers run on
the GPU; the pipeline in float32, as it loads by default). ``--stand-in BASE_DIR`` times a
model with the architecture and tokenizer of the encoder folder BASE_DIR and random weights,
for speed figures where the trained weights are not at hand (no agreement then).
"""

from __future__ import annotations

import argparse
import json
import logging
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from framescope import FrameClassifier, evaluate, score_file
from framescope.classifier import default_batch_size
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


def time_pipeline(
    base: str, num_labels: int, texts: list[str], batch_size: int, device: str
) -> float:
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
        device=0 if device.startswith("cuda") else -1,
    )
    pipe(texts[:batch_size])  # warm-up
    started = time.perf_counter()
    out = pipe(texts)
    seconds = time.perf_counter() - started
    assert len(out) == len(texts)
    return len(texts) / seconds


def _load(model_dir: str, config: str, device: str = "cpu") -> FrameClassifier:
    runtime, precision = config.split(":")
    return FrameClassifier.load(model_dir, device=device, precision=precision, runtime=runtime)


def stand_in(base_dir: str, folder: Path, labels: list[str]) -> Path:
    """A model folder around a randomly initialised encoder of ``base_dir``'s architecture,
    with its tokenizer: the same work per statement as a trained model, for timings only."""
    from transformers import AutoConfig, AutoModel, AutoTokenizer

    from framescope.modeling import FrameModel

    torch.manual_seed(0)
    tokenizer = AutoTokenizer.from_pretrained(base_dir)
    encoder = AutoModel.from_config(AutoConfig.from_pretrained(base_dir))
    base = folder / "base"
    encoder.save_pretrained(str(base))
    tokenizer.save_pretrained(str(base))
    clf = FrameClassifier(
        FrameModel(encoder, len(labels)),
        tokenizer,
        labels,
        [0.5] * len(labels),
        max_length=256,
        config={"base_model": {"name": str(base)}, "note": "random weights, for timings"},
    )
    return clf.save(folder / "model")


def time_framescope(
    model_dir: str, config: str, texts: list[str], batch_size: int, device: str
) -> float:
    clf = _load(model_dir, config, device)
    clf.predict_proba(texts[:batch_size])  # warm-up
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "in.parquet"
        pd.DataFrame({"id": range(len(texts)), "text": texts}).to_parquet(src)
        summary = score_file(
            src, Path(tmp) / "out.parquet", clf, batch_size=batch_size, progress=False
        )
    return summary.rows / summary.seconds


def agreement(model_dir: str, config: str, device: str) -> tuple[float, float, float, float]:
    """(CPU torch fp32 macro-F1, macro-F1 of ``config`` on ``device``, share of identical
    label sets, largest score difference) on the test split."""
    exact = _load(model_dir, "torch:fp32")
    other = _load(model_dir, config, device)
    texts = load_corpus(CORPUS)["test"]["text"]
    a, b = exact.predict_proba(texts), other.predict_proba(texts)
    same = np.mean([x == y for x, y in zip(exact.decide(a), other.decide(b))])
    macro = [evaluate(m, CORPUS).systems["framescope"].macro_f1 for m in (exact, other)]
    return macro[0], macro[1], float(same), float(np.abs(a - b).max())


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    import platform

    return platform.processor() or "unknown CPU"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=str(ROOT / "models" / "unrest-v1-fast"))
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--device", default="cpu", help="cpu or cuda (both scorers)")
    parser.add_argument(
        "--batch-sizes",
        type=int,
        nargs="+",
        default=[None],
        help="framescope batch sizes to time (default: framescope's own for the device); "
        "the pipeline always runs at 64",
    )
    parser.add_argument(
        "--configs", nargs="+", default=["torch:fp32", "onnx:fp32", "onnx:int8", "torch:int8"]
    )
    parser.add_argument(
        "--stand-in",
        metavar="BASE_DIR",
        help="time a random-weight model of this encoder folder's architecture instead of "
        "--model (speed only)",
    )
    parser.add_argument("--agreement", action="store_true")
    parser.add_argument(
        "--agreement-only", action="store_true", help="skip the timings, report agreement only"
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    with tempfile.TemporaryDirectory() as tmp:
        if args.stand_in:
            labels = json.loads((Path(args.model) / "framescope.json").read_text())["labels"]
            args.model = str(stand_in(args.stand_in, Path(tmp), labels))
            args.agreement = args.agreement_only = False
        run(args)


def run(args: argparse.Namespace) -> None:
    probe = FrameClassifier.load(args.model, device="cpu", runtime="torch")
    base = probe.config["base_model"]["name"]
    texts = make_statements(args.n)
    words = [len(t.split()) for t in texts]
    where = (
        torch.cuda.get_device_name(0)
        if args.device.startswith("cuda")
        else f"{torch.get_num_threads()} threads on {cpu_name()}"
    )
    print(
        f"{args.n} statements, {min(words)}-{max(words)} words (mean {np.mean(words):.0f}); "
        f"model {args.model} (base {base}); {where}"
    )
    for config in args.configs:
        _load(args.model, config, args.device)  # ONNX exports happen here, outside the timings
    if args.agreement_only:
        report_agreement(args.model, args.configs, args.device)
        return
    reference_name = "pipeline (a), batch 64"
    rates = {reference_name: time_pipeline(base, len(probe.labels), texts, 64, args.device)}
    for config in args.configs:
        for size in args.batch_sizes:
            batch = size or default_batch_size(torch.device(args.device))
            name = f"framescope {config} (b), batch {batch}"
            rates[name] = time_framescope(args.model, config, texts, batch, args.device)
            logging.getLogger("bench").warning("%s: %.1f statements/s", name, rates[name])
    reference = rates[reference_name]
    print("| scorer | statements/s | ratio to the pipeline |\n|---|---|---|")
    for name, rate in rates.items():
        print(f"| {name} | {rate:.1f} | {rate / reference:.2f}× |", flush=True)
    if args.agreement:
        report_agreement(args.model, args.configs, args.device)


def report_agreement(model: str, configs: list[str], device: str) -> None:
    print(
        f"\n| configuration ({device}) | CPU torch fp32 macro-F1 | macro-F1 | identical label "
        "sets | largest score difference |\n|---|---|---|---|---|"
    )
    for config in configs:
        if config != "torch:fp32" or device != "cpu":
            a, b, same, diff = agreement(model, config, device)
            print(f"| {config} | {a:.3f} | {b:.3f} | {same:.1%} | {diff:.2g} |", flush=True)


if __name__ == "__main__":
    main()
