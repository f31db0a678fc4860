"""The CUDA path: device choice, half precisions, batch size, scoring and training on a GPU.

These tests need a CUDA device and are skipped where there is none (CI has none); they are
run on a GPU machine with ``pytest -m gpu``. Each builds on the tiny in-memory model."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from framescope import FrameClassifier, load_corpus, score_file, train
from framescope.classifier import default_batch_size

from .conftest import tiny_config, tiny_records

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device"),
]

TEXTS = ["foreign agents organised the riots", "prices doubled", "", "calm please " * 20]


def test_auto_device_picks_cuda_and_a_half_precision(tiny_model_dir):
    clf = FrameClassifier.load(tiny_model_dir, precision="auto")
    expected = "bf16" if torch.cuda.is_bf16_supported() else "fp16"
    assert (clf.device.type, clf.runtime, clf.precision) == ("cuda", "torch", expected)
    assert default_batch_size(clf.device) == 256
    assert next(clf.model.encoder.parameters()).dtype in (torch.bfloat16, torch.float16)


@pytest.mark.parametrize("precision", ["fp32", "bf16", "fp16"])
def test_gpu_scores_match_cpu_fp32(tiny_model_dir, precision):
    exact = FrameClassifier.load(tiny_model_dir, device="cpu", runtime="torch")
    gpu = FrameClassifier.load(tiny_model_dir, device="cuda", precision=precision)
    a, b = exact.predict_proba(TEXTS), gpu.predict_proba(TEXTS)
    assert b.dtype == np.float32 and b.shape == a.shape
    tolerance = 1e-4 if precision == "fp32" else 2e-2
    assert np.abs(a - b).max() < tolerance
    assert (a[2] == 0).all() and (b[2] == 0).all()  # an empty statement: all scores 0


def test_score_file_on_cuda_matches_the_cpu_output(tiny_model_dir, tmp_path):
    src = tmp_path / "in.parquet"
    pd.DataFrame(
        {"id": range(300), "text": [TEXTS[i % 4] + f" {i}" for i in range(300)]}
    ).to_parquet(src)
    cpu = score_file(src, tmp_path / "cpu.parquet", tiny_model_dir, device="cpu", progress=False)
    gpu = score_file(src, tmp_path / "gpu.parquet", tiny_model_dir, progress=False)
    assert cpu.rows == gpu.rows == 300
    a, b = pd.read_parquet(tmp_path / "cpu.parquet"), pd.read_parquet(tmp_path / "gpu.parquet")
    assert list(a["id"]) == list(b["id"]) == list(range(300))
    scores = [c for c in a.columns if c.startswith("score_")]
    assert np.abs(a[scores].to_numpy() - b[scores].to_numpy()).max() < 2e-2


def test_training_on_cuda_saves_a_model_that_loads_on_cpu(tiny_encoder, tiny_codebook, tmp_path):
    corpus = load_corpus(tiny_records(), tiny_codebook)
    config = tiny_config(tiny_encoder, finetune="lora")
    clf = train(corpus, tmp_path / "m", config, progress=False, device="cuda")
    assert clf.config["training_log"]["device"] == "cuda"
    on_gpu = FrameClassifier.load(tmp_path / "m", device="cuda", precision="fp32")
    on_cpu = FrameClassifier.load(tmp_path / "m", device="cpu", runtime="torch")
    assert np.abs(on_gpu.predict_proba(TEXTS) - on_cpu.predict_proba(TEXTS)).max() < 1e-4
