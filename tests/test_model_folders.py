"""Untrusted model folders: every damaged or unsafe folder is refused with one clear line,
nothing pickle-based is ever read, and library versions are compared with the recorded ones."""

# the table of damaged folders (CASES) keeps one case a line, however long
# ruff: noqa: E501

from __future__ import annotations

import json
import logging
import pickle
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file, save_file

import framescope.model_folder as folder_module
from framescope import FrameClassifier, load_corpus, train
from framescope.cli import main
from framescope.encoders import file_sha256
from framescope.errors import ModelLoadError

from .conftest import tiny_config, tiny_records

TEXTS = ["foreign agents organised the riots", "prices doubled", "stay calm", ""]


@pytest.fixture(scope="module")
def tiny_lora_dir(tmp_path_factory, tiny_encoder, tiny_codebook) -> Path:
    out = tmp_path_factory.mktemp("lora") / "tiny-lora"
    corpus = load_corpus(tiny_records(), tiny_codebook)
    config = tiny_config(tiny_encoder, finetune="lora", epochs=1)
    train(corpus, out, config, progress=False, device="cpu")
    return out


@pytest.fixture
def folders(tiny_model_dir, tiny_lora_dir) -> dict[str, Path]:
    return {"full": tiny_model_dir, "lora": tiny_lora_dir}


def _copy(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst, symlinks=True)
    return dst


def _load(path: Path, runtime: str = "torch") -> FrameClassifier:
    return FrameClassifier.load(path, device="cpu", runtime=runtime)


def _edit(m: Path, name: str, change) -> None:
    data = json.loads((m / name).read_text())
    change(data)
    (m / name).write_text(json.dumps(data))


def _record(m: Path, name: str, digest: str | None = None) -> None:
    """Record ``name`` in framescope.json's files (its real sha256 unless ``digest``)."""
    digest = digest or file_sha256(m / name)
    _edit(m, "framescope.json", lambda d: d["files"].__setitem__(name, digest))


