"""The committed models (models/unrest-v1, mpnet-base, the default; models/unrest-v1-fast,
MiniLM-L6): load offline, behave on the reference statements, stay small, match the corpus."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from framescope import Codebook, FrameClassifier
from framescope.classifier import default_model_dir

from .conftest import ROOT

pytestmark = pytest.mark.slow


FOLDERS = {"default": default_model_dir(), "fast": ROOT / "models" / "unrest-v1-fast"}


@pytest.fixture(scope="module", params=sorted(FOLDERS))
def default(request):
    """Each committed model in turn (the name is kept from when there was one)."""
    return FrameClassifier.load(FOLDERS[request.param])


def test_the_default_is_mpnet_base_and_the_fast_one_minilm():
    bases = {
        name: json.loads((folder / "framescope.json").read_text())["base_model"]["name"]
        for name, folder in FOLDERS.items()
    }
    assert bases == {"default": "mpnet-base", "fast": "minilm-l6"}
    assert FOLDERS["default"] == ROOT / "models" / "unrest-v1"


def test_loads_offline_with_the_codebook_labels(default):
    book = Codebook.from_yaml(ROOT / "data" / "unrest-v1" / "codebook.yaml")
    assert default.labels == book.label_names
    assert default.codebook == {"name": book.name, "version": book.version}


def test_reference_statements(default):
    foreign, prices = default.predict(
        [
            "Foreign intelligence services organised these riots to topple our government.",
            "Prices doubled overnight and people are furious.",
        ]
    )
    assert "foreign_interference" in foreign
    assert "foreign_interference" not in prices


@pytest.mark.parametrize("folder", list(FOLDERS.values()), ids=list(FOLDERS))
def test_the_committed_folder_is_small_and_pickle_free(folder):
    size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    assert size < 10 * 1024 * 1024, size
    assert not [p for p in folder.rglob("*") if p.suffix in {".pkl", ".bin", ".pt", ".joblib"}]
    config = json.loads((folder / "framescope.json").read_text())
    assert config["encoder_format"] == "peft-lora"
    assert "| macro-f1 |" in (folder / "README.md").read_text()


def test_the_card_reports_the_saved_metrics(default):
    metrics = default.config["metrics"]
    card = (Path(default.source) / "README.md").read_text()
    assert f"**{metrics['test']['macro_f1']:.3f}**" in card
    assert f"**{metrics['baseline_test']['macro_f1']:.3f}**" in card


def test_scores_are_in_codebook_order_and_bounded(default):
    probs = default.predict_proba(["The army will stay only until calm returns.", ""])
    assert probs.shape == (2, len(default.labels))
    assert np.isfinite(probs).all() and (probs >= 0).all() and (probs <= 1).all()


def test_the_default_model_was_trained_on_the_committed_corpus(default):
    from framescope import load_corpus
    from framescope.corpus import corpus_metadata

    corpus = load_corpus(ROOT / "data" / "unrest-v1")
    # a corpus change without retraining (make model) fails here
    assert default.config["corpus_hash"] == corpus_metadata(corpus)["corpus_hash"]


def test_the_saved_test_metrics_are_what_evaluate_measures_now(default):
    from framescope import evaluate

    report = evaluate(default, ROOT / "data" / "unrest-v1", split="test")
    saved = default.config["metrics"]["test"]
    assert report.systems["framescope"].macro_f1 == pytest.approx(saved["macro_f1"], abs=1e-6)
    assert report.systems["framescope"].micro_f1 == pytest.approx(saved["micro_f1"], abs=1e-6)
