"""A model folder on disk: what it must hold, and how it is checked and read.

Loading trusts nothing in the folder: framescope.json is validated, files that could run code
(pickles, remote-code configs, links leading out of the folder) are refused, every recorded
checksum is verified, and only JSON, safetensors and tokenizer files are ever read.
``FrameClassifier.load`` (classifier.py) calls these in order; ``FrameClassifier.save`` writes
what they check.
"""

from __future__ import annotations

import json
import logging
import platform
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file

from . import __version__
from .encoders import file_sha256, resolve_base_model
from .errors import ModelLoadError
from .modeling import POOLINGS, FrameModel

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
CONFIG_FILE = "framescope.json"
HEAD_FILE = "head.safetensors"
FULL_WEIGHTS = "model.safetensors"
ADAPTER_WEIGHTS = "adapter_model.safetensors"
BASELINE_DIR = "baseline"
FORBIDDEN_SUFFIXES = (".pkl", ".pickle", ".joblib", ".dill", ".bin", ".pt", ".pth", ".ckpt", ".npy")
# what each encoder format needs beside framescope.json and the head
ENCODER_FILES = {
    "transformers": (FULL_WEIGHTS, "config.json"),
    "peft-lora": (ADAPTER_WEIGHTS, "adapter_config.json"),
}
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json")
# files whose auto_map would make transformers import Python code shipped with the model
REMOTE_CODE_FILES = ("config.json", "tokenizer_config.json")
# packages whose major version is compared with the one that saved a model (peft: LoRA only)
CHECKED_LIBRARIES = ("framescope", "torch", "transformers")


def library_versions() -> dict[str, str]:
    import peft
    import transformers

    return {
        "framescope": __version__,
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "peft": peft.__version__,
        "python": platform.python_version(),
    }


def read_config(path: Path) -> dict[str, Any]:
    if not path.is_dir():
        raise ModelLoadError(f"model folder not found: {path}")
    cfg_path = path / CONFIG_FILE
    if not cfg_path.is_file():
        raise ModelLoadError(f"{path}: not a framescope model (no {CONFIG_FILE})")
    config = _read_json(cfg_path)
    if "format_version" not in config:
        raise ModelLoadError(
            f"{cfg_path}: no format_version (this framescope reads version {FORMAT_VERSION})"
        )
    version = config["format_version"]
    if version != FORMAT_VERSION:
        raise ModelLoadError(
            f"{cfg_path}: unknown format version {version!r} (this framescope reads "
            f"version {FORMAT_VERSION})"
        )
    for key in ("labels", "thresholds", "max_length", "encoder_format", "pooling"):
        if key not in config:
            raise ModelLoadError(f"{cfg_path}: missing {key!r}")
    _check_settings(cfg_path, config)
    return config


