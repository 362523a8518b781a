"""How large the loss gradient is at each layer of a network: the measurement behind vanishing gradients."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

__all__ = ["weight_gradient_norms"]


def weight_gradient_norms(
    model: nn.Module, x: torch.Tensor, y: torch.Tensor, layer_type: type[nn.Module] = nn.Conv2d
) -> np.ndarray:
    """The Frobenius norm of dL/dW for the weight of every ``layer_type`` module, in forward order.

    One forward and backward pass of the cross-entropy loss on the batch ``x: (N, C, H, W)``, ``y: (N,)``
    in training mode (batch norm uses the batch's statistics, as in training). The model's ``.grad``
    fields are cleared afterwards. Returns ``(num_layers,)``.
    """
    layers = [m for m in model.modules() if isinstance(m, layer_type) and getattr(m, "weight", None) is not None]
    if not layers:
        raise ValueError(f"the model has no {layer_type.__name__} layer with a weight")
    was_training = model.training
    model.train()
    model.zero_grad(set_to_none=True)
    try:
        nn.functional.cross_entropy(model(x), y).backward()
        norms = np.array([m.weight.grad.norm().item() for m in layers])
    finally:
        model.zero_grad(set_to_none=True)
        model.train(was_training)
    return norms
