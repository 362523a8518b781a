"""How weight initialization shapes the activations and gradients of a deep network.

A deep MLP multiplies its input by one weight matrix per layer. If each layer scales the signal
by a factor below one, activations (and the gradients flowing back) vanish with depth; above
one, they explode. Xavier/Glorot initialization (Glorot & Bengio 2010) picks the weight variance
``2 / (fan_in + fan_out)`` to keep the scale for tanh; He/Kaiming initialization (He et al. 2015)
picks ``2 / fan_in`` because ReLU zeroes half of its inputs.
"""

from __future__ import annotations

from typing import NamedTuple

import warnings

import numpy as np
import torch
from torch import nn

from .models.utils import make_activation

__all__ = ["ActivationStats", "activation_statistics", "fill_weight"]


class ActivationStats(NamedTuple):
    """Per-layer statistics, each an array ``(depth,)``; index 0 is the first hidden layer."""

    mean: np.ndarray
    std: np.ndarray
    grad_norm: np.ndarray  # Frobenius norm of the loss gradient with respect to each layer's weight


def fill_weight(weight: torch.Tensor, init: str, seed: int | torch.Generator | None = None) -> torch.Tensor:
    """Fill a linear ``weight: (out, in)`` in place by the scheme ``init``; returns it.

    ``init`` is ``"xavier"`` (normal, std ``sqrt(2 / (fan_in + fan_out))``), ``"he"`` (normal, std
    ``sqrt(2 / fan_in)``) or ``"normal-<std>"`` such as ``"normal-0.01"`` (a fixed std). ``seed`` is an
    int or a ``torch.Generator`` (which advances, so successive calls draw different weights); None uses
    torch's global generator.
    """
    generator = torch.Generator().manual_seed(seed) if isinstance(seed, int) else seed
    fan_out, fan_in = weight.shape
    if init == "xavier":
        std = (2.0 / (fan_in + fan_out)) ** 0.5
    elif init == "he":
        std = (2.0 / fan_in) ** 0.5
    elif init.startswith("normal-"):
        try:
            std = float(init.removeprefix("normal-"))
        except ValueError:
            std = -1.0
        if std < 0:
            raise ValueError(f"init 'normal-<std>' needs a non-negative number for std, got {init!r}")
    else:
        raise ValueError(f"init must be 'xavier', 'he' or 'normal-<std>' (e.g. 'normal-0.01'), got {init!r}")
    with torch.no_grad():
        return weight.normal_(0.0, std, generator=generator)


def activation_statistics(
    depth: int = 10,
    width: int = 500,
    init: str = "xavier",
    activation: str = "tanh",
    n: int = 1000,
    seed: int = 0,
) -> ActivationStats:
    """Push ``n`` standard-normal inputs ``(n, width)`` through ``depth`` layers ``act(W x)`` and
    report the mean and std of every layer's activations, and the norm of every layer's weight
    gradient for the loss ``output.sum() / n`` (a gradient of one per sample arriving at the top).

    Biases are zero, so the scale of the signal depends on the weights alone.
    """
    if not isinstance(depth, int) or depth < 1:
        raise ValueError(f"depth must be a positive integer, got {depth!r}")
    if not isinstance(width, int) or width < 1:
        raise ValueError(f"width must be a positive integer, got {width!r}")
    act = make_activation(activation)  # any name of cnncourse.activations.ACTIVATIONS
    generator = torch.Generator().manual_seed(seed)
    layers = [nn.Linear(width, width, bias=False) for _ in range(depth)]
    for layer in layers:
        fill_weight(layer.weight, init, generator)

    h = torch.randn(n, width, generator=generator)
    outputs = []
    for layer in layers:
        h = act(layer(h))
        outputs.append(h)
    (h.sum() / n).backward()
    return ActivationStats(
        mean=np.array([o.mean().item() for o in outputs]),
        std=np.array([o.std().item() for o in outputs]),
        grad_norm=np.array([layer.weight.grad.norm().item() for layer in layers]),
    )


def __getattr__(name: str):
    # init_weight was renamed fill_weight: it sat beside models.init_weights, a different thing.
    if name == "init_weight":
        warnings.warn("cnncourse.torch.init_stats.init_weight is now fill_weight", DeprecationWarning, stacklevel=2)
        return fill_weight
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
