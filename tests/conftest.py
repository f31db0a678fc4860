"""Shared fixtures: a tiny random encoder and a tiny corpus, built in memory (no downloads)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture(scope="session", autouse=True)
def _onnx_exports_in_tmp(tmp_path_factory):
    """ONNX exports made by tests go to a temporary folder, not the user's cache."""
    os.environ["FRAMESCOPE_ONNX_CACHE"] = str(tmp_path_factory.mktemp("onnx-cache"))
    yield
    os.environ.pop("FRAMESCOPE_ONNX_CACHE", None)


@pytest.fixture(autouse=True)
def _no_cuda_outside_gpu_tests(request, monkeypatch):
    """Tests not marked ``gpu`` see a machine without CUDA, as CI is, wherever they run:
    their expectations (ONNX Runtime by default, reproducible training) are the CPU's."""
    if request.node.get_closest_marker("gpu") is None:
        import torch

        monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
        monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")


ROOT = Path(__file__).resolve().parents[1]
LABELS = ["alpha", "beta", "gamma"]

# A small, deterministic toy corpus: alpha follows "foreign", beta follows "prices",
# gamma follows "calm"; some statements carry two labels, some none.
_TRAIN = [
    ("foreign agents organised the riots", ["alpha"]),
    ("prices doubled and people are angry", ["beta"]),
    ("we call for calm on all sides", ["gamma"]),
    ("foreign money paid the crowds while prices rose", ["alpha", "beta"]),
    ("the bus schedule changed on monday", []),
    ("calm must return and foreign hands must be exposed", ["alpha", "gamma"]),
    ("people cannot pay for bread after prices jumped", ["beta"]),
    ("the weather was cold in the capital", []),
    ("foreign services trained the organisers", ["alpha"]),
    ("please stay calm and talk", ["gamma"]),
    ("prices of fuel are the real reason", ["beta"]),
    ("the meeting starts at noon", []),
]
_DEV = [
    ("foreign handlers directed the crowd", ["alpha"]),
    ("fuel prices made families furious", ["beta"]),
    ("we urge calm and dialogue", ["gamma"]),
    ("the stadium opened its doors", []),
    ("foreign funds and high prices together", ["alpha", "beta"]),
    ("calm please", ["gamma"]),
]
_TEST = [
    ("foreign spies stirred the unrest", ["alpha"]),
    ("prices are crushing ordinary people", ["beta"]),
    ("all sides should stay calm", ["gamma"]),
    ("the train left on time", []),
]


def tiny_records() -> list[dict]:
    rows = []
    for split, items in (("train", _TRAIN), ("dev", _DEV), ("test", _TEST)):
        for i, (text, labels) in enumerate(items):
            rows.append(
                {
                    "id": f"{split}-{i}",
                    "text": text,
                    "labels": labels,
                    "split": split,
                    "event": f"event-{split}",
                }
            )
    return rows


def _build_tiny_encoder(path: Path) -> Path:
    from transformers import BertConfig, BertModel, BertTokenizerFast

    words = sorted({w for r in tiny_records() for w in r["text"].split()})
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + words
    path.mkdir(parents=True, exist_ok=True)
    tokenizer = BertTokenizerFast(vocab={w: i for i, w in enumerate(vocab)}, do_lower_case=True)
    assert tokenizer.unk_token_id not in tokenizer(vocab[5])["input_ids"]
    tokenizer.save_pretrained(str(path))
    import torch

    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=len(vocab),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=64,
    )
    BertModel(config).save_pretrained(str(path))
    return path


@pytest.fixture(scope="session")
def tiny_encoder(tmp_path_factory) -> Path:
    return _build_tiny_encoder(tmp_path_factory.mktemp("tiny-encoder"))


@pytest.fixture(scope="session")
def tiny_codebook():
    from framescope import Codebook

    return Codebook.from_dict({"name": "toy", "version": "1", "labels": LABELS})


def tiny_config(encoder: Path, **overrides):
    from framescope import TrainConfig

    settings = dict(
        base_model=str(encoder),
        epochs=3,
        batch_size=4,
        max_length=16,
        head_lr=1e-2,
        encoder_lr=1e-3,
        lora_lr=1e-2,
        early_stopping_patience=3,
        lora_r=4,
        lora_alpha=8,
    )
    settings.update(overrides)
    return TrainConfig(**settings)


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory, tiny_encoder, tiny_codebook) -> Path:
    """A tiny full-fine-tuned model saved to disk, shared by the read-only tests."""
    from framescope import load_corpus, train

    out = tmp_path_factory.mktemp("models") / "tiny"
    corpus = load_corpus(tiny_records(), tiny_codebook)
    train(corpus, out, tiny_config(tiny_encoder, finetune="full"), progress=False, device="cpu")
    return out


def table_format_of(path) -> str:
    name = str(path)
    return next(f for f in (".jsonl.gz", ".jsonl", ".csv", ".parquet") if name.endswith(f))


def write_table(df, path, row_group_size: int | None = None) -> None:
    """Write ``df`` as the table format of ``path``'s extension."""
    import gzip
    import json

    fmt = table_format_of(path)
    if fmt == ".csv":
        df.to_csv(path, index=False)
    elif fmt == ".parquet":
        df.to_parquet(path, row_group_size=row_group_size)
    else:
        lines = "".join(json.dumps(r) + "\n" for r in df.to_dict(orient="records"))
        if fmt == ".jsonl.gz":
            with gzip.open(path, "wt", encoding="utf-8") as handle:
                handle.write(lines)
        else:
            Path(path).write_text(lines)


def read_scored(path):
    """A scored table as a DataFrame, with ``labels`` as lists whatever the format."""
    import pandas as pd

    fmt = table_format_of(path)
    if fmt == ".csv":
        df = pd.read_csv(path, keep_default_na=False)
        df["labels"] = [[x for x in v.split(";") if x] for v in df["labels"]]
        return df
    if fmt == ".parquet":
        df = pd.read_parquet(path)
        df["labels"] = [list(v) for v in df["labels"]]
        return df
    return pd.read_json(path, lines=True, compression="infer")


def start_scoring(argv: list[str], out: Path, **popen) -> subprocess.Popen:
    """Run ``framescope --quiet <argv>`` in a subprocess and return it once the first part file
    of ``out`` is written (so that a signal then interrupts real work). Killed on failure."""
    from framescope.resumable import work_dir

    proc = subprocess.Popen(
        [sys.executable, "-m", "framescope.cli", "--quiet", *argv],
        env=dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=str(ROOT / "src")),
        stdout=subprocess.DEVNULL,
        **popen,
    )
    try:
        deadline = time.monotonic() + 180
        while not (work_dir(out) / "part-000000.jsonl").exists():
            assert proc.poll() is None, "the scorer ended before writing a part"
            assert time.monotonic() < deadline, "no part file appeared"
            time.sleep(0.005)
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    return proc
