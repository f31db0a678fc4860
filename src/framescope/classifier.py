"""FrameClassifier: a trained model's state, its predictions, and its save/load format."""

from __future__ import annotations

import json
import logging
import platform
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors.torch import load_file, save_file
from scipy.special import expit
from tqdm.auto import tqdm

from . import __version__
from .encoders import file_sha256, resolve_base_model
from .errors import ModelLoadError
from .modeling import FrameModel
from .thresholds import apply_thresholds

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
CONFIG_FILE = "framescope.json"
HEAD_FILE = "head.safetensors"
FULL_WEIGHTS = "model.safetensors"
ADAPTER_WEIGHTS = "adapter_model.safetensors"
BASELINE_DIR = "baseline"
FORBIDDEN_SUFFIXES = (".pkl", ".pickle", ".joblib", ".dill", ".bin", ".pt", ".pth", ".ckpt", ".npy")
DEFAULT_MODEL_DIR = Path(__file__).resolve().parents[2] / "models" / "unrest-v1"


def default_model_dir() -> Path:
    """The bundled default model (models/unrest-v1 in the source tree)."""
    return DEFAULT_MODEL_DIR


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


def pick_device(device: str = "auto") -> torch.device:
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def default_batch_size(device: torch.device) -> int:
    """Statements per batch: 16 on a CPU, 256 on a GPU, where larger batches keep the device
    busy. On the 2-core development CPU, with length-sorted batches, MiniLM-L6 through ONNX
    Runtime scored 65.6, 63.9, 59.4 and 52.2 statements/s at 16, 32, 64 and 128
    (benchmarks/bench_scoring.py; docs/performance.md)."""
    return 256 if device.type == "cuda" else 16


def check_texts(texts: Any) -> list[str]:
    """The input as a list of strings, or TypeError naming the first offending index."""
    if isinstance(texts, (str, bytes)):
        raise TypeError("expected a list of strings, got a single string; wrap it in a list")
    try:
        items = list(texts)
    except TypeError:
        raise TypeError(f"expected a list of strings, got {type(texts).__name__}") from None
    for i, text in enumerate(items):
        if not isinstance(text, str):
            raise TypeError(f"texts[{i}] is {type(text).__name__}, not str")
    return items


