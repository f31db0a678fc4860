"""Inference precision: float32, int8 (CPU, dynamic quantisation) or float16/bfloat16 (GPU).

``int8`` quantises the weights of every linear layer of the encoder to int8 once, at load
time (a few seconds), and quantises activations on the fly. It is an explicit option, not
yet a default anywhere: on unrest-v1 test statements only 89-95% of label sets matched
float32. The head stays in float32. Half precisions are for CUDA devices only.
"""

from __future__ import annotations

import logging
import warnings

import torch
from torch import nn

from .modeling import FrameModel

log = logging.getLogger(__name__)

PRECISIONS = ("auto", "fp32", "int8", "fp16", "bf16")
_HALF = {"fp16": torch.float16, "bf16": torch.bfloat16}


def resolve_precision(precision: str, device: torch.device) -> str:
    """The concrete precision for ``device``: ``auto`` is int8 on CPU and bf16 on a CUDA
    device that supports it (fp16 otherwise). Raises ValueError for impossible pairs."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, not {precision!r}")
    cuda = device.type == "cuda"
    if precision == "auto":
        if not cuda:
            return "int8"
        return "bf16" if torch.cuda.is_bf16_supported() else "fp16"
    if precision == "int8" and cuda:
        raise ValueError("int8 inference runs on CPU; on a GPU use fp16, bf16 or fp32")
    if precision in _HALF and not cuda:
        raise ValueError(f"{precision} inference needs a CUDA device; on CPU use int8 or fp32")
    return precision


def _plain_encoder(encoder: nn.Module) -> nn.Module:
    """A LoRA-wrapped encoder with its adapter merged in and the wrappers removed."""
    if hasattr(encoder, "merge_and_unload"):
        return encoder.merge_and_unload()  # adapters merged at load are not merged twice
    return encoder


def apply_precision(model: FrameModel, precision: str) -> FrameModel:
    """A model for inference at ``precision`` (a resolved one, not ``auto``). fp32 returns
    ``model`` itself; int8 and the half precisions return a new FrameModel around a converted
    encoder, with a float32 copy of the head. A LoRA encoder is merged and unwrapped in place
    first, so ``model`` should not be used afterwards."""
    if precision == "fp32":
        return model
    encoder = _plain_encoder(model.encoder)
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
    converted.eval()
    log.info("inference precision: %s", precision)
    return converted
