"""Dead units: rectified units that output zero for every input, and so never pass a gradient back.

A ReLU unit whose pre-activation is negative for every image gets no gradient through the ReLU, so
its incoming weights never change again: it is dead (a large learning-rate step can push a unit
there). For a convolutional layer a unit is one channel at one position.
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["dead_unit_fraction"]


@torch.no_grad()
def dead_unit_fraction(model: nn.Module, x: torch.Tensor, layer_type: type[nn.Module] = nn.ReLU) -> dict[str, float]:
    """For every ``layer_type`` module of ``model`` (by name), the fraction of its output units that are
    <= 0 for all N images of ``x: (N, ...)``. The model is run in eval mode and left in it."""
    outputs: dict[str, torch.Tensor] = {}
    hooks = [
        module.register_forward_hook(lambda m, inp, out, name=name: outputs.__setitem__(name, out))
        for name, module in model.named_modules()
        if isinstance(module, layer_type)
    ]
    if not hooks:
        raise ValueError(f"model has no {layer_type.__name__} module")
    try:
        model.eval()(x)
    finally:
        for hook in hooks:
            hook.remove()
    return {name: float((out <= 0).all(dim=0).float().mean()) for name, out in outputs.items()}