class FrameClassifier:
    """A trained framing classifier.

    State is explicit: ``labels`` (codebook order), ``thresholds`` (one per label),
    ``min_labels`` (0: "none" allowed; 1: keep the top label), ``max_length``, and ``config``
    (everything recorded in framescope.json). Use ``FrameClassifier.load()`` or
    ``framescope.train()`` to get one; the constructor only stores what it is given.
    """

    def __init__(
        self,
        model: FrameModel,
        tokenizer: Any,
        labels: Sequence[str],
        thresholds: Sequence[float],
        *,
        max_length: int = 128,
        min_labels: int = 0,
        config: dict[str, Any] | None = None,
        precision: str = "fp32",
    ) -> None:
        if len(thresholds) != len(labels):
            raise ValueError("one threshold per label is required")
        self.model = model
        self.tokenizer = tokenizer
        self._labels = list(labels)
        self.thresholds = [float(t) for t in thresholds]
        self.max_length = max_length
        self.min_labels = min_labels
        self.config: dict[str, Any] = dict(config or {})
        self.precision = precision
        self.runtime = "torch"
        self.source: str | None = None
        self._onnx: Any = None  # an onnx_runtime.OnnxScorer when runtime == "onnx"

    # ------------------------------------------------------------------ state
    @property
    def labels(self) -> list[str]:
        """Label names in codebook order (the columns of ``predict_proba``)."""
        return list(self._labels)

    @property
    def codebook(self) -> dict[str, str]:
        """``{"name": ..., "version": ...}`` of the codebook this model was trained on."""
        return dict(self.config.get("codebook", {}))

    @property
    def temperatures(self) -> np.ndarray | None:
        """Per-label temperatures of the fitted calibration (calibration.py), or None."""
        record = self.config.get("calibration") or {}
        fitted = record.get("temperatures")
        if record.get("method") != "temperature" or not fitted:
            return None
        return np.asarray([float(fitted[name]) for name in self._labels], dtype=np.float32)

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    def to(self, device: str | torch.device) -> FrameClassifier:
        """Move the PyTorch model; leaving the CPU also leaves ONNX Runtime for PyTorch."""
        target = pick_device(device) if isinstance(device, str) else device
        self.model.to(target)
        if target.type != "cpu" and self._onnx is not None:
            self._onnx, self.runtime = None, "torch"
        return self

    def _logits(self, texts: list[str]) -> torch.Tensor:
        """Logits (float32, on the CPU) of one batch, from ONNX Runtime or PyTorch."""
        if self._onnx is not None:
            enc = self.tokenizer(
                texts,
                padding=True,
                truncation=True,
                max_length=self.max_length,
                return_tensors="np",
            )
            return torch.from_numpy(self._onnx.logits(enc["input_ids"], enc["attention_mask"]))
        enc = self.tokenizer(
            texts, padding=True, truncation=True, max_length=self.max_length, return_tensors="pt"
        ).to(self.device)
        return self.model(**enc)["logits"].float().cpu()

    # ------------------------------------------------------------ prediction
    def predict_logits(
        self, texts: Sequence[str], batch_size: int | None = None, progress: bool = False
    ) -> np.ndarray:
        """Raw (uncalibrated) logits, shape (len(texts), len(labels)), float32, in input order.

        Texts are sorted by length and batched (``batch_size``, default: 16 on a CPU, 256 on a
        GPU) so that padding stays small; the output keeps the input order. Empty or
        whitespace-only texts are not run through the model: their logits are -inf.
        """
        items = check_texts(texts)
        out = np.full((len(items), len(self._labels)), -np.inf, dtype=np.float32)
        filled = [i for i, t in enumerate(items) if t.strip()]
        if not filled:
            return out
        lengths = [len(items[i]) for i in filled]
        order = np.asarray(filled)[np.argsort(lengths, kind="stable")]
        self.model.eval()
        bar = tqdm(total=len(order), unit="stmt", disable=not progress, desc="scoring")
        with torch.inference_mode():
            batch_size = batch_size or default_batch_size(self.device)
            for start in range(0, len(order), batch_size):
                idx = order[start : start + batch_size]
                out[idx] = self._logits([items[i] for i in idx]).numpy()
                bar.update(len(idx))
        bar.close()
        return out

    def predict_proba(
        self,
        texts: Sequence[str],
        batch_size: int | None = None,
        progress: bool = False,
        calibrated: bool = True,
    ) -> np.ndarray:
        """Sigmoid scores, shape (len(texts), len(labels)), float32, in input order, batched
        as in ``predict_logits``. Empty or whitespace-only texts score 0 for every label.

        When the model carries a fitted calibration (per-label temperatures, see
        calibration.py), scores are calibrated and ``thresholds`` are on that scale;
        ``calibrated=False`` gives the raw sigmoid scores.
        """
        logits = self.predict_logits(texts, batch_size=batch_size, progress=progress)
        temperatures = self.temperatures
        if calibrated and temperatures is not None:
            logits = logits / temperatures[None, :]
        return expit(logits).astype(np.float32)

    def decide(self, probs: np.ndarray) -> list[list[str]]:
        """Label lists from scores, using this model's thresholds and min-label rule."""
        matrix = apply_thresholds(probs, self.thresholds, self.min_labels)
        return [[self._labels[j] for j in np.flatnonzero(row)] for row in matrix]

    def predict(self, texts: Sequence[str], batch_size: int | None = None) -> list[list[str]]:
        """For each text, the labels whose score reaches that label's threshold (none for an
        empty or whitespace-only text, whatever the model's min-label rule)."""
        items = check_texts(texts)
        decided = self.decide(self.predict_proba(items, batch_size=batch_size))
        return [labels if text.strip() else [] for text, labels in zip(items, decided)]

    def score_dataframe(
        self, df: Any, text_column: str = "text", batch_size: int | None = None
    ) -> Any:
        """A copy of ``df`` with a ``labels`` column (lists) and one ``score_<label>`` column
        per label added."""
        if text_column not in df.columns:
            from .tables import suggest_column

            raise KeyError(
                f"no column {text_column!r}{suggest_column(text_column, list(df.columns))}"
            )
        probs = self.predict_proba(df[text_column].tolist(), batch_size=batch_size)
        out = df.copy()
        out["labels"] = self.decide(probs)
        for j, name in enumerate(self._labels):
            out[f"score_{name}"] = probs[:, j]
        return out

    # ------------------------------------------------------------- save/load
    def save(self, path: str | Path, *, adapter_dtype: str = "float32") -> Path:
        """Write the model folder: framescope.json, head.safetensors, the encoder (full
        weights or a peft adapter), the tokenizer and the model card.

        ``adapter_dtype="float16"`` stores a LoRA adapter at half size (it is cast back to
        float32 on load); it has no effect on a fully fine-tuned encoder.
        """
        from .modelcard import write_model_card

        if self.precision != "fp32":
            raise ValueError(
                f"this classifier runs at {self.precision} for inference; save the float32 "
                "model it was loaded from instead"
            )
        if adapter_dtype not in ("float32", "float16"):
            raise ValueError(f"adapter_dtype must be 'float32' or 'float16', not {adapter_dtype!r}")

        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        encoder = self.model.encoder
        adapter = hasattr(encoder, "peft_config")
        if adapter:
            base_record = self.config.get("base_model", {})
            for cfg in encoder.peft_config.values():
                cfg.base_model_name_or_path = base_record.get("hub_id", base_record.get("name"))
            # embeddings are frozen under LoRA; saying so keeps peft from looking up the base
            # model's config on the hub
            encoder.save_pretrained(str(path), safe_serialization=True, save_embedding_layers=False)
            weights = ADAPTER_WEIGHTS
            if adapter_dtype == "float16":
                _halve_safetensors(path / weights)
        else:
            encoder.config.id2label = dict(enumerate(self._labels))
            encoder.config.label2id = {n: i for i, n in enumerate(self._labels)}
            encoder.save_pretrained(str(path), safe_serialization=True)
            weights = FULL_WEIGHTS
        save_file(self.model.head_state(), str(path / HEAD_FILE))
        self.tokenizer.save_pretrained(str(path))
        config = dict(self.config)
        config.update(
            {
                "format_version": FORMAT_VERSION,
                "library_versions": library_versions(),
                "labels": self._labels,
                "id2label": {str(i): n for i, n in enumerate(self._labels)},
                "label2id": {n: i for i, n in enumerate(self._labels)},
                "thresholds": dict(zip(self._labels, self.thresholds, strict=True)),
                "min_labels": self.min_labels,
                "max_length": self.max_length,
                "pooling": self.model.pooling,
                "encoder_format": "peft-lora" if adapter else "transformers",
                "adapter_dtype": adapter_dtype if adapter else None,
                "files": {
                    HEAD_FILE: file_sha256(path / HEAD_FILE),
                    weights: file_sha256(path / weights),
                },
            }
        )
        (path / CONFIG_FILE).write_text(json.dumps(config, indent=2, ensure_ascii=False) + "\n")
        self.config = config
        write_model_card(path, config)
        return path

    @classmethod
    def load(
        cls,
        path: str | Path | None = None,
        device: str = "auto",
        precision: str = "fp32",
        runtime: str = "auto",
    ) -> FrameClassifier:
        """Load a saved model folder (the bundled default model when ``path`` is None).

        ``device``: ``auto`` (CUDA when present, else CPU), ``cpu``, ``cuda``, ``cuda:1`` ...
        ``precision``: ``fp32`` (default, exact), ``int8`` (CPU; label sets can differ from
        fp32), ``fp16``/``bf16`` (CUDA), or ``auto`` (fp32 on CPU, bf16 or fp16 on CUDA).
        ``runtime``: ``auto`` (ONNX Runtime on the CPU when it is installed, else PyTorch),
        ``onnx`` or ``torch``. The ONNX model is exported once and cached (onnx_runtime.py).
        Only JSON, safetensors and tokenizer files are read: no pickle, no remote code.
        """
        from .precision import apply_precision, resolve_precision, resolve_runtime

        target = pick_device(device)
        resolved = resolve_precision(precision, target)
        chosen = resolve_runtime(runtime, target, resolved)
        path = Path(path) if path is not None else default_model_dir()
        config = _read_config(path)
        _refuse_unsafe_files(path)
        weights = ADAPTER_WEIGHTS if config["encoder_format"] == "peft-lora" else FULL_WEIGHTS
        _verify_checksums(path, config, [HEAD_FILE, weights])
        model = _build_model(path, config)
        from transformers import AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(str(path), trust_remote_code=False)
        labels = config["labels"]
        thresholds = [float(config["thresholds"][name]) for name in labels]
        clf = cls(
            model,
            tokenizer,
            labels,
            thresholds,
            max_length=int(config["max_length"]),
            min_labels=int(config.get("min_labels", 0)),
            config=config,
        )
        clf.source = str(path)
        clf.to(target)
        if chosen == "onnx":
            from .onnx_runtime import onnx_scorer

            clf._onnx = onnx_scorer(clf.model, tokenizer, config, resolved)
        else:
            clf.model = apply_precision(clf.model, resolved)
        clf.model.eval()
        clf.precision = resolved
        clf.runtime = chosen
        return clf


