from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest

from framescope import FrameClassifier
from framescope.errors import ModelLoadError

from .conftest import LABELS


@pytest.fixture(scope="module")
def clf(tiny_model_dir):
    return FrameClassifier.load(tiny_model_dir, device="cpu")


def test_predict_returns_label_lists_over_thresholds(clf):
    texts = ["foreign agents again", "", "prices"]
    probs = clf.predict_proba(texts)
    assert probs.dtype == np.float32 and ((probs >= 0) & (probs <= 1)).all()
    labels = clf.predict(texts)
    assert isinstance(labels, list) and len(labels) == 3
    for row, p in zip(labels, probs):
        assert row == [n for n, s, t in zip(LABELS, p, clf.thresholds) if s >= t]


def test_order_is_kept_whatever_the_batching(clf):
    texts = [("word " * n).strip() for n in (9, 1, 5, 3, 7, 2)]
    full = clf.predict_proba(texts, batch_size=64)
    small = clf.predict_proba(texts, batch_size=2)
    np.testing.assert_allclose(full, small, atol=1e-5)
    single = np.vstack([clf.predict_proba([t]) for t in texts])
    np.testing.assert_allclose(full, single, atol=1e-5)


def test_empty_input_gives_an_empty_array(clf):
    assert clf.predict_proba([]).shape == (0, len(LABELS))
    assert clf.predict([]) == []


@pytest.mark.parametrize(
    "bad, message",
    [
        ("one string", "single string"),
        (["ok", 3], r"texts\[1\] is int"),
        (["ok", None], r"texts\[1\] is NoneType"),
    ],
)
def test_bad_input_types_raise_type_error(clf, bad, message):
    with pytest.raises(TypeError, match=message):
        clf.predict_proba(bad)


def test_score_dataframe_adds_labels_and_scores(clf):
    df = pd.DataFrame({"quote": ["foreign agents", "calm please"], "speaker": ["a", "b"]})
    out = clf.score_dataframe(df, text_column="quote")
    scores = [f"score_{n}" for n in LABELS]
    assert list(out.columns) == ["quote", "speaker", "labels", *scores, "windows"]
    assert list(df.columns) == ["quote", "speaker"]
    np.testing.assert_allclose(
        out[[f"score_{n}" for n in LABELS]].to_numpy(),
        clf.predict_proba(df["quote"].tolist()),
        atol=1e-6,
    )
    with pytest.raises(KeyError, match="did you mean 'quote'"):
        clf.score_dataframe(df, text_column="quotes")


def _copy(src, dst):
    shutil.copytree(src, dst)
    return dst


def test_load_refuses_damaged_or_unsafe_folders(tiny_model_dir, tmp_path):
    with pytest.raises(ModelLoadError, match="not found"):
        FrameClassifier.load(tmp_path / "nothing")
    m = _copy(tiny_model_dir, tmp_path / "a")
    (m / "head.safetensors").unlink()
    with pytest.raises(ModelLoadError, match="missing head.safetensors"):
        FrameClassifier.load(m)
    m = _copy(tiny_model_dir, tmp_path / "b")
    cfg = json.loads((m / "framescope.json").read_text())
    cfg["format_version"] = 99
    (m / "framescope.json").write_text(json.dumps(cfg))
    with pytest.raises(ModelLoadError, match="format version 99"):
        FrameClassifier.load(m)
    m = _copy(tiny_model_dir, tmp_path / "c")
    data = bytearray((m / "head.safetensors").read_bytes())
    data[-1] ^= 0xFF
    (m / "head.safetensors").write_bytes(bytes(data))
    with pytest.raises(ModelLoadError, match="checksum"):
        FrameClassifier.load(m)
    m = _copy(tiny_model_dir, tmp_path / "d")
    (m / "extra.pkl").write_bytes(b"\x80\x04not really")
    with pytest.raises(ModelLoadError, match="extra.pkl"):
        FrameClassifier.load(m)
    m = _copy(tiny_model_dir, tmp_path / "e")
    hf = json.loads((m / "config.json").read_text())
    hf["auto_map"] = {"AutoModel": "evil.Model"}
    (m / "config.json").write_text(json.dumps(hf))
    with pytest.raises(ModelLoadError, match="remote code"):
        FrameClassifier.load(m)


def test_empty_and_whitespace_texts_get_zero_scores_and_no_labels(tiny_model_dir):
    clf = FrameClassifier.load(tiny_model_dir, device="cpu")
    clf.min_labels = 1  # even where every statement must get a label
    texts = ["foreign agents organised the riots", "", "  \n\t", "prices doubled"]
    probs = clf.predict_proba(texts, batch_size=1)
    assert (probs[1:3] == 0).all() and (probs[[0, 3]] > 0).all()
    labels = clf.predict(texts)
    assert labels[1] == labels[2] == [] and labels[0] and labels[3]
    assert (clf.predict_proba(["", " "]) == 0).all()
