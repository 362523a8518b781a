"""Weight initialisation: He (Kaiming) and Xavier (Glorot) schemes.

A weight's scale decides whether activations and gradients keep their size through depth.
Glorot & Bengio (2010) keep the variance of a linear layer's output and of its backward signal
equal to the input's by choosing Var(W) = 2 / (fan_in + fan_out). He et al. (2015) note that a
ReLU zeroes half of its inputs, so it halves the variance; they double it back: Var(W) = 2 / fan_in.

Fans are counted as PyTorch counts them, so a layer initialised here has weights with the same
distribution as its ``torch.nn`` twin.
"""

from __future__ import annotations

import math

import numpy as np

from ._checks import Seed, positive_int

__all__ = [
    "fan_in_and_fan_out",
    "he_normal",
    "he_uniform",
    "xavier_normal",
    "xavier_uniform",
]

def fan_in_and_fan_out(shape: tuple[int, ...]) -> tuple[int, int]:
    """Return (fan_in, fan_out) of a weight of `shape`, as ``torch.nn.init`` computes them.

    shape: (out, in) for a linear weight, (C_out, C_in, kH, kW) for a conv weight. Each output
    unit of a conv sees C_in * kH * kW inputs, and each input feeds C_out * kH * kW outputs.
    """
    shape = tuple(shape)
    if len(shape) < 2:
        raise ValueError(f"shape needs at least 2 dimensions (out, in, ...) to have fans, got {shape}")
    receptive_field = math.prod(shape[2:])
    return shape[1] * receptive_field, shape[0] * receptive_field


def he_normal(shape: tuple[int, ...], fan_in: int, seed: Seed = None, dtype=np.float32) -> np.ndarray:
    """Normal weights with std sqrt(2 / fan_in) (He et al. 2015), for layers followed by ReLU."""
    positive_int(fan_in, "fan_in")
    std = math.sqrt(2.0 / fan_in)
    return (np.random.default_rng(seed).standard_normal(shape) * std).astype(dtype)


def he_uniform(shape: tuple[int, ...], fan_in: int, seed: Seed = None, dtype=np.float32) -> np.ndarray:
    """Uniform weights on [-b, b] with b = sqrt(6 / fan_in): the same variance 2 / fan_in as he_normal."""
    positive_int(fan_in, "fan_in")
    bound = math.sqrt(6.0 / fan_in)
    return np.random.default_rng(seed).uniform(-bound, bound, size=shape).astype(dtype)


def xavier_normal(
    shape: tuple[int, ...], fan_in: int, fan_out: int, seed: Seed = None, dtype=np.float32
) -> np.ndarray:
    """Normal weights with std sqrt(2 / (fan_in + fan_out)) (Glorot & Bengio 2010), for tanh/sigmoid."""
    positive_int(fan_in, "fan_in")
    positive_int(fan_out, "fan_out")
    std = math.sqrt(2.0 / (fan_in + fan_out))
    return (np.random.default_rng(seed).standard_normal(shape) * std).astype(dtype)


def xavier_uniform(
    shape: tuple[int, ...], fan_in: int, fan_out: int, seed: Seed = None, dtype=np.float32
) -> np.ndarray:
    """Uniform weights on [-b, b] with b = sqrt(6 / (fan_in + fan_out)): variance 2 / (fan_in + fan_out)."""
    positive_int(fan_in, "fan_in")
    positive_int(fan_out, "fan_out")
    bound = math.sqrt(6.0 / (fan_in + fan_out))
    return np.random.default_rng(seed).uniform(-bound, bound, size=shape).astype(dtype)
