"""CPU inference through ONNX Runtime: a model exported once to ONNX, cached, and run.

A model folder holds PyTorch weights only (safetensors). The first time a model is loaded
for ONNX Runtime, its network (encoder with any LoRA adapter merged, pooling and head) is
exported to ONNX in the cache folder, checked against PyTorch on probe statements, and
reused by every later load. The cache key covers the model's framescope.json (so its
weight checksums), the precision and the library versions, so a changed model is exported
again rather than served stale. An ONNX file is a protobuf graph: loading it runs no code.

``fp32`` gives the same scores as PyTorch (to about 1e-6). ``int8`` quantises the weights of
every matrix multiplication per channel to uint8 (ONNX Runtime's dynamic quantisation, u8u8).
With signed int8 weights, ONNX Runtime's u8s8 kernels saturate on CPUs without VNNI: on the
AVX2 development machine the mpnet-base model kept 9.5% of its label sets that way, against
94.5% with uint8 weights. Label sets still differ from fp32: docs/performance.md.
"""

from __future__ import annotations

import copy
import json
import logging
import os
import shutil
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .encoders import cache_dir
from .errors import ModelLoadError
from .modeling import FrameModel
from .resumable import digest

log = logging.getLogger(__name__)

ONNX_PRECISIONS = ("fp32", "int8")
EXPORT_VERSION = 2  # 2: int8 weights as uint8 (1 used int8, which saturates without VNNI)
MODEL_FILE = "model.onnx"
PROBES = (
    "The unrest was organised from abroad.",
    "People are angry because bread now costs twice what it did last year, and they have "
    "every right to say so in the streets.",
    "We call on everyone to stay calm.",
)
TOLERANCE = 1e-3  # largest logit difference accepted between PyTorch and an fp32 export


def onnx_cache_dir() -> Path:
    """Where exports live: $FRAMESCOPE_ONNX_CACHE, or ``onnx`` in the framescope cache."""
    override = os.environ.get("FRAMESCOPE_ONNX_CACHE")
    return Path(override) if override else cache_dir() / "onnx"


def available() -> bool:
    """Whether onnxruntime (and onnx, for exporting) can be imported."""
    try:
        import onnx  # noqa: F401
        import onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


def _versions() -> dict[str, str]:
    import onnxruntime

    return {"torch": torch.__version__, "onnxruntime": onnxruntime.__version__}


def cache_key(config: dict[str, Any], precision: str) -> str:
    """Identifies an export: the model's recorded state, the precision, the libraries."""
    return digest(
        {
            "export_version": EXPORT_VERSION,
            "precision": precision,
            "model": config,
            "versions": _versions(),
        }
    )[:24]


class _Logits(torch.nn.Module):
    """The graph to export: token ids and mask in, one logit a label out."""

    def __init__(self, model: FrameModel) -> None:
        super().__init__()
        self.model = model

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return self.model(input_ids=input_ids, attention_mask=attention_mask)["logits"]


def _plain_copy(model: FrameModel) -> FrameModel:
    """A float32 copy with any LoRA adapter merged into the encoder's weights."""
    clone = copy.deepcopy(model).float().cpu().eval()
    if hasattr(clone.encoder, "merge_and_unload"):
        from .precision import plain_encoder

        clone.encoder = plain_encoder(clone.encoder)
    return clone


def _export(model: FrameModel, tokenizer: Any, target: Path) -> None:
    sample = tokenizer(list(PROBES[:2]), padding=True, return_tensors="pt")
    with warnings.catch_warnings(), torch.no_grad():
        # the TorchScript-based exporter warns that it is deprecated; it still exports these
        # encoders exactly (checked by _verify) and needs no extra packages
        warnings.simplefilter("ignore")
        torch.onnx.export(
            _Logits(model).eval(),  # a new module trains by default; export restores that mode
            (sample["input_ids"], sample["attention_mask"]),
            str(target),
            input_names=["input_ids", "attention_mask"],
            output_names=["logits"],
            dynamic_axes={
                "input_ids": {0: "batch", 1: "tokens"},
                "attention_mask": {0: "batch", 1: "tokens"},
                "logits": {0: "batch"},
            },
            opset_version=17,
            dynamo=False,
        )