def _read_json(file: Path) -> dict[str, Any]:
    """A JSON object from a model folder, or ModelLoadError."""
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ModelLoadError(f"{file}: not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise ModelLoadError(f"{file}: expected a JSON object, found {type(data).__name__}")
    return data


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check_settings(cfg_path: Path, config: dict[str, Any]) -> None:
    """Labels, thresholds and the other recorded settings, checked before anything uses them."""
    labels = config["labels"]
    if not (isinstance(labels, list) and labels and all(isinstance(n, str) and n for n in labels)):
        raise ModelLoadError(f"{cfg_path}: 'labels' must be a non-empty list of label names")
    twice = sorted({n for n in labels if labels.count(n) > 1})
    if twice:
        raise ModelLoadError(f"{cfg_path}: label(s) listed twice: {', '.join(twice)}")
    thresholds = config["thresholds"]
    if not isinstance(thresholds, dict):
        raise ModelLoadError(f"{cfg_path}: 'thresholds' must map each label to a number")
    missing = [n for n in labels if n not in thresholds]
    if missing:
        raise ModelLoadError(f"{cfg_path}: no threshold for label(s) {', '.join(missing)}")
    unknown = [n for n in thresholds if n not in labels]
    if unknown:
        raise ModelLoadError(
            f"{cfg_path}: threshold(s) for unknown label(s) {', '.join(unknown)} "
            f"(the labels are {', '.join(labels)})"
        )
    for name in labels:
        value = thresholds[name]
        if not (_is_number(value) and 0.0 <= value <= 1.0):
            raise ModelLoadError(
                f"{cfg_path}: the threshold of {name!r} must be a number from 0 to 1, not {value!r}"
            )
    for key, lowest in (("max_length", 1), ("min_labels", 0)):
        value = config.get(key, lowest)
        if not (isinstance(value, int) and not isinstance(value, bool) and value >= lowest):
            raise ModelLoadError(
                f"{cfg_path}: {key!r} must be a whole number of at least {lowest}, not {value!r}"
            )
    if config["encoder_format"] not in ENCODER_FILES:
        raise ModelLoadError(
            f"{cfg_path}: unknown encoder format {config['encoder_format']!r} "
            f"(known: {', '.join(ENCODER_FILES)})"
        )
    if config["pooling"] not in POOLINGS:
        raise ModelLoadError(
            f"{cfg_path}: unknown pooling {config['pooling']!r} (known: {', '.join(POOLINGS)})"
        )
    calibration = config.get("calibration") or {}
    if not isinstance(calibration, dict):
        raise ModelLoadError(f"{cfg_path}: 'calibration' must be a JSON object")
    fitted = calibration.get("temperatures")
    if calibration.get("method") == "temperature" and fitted:
        if not (
            isinstance(fitted, dict)
            and set(fitted) == set(labels)
            and all(_is_number(t) and t > 0 for t in fitted.values())
        ):
            raise ModelLoadError(
                f"{cfg_path}: the calibration must give a positive temperature for each "
                "label, and for no other"
            )


def refuse_unsafe_files(path: Path) -> None:
    """Refuse pickle-based files anywhere in the folder, links that lead out of it, and
    configs that ask transformers for code shipped with the model."""
    root = path.resolve()
    for file in sorted(path.rglob("*")):
        name = file.relative_to(path)
        if file.is_symlink() and not _resolves_inside(file, root):
            raise ModelLoadError(
                f"{path}: refusing {name}, a link to {file.readlink()} outside the model folder "
                "(a model folder must hold its own files)"
            )
        if file.suffix.lower() in FORBIDDEN_SUFFIXES:
            raise ModelLoadError(
                f"{path}: refusing to load a folder that holds {name} (pickle-based "
                "formats can run code; framescope models are safetensors and JSON only)"
            )
    for config_name in REMOTE_CODE_FILES:
        file = path / config_name
        data = _read_json(file) if file.is_file() else {}
        for key in ("auto_map", "trust_remote_code"):
            if data.get(key):
                raise ModelLoadError(
                    f"{file}: asks for remote code ({key}), which framescope never runs"
                )


def _resolves_inside(link: Path, root: Path) -> bool:
    try:
        return link.resolve().is_relative_to(root)
    except (OSError, RuntimeError):  # a loop of links
        return False


def require_files(path: Path, config: dict[str, Any]) -> None:
    names = (HEAD_FILE, *ENCODER_FILES[config["encoder_format"]], *TOKENIZER_FILES)
    for name in names:
        if not (path / name).is_file():
            raise ModelLoadError(f"{path}: missing {name}")


def verify_checksums(path: Path, config: dict[str, Any]) -> None:
    """Every file recorded in framescope.json's "files" must be in the folder with its
    recorded sha256; the head and the encoder weights must be recorded."""
    recorded = config.get("files")
    cfg_path = path / CONFIG_FILE
    if not isinstance(recorded, dict):
        raise ModelLoadError(f"{cfg_path}: no 'files' record of checksums")
    weights = ENCODER_FILES[config["encoder_format"]][0]
    for name in (HEAD_FILE, weights):
        if name not in recorded:
            raise ModelLoadError(
                f"{cfg_path}: no checksum recorded for {name}, so it cannot be verified"
            )
    root = path.resolve()
    for name, digest in recorded.items():
        file = path / name
        if not file.resolve().is_relative_to(root):
            raise ModelLoadError(f"{cfg_path}: records {name}, a file outside the model folder")
        if not file.is_file():
            raise ModelLoadError(f"{path}: missing {name} (recorded in {CONFIG_FILE})")
        if file_sha256(file) != digest:
            raise ModelLoadError(
                f"{file}: checksum does not match framescope.json (damaged or altered file)"
            )
    for name in (HEAD_FILE, weights):
        _check_safetensors(path / name)


def _check_safetensors(file: Path) -> None:
    """Read a safetensors header (no tensors): a truncated or foreign file fails here."""
    try:
        with safe_open(str(file), "pt") as handle:
            handle.keys()
    except (SafetensorError, OSError) as exc:
        raise ModelLoadError(
            f"{file}: not a readable safetensors file ({_first_line(exc)})"
        ) from None


def _major(version: str) -> str:
    """The major version; major.minor before 1.0, where minor releases may break things."""
    parts = version.strip().split(".")
    return ".".join(parts[:2]) if parts[0] == "0" else parts[0]


def warn_on_version_change(path: Path, config: dict[str, Any]) -> None:
    """Log a warning for each library whose major version differs from the one recorded
    when the model was saved, and one for libraries with no recorded version."""
    names = list(CHECKED_LIBRARIES)
    if config["encoder_format"] == "peft-lora":
        names.append("peft")
    recorded = config.get("library_versions")
    recorded = recorded if isinstance(recorded, dict) else {}
    installed = library_versions()
    unknown = [n for n in names if not isinstance(recorded.get(n), str) or not recorded[n]]
    if unknown:
        log.warning(
            "%s records no version of %s; it may score differently under the installed %s",
            path,
            ", ".join(unknown),
            ", ".join(f"{n} {installed[n]}" for n in unknown),
        )
    for name in names:
        if name in unknown or _major(recorded[name]) == _major(installed[name]):
            continue
        log.warning(
            "%s was saved with %s %s, but %s %s is installed, a different major version: "
            "scores may differ from the recorded ones",
            path,
            name,
            recorded[name],
            name,
            installed[name],
        )


def load_tokenizer(path: Path) -> Any:
    from transformers import AutoTokenizer

    try:
        return AutoTokenizer.from_pretrained(str(path), trust_remote_code=False)
    except Exception as exc:  # transformers and tokenizers raise many types for a bad file
        raise ModelLoadError(f"{path}: cannot read the tokenizer ({_first_line(exc)})") from exc


def build_model(path: Path, config: dict[str, Any]) -> FrameModel:
    try:
        encoder = _load_encoder(path, config)
    except (OSError, ValueError, KeyError, TypeError, RuntimeError, SafetensorError) as exc:
        raise ModelLoadError(f"{path}: cannot read the encoder ({_first_line(exc)})") from exc
    head = load_file(str(path / HEAD_FILE))
    model = FrameModel(encoder, len(config["labels"]), pooling=config["pooling"])
    expected = {name: tuple(t.shape) for name, t in sorted(model.head.state_dict().items())}
    found = {name: tuple(t.shape) for name, t in sorted(head.items())}
    if found != expected:
        raise ModelLoadError(
            f"{path / HEAD_FILE}: head shape does not match the labels ({found}; "
            f"{len(config['labels'])} labels need {expected})"
        )
    model.head.load_state_dict(head)
    return model


def _load_encoder(path: Path, config: dict[str, Any]) -> Any:
    """The encoder, from safetensors only (``use_safetensors``: never a pickled fallback)."""
    from transformers import AutoConfig, AutoModel

    if config["encoder_format"] == "peft-lora":
        from peft import PeftModel, get_peft_model_state_dict

        record = config.get("base_model", {})
        base_path = resolve_base_model(record.get("name", ""))
        expected = record.get("sha256")
        base_weights = Path(base_path) / "model.safetensors"
        if expected and base_weights.is_file() and file_sha256(base_weights) != expected:
            raise ModelLoadError(
                f"base encoder at {base_path} does not match the sha256 recorded in "
                f"{path / CONFIG_FILE}; the adapter was trained on other weights"
            )
        base = AutoModel.from_pretrained(base_path, trust_remote_code=False, use_safetensors=True)
        encoder = PeftModel.from_pretrained(base, str(path), is_trainable=False)
        with safe_open(str(path / ADAPTER_WEIGHTS), "pt") as handle:
            stored = set(handle.keys())
        expected = get_peft_model_state_dict(encoder, save_embedding_layers=False)
        _refuse_missing_tensors(path / ADAPTER_WEIGHTS, set(expected) - stored)
        encoder.merge_adapter()
        return encoder
    hf_config = AutoConfig.from_pretrained(str(path), trust_remote_code=False)
    encoder, info = AutoModel.from_pretrained(
        str(path),
        config=hf_config,
        trust_remote_code=False,
        use_safetensors=True,
        output_loading_info=True,
    )
    _refuse_missing_tensors(path / FULL_WEIGHTS, set(info["missing_keys"]))
    return encoder


def _refuse_missing_tensors(file: Path, missing: set[str]) -> None:
    """Transformers and peft fill tensors absent from a file with random values; refuse."""
    if missing:
        first = sorted(missing)[0]
        raise ModelLoadError(
            f"{file}: lacks {len(missing)} tensor(s) of the model (first: {first}), so they "
            "would be random"
        )


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