def _halve_safetensors(file: Path) -> None:
    """Rewrite a safetensors file with its float32 tensors stored as float16."""
    tensors = load_file(str(file))
    halved = {k: v.half() if v.dtype == torch.float32 else v for k, v in tensors.items()}
    save_file(halved, str(file), metadata={"format": "pt"})


def _read_config(path: Path) -> dict[str, Any]:
    if not path.is_dir():
        raise ModelLoadError(f"model folder not found: {path}")
    cfg_path = path / CONFIG_FILE
    if not cfg_path.is_file():
        raise ModelLoadError(f"{path}: not a framescope model (no {CONFIG_FILE})")
    try:
        config = json.loads(cfg_path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ModelLoadError(f"{cfg_path}: not valid JSON ({exc})") from None
    version = config.get("format_version")
    if version != FORMAT_VERSION:
        raise ModelLoadError(
            f"{cfg_path}: unknown format version {version!r} (this framescope reads "
            f"version {FORMAT_VERSION})"
        )
    for key in ("labels", "thresholds", "max_length", "encoder_format", "pooling"):
        if key not in config:
            raise ModelLoadError(f"{cfg_path}: missing {key!r}")
    return config


def _refuse_unsafe_files(path: Path) -> None:
    for file in path.rglob("*"):
        if file.suffix.lower() in FORBIDDEN_SUFFIXES:
            raise ModelLoadError(
                f"{path}: refusing to load a folder that holds {file.name} (pickle-based "
                "formats can run code; framescope models are safetensors and JSON only)"
            )
    hf_config = path / "config.json"
    if hf_config.is_file():
        data = json.loads(hf_config.read_text(encoding="utf-8"))
        if data.get("auto_map") or data.get("trust_remote_code"):
            raise ModelLoadError(f"{hf_config}: asks for remote code, which framescope never runs")


def _verify_checksums(path: Path, config: dict[str, Any], names: list[str]) -> None:
    recorded = config.get("files", {})
    for name in names:
        file = path / name
        if not file.is_file():
            raise ModelLoadError(f"{path}: missing {name}")
        if name in recorded and file_sha256(file) != recorded[name]:
            raise ModelLoadError(
                f"{file}: checksum does not match framescope.json (damaged or altered file)"
            )


def _build_model(path: Path, config: dict[str, Any]) -> FrameModel:
    from transformers import AutoConfig, AutoModel

    if config["encoder_format"] == "peft-lora":
        from peft import PeftModel

        record = config.get("base_model", {})
        base_path = resolve_base_model(record.get("name", ""))
        expected = record.get("sha256")
        base_weights = Path(base_path) / "model.safetensors"
        if expected and base_weights.is_file() and file_sha256(base_weights) != expected:
            raise ModelLoadError(
                f"base encoder at {base_path} does not match the sha256 recorded in "
                f"{path / CONFIG_FILE}; the adapter was trained on other weights"
            )
        base = AutoModel.from_pretrained(base_path, trust_remote_code=False)
        encoder = PeftModel.from_pretrained(base, str(path), is_trainable=False)
        encoder.merge_adapter()
    elif config["encoder_format"] == "transformers":
        hf_config = AutoConfig.from_pretrained(str(path), trust_remote_code=False)
        encoder = AutoModel.from_pretrained(str(path), config=hf_config, trust_remote_code=False)
    else:
        raise ModelLoadError(f"{path}: unknown encoder format {config['encoder_format']!r}")
    head = load_file(str(path / HEAD_FILE))
    model = FrameModel(encoder, len(config["labels"]), pooling=config["pooling"])
    if tuple(head["weight"].shape) != tuple(model.head.weight.shape):
        raise ModelLoadError(f"{path / HEAD_FILE}: head shape does not match the labels")
    model.head.load_state_dict(head)
    return model
