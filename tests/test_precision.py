from __future__ import annotations

import numpy as np
import pytest
import torch

from framescope import FrameClassifier
from framescope.precision import resolve_precision

CPU = torch.device("cpu")


def test_auto_precision_is_int8_on_cpu_and_impossible_pairs_are_refused():
    assert resolve_precision("auto", CPU) == "int8"
    assert resolve_precision("fp32", CPU) == "fp32"
    with pytest.raises(ValueError, match="needs a CUDA device"):
        resolve_precision("bf16", CPU)
    with pytest.raises(ValueError, match="runs on CPU"):
        resolve_precision("int8", torch.device("cuda"))
    with pytest.raises(ValueError, match="must be one of"):
        resolve_precision("int4", CPU)


def test_int8_model_scores_in_range_and_cannot_be_saved(tiny_model_dir, tmp_path):
    exact = FrameClassifier.load(tiny_model_dir)
    fast = FrameClassifier.load(tiny_model_dir, precision="int8")
    assert (exact.precision, fast.precision) == ("fp32", "int8")
    texts = ["Foreign agents stirred the crowds.", "Bread prices doubled.", ""]
    a, b = exact.predict_proba(texts), fast.predict_proba(texts)
    assert b.shape == a.shape and np.isfinite(b).all() and ((b >= 0) & (b <= 1)).all()
    assert np.abs(a - b).max() < 0.2  # quantisation noise, not a different model
    with pytest.raises(ValueError, match="save the float32 model"):
        fast.save(tmp_path / "x")
