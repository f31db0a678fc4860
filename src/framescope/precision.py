"""Inference precision and runtime: float32 or int8 on the CPU (through ONNX Runtime or
PyTorch), float16/bfloat16 on a CUDA device (PyTorch).

``int8`` is an explicit option, never a default: on the unrest-v1 test split, neither
ONNX Runtime's nor PyTorch's dynamic int8 kept 98% of float32's label sets, so ``auto``
means float32 on the CPU (docs/performance.md has the measurements). Under PyTorch, int8
quantises the weights of every linear layer of the encoder once, at load time, and the
activations on the fly; the head stays in float32. Half precisions are for CUDA only.
"""

from __future__ import annotations

import logging
import warnings

import torch
from torch import nn

from .errors import SettingsError
from .modeling import FrameModel

log = logging.getLogger(__name__)

PRECISIONS = ("auto", "fp32", "int8", "fp16", "bf16")
RUNTIMES = ("auto", "onnx", "torch")
_HALF = {"fp16": torch.float16, "bf16": torch.bfloat16}


def resolve_precision(precision: str, device: torch.device) -> str:
    """The concrete precision for ``device``: ``auto`` is fp32 on CPU and bf16 on a CUDA
    device that supports it (fp16 otherwise). Raises SettingsError (a ValueError) for
    impossible pairs."""
    if precision not in PRECISIONS:
        raise SettingsError(f"precision must be one of {', '.join(PRECISIONS)}, not {precision!r}")
    cuda = device.type == "cuda"
    if precision == "auto":
        if not cuda:
            return "fp32"
        return "bf16" if torch.cuda.is_bf16_supported() else "fp16"
    if precision == "int8" and cuda:
        raise SettingsError("int8 inference runs on CPU; on a GPU use fp16, bf16 or fp32")
    if precision in _HALF and not cuda:
        raise SettingsError(f"{precision} inference needs a CUDA device; on CPU use int8 or fp32")
    return precision


def resolve_runtime(runtime: str, device: torch.device, precision: str) -> str:
    """``onnx`` or ``torch``: ``auto`` is ONNX Runtime on the CPU when onnxruntime is
    installed, PyTorch otherwise. Raises SettingsError (a ValueError) for impossible
    combinations."""
    from .onnx_runtime import available

    if runtime not in RUNTIMES:
        raise SettingsError(f"runtime must be one of {', '.join(RUNTIMES)}, not {runtime!r}")
    if runtime == "auto":
        return "onnx" if device.type == "cpu" and available() else "torch"
    if runtime == "onnx":
        if device.type != "cpu":
            raise SettingsError(
                "the ONNX Runtime path runs on the CPU; use runtime='torch' on GPUs"
            )
        if not available():
            raise SettingsError(
                "runtime='onnx' needs onnxruntime and onnx: pip install onnxruntime onnx"
            )
    return runtime


def plain_encoder(encoder: nn.Module) -> nn.Module:
    """A LoRA-wrapped encoder with its adapter merged in and the wrappers removed."""
    if hasattr(encoder, "merge_and_unload"):
        with warnings.catch_warnings():
            # adapters merged at load are not merged twice; peft says so on every load
            warnings.filterwarnings("ignore", message="All adapters are already merged")
            return encoder.merge_and_unload()
    return encoder


def apply_precision(model: FrameModel, precision: str) -> FrameModel:
    """A model for inference at ``precision`` (a resolved one, not ``auto``). fp32 returns
    ``model`` itself; int8 and the half precisions return a new FrameModel around a converted
    encoder, with a float32 copy of the head. A LoRA encoder is merged and unwrapped in place
    first, so ``model`` should not be used afterwards."""
    if precision == "fp32":
        return model
    encoder = plain_encoder(model.encoder)
    if precision == "int8":
        with warnings.catch_warnings():
            # torch marks its eager quantisation API as deprecated in favour of torchao; it is
            # still the measured fast path for this model on CPU
            warnings.simplefilter("ignore")
            encoder = torch.ao.quantization.quantize_dynamic(
                encoder.float(), {nn.Linear}, dtype=torch.qint8
            )
    elif precision in _HALF:
        encoder = encoder.to(_HALF[precision])
    else:
        raise ValueError(f"unknown precision {precision!r}")
    converted = FrameModel(encoder, model.head.out_features, pooling=model.pooling)
    converted.head.load_state_dict(model.head.state_dict())
    converted.head.to(model.head.weight.device)  # the new head is made on the CPU
    converted.eval()
    log.info("inference precision: %s", precision)
    return converted
