"""Peak memory of `framescope score` as the input grows: streaming keeps it flat.

    python benchmarks/bench_memory.py [--rows 10000 1000000] [--model models/unrest-v1-fast]
        [--stand-in-rows 10000 1000000] [--format .jsonl]

Each run is a fresh `framescope score` process; its peak resident set size (ru_maxrss) is
read by a small parent process, so runs do not see each other's peaks. Inputs are
statements of 5 to 120 words (as in bench_scoring.py), written as one file per size.

Two kinds of run:

- ``--rows`` with ``--model``: the real model, end to end. On a 2-core CPU the default model
  scores about 20 statements a second, so these sizes stay small.
- ``--stand-in-rows``: a stand-in model with the real tokenizer (MiniLM-L6's) and a tiny
  random 2-layer encoder, saved as an ordinary model folder. Reading, tokenizing, chunking,
  part files and the final join are the same code as with a real model; only the network is
  cheap, so a 10^6-row file finishes in minutes. Its labels are meaningless: it measures
  memory, not quality.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_scoring import make_statements  # noqa: E402

PEAK = (
    "import resource, subprocess, sys; rc = subprocess.run(sys.argv[1:]).returncode; "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.exit(rc)"
)


def write_input(path: Path, rows: int) -> None:
    pool = make_statements(5000)
    with open(path, "w", encoding="utf-8") as handle:
        for i in range(rows):
            handle.write(json.dumps({"id": i, "text": pool[i % len(pool)]}) + "\n")


def stand_in_model(folder: Path) -> Path:
    """A model folder: MiniLM-L6's tokenizer, a tiny random encoder, the unrest-v1 labels."""
    import torch
    from transformers import AutoTokenizer, BertConfig, BertModel

    from framescope import FrameClassifier
    from framescope.encoders import resolve_base_model
    from framescope.modeling import FrameModel

    torch.manual_seed(0)
    tokenizer = AutoTokenizer.from_pretrained(resolve_base_model("minilm-l6"))
    encoder = BertModel(
        BertConfig(
            vocab_size=tokenizer.vocab_size,
            hidden_size=32,
            num_hidden_layers=2,
            num_attention_heads=2,
            intermediate_size=64,
            max_position_embeddings=512,
        )
    )
    labels = FrameClassifier.load(ROOT / "models" / "unrest-v1-fast", runtime="torch").labels
    clf = FrameClassifier(
        FrameModel(encoder, len(labels)),
        tokenizer,
        labels,
        [0.5] * len(labels),
        max_length=256,
        config={"codebook": {"name": "stand-in", "version": "0"}, "note": "random weights"},
    )
    return clf.save(folder)


def peak_rss(model: Path, source: Path, output: Path) -> tuple[float, float]:
    """(peak RSS in MiB, seconds) of one `framescope score` process."""
    command = [sys.executable, "-m", "framescope.cli", "--quiet", "score", str(source)]
    command += ["-o", str(output), "--model", str(model)]
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", PEAK, *command], capture_output=True, text=True, check=True
    )
    seconds = time.perf_counter() - started
    return int(done.stdout.strip().splitlines()[-1]) / 1024, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=str(ROOT / "models" / "unrest-v1-fast"))
    parser.add_argument("--rows", type=int, nargs="*", default=[10_000])
    parser.add_argument("--stand-in-rows", type=int, nargs="*", default=[10_000, 1_000_000])
    args = parser.parse_args()
    print(
        "| model | rows | input size | peak RSS | time | statements/s |\n|---|---|---|---|---|---|"
    )
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        runs = [(Path(args.model), n) for n in args.rows]
        if args.stand_in_rows:
            stand_in = stand_in_model(tmp / "stand-in")
            runs += [(stand_in, n) for n in args.stand_in_rows]
        for model, rows in runs:
            source = tmp / f"in-{rows}.jsonl"
            if not source.exists():
                write_input(source, rows)
            output = tmp / f"out-{rows}-{model.name}.parquet"
            rss, seconds = peak_rss(model, source, output)
            name = "stand-in (random, tiny)" if model.name == "stand-in" else str(model)
            size = source.stat().st_size / 1024**2
            print(
                f"| {name} | {rows:,} | {size:,.1f} MiB | {rss:,.0f} MiB | {seconds:,.0f} s "
                f"| {rows / seconds:,.0f} |",
                flush=True,
            )
            output.unlink()


if __name__ == "__main__":
    main()
