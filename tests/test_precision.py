from __future__ import annotations

import logging

import numpy as np
import pytest
import torch

from framescope import FrameClassifier
from framescope import onnx_runtime as ort_module
from framescope.cli import main
from framescope.errors import ModelLoadError, SettingsError
from framescope.precision import resolve_precision, resolve_runtime

CPU = torch.device("cpu")
CUDA = torch.device("cuda")
TEXTS = ["Foreign agents stirred the crowds.", "Bread prices doubled.", ""]


def test_auto_precision_is_fp32_on_cpu_and_impossible_pairs_are_refused():
    assert resolve_precision("auto", CPU) == "fp32"
    assert resolve_precision("int8", CPU) == "int8"
    with pytest.raises(SettingsError, match="needs a CUDA device"):
        resolve_precision("bf16", CPU)
    with pytest.raises(SettingsError, match="runs on CPU"):
        resolve_precision("int8", CUDA)
    with pytest.raises(ValueError, match="must be one of"):
        resolve_precision("int4", CPU)


def test_auto_runtime_is_onnx_on_cpu_and_torch_on_cuda():
    assert resolve_runtime("auto", CPU, "fp32") == "onnx"
    assert resolve_runtime("auto", CUDA, "bf16") == "torch"
    assert resolve_runtime("torch", CPU, "fp32") == "torch"
    with pytest.raises(SettingsError, match="runs on the CPU"):
        resolve_runtime("onnx", CUDA, "fp16")
    with pytest.raises(SettingsError, match="must be one of"):
        resolve_runtime("tensorrt", CPU, "fp32")


def test_onnx_fp32_matches_torch_and_is_exported_once(tiny_model_dir, caplog):
    exact = FrameClassifier.load(tiny_model_dir, runtime="torch")
    caplog.set_level(logging.INFO, logger="framescope")
    fast = FrameClassifier.load(tiny_model_dir, runtime="onnx")
    again = FrameClassifier.load(tiny_model_dir, runtime="onnx")
    assert (exact.runtime, fast.runtime, fast.precision) == ("torch", "onnx", "fp32")
    assert np.abs(exact.predict_proba(TEXTS) - again.predict_proba(TEXTS)).max() < 1e-5
    assert exact.predict(TEXTS) == again.predict(TEXTS)
    exports = [r for r in caplog.records if "exporting the model to ONNX" in r.getMessage()]
    assert len(exports) <= 1  # none when an earlier test already exported this model


def test_onnx_cache_key_follows_the_model_and_precision():
    config = {"files": {"head.safetensors": "abc"}, "thresholds": {"a": 0.5}}
    key = ort_module.cache_key(config, "fp32")
    assert key == ort_module.cache_key(dict(config), "fp32")
    assert key != ort_module.cache_key(config, "int8")
    assert key != ort_module.cache_key({**config, "files": {"head.safetensors": "abd"}}, "fp32")


def test_an_export_that_differs_from_torch_is_refused(tiny_model_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("FRAMESCOPE_ONNX_CACHE", str(tmp_path / "fresh-cache"))
    monkeypatch.setattr(ort_module, "TOLERANCE", -1.0)
    with pytest.raises(ModelLoadError, match="differs from PyTorch"):
        FrameClassifier.load(tiny_model_dir, runtime="onnx")
    assert not list((tmp_path / "fresh-cache").glob("*/model.onnx"))  # nothing half-cached


@pytest.mark.parametrize("runtime", ["onnx", "torch"])
def test_int8_scores_in_range_and_cannot_be_saved(tiny_model_dir, tmp_path, runtime):
    exact = FrameClassifier.load(tiny_model_dir, runtime="torch")
    fast = FrameClassifier.load(tiny_model_dir, precision="int8", runtime=runtime)
    assert (fast.precision, fast.runtime) == ("int8", runtime)
    a, b = exact.predict_proba(TEXTS), fast.predict_proba(TEXTS)
    assert b.shape == a.shape and np.isfinite(b).all() and ((b >= 0) & (b <= 1)).all()
    assert np.abs(a - b).max() < 0.2  # quantisation noise, not a different model
    with pytest.raises(ValueError, match="save the float32 model"):
        fast.save(tmp_path / "x")


def test_a_model_loaded_for_onnx_saves_the_same_model(tiny_model_dir, tmp_path):
    fast = FrameClassifier.load(tiny_model_dir, runtime="onnx")
    copy = FrameClassifier.load(fast.save(tmp_path / "copy"), runtime="torch")
    assert np.abs(copy.predict_proba(TEXTS) - fast.predict_proba(TEXTS)).max() < 1e-5


def test_cli_refuses_an_impossible_precision_in_one_line(tiny_model_dir, capsys):
    code = main(["predict", "--model", str(tiny_model_dir), "--precision", "bf16", "calm"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "needs a CUDA device" in err[0]


def test_default_batch_size_depends_on_the_device():
    from framescope.classifier import default_batch_size

    assert default_batch_size(CPU) == 16 and default_batch_size(CUDA) == 256
