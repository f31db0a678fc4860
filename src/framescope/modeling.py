"""The network: a transformer encoder, a pooling step and a linear multi-label head."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

POOLINGS = ("mean", "cls")


class FrameModel(nn.Module):
    """Encoder -> pooling (mean over tokens, or CLS) -> dropout -> linear head (one logit a label).

    ``forward`` returns a dict with ``logits``; the loss is computed by the trainer.
    """

    def __init__(
        self, encoder: nn.Module, num_labels: int, pooling: str = "mean", dropout: float = 0.1
    ) -> None:
        super().__init__()
        if pooling not in POOLINGS:
            raise ValueError(f"pooling must be one of {POOLINGS}, not {pooling!r}")
        self.encoder = encoder
        self.pooling = pooling
        self.dropout = nn.Dropout(dropout)
        hidden = encoder.config.hidden_size
        self.head = nn.Linear(hidden, num_labels)

    def pool(self, hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        if self.pooling == "cls":
            return hidden[:, 0]
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        token_type_ids: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
    ) -> dict[str, Any]:
        kwargs = {"input_ids": input_ids, "attention_mask": attention_mask}
        if token_type_ids is not None:
            kwargs["token_type_ids"] = token_type_ids
        hidden = self.encoder(**kwargs).last_hidden_state
        pooled = self.pool(hidden, attention_mask).to(self.head.weight.dtype)
        return {"logits": self.head(self.dropout(pooled))}

    def head_state(self) -> dict[str, torch.Tensor]:
        return {
            "weight": self.head.weight.detach().cpu().contiguous(),
            "bias": self.head.bias.detach().cpu().contiguous(),
        }
