from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from framescope import FrameClassifier, load_corpus, train
from framescope.errors import FramescopeError

from .conftest import LABELS, tiny_config, tiny_records

PICKLE_SUFFIXES = {".pkl", ".pickle", ".joblib", ".bin", ".pt", ".pth"}


def _texts():
    return [r["text"] for r in tiny_records()]


def test_full_model_round_trip_gives_identical_probabilities(tiny_model_dir):
    clf = FrameClassifier.load(tiny_model_dir)
    again = FrameClassifier.load(tiny_model_dir)
    probs = clf.predict_proba(_texts())
    assert probs.shape == (len(_texts()), len(LABELS))
    np.testing.assert_array_equal(probs, again.predict_proba(_texts()))
    assert clf.labels == LABELS
    files = {p.suffix for p in tiny_model_dir.rglob("*")}
    assert not files & PICKLE_SUFFIXES
    config = json.loads((tiny_model_dir / "framescope.json").read_text())
    assert config["codebook"] == {"name": "toy", "version": "1"}
    assert config["id2label"] == {"0": "alpha", "1": "beta", "2": "gamma"}
    assert set(config["thresholds"]) == set(LABELS)
    assert config["training"]["finetune"] == "full"
    assert "test" in config["metrics"] and "baseline_test" in config["metrics"]
    card = (tiny_model_dir / "README.md").read_text()
    assert card.count("| alpha |") == 2  # the evaluation table and the calibration table


def test_lora_model_saves_an_adapter_and_reloads_identically(tmp_path, tiny_encoder, tiny_codebook):
    corpus = load_corpus(tiny_records(), tiny_codebook)
    clf = train(
        corpus, tmp_path / "m", tiny_config(tiny_encoder, finetune="lora", epochs=2), progress=False
    )
    assert (tmp_path / "m" / "adapter_model.safetensors").is_file()
    assert not (tmp_path / "m" / "model.safetensors").exists()
    loaded = FrameClassifier.load(tmp_path / "m")
    np.testing.assert_allclose(
        loaded.predict_proba(_texts()), clf.predict_proba(_texts()), atol=1e-5
    )


def test_adapter_can_be_stored_in_half_precision(tmp_path, tiny_encoder, tiny_codebook):
    from safetensors import safe_open

    corpus = load_corpus(tiny_records(), tiny_codebook)
    clf = train(corpus, None, tiny_config(tiny_encoder, finetune="lora", epochs=2), progress=False)
    full, half = clf.save(tmp_path / "f32"), clf.save(tmp_path / "f16", adapter_dtype="float16")
    weights = "adapter_model.safetensors"
    with safe_open(str(half / weights), "pt") as f:
        assert {str(f.get_tensor(k).dtype) for k in f.keys()} == {"torch.float16"}
    assert (half / weights).stat().st_size < 0.6 * (full / weights).stat().st_size
    assert json.loads((half / "framescope.json").read_text())["adapter_dtype"] == "float16"
    loaded = FrameClassifier.load(half)
    np.testing.assert_allclose(
        loaded.predict_proba(_texts()), clf.predict_proba(_texts()), atol=2e-3
    )
    with pytest.raises(ValueError, match="adapter_dtype"):
        clf.save(tmp_path / "bad", adapter_dtype="int8")


def test_training_with_a_half_adapter_reports_the_stored_weights(
    tmp_path, tiny_encoder, tiny_codebook
):
    from safetensors import safe_open

    corpus = load_corpus(tiny_records(), tiny_codebook)
    config = tiny_config(tiny_encoder, finetune="lora", epochs=2, adapter_dtype="float16")
    clf = train(corpus, tmp_path / "m", config, progress=False)
    with safe_open(str(tmp_path / "m" / "adapter_model.safetensors"), "pt") as f:
        assert {str(f.get_tensor(k).dtype) for k in f.keys()} == {"torch.float16"}
    # the in-memory model was rounded before thresholds and metrics, so the loaded one matches
    loaded = FrameClassifier.load(tmp_path / "m")
    np.testing.assert_allclose(
        loaded.predict_proba(_texts()), clf.predict_proba(_texts()), atol=1e-5
    )
    assert loaded.config["training"]["adapter_dtype"] == "float16"


