"""Text input robustness: odd, missing and very long texts through predict, predict_proba,
count_windows, score_dataframe and score_file, with examples and property-based tests."""

from __future__ import annotations

import json
import math
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from framescope import FrameClassifier, score_file

from .conftest import LABELS, read_scored, tiny_records, write_table

SCORES = [f"score_{n}" for n in LABELS]
# each of these is one token of the tiny model's vocabulary
WORDS = sorted({w for r in tiny_records() for w in r["text"].split()})
BLANK = ["", " ", "\t\n", "\r\n", "\u00a0", "\u3000 \u2003"]
NOT_STRINGS = [None, float("nan"), np.nan, 3, 2.5, True, b"calm", {"text": "calm"}, ["calm"]]
ODD = {
    "nul": "calm\x00down",
    "bell": "\x07prices",
    "zero-width space": "\u200b",
    "zero-width inside": "for\u200beign",
    "carriage return": "calm\rprices",
    "byte order mark": "\ufeffcalm",
    "control only": "\x01\x02\x1f",
    "mixed scripts": "foreign agents, иностранные агенты, 外国代理人, ajan asing",
    "emoji": "prices 📈😡 calm 🕊️ 👨‍👩‍👧‍👦 🇺🇦",
    "arabic": "نطالب بالهدوء من جميع الأطراف",
    "hebrew": "המחירים עלו והאנשים כועסים",
    "rtl override": "\u202ecalm\u202c prices",
    "combining marks": "c̷̡a̸͝l̵m̴",
    "lone surrogate": "calm \ud800",
    "reversed surrogate pair": "\udc00\ud800",
    "number-like": "1e309",
    "null-like": "null",
}
ENCODABLE = [t for name, t in ODD.items() if "surrogate" not in name]


@pytest.fixture(scope="module")
def clf(tiny_model_dir) -> FrameClassifier:
    return FrameClassifier.load(tiny_model_dir, device="cpu")


@pytest.fixture(scope="module")
def runtimes(tiny_model_dir) -> dict[str, FrameClassifier]:
    return {
        rt: FrameClassifier.load(tiny_model_dir, device="cpu", runtime=rt)
        for rt in ("torch", "onnx")
    }


def _words(n: int, seed: int = 0) -> list[str]:
    rng = np.random.default_rng(seed)
    return [str(w) for w in rng.choice(WORDS, size=n)]


def _room(clf: FrameClassifier) -> int:
    """Text tokens in one window: max_length less [CLS] and [SEP]."""
    return clf.max_length - 2


def _assert_valid(clf: FrameClassifier, texts: list[str]) -> None:
    """The invariants every input must keep, whatever its content."""
    probs = clf.predict_proba(texts)
    labels = clf.predict(texts)
    windows = clf.count_windows(texts)
    assert probs.shape == (len(texts), len(clf.labels)) and probs.dtype == np.float32
    assert np.isfinite(probs).all() and (probs >= 0).all() and (probs <= 1).all()
    assert len(labels) == len(texts) and all(set(x) <= set(clf.labels) for x in labels)
    assert windows.shape == (len(texts),) and windows.dtype == np.int64
    for text, row, found, count in zip(texts, probs, labels, windows):
        if text.strip():
            assert count >= 1
        else:
            assert count == 0 and found == [] and not row.any()


# ---------------------------------------------------------------------- empty and odd texts
@pytest.mark.parametrize("blank", BLANK)
def test_blank_texts_get_no_labels_zero_scores_and_no_window(clf, blank):
    texts = ["foreign agents organised the riots", blank]
    assert clf.predict(texts)[1] == []
    assert not clf.predict_proba(texts)[1].any()
    assert clf.count_windows(texts).tolist() == [1, 0]
    assert np.isneginf(clf.predict_logits(texts)[1]).all()


@pytest.mark.parametrize("value", NOT_STRINGS, ids=lambda v: type(v).__name__)
@pytest.mark.parametrize("method", ["predict", "predict_proba", "predict_logits", "count_windows"])
def test_non_strings_raise_type_error_naming_the_index(clf, method, value):
    with pytest.raises(TypeError, match=r"texts\[2\] is " + type(value).__name__):
        getattr(clf, method)(["calm", "prices", value])


def test_score_dataframe_names_the_row_of_a_missing_text(clf):
    frame = pd.DataFrame({"text": ["calm", "prices", None]})
    with pytest.raises(TypeError, match=r"texts\[2\] is (NoneType|float), not str"):
        clf.score_dataframe(frame)


@pytest.mark.parametrize("method", ["predict", "predict_proba", "count_windows"])
def test_a_single_string_is_refused(clf, method):
    with pytest.raises(TypeError, match="single string"):
        getattr(clf, method)("calm")


def test_no_texts_give_empty_outputs(clf):
    assert clf.predict([]) == []
    assert clf.predict_proba([]).shape == (0, len(LABELS))
    assert clf.count_windows([]).shape == (0,)