def _quantize(source: Path, target: Path) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(str(source), str(target), per_channel=True, weight_type=QuantType.QUInt8)


class OnnxScorer:
    """An ONNX Runtime session over an exported model: ``logits(ids, mask)`` -> numpy."""

    def __init__(self, path: str | Path, threads: int | None = None) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or torch.get_num_threads()
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self.path = Path(path)
        self.session = ort.InferenceSession(
            str(self.path), options, providers=["CPUExecutionProvider"]
        )

    def logits(self, input_ids: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
        feeds = {
            "input_ids": input_ids.astype(np.int64, copy=False),
            "attention_mask": attention_mask.astype(np.int64, copy=False),
        }
        return self.session.run(["logits"], feeds)[0]


def _verify(model: FrameModel, tokenizer: Any, scorer: OnnxScorer) -> float:
    """Largest absolute logit difference between PyTorch and the export on the probes."""
    enc = tokenizer(list(PROBES), padding=True, return_tensors="pt")
    model.eval()
    with torch.inference_mode():
        expected = model(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"])
    got = scorer.logits(enc["input_ids"].numpy(), enc["attention_mask"].numpy())
    return float(np.abs(expected["logits"].numpy() - got).max())


def _remove_stale_exports(cache: Path, age_s: float = 6 * 3600) -> None:
    """Drop export folders that a killed process left behind (older than ``age_s``)."""
    now = time.time()
    for stale in cache.glob(".export-*"):
        try:
            if now - stale.stat().st_mtime > age_s:
                shutil.rmtree(stale, ignore_errors=True)
        except OSError:
            pass


def onnx_scorer(
    model: FrameModel, tokenizer: Any, config: dict[str, Any], precision: str = "fp32"
) -> OnnxScorer:
    """The ONNX Runtime scorer for a loaded model, exported (and for int8 quantised) on first
    use into ``onnx_cache_dir()/<key>/`` and reused afterwards. Raises ModelLoadError when the
    fp32 export does not reproduce PyTorch's logits."""
    if precision not in ONNX_PRECISIONS:
        raise ValueError(f"ONNX Runtime precision must be fp32 or int8, not {precision!r}")
    folder = onnx_cache_dir() / cache_key(config, precision)
    if (folder / MODEL_FILE).is_file():
        log.debug("ONNX model from cache: %s", folder)
        return OnnxScorer(folder / MODEL_FILE)
    log.info("exporting the model to ONNX (%s, once; cached in %s)", precision, folder)
    plain = _plain_copy(model)
    folder.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_exports(folder.parent)
    work = Path(tempfile.mkdtemp(prefix=".export-", dir=folder.parent))
    try:
        _export(plain, tokenizer, work / "fp32.onnx")
        diff = _verify(plain, tokenizer, OnnxScorer(work / "fp32.onnx"))
        if diff > TOLERANCE:
            raise ModelLoadError(
                f"the ONNX export differs from PyTorch by {diff:.2g} in a logit; "
                "load with runtime='torch'"
            )
        if precision == "int8":
            _quantize(work / "fp32.onnx", work / MODEL_FILE)
            (work / "fp32.onnx").unlink()
        else:
            (work / "fp32.onnx").rename(work / MODEL_FILE)
        record = {"precision": precision, "fp32_max_logit_diff": diff, **_versions()}
        (work / "export.json").write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
        try:
            os.replace(work, folder)  # another process may have finished first: use theirs
        except OSError:
            if not (folder / MODEL_FILE).is_file():
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return OnnxScorer(folder / MODEL_FILE)
