"""FrameClassifier: a trained model's state, its predictions, and its save/load format."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors.torch import load_file, save_file
from scipy.special import expit
from tqdm.auto import tqdm

from . import model_folder as folder
from .encoders import file_sha256
from .model_folder import (
    ADAPTER_WEIGHTS,
    CONFIG_FILE,
    FORMAT_VERSION,
    FULL_WEIGHTS,
    HEAD_FILE,
    library_versions,
)
from .modeling import FrameModel
from .thresholds import apply_thresholds

log = logging.getLogger(__name__)

DEFAULT_MODEL_DIR = Path(__file__).resolve().parents[2] / "models" / "unrest-v1"


def default_model_dir() -> Path:
    """The bundled default model (models/unrest-v1 in the source tree)."""
    return DEFAULT_MODEL_DIR


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


def _encodable(text: str) -> str:
    """``text`` with any lone surrogate code point (which no tokenizer can encode, and which
    JSON input can hold) replaced by U+FFFD."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return re.sub("[\ud800-\udfff]", "\ufffd", text)
    return text


class FrameClassifier:
    """A trained framing classifier.

    State is explicit: ``labels`` (codebook order), ``thresholds`` (one per label),
    ``min_labels`` (0: "none" allowed; 1: keep the top label), ``max_length``, and ``config``
    (everything recorded in framescope.json). Use ``FrameClassifier.load()`` or
    ``framescope.train()`` to get one; the constructor only stores what it is given.

    A text longer than ``max_length`` tokens is not truncated: it is scored in overlapping
    windows, each label's score the highest over them (``predict_logits``); ``count_windows``
    says how many windows each text took.
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

    def _logits(self, batch: dict[str, np.ndarray]) -> torch.Tensor:
        """Logits (float32, on the CPU) of one padded batch of windows, from ONNX Runtime
        (token ids and attention mask) or PyTorch (every input the tokenizer made)."""
        if self._onnx is not None:
            ids, mask = batch["input_ids"], batch["attention_mask"]
            return torch.from_numpy(self._onnx.logits(ids, mask))
        feeds = {key: torch.from_numpy(value).to(self.device) for key, value in batch.items()}
        return self.model(**feeds)["logits"].float().cpu()

    # ------------------------------------------------------------ long texts
    @property
    def window_overlap(self) -> int:
        """Tokens that consecutive windows of a long text share: a quarter of a window's text
        tokens (``max_length`` less the special tokens), 63 at ``max_length`` 256.

        A cue cut by one window's edge is whole in the next one when it is no longer than the
        overlap, which at a quarter covers a clause or a sentence, where framing cues sit;
        each window also starts with some context. The price is a third more windows than
        cutting without overlap. Larger overlaps cost more and gain little."""
        room = self.max_length - self.tokenizer.num_special_tokens_to_add(pair=False)
        return max(room // 4, 0)

    def _windows(self, texts: list[str]) -> tuple[dict[str, list[list[int]]], np.ndarray]:
        """The token windows of ``texts`` and, for each window, the index of its text.

        A text of at most ``max_length`` tokens (special tokens included) is one window,
        encoded exactly as ``tokenizer(text, truncation=True, max_length=max_length)``. A
        longer one is cut, by the tokenizer itself, into windows of ``max_length`` tokens
        with its own special tokens; each window repeats the last ``window_overlap`` tokens
        of the one before, and the last window may be shorter. Windows come in text order.
        """
        enc = self.tokenizer(
            [_encodable(text) for text in texts],
            truncation=True,
            max_length=self.max_length,
            stride=self.window_overlap,
            return_overflowing_tokens=True,
            verbose=False,
        )
        owners = np.asarray(enc["overflow_to_sample_mapping"], dtype=np.int64)
        inputs = {key: enc[key] for key in self.tokenizer.model_input_names if key in enc}
        return inputs, owners

    def _pad(self, rows: dict[str, list[list[int]]]) -> dict[str, np.ndarray]:
        """A batch of windows padded to its longest, as the tokenizer's ``padding=True``."""
        width = max(len(ids) for ids in rows["input_ids"])
        fill = {
            "input_ids": self.tokenizer.pad_token_id or 0,
            "token_type_ids": self.tokenizer.pad_token_type_id,
        }
        left = self.tokenizer.padding_side == "left"
        batch = {}
        for key, values in rows.items():
            out = np.full((len(values), width), fill.get(key, 0), dtype=np.int64)
            for i, row in enumerate(values):
                if left:
                    out[i, width - len(row) :] = row
                else:
                    out[i, : len(row)] = row
            batch[key] = out
        return batch

    def count_windows(self, texts: Sequence[str]) -> np.ndarray:
        """How many windows of ``max_length`` tokens each text is scored in (int64, in input
        order): 1 for a text that fits, more for a longer one (see ``predict_logits``), 0 for
        an empty or whitespace-only text, which is not run through the model."""
        items = check_texts(texts)
        counts = np.zeros(len(items), dtype=np.int64)
        filled = [i for i, text in enumerate(items) if text.strip()]
        if filled:
            _, owners = self._windows([items[i] for i in filled])
            counts[filled] = np.bincount(owners, minlength=len(filled))
        return counts

    # ------------------------------------------------------------ prediction
    def predict_logits(
        self, texts: Sequence[str], batch_size: int | None = None, progress: bool = False
    ) -> np.ndarray:
        """Raw (uncalibrated) logits, shape (len(texts), len(labels)), float32, in input order.

        Long texts are not truncated. A text longer than ``max_length`` tokens is scored in
        overlapping windows of ``max_length`` tokens (``window_overlap`` tokens shared by
        neighbours; ``count_windows`` says how many), and its logit for each label is the
        largest over its windows: a frame advanced anywhere in the text counts, as a coder
        reading the whole text would count it. A text that fits is one window, scored as
        before. Since every window is a chance to pass a threshold, a very long text gets
        more labels than any one of its passages would.

        Windows are sorted by their text's length and batched (``batch_size`` windows, by
        default 16 on a CPU, 256 on a GPU) so that padding stays small; the output keeps the
        input order. Empty or whitespace-only texts are not run through the model: their
        logits are -inf. Lone surrogate code points, which cannot be encoded, are read as
        U+FFFD.
        """
        items = check_texts(texts)
        out = np.full((len(items), len(self._labels)), -np.inf, dtype=np.float32)
        filled = np.asarray([i for i, t in enumerate(items) if t.strip()], dtype=np.int64)
        if not len(filled):
            return out
        inputs, owners = self._windows([items[i] for i in filled])
        owner = filled[owners]  # the text of each window
        last = np.append(owners[1:] != owners[:-1], True)  # a text's last window
        order = np.argsort([len(items[i]) for i in owner], kind="stable")
        self.model.eval()
        bar = tqdm(total=len(filled), unit="stmt", disable=not progress, desc="scoring")
        with torch.inference_mode():
            batch_size = batch_size or default_batch_size(self.device)
            for start in range(0, len(order), batch_size):
                rows = order[start : start + batch_size]
                batch = self._pad({key: [v[r] for r in rows] for key, v in inputs.items()})
                np.maximum.at(out, owner[rows], self._logits(batch).numpy())
                bar.update(int(last[rows].sum()))
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
        """A copy of ``df`` with a ``labels`` column (lists), one ``score_<label>`` column per
        label and a ``windows`` column (int: how many windows each text was scored in, see
        ``predict_logits``; 0 for an empty text) added."""
        if text_column not in df.columns:
            from .tables import suggest_column

            raise KeyError(
                f"no column {text_column!r}{suggest_column(text_column, list(df.columns))}"
            )
        texts = df[text_column].tolist()
        probs = self.predict_proba(texts, batch_size=batch_size)
        out = df.copy()
        out["labels"] = self.decide(probs)
        for j, name in enumerate(self._labels):
            out[f"score_{name}"] = probs[:, j]
        out["windows"] = self.count_windows(texts)
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
        config = folder.read_config(path)
        folder.refuse_unsafe_files(path)
        folder.require_files(path, config)
        folder.verify_checksums(path, config)
        folder.warn_on_version_change(path, config)
        model = folder.build_model(path, config)
        tokenizer = folder.load_tokenizer(path)
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
