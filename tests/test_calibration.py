from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from scipy.special import expit

from framescope import FrameClassifier, load_corpus, train
from framescope.calibration import (
    calibrate,
    calibrate_folder,
    expected_calibration_error,
    fit_temperatures,
    rescale_thresholds,
)
from framescope.thresholds import apply_thresholds
from framescope.training import label_matrix

from .conftest import tiny_config, tiny_records


def _synthetic(n: int = 4000, labels: int = 3, seed: int = 0):
    """True logits z, gold drawn from sigmoid(z): calibrated by construction."""
    rng = np.random.default_rng(seed)
    z = rng.normal(0.0, 2.0, size=(n, labels))
    y = (rng.random((n, labels)) < expit(z)).astype(int)
    return z, y


def test_ece_is_small_when_calibrated_and_large_when_overconfident():
    z, y = _synthetic()
    assert expected_calibration_error(expit(z), y).max() < 0.03
    assert expected_calibration_error(expit(4 * z), y).min() > 0.08


def test_ece_of_a_hand_worked_example():
    probs = np.array([[0.05], [0.05], [0.95], [0.95]])
    y = np.array([[0], [1], [1], [1]])
    # bin 0: mean score 0.05, half positive -> gap 0.45; bin 9: 0.95 vs 1.0 -> gap 0.05
    assert expected_calibration_error(probs, y)[0] == pytest.approx(0.5 * 0.45 + 0.5 * 0.05)
    with pytest.raises(ValueError, match="same 2-D shape"):
        expected_calibration_error(probs, y[:3])


def test_fitted_temperature_undoes_a_known_overconfidence():
    z, y = _synthetic()
    temperatures = fit_temperatures(3.0 * z, y)
    assert np.allclose(temperatures, 3.0, rtol=0.1)
    assert np.allclose(fit_temperatures(z, y), 1.0, rtol=0.1)
    y[:, 1] = 0  # a label with no positives has nothing to fit
    assert fit_temperatures(3.0 * z, y)[1] == 1.0


def test_rescaled_thresholds_keep_every_decision():
    z, _ = _synthetic(500)
    thresholds = [0.3, 0.5, 0.8]
    temperatures = np.array([0.5, 2.0, 3.5])
    before = apply_thresholds(expit(z), thresholds)
    after = apply_thresholds(expit(z / temperatures), rescale_thresholds(thresholds, temperatures))
    assert (before == after).all()


@pytest.fixture(scope="module")
def uncalibrated(tmp_path_factory, tiny_encoder, tiny_codebook):
    """A tiny model saved without calibration."""
    out = tmp_path_factory.mktemp("uncalibrated") / "model"
    corpus = load_corpus(tiny_records(), tiny_codebook)
    config = tiny_config(tiny_encoder, finetune="full", calibration="none")
    train(corpus, out, config, progress=False, device="cpu")
    return out


def _noisy_records() -> list[dict]:
    """The tiny corpus with a dev split the tiny model cannot separate perfectly (train
    statements added under rotated labels), so each temperature fit has something to fit."""
    records = tiny_records()
    train = [r for r in records if r["split"] == "train"]
    rotated = {"alpha": ["beta"], "beta": ["gamma"], "gamma": []}
    for i, r in enumerate(train):
        labels = sorted({x for name in r["labels"] for x in rotated[name]}) or ["alpha"]
        records.append(dict(r, id=f"noisy-{i}", split="dev", event="event-dev", labels=labels))
    return records


def _texts(corpus) -> list[str]:
    return list(corpus["test"]["text"]) + list(corpus["dev"]["text"]) + ["", "calm calm calm"]


def test_calibrate_changes_scores_not_decisions(uncalibrated, tiny_codebook):
    clf = FrameClassifier.load(uncalibrated, device="cpu", runtime="torch")
    assert clf.temperatures is None
    raw_thresholds = list(clf.thresholds)
    corpus = load_corpus(_noisy_records(), tiny_codebook)
    texts = _texts(corpus)
    raw, labels_before = clf.predict_proba(texts), clf.predict(texts)
    y_dev = label_matrix(corpus["dev"], clf.labels)
    result = calibrate(clf, corpus["dev"]["text"], y_dev, min_gain=None)
    assert result.applied
    assert clf.temperatures is not None and (clf.temperatures > 0).all()
    assert set(result.temperatures) == set(clf.labels)
    assert clf.predict(texts) == labels_before
    np.testing.assert_allclose(clf.predict_proba(texts, calibrated=False), raw, atol=1e-6)
    assert (clf.predict_proba(texts)[-2] == 0).all()  # empty text: 0 after calibration too
    stored = clf.config["calibration"]["uncalibrated_thresholds"]
    assert [stored[n] for n in clf.labels] == pytest.approx(raw_thresholds)


