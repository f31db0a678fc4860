"""Fine-tune the real base encoder (MiniLM-L6 from its registry package) on a small slice."""

from __future__ import annotations

import numpy as np
import pytest
from datasets import DatasetDict

from framescope import FrameClassifier, TrainConfig, load_corpus, train

from .conftest import ROOT

pytestmark = pytest.mark.slow


def test_real_encoder_lora_fine_tune_round_trip(tmp_path):
    corpus = load_corpus(ROOT / "data" / "unrest-v1")
    small = DatasetDict(
        train=corpus["train"].shuffle(seed=0).select(range(96)),
        dev=corpus["dev"].select(range(32)),
        test=corpus["test"].select(range(32)),
    )
    config = TrainConfig(finetune="lora", epochs=2, max_length=64, early_stopping_patience=2)
    clf = train(small, tmp_path / "m", config, progress=False)
    assert clf.config["base_model"]["name"] == "minilm-l6"
    assert clf.config["training_log"]["epochs_run"] == 2
    adapter = (tmp_path / "m" / "adapter_model.safetensors").stat().st_size
    assert adapter < 10 * 1024 * 1024
    texts = corpus["test"]["text"][:16]
    loaded = FrameClassifier.load(tmp_path / "m")
    np.testing.assert_allclose(loaded.predict_proba(texts), clf.predict_proba(texts), atol=1e-5)
    assert set(clf.config["metrics"]) >= {"dev", "test", "baseline_test"}
