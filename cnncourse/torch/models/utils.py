"""Helpers shared by the model families: activations, parameter counts, input checks, initialization."""

import torch
from torch import nn

__all__ = ["ACTIVATIONS", "make_activation", "count_parameters", "check_input", "init_weights"]

# The activations the course compares; "swish" and "silu" are the same function, x * sigmoid(x).
ACTIVATIONS: dict[str, type[nn.Module]] = {
    "relu": nn.ReLU,
    "prelu": nn.PReLU,
    "swish": nn.SiLU,
    "silu": nn.SiLU,
    "gelu": nn.GELU,
    "elu": nn.ELU,
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
}


def make_activation(name: str) -> nn.Module:
    """A new activation module by name: one of ``ACTIVATIONS`` (case-insensitive).

    Every call returns a fresh module, so a learnable activation (PReLU) gets its own slope per layer.
    """
    if not isinstance(name, str):
        raise TypeError(f"activation must be a string, got {type(name).__name__}")
    key = name.lower()
    if key not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; choose one of {', '.join(ACTIVATIONS)}")
    return ACTIVATIONS[key]()


def count_parameters(model: nn.Module, trainable_only: bool = False) -> int:
    """Number of scalar parameters in ``model`` (only those with ``requires_grad`` if ``trainable_only``)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


def check_input(
    x: torch.Tensor, model_name: str, in_channels: int, size: int | None = None, min_size: int | None = None
) -> None:
    """Raise a clear error unless ``x`` is a batch ``(N, in_channels, H, W)`` the model can take.

    ``size``: the model needs exactly ``size x size`` inputs; ``min_size``: at least ``min_size x min_size``.
    """
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{model_name} expects a torch.Tensor, got {type(x).__name__}")
    if x.dim() != 4:
        raise ValueError(f"{model_name} expects a 4-D input (N, C, H, W), got shape {tuple(x.shape)}")
    channels, height, width = x.shape[1:]
    if channels != in_channels:
        raise ValueError(f"{model_name} expects {in_channels} input channels, got {channels}")
    if size is not None and (height, width) != (size, size):
        raise ValueError(f"{model_name} expects {size}x{size} inputs, got {height}x{width}")
    if min_size is not None and min(height, width) < min_size:
        raise ValueError(f"{model_name} needs inputs of at least {min_size}x{min_size}, got {height}x{width}")


@torch.no_grad()
def init_weights(model: nn.Module) -> None:
    """He initialization for convolutions (He et al. 2015), identity for batch norm.

    PyTorch's default convolution init has a third of He's variance, so signals shrink layer by layer in
    a deep plain network such as VGG without batch norm; He's variance 2 / fan keeps them at scale for ReLU.
    """
    for module in model.modules():
        if isinstance(module, nn.Conv2d):
            nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.BatchNorm2d):
            nn.init.ones_(module.weight)
            nn.init.zeros_(module.bias)