def test_calibrate_folder_records_it_and_load_applies_it(uncalibrated, tmp_path, tiny_codebook):
    folder = shutil.copytree(uncalibrated, tmp_path / "model")
    corpus = load_corpus(_noisy_records(), tiny_codebook)
    before = FrameClassifier.load(folder, device="cpu", runtime="torch")
    texts = _texts(corpus)
    result = calibrate_folder(folder, corpus, split="dev", min_gain=None)
    again = calibrate_folder(folder, corpus, split="dev", min_gain=None)  # from raw thresholds
    assert again.temperatures == pytest.approx(result.temperatures)
    after = FrameClassifier.load(folder, device="cpu", runtime="torch")
    saved = json.loads((folder / "framescope.json").read_text())
    assert saved["calibration"]["method"] == "temperature"
    assert saved["calibration"]["fitted_on"] == "dev"
    assert after.predict(texts) == before.predict(texts)
    temps = np.array([result.temperatures[n] for n in after.labels])
    expected = expit(after.predict_logits(texts) / temps)
    np.testing.assert_allclose(after.predict_proba(texts), expected, atol=1e-6)
    assert "## Calibration" in (folder / "README.md").read_text()
    onnx = FrameClassifier.load(folder, device="cpu", runtime="onnx")
    np.testing.assert_allclose(onnx.predict_proba(texts), after.predict_proba(texts), atol=1e-4)


def test_training_calibrates_on_dev_unless_told_not_to(tiny_encoder, tiny_codebook):
    corpus = load_corpus(tiny_records(), tiny_codebook)
    config = tiny_config(tiny_encoder, finetune="full", epochs=1)
    calibrated = train(corpus, None, config, progress=False, device="cpu")
    record = calibrated.config["calibration"]
    assert record["fitted_on"] == "dev" and record["statements"] == len(corpus["dev"])
    assert set(record["ece_before"]) == set(record["ece_after"]) == set(calibrated.labels)
    plain = train(
        corpus,
        None,
        tiny_config(tiny_encoder, finetune="full", epochs=1, calibration="none"),
        progress=False,
        device="cpu",
    )
    assert "calibration" not in plain.config and plain.temperatures is None
    with pytest.raises(ValueError, match="calibration must be"):
        tiny_config(tiny_encoder, calibration="platt")


class _FixedLogits:
    """The slice of FrameClassifier that calibrate() uses, with logits given up front."""

    def __init__(self, logits: np.ndarray) -> None:
        self._logits = logits
        self.labels = ["a", "b"]
        self.thresholds = [0.5, 0.5]
        self.config: dict = {}

    def predict_logits(self, texts):
        return self._logits


def test_a_fit_at_the_search_limit_is_reported(caplog):
    z, y = _synthetic(400, labels=2)
    logits = z.copy()
    logits[:, 0] = np.where(y[:, 0] == 1, 3.0, -3.0)  # perfectly separable: T runs to its floor
    with caplog.at_level("WARNING", logger="framescope.calibration"):
        result = calibrate(_FixedLogits(logits), ["x"] * 400, y)
    assert result.temperatures["a"] == 1.0  # no evidence for a temperature: left raw
    assert result.temperatures["b"] != 1.0
    assert "search limit for a:" in caplog.text  # "a" alone: "b" fitted inside the range


def test_a_fit_that_does_not_lower_ece_enough_is_recorded_but_not_applied(uncalibrated):
    clf = FrameClassifier.load(uncalibrated, device="cpu", runtime="torch")
    z, y = _synthetic(300)  # calibrated by construction: a fit cannot gain 10%
    result = calibrate(_FixedLogits(z[:, :2]), ["x"] * 300, y[:, :2])
    assert not result.applied
    stub = _FixedLogits(z[:, :2])
    calibrate(stub, ["x"] * 300, y[:, :2])
    assert stub.config["calibration"]["method"] == "none" and stub.thresholds == [0.5, 0.5]
    texts = ["calm please", "foreign agents"]
    before = clf.predict_proba(texts)
    clf.config["calibration"] = {
        **stub.config["calibration"],
        "temperatures": {n: 3.0 for n in clf.labels},
    }
    assert clf.temperatures is None  # a record that was not applied changes no score
    np.testing.assert_array_equal(clf.predict_proba(texts), before)