@pytest.mark.parametrize("text", list(ODD.values()), ids=list(ODD))
def test_odd_characters_are_scored_without_error(clf, text):
    _assert_valid(clf, [text, "calm", text])
    assert clf.count_windows([text]).tolist() == [1]


def test_a_lone_surrogate_is_read_as_the_replacement_character(clf):
    got = clf.predict_logits(["calm \ud800 prices", "\udfff"])
    expected = clf.predict_logits(["calm \ufffd prices", "\ufffd"])
    np.testing.assert_array_equal(got, expected)


def test_short_texts_are_encoded_as_the_tokenizer_truncates_them(runtimes):
    """A text that fits one window is scored exactly as before windowing existed."""
    clf = runtimes["torch"]
    # one batch, in the order predict_logits sorts it
    texts = sorted([r["text"] for r in tiny_records()] + ENCODABLE, key=len)
    enc = clf.tokenizer(
        texts, padding=True, truncation=True, max_length=clf.max_length, return_tensors="pt"
    )
    assert enc["input_ids"].shape[1] <= clf.max_length
    import torch

    with torch.inference_mode():
        expected = clf.model(**enc)["logits"].float().numpy()
    got = clf.predict_logits(texts, batch_size=len(texts))
    np.testing.assert_array_equal(got, expected)


# ---------------------------------------------------------------------- long texts
def test_window_overlap_is_a_quarter_of_a_window(clf):
    assert clf.window_overlap == _room(clf) // 4 > 0


def test_long_text_logits_are_the_max_over_its_windows(clf):
    words = _words(97)
    assert all(len(clf.tokenizer(w, add_special_tokens=False)["input_ids"]) == 1 for w in words)
    room, step = _room(clf), _room(clf) - clf.window_overlap
    starts = range(0, len(words) - clf.window_overlap, step)
    windows = [" ".join(words[s : s + room]) for s in starts]
    assert len(windows) > 5 and " ".join(windows[-1].split()[-3:]) == " ".join(words[-3:])
    assert clf.count_windows([" ".join(words)]).tolist() == [len(windows)]
    assert clf.count_windows(windows).tolist() == [1] * len(windows)
    got = clf.predict_logits([" ".join(words)])[0]
    separately = clf.predict_logits(windows)
    np.testing.assert_allclose(got, separately.max(axis=0), atol=1e-5)
    assert not np.allclose(got, separately[0], atol=1e-4)  # not the truncated first window


def test_a_cue_at_the_end_of_a_long_text_counts(clf):
    """Truncation would read only the filler; a window reads the call for calm at the end."""
    filler = "the meeting starts at noon " * 40
    cue = "we call for calm on all sides"
    first_window = " ".join(filler.split()[: _room(clf)])
    gamma = LABELS.index("gamma")
    long_score, truncated, filler_only = clf.predict_proba([filler + cue, first_window, filler])[
        :, gamma
    ]
    assert long_score > max(truncated, filler_only) + 0.02


def test_a_100000_character_text_is_scored_in_many_windows(clf):
    cue = " foreign agents"
    text = ("the weather was cold in the capital " * 3000)[: 100_000 - len(cue)] + cue
    assert len(text) == 100_000
    first_window = " ".join(text.split()[: _room(clf)])
    probs = clf.predict_proba([text, first_window, "calm"])
    assert np.isfinite(probs).all() and (probs >= 0).all() and (probs <= 1).all()
    windows = clf.count_windows([text, first_window])
    assert windows[0] > 1000 and windows[1] == 1
    assert not np.allclose(probs[0], probs[1], atol=1e-4)
    assert set(clf.predict([text])[0]) <= set(LABELS)


def test_order_is_kept_when_windows_of_many_texts_share_batches(clf):
    texts = [
        " ".join(_words(n, seed=n)) if n else "" for n in (40, 3, 0, 75, 1, 16, 15, 200, 9, 33)
    ]
    together = clf.predict_logits(texts, batch_size=5)
    alone = np.stack([clf.predict_logits([t], batch_size=5)[0] for t in texts])
    np.testing.assert_allclose(together, alone, atol=1e-5)
    counts = clf.count_windows(texts)
    assert counts.tolist() == [clf.count_windows([t])[0] for t in texts]
    assert counts[2] == 0 and counts[1] == 1 and counts[7] > counts[3] > counts[0] > 1


def test_onnx_and_torch_agree_on_windowed_texts(runtimes):
    texts = [" ".join(_words(n, seed=n)) for n in (5, 60, 130)] + ["calm " * 2000]
    torch_logits = runtimes["torch"].predict_logits(texts, batch_size=64)
    onnx_logits = runtimes["onnx"].predict_logits(texts, batch_size=64)
    np.testing.assert_allclose(onnx_logits, torch_logits, atol=1e-4)
    counts = runtimes["torch"].count_windows(texts)
    assert counts.tolist() == runtimes["onnx"].count_windows(texts).tolist()
    assert counts[0] == 1 and (counts[1:] > 1).all()