def _train_on_cpu(encoder, codebook, **settings):
    corpus = load_corpus(tiny_records(), codebook)
    config = tiny_config(encoder, epochs=2, **settings)
    return train(corpus, None, config, progress=False, device="cpu")


def _without_timing(log: dict) -> dict:
    return {k: v for k, v in log.items() if k != "seconds"}


@pytest.mark.parametrize("finetune", ["full", "lora"])
def test_same_seed_same_metrics_and_predictions(tiny_encoder, tiny_codebook, finetune):
    a = _train_on_cpu(tiny_encoder, tiny_codebook, finetune=finetune, seed=3)
    b = _train_on_cpu(tiny_encoder, tiny_codebook, finetune=finetune, seed=3)
    assert a.config["metrics"]["dev"] and a.config["metrics"]["test"]
    assert a.config["metrics"] == b.config["metrics"]
    assert _without_timing(a.config["training_log"]) == _without_timing(b.config["training_log"])
    assert a.thresholds == b.thresholds
    weights_a, weights_b = a.model.state_dict(), b.model.state_dict()
    assert list(weights_a) == list(weights_b)
    for name, tensor in weights_a.items():
        assert torch.equal(tensor, weights_b[name]), name
    np.testing.assert_array_equal(a.predict_proba(_texts()), b.predict_proba(_texts()))
    assert a.predict(_texts()) == b.predict(_texts())


def test_another_seed_gives_other_predictions(tiny_encoder, tiny_codebook):
    """The check above can fail: the seed does reach the weights and the scores."""
    a = _train_on_cpu(tiny_encoder, tiny_codebook, finetune="full", seed=3)
    b = _train_on_cpu(tiny_encoder, tiny_codebook, finetune="full", seed=4)
    assert not np.array_equal(a.predict_proba(_texts()), b.predict_proba(_texts()))
    assert not torch.equal(a.model.head.weight, b.model.head.weight)


def test_training_learns_the_toy_task(tiny_encoder, tiny_codebook):
    corpus = load_corpus(tiny_records(), tiny_codebook)
    clf = train(
        corpus,
        None,
        tiny_config(
            tiny_encoder, finetune="full", epochs=25, early_stopping_patience=25, head_lr=3e-2
        ),
        progress=False,
    )
    assert clf.config["metrics"]["dev"]["macro_f1"] >= 0.8
    foreign, prices, other = clf.predict_proba(
        ["foreign spies everywhere", "prices are angry", "the train left"]
    )
    assert foreign.argmax() == 0 and prices.argmax() == 1
    assert foreign[0] > other[0] and prices[1] > other[1]


def test_training_needs_a_dev_split(tiny_encoder, tiny_codebook):
    rows = [r for r in tiny_records() if r["split"] != "dev"]
    with pytest.raises(FramescopeError, match="no 'dev'"):
        train(load_corpus(rows, tiny_codebook), None, tiny_config(tiny_encoder), progress=False)


def test_training_refuses_to_overwrite_a_foreign_folder(tmp_path, tiny_encoder, tiny_codebook):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(FramescopeError, match="not a framescope model"):
        train(
            load_corpus(tiny_records(), tiny_codebook),
            tmp_path,
            tiny_config(tiny_encoder, epochs=1),
            progress=False,
        )
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_training_device_is_checked_before_any_work(tiny_encoder, tiny_codebook):
    corpus = load_corpus(tiny_records(), tiny_codebook)
    with pytest.raises(FramescopeError, match="no CUDA device"):
        train(corpus, None, tiny_config(tiny_encoder), progress=False, device="cuda")
    with pytest.raises(FramescopeError, match="auto, cpu or cuda"):
        train(corpus, None, tiny_config(tiny_encoder), progress=False, device="gpu")
