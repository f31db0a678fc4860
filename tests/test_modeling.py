from __future__ import annotations

import numpy as np
import pytest
import torch
from transformers import BertConfig, BertModel

from framescope.modeling import FrameModel
from framescope.training import positive_weights


def _encoder() -> BertModel:
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=50,
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
    )
    return BertModel(config).eval()


def test_mean_pooling_ignores_padding():
    model = FrameModel(_encoder(), 3, pooling="mean").eval()
    ids = torch.tensor([[2, 7, 8, 3]])
    padded = torch.tensor([[2, 7, 8, 3, 0, 0]])
    with torch.no_grad():
        a = model(ids, torch.ones_like(ids))["logits"]
        b = model(padded, torch.tensor([[1, 1, 1, 1, 0, 0]]))["logits"]
    torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-5)


def test_mean_pooling_is_the_masked_average_and_cls_is_the_first_token():
    hidden = torch.arange(12, dtype=torch.float32).reshape(1, 3, 4)
    mask = torch.tensor([[1, 1, 0]])
    mean = FrameModel(_encoder(), 2, pooling="mean").pool(hidden, mask)
    torch.testing.assert_close(mean, hidden[:, :2].mean(1))
    cls = FrameModel(_encoder(), 2, pooling="cls").pool(hidden, mask)
    torch.testing.assert_close(cls, hidden[:, 0])
    with pytest.raises(ValueError, match="pooling"):
        FrameModel(_encoder(), 2, pooling="max")


def test_positive_weights_are_neg_over_pos_clipped():
    y = np.array([[1, 0, 0], [0, 0, 0], [0, 0, 1], [0, 0, 1]] + [[0, 0, 0]] * 46)
    w = positive_weights(y, cap=10.0)
    # label 0: 49/1 -> capped at 10; label 1: no positives -> 1; label 2: 48/2 -> capped
    assert w.tolist() == [10.0, 1.0, 10.0]
    y2 = np.array([[1], [1], [0], [0], [0], [0]])
    assert positive_weights(y2, cap=10.0).tolist() == [2.0]
    assert positive_weights(np.array([[1], [1], [1], [0]]), cap=10.0).tolist() == [1.0]


def test_the_loss_weights_positive_terms_only():
    from framescope.training import weighted_bce_loss

    logits = torch.tensor([[0.3, -1.2], [2.0, 0.1]])
    y = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    w = torch.tensor([4.0, 2.0])
    p = torch.sigmoid(logits)
    manual = -(w * y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean()
    got = weighted_bce_loss(w)({"logits": logits}, y)
    torch.testing.assert_close(got, manual)
    unweighted = weighted_bce_loss(torch.ones(2))({"logits": logits}, y)
    assert got > unweighted