def test_score_dataframe_adds_a_windows_column(clf):
    frame = pd.DataFrame({"quote": ["calm", "", "prices " * 100]})
    out = clf.score_dataframe(frame, text_column="quote")
    assert list(out.columns) == ["quote", "labels", *SCORES, "windows"]
    assert out["windows"].tolist() == clf.count_windows(frame["quote"]).tolist()
    assert out["windows"].tolist()[:2] == [1, 0] and out["windows"][2] > 1


# ---------------------------------------------------------------------- files
RAW_INPUTS = {
    ".csv": 'id,text\n1,calm\n2,\n3,""\n4," "\n5,{long}\n',
    ".jsonl": (
        '{{"id": 1, "text": "calm"}}\n{{"id": 2, "text": null}}\n{{"id": 3}}\n'
        '{{"id": 4, "text": " "}}\n{{"id": 5, "text": "{long}"}}\n'
    ),
}


def _raw_input(path: Path, fmt: str, long: str) -> None:
    if fmt == ".parquet":
        frame = pd.DataFrame({"id": [1, 2, 3, 4, 5], "text": ["calm", None, math.nan, " ", long]})
        frame.to_parquet(path)
    else:
        path.write_text(RAW_INPUTS[fmt].format(long=long), encoding="utf-8")


@pytest.mark.parametrize("fmt", [".csv", ".jsonl", ".parquet"])
def test_files_score_missing_texts_as_empty_and_count_windows(tmp_path, clf, fmt):
    long = "prices " * 300
    src, dst = tmp_path / f"in{fmt}", tmp_path / f"out{fmt}"
    _raw_input(src, fmt, long)
    summary = score_file(src, dst, clf, progress=False)
    out = read_scored(dst)
    assert list(out.columns) == ["id", "text", "labels", *SCORES, "windows"]
    assert out["id"].astype(int).tolist() == [1, 2, 3, 4, 5]
    assert out["labels"].tolist()[1:4] == [[], [], []]
    assert not out[SCORES].iloc[1:4].to_numpy().any()
    assert out["windows"].tolist() == [1, 0, 0, 0, clf.count_windows([long])[0]]
    assert out["windows"][4] > 1
    expected = clf.predict_proba(["calm", long])
    np.testing.assert_allclose(out[SCORES].iloc[[0, 4]].to_numpy(), expected, atol=1e-5)
    meta = json.loads(Path(f"{dst}.meta.json").read_text())
    assert summary.empty_texts == meta["empty_texts"] == 3


# ---------------------------------------------------------------------- property-based
NASTY = ENCODABLE + BLANK
# a few thousand characters: a drawn text repeated, so that windowing is exercised
LONG = st.tuples(st.text(min_size=1, max_size=40), st.integers(60, 150)).map(
    lambda t: " ".join([t[0]] * t[1])
)
TEXT = st.one_of(
    st.text(max_size=80),
    st.text(st.characters(categories=["Cc", "Cf", "Zs", "Zl", "Zp", "Mn", "So"]), max_size=30),
    st.lists(st.sampled_from([*WORDS, "\u200b", "😡", "مرحبا", "\n"]), max_size=40).map(" ".join),
    st.sampled_from(NASTY),
    LONG,
)
SURROGATE = st.text(st.characters(categories=["Cs", "Ll"]), max_size=20)
PROPERTY = settings(
    max_examples=100,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@PROPERTY
@given(texts=st.lists(st.one_of(TEXT, SURROGATE), max_size=20))
def test_property_predict_and_predict_proba(clf, texts):
    _assert_valid(clf, texts)


@settings(PROPERTY, max_examples=40)
@given(texts=st.lists(TEXT, min_size=1, max_size=20), fmt=st.sampled_from([".jsonl", ".csv"]))
def test_property_score_file(clf, texts, fmt):
    with tempfile.TemporaryDirectory() as folder:
        src, dst = Path(folder) / f"in{fmt}", Path(folder) / f"out{fmt}"
        write_table(pd.DataFrame({"id": range(len(texts)), "text": texts}), src)
        summary = score_file(src, dst, clf, progress=False, batch_size=64)
        out = read_scored(dst)
    assert summary.rows == len(out) == len(texts)
    assert out["id"].astype(int).tolist() == list(range(len(texts)))
    scores = out[SCORES].to_numpy(dtype=float)
    assert np.isfinite(scores).all() and (scores >= 0).all() and (scores <= 1).all()
    assert all(set(labels) <= set(LABELS) for labels in out["labels"])
    written = ["" if not isinstance(t, str) else t for t in out["text"]]
    assert out["windows"].tolist() == clf.count_windows(written).tolist()
    assert summary.empty_texts == sum(1 for t in written if not t.strip())