def _flip_a_byte(m: Path, name: str) -> None:
    data = bytearray((m / name).read_bytes())
    data[len(data) // 2] ^= 0xFF
    (m / name).write_bytes(bytes(data))


def _plant(m: Path, relative: str, data: bytes = b"\x80\x04K\x01.") -> None:
    (m / relative).parent.mkdir(parents=True, exist_ok=True)
    (m / relative).write_bytes(data)


# damages: each returns a function of the copied model folder
def unlink(name: str):
    return lambda m: (m / name).unlink()


def write(name: str, text: str):
    return lambda m: (m / name).write_text(text)


def flip(name: str):
    return lambda m: _flip_a_byte(m, name)


def plant(relative: str):
    return lambda m: _plant(m, relative)


def set_key(key: str, value, file: str = "framescope.json"):
    return lambda m: _edit(m, file, lambda d: d.__setitem__(key, value))


def drop_key(key: str, within: str | None = None):
    return lambda m: _edit(m, "framescope.json", lambda d: (d[within] if within else d).pop(key))


def set_threshold(label: str, value):
    return lambda m: _edit(
        m, "framescope.json", lambda d: d["thresholds"].__setitem__(label, value)
    )


def record(name: str, digest: str):
    return lambda m: _record(m, name, digest)


def unlink_recorded(name: str):
    return lambda m: [_record(m, name), (m / name).unlink()]


def rewrite(name: str, change):
    """Replace a file's bytes and record its new checksum: only deeper checks can tell."""

    def damage(m: Path) -> None:
        (m / name).write_bytes(change((m / name).read_bytes()))
        _record(m, name)

    return damage


def rewrite_tensors(name: str, change):
    def damage(m: Path) -> None:
        save_file(change(load_file(str(m / name))), str(m / name), metadata={"format": "pt"})
        _record(m, name)

    return damage


def link_out(name: str):
    """Move ``name`` beside the folder and leave a link to it (same bytes, same checksum)."""

    def damage(m: Path) -> None:
        shutil.move(m / name, m.parent / f"outside-{name}")
        (m / name).symlink_to(m.parent / f"outside-{name}")

    return damage


def link(name: str, target: str):
    return lambda m: (m / name).symlink_to(m / target)


def loop(m: Path) -> None:
    (m / "a").symlink_to(m / "b")
    (m / "b").symlink_to(m / "a")


def add_label(m: Path) -> None:
    _edit(
        m,
        "framescope.json",
        lambda d: [d["labels"].append("zeta"), d["thresholds"].update(zeta=0.5)],
    )


REMOTE_MODEL = {"AutoModel": "evil.Model"}
REMOTE_TOKENIZER = {"AutoTokenizer": ["evil.Tok", None]}
ONE_CALIBRATED = {"method": "temperature", "temperatures": {"alpha": 1.5}}
HEADER_ONLY = b"\x08" + b"\x00" * 7 + b'{"a": 1}'

CASES = [
    # missing files
    ("no-framescope-json", "full", unlink("framescope.json"), r"not a framescope model \(no framescope\.json\)"),
    ("no-head", "full", unlink("head.safetensors"), r"missing head\.safetensors"),
    ("no-model-weights", "full", unlink("model.safetensors"), r"missing model\.safetensors"),
    ("no-adapter-weights", "lora", unlink("adapter_model.safetensors"), r"missing adapter_model\.safetensors"),
    ("no-config-json", "full", unlink("config.json"), r"missing config\.json"),
    ("no-adapter-config", "lora", unlink("adapter_config.json"), r"missing adapter_config\.json"),
    ("no-tokenizer-json", "full", unlink("tokenizer.json"), r"missing tokenizer\.json"),
    ("no-tokenizer-json-lora", "lora", unlink("tokenizer.json"), r"missing tokenizer\.json"),
    ("no-tokenizer-config", "full", unlink("tokenizer_config.json"), r"missing tokenizer_config\.json"),
    # framescope.json itself
    ("framescope-json-not-json", "full", write("framescope.json", "{labels: 1"), r"framescope\.json: not valid JSON"),
    ("framescope-json-a-list", "full", write("framescope.json", "[1, 2]"), r"expected a JSON object, found list"),
    ("format-version-higher", "full", set_key("format_version", 2), r"unknown format version 2 \(this framescope reads version 1\)"),
    ("format-version-missing", "full", drop_key("format_version"), r"no format_version \(this framescope reads version 1\)"),
    # checksums
    ("weights-byte-flipped", "full", flip("model.safetensors"), r"model\.safetensors: checksum does not match"),
    ("adapter-byte-flipped", "lora", flip("adapter_model.safetensors"), r"adapter_model\.safetensors: checksum does not match"),
    ("head-byte-flipped", "full", flip("head.safetensors"), r"head\.safetensors: checksum does not match"),
    ("recorded-file-missing", "full", unlink_recorded("README.md"), r"missing README\.md \(recorded in framescope\.json\)"),
    ("recorded-file-altered", "full", record("tokenizer.json", "0" * 64), r"tokenizer\.json: checksum does not match"),
    ("recorded-file-outside", "full", record("../x.json", "0" * 64), r"records \.\./x\.json, a file outside the model folder"),
    ("no-checksums", "full", drop_key("files"), r"no 'files' record of checksums"),
    ("weights-checksum-dropped", "full", drop_key("model.safetensors", "files"), r"no checksum recorded for model\.safetensors"),
    # pickle-based files anywhere
    ("pkl", "full", plant("extra.pkl"), r"holds extra\.pkl \(pickle-based formats can run code"),
    ("joblib-in-a-subfolder", "full", plant("extras/head.joblib"), r"holds extras/head\.joblib"),
    ("pt-in-baseline", "full", plant("baseline/weights.pt"), r"holds baseline/weights\.pt"),
    ("bin-beside-the-weights", "full", plant("pytorch_model.bin"), r"holds pytorch_model\.bin"),
    ("bin-beside-the-adapter", "lora", plant("adapter_model.bin"), r"holds adapter_model\.bin"),
    ("upper-case-suffix", "full", plant("HEAD.PKL"), r"holds HEAD\.PKL"),
    # remote code
    ("config-auto-map", "full", set_key("auto_map", REMOTE_MODEL, "config.json"), r"config\.json: asks for remote code \(auto_map\)"),
    ("config-trust-remote-code", "full", set_key("trust_remote_code", True, "config.json"), r"config\.json: asks for remote code \(trust_remote_code\)"),
    ("tokenizer-auto-map", "full", set_key("auto_map", REMOTE_TOKENIZER, "tokenizer_config.json"), r"tokenizer_config\.json: asks for remote code \(auto_map\)"),
    ("tokenizer-auto-map-lora", "lora", set_key("auto_map", REMOTE_TOKENIZER, "tokenizer_config.json"), r"tokenizer_config\.json: asks for remote code"),
    ("config-json-not-json", "full", write("config.json", "{oops"), r"config\.json: not valid JSON"),
    # links that leave the folder
    ("link-to-a-file-outside", "full", link("notes.txt", "/etc/hostname"), r"refusing notes\.txt, a link to /etc/hostname outside the model folder"),
    ("weights-linked-from-outside", "full", link_out("model.safetensors"), r"refusing model\.safetensors, a link to .*outside-model\.safetensors outside"),
    ("link-to-a-folder-outside", "full", link("extras", ".."), r"refusing extras, a link to .* outside the model folder"),
    ("link-loop", "full", loop, r"refusing a, a link to .* outside the model folder"),
    # labels and thresholds
    ("threshold-for-an-unknown-label", "full", set_threshold("zeta", 0.5), r"threshold\(s\) for unknown label\(s\) zeta \(the labels are alpha, beta, gamma\)"),
    ("threshold-missing", "full", drop_key("beta", "thresholds"), r"no threshold for label\(s\) beta"),
    ("threshold-not-a-number", "full", set_threshold("beta", "high"), r"the threshold of 'beta' must be a number from 0 to 1, not 'high'"),
    ("threshold-out-of-range", "full", set_threshold("beta", 7), r"the threshold of 'beta' must be a number from 0 to 1, not 7"),
    ("thresholds-a-list", "full", set_key("thresholds", [0.5, 0.5, 0.5]), r"'thresholds' must map each label to a number"),
    ("label-twice", "full", set_key("labels", ["alpha", "alpha", "gamma"]), r"label\(s\) listed twice: alpha"),
    ("no-labels", "full", set_key("labels", []), r"'labels' must be a non-empty list"),
    ("more-labels-than-the-head", "full", add_label, r"head shape does not match the labels"),
    ("max-length-not-a-number", "full", set_key("max_length", "long"), r"'max_length' must be a whole number of at least 1, not 'long'"),
    ("unknown-pooling", "full", set_key("pooling", "max"), r"unknown pooling 'max'"),
    ("unknown-encoder-format", "full", set_key("encoder_format", "onnx"), r"unknown encoder format 'onnx'"),
    ("calibration-misses-labels", "full", set_key("calibration", ONE_CALIBRATED), r"the calibration must give a positive temperature for each label"),
    # unreadable weights (checksum re-recorded, so only the deeper checks can tell)
    ("weights-truncated", "full", rewrite("model.safetensors", lambda b: b[:5000]), r"model\.safetensors: not a readable safetensors file \(.*incomplete metadata"),
    ("weights-garbage", "full", rewrite("model.safetensors", lambda b: b"garbage" * 20), r"model\.safetensors: not a readable safetensors file"),
    ("head-truncated", "full", rewrite("head.safetensors", lambda b: b[:-40]), r"head\.safetensors: not a readable safetensors file"),
    ("adapter-garbage", "lora", rewrite("adapter_model.safetensors", lambda b: HEADER_ONLY), r"adapter_model\.safetensors: not a readable safetensors file"),
    ("weights-lack-a-tensor", "full", rewrite_tensors("model.safetensors", lambda t: {k: v for k, v in t.items() if "layer.1.output.dense.weight" not in k}), r"model\.safetensors: lacks 1 tensor\(s\) of the model \(first: encoder\.layer\.1\.output\.dense\.weight\)"),
    ("adapter-lacks-a-tensor", "lora", rewrite_tensors("adapter_model.safetensors", lambda t: dict(sorted(t.items())[1:])), r"adapter_model\.safetensors: lacks 1 tensor\(s\)"),
    ("head-tensor-renamed", "full", rewrite_tensors("head.safetensors", lambda t: {"w": t["weight"], "bias": t["bias"]}), r"head shape does not match the labels"),
    ("tokenizer-json-garbage", "full", write("tokenizer.json", '{"x": 1}'), r"cannot read the tokenizer"),
]  # fmt: skip


@pytest.mark.parametrize("kind, damage, message", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_a_damaged_or_unsafe_folder_is_refused_in_one_line(
    folders, tmp_path, capsys, kind, damage, message
):
    m = _copy(folders[kind], tmp_path / "model")
    damage(m)
    with pytest.raises(ModelLoadError, match=message) as info:
        _load(m)
    assert "\n" not in str(info.value)
    capsys.readouterr()
    argv = ["predict", "a statement", "--model", str(m), "--device", "cpu", "--runtime", "torch"]
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "Traceback" not in captured.err
    last = captured.err.strip().splitlines()[-1]
    assert last.startswith("framescope: error: ") and re.search(message, last)


def test_score_refuses_a_damaged_model_and_writes_nothing(tiny_model_dir, tmp_path, capsys):
    m = _copy(tiny_model_dir, tmp_path / "model")
    _flip_a_byte(m, "model.safetensors")
    (tmp_path / "in.csv").write_text("text\nprices doubled\n")
    out = tmp_path / "out.csv"
    assert main(["score", str(tmp_path / "in.csv"), "-o", str(out), "--model", str(m)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("framescope: error: ") and "checksum does not match" in err[-1]
    assert not out.exists()


# ------------------------------------------------------------------ pickle never runs
class _TouchOnUnpickle:
    """Unpickling this object creates ``marker``: what a malicious pickle could do."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path(self.marker).touch, ())


def _payload(marker: Path) -> bytes:
    return pickle.dumps(_TouchOnUnpickle(marker))


@pytest.fixture
def unpickling_fails(monkeypatch):
    """Every way in to unpickling fails the test when called."""

    def refuse(*args, **kwargs):
        pytest.fail("a pickle was read")

    for owner, name in (
        (pickle, "load"),
        (pickle, "loads"),
        (pickle, "Unpickler"),
        (torch, "load"),
        (torch.serialization, "load"),
    ):
        monkeypatch.setattr(owner, name, refuse)


def test_the_planted_pickle_really_runs_code_when_unpickled(tmp_path):
    marker = tmp_path / "control-marker"
    pickle.loads(_payload(marker))
    assert marker.exists()


@pytest.mark.parametrize(
    "names",
    [("pytorch_model.bin",), ("training_args.bin",), ("pytorch_model.bin", "training_args.bin")],
)
def test_a_malicious_pickle_is_refused_and_never_opened(
    tiny_model_dir, tmp_path, unpickling_fails, names
):
    marker = tmp_path / "marker"
    m = _copy(tiny_model_dir, tmp_path / "model")
    for name in names:
        (m / name).write_bytes(_payload(marker))
    with pytest.raises(ModelLoadError, match=f"holds {names[0]}"):
        _load(m)
    assert not marker.exists()


@pytest.mark.parametrize("kind, runtime", [("full", "torch"), ("full", "onnx"), ("lora", "torch")])
def test_a_clean_folder_loads_without_any_unpickling(folders, unpickling_fails, kind, runtime):
    clf = _load(folders[kind], runtime=runtime)
    assert clf.runtime == runtime
    assert clf.predict_proba(TEXTS).shape == (len(TEXTS), 3)


@pytest.mark.parametrize(
    "kind, planted",
    [("full", ("pytorch_model.bin", "training_args.bin")), ("lora", ("adapter_model.bin",))],
)
def test_without_the_refusal_pickles_are_still_never_read(
    folders, tmp_path, monkeypatch, unpickling_fails, kind, planted
):
    """The refusal is the first guard, not the only one: transformers and peft are told to
    read safetensors only, so pickled weights beside them are ignored."""
    monkeypatch.setattr(folder_module, "refuse_unsafe_files", lambda path: None)
    marker = tmp_path / "marker"
    m = _copy(folders[kind], tmp_path / "model")
    for name in planted:
        (m / name).write_bytes(_payload(marker))
    loaded = _load(m)
    assert not marker.exists()
    clean = _load(folders[kind]).predict_proba(TEXTS)
    np.testing.assert_array_equal(loaded.predict_proba(TEXTS), clean)


def test_the_encoder_loader_never_falls_back_to_pickled_weights(
    tiny_model_dir, tmp_path, monkeypatch, unpickling_fails
):
    """With every folder check removed and only pickled weights left, transformers is still
    told to read safetensors only: the load fails instead of unpickling."""
    for check in ("refuse_unsafe_files", "require_files", "verify_checksums"):
        monkeypatch.setattr(folder_module, check, lambda *args: None)
    marker = tmp_path / "marker"
    m = _copy(tiny_model_dir, tmp_path / "model")
    (m / "model.safetensors").unlink()
    (m / "pytorch_model.bin").write_bytes(_payload(marker))
    with pytest.raises(ModelLoadError, match="cannot read the encoder"):
        _load(m)
    assert not marker.exists()


def test_harmless_extra_files_and_links_inside_the_folder_are_fine(tiny_model_dir, tmp_path):
    m = _copy(tiny_model_dir, tmp_path / "model")
    (m / "notes.txt").write_text("trained for the spring report\n")
    _plant(m, "extras/eval.json", b"{}")
    (m / "CARD.md").symlink_to(m / "README.md")
    (tmp_path / "current").symlink_to(m)  # a model folder reached through a link
    clean = _load(tiny_model_dir).predict_proba(TEXTS)
    np.testing.assert_array_equal(_load(m).predict_proba(TEXTS), clean)
    np.testing.assert_array_equal(_load(tmp_path / "current").predict_proba(TEXTS), clean)


# ------------------------------------------------------------------ library versions
def _warnings(caplog) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name.startswith("framescope") and r.levelno >= logging.WARNING
    ]


def _record_version(m: Path, package: str, version: str) -> None:
    _edit(m, "framescope.json", lambda d: d["library_versions"].__setitem__(package, version))


def test_a_folder_records_the_library_versions(tiny_model_dir, tiny_lora_dir):
    import peft
    import transformers

    for folder in (tiny_model_dir, tiny_lora_dir):
        recorded = json.loads((folder / "framescope.json").read_text())["library_versions"]
        assert recorded["torch"] == torch.__version__
        assert recorded["transformers"] == transformers.__version__
        assert recorded["peft"] == peft.__version__
        assert recorded["framescope"] == folder_module.__version__


@pytest.mark.parametrize(
    "kind, package, recorded",
    [
        ("full", "torch", "1.0.0"),
        ("full", "transformers", "3.5.1"),
        ("full", "framescope", "2.0.0"),
        ("lora", "peft", "0.9.0"),  # before 1.0 a minor release counts as a major one
    ],
)
def test_another_major_version_is_named_in_a_warning(
    folders, tmp_path, caplog, kind, package, recorded
):
    installed = folder_module.library_versions()[package]
    m = _copy(folders[kind], tmp_path / "model")
    _record_version(m, package, recorded)
    with caplog.at_level(logging.WARNING):
        _load(m)
    (message,) = _warnings(caplog)
    assert f"saved with {package} {recorded}, but {package} {installed} is installed" in message


def test_matching_versions_give_no_warning(folders, tmp_path, caplog):
    major = torch.__version__.split(".")[0]
    m = _copy(folders["full"], tmp_path / "model")
    _record_version(m, "torch", f"{major}.0.0")  # another minor release: no warning
    _record_version(m, "peft", "0.1.0")  # peft is not used by a fully fine-tuned model
    with caplog.at_level(logging.WARNING):
        for folder in (folders["full"], folders["lora"], m):
            _load(folder)
    assert _warnings(caplog) == []


def test_a_folder_without_versions_warns_once(tiny_model_dir, tmp_path, caplog):
    m = _copy(tiny_model_dir, tmp_path / "model")
    _edit(m, "framescope.json", lambda d: d.pop("library_versions"))
    with caplog.at_level(logging.WARNING):
        _load(m)
    (message,) = _warnings(caplog)
    assert "records no version of framescope, torch, transformers" in message
    assert f"torch {torch.__version__}" in message


def test_the_version_warning_is_seen_without_any_logging_setup(
    tiny_model_dir, tmp_path, monkeypatch, capsys
):
    """In a notebook nothing configures logging; Python then prints warnings to stderr."""
    m = _copy(tiny_model_dir, tmp_path / "model")
    _record_version(m, "torch", "1.0.0")
    monkeypatch.setattr(logging.getLogger(), "handlers", [])
    _load(m)
    assert "saved with torch 1.0.0" in capsys.readouterr().err


def test_the_cli_shows_the_version_warning_and_goes_on(tiny_model_dir, tmp_path, caplog, capsys):
    m = _copy(tiny_model_dir, tmp_path / "model")
    _record_version(m, "torch", "1.0.0")
    argv = ["predict", "prices doubled", "--model", str(m), "--device", "cpu", "--runtime", "torch"]
    with caplog.at_level(logging.WARNING):
        assert main(argv) == 0
    assert any("saved with torch 1.0.0" in w for w in _warnings(caplog))
    assert "labels:" in capsys.readouterr().out
