"""Helpers shared by the model families: activations, parameter counts, input checks, initialization."""

import torch
from torch import nn

from ...activations import ACTIVATIONS, activation_spec

# check_input is for the model modules (from .utils import check_input), not part of the package's API.
__all__ = ["ACTIVATIONS", "make_activation", "count_parameters", "init_weights"]

# The torch module for each name of cnncourse.activations.ACTIVATIONS (the list both halves share).
_ACTIVATION_MODULES: dict[str, type[nn.Module]] = {
    "relu": nn.ReLU,
    "leaky_relu": nn.LeakyReLU,
    "prelu": nn.PReLU,
    "elu": nn.ELU,
    "gelu": nn.GELU,
    "silu": nn.SiLU,
    "sigmoid": nn.Sigmoid,
    "tanh": nn.Tanh,
}


def make_activation(name: str, **kwargs) -> nn.Module:
    """A new activation module by name: one of ``ACTIVATIONS`` or an alias ("swish" is "silu"),
    case-insensitive, with torch's default settings; keywords go to the module's class
    (``make_activation("leaky_relu", negative_slope=0.2)``).

    Every call returns a fresh module, so a learnable activation (PReLU) gets its own slope per layer.
    ``cnncourse.numpy.make_activation`` takes the same names and builds the same functions.
    """
    return _ACTIVATION_MODULES[activation_spec(name).name](**kwargs)


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
def init_weights(model: nn.Module, activation: str = "relu") -> None:
    """Initialise ``model`` in place as ``cnncourse.numpy`` does: every convolution and linear weight
    He-normal (variance 2 / fan_in, He et al. 2015) when ``activation`` is of the rectifier family,
    Xavier-uniform (variance 2 / (fan_in + fan_out), Glorot & Bengio 2010) for tanh and sigmoid;
    biases zero; batch norm the identity (scale 1, shift 0).

    fan_in = C_in * kH * kW counts the inputs of one output unit, so a forward signal keeps its scale
    layer after layer. PyTorch's default, uniform on +-1/sqrt(fan_in), has variance 1 / (3 fan_in),
    a sixth of He's 2 / fan_in: without batch norm the signal of a deep plain network such as VGG
    shrinks layer by layer.
    """
    he = activation_spec(activation).init == "he"
    for module in model.modules():
        if isinstance(module, (nn.Conv2d, nn.Linear)):
            if he:
                nn.init.kaiming_normal_(module.weight, mode="fan_in", nonlinearity="relu")
            else:
                nn.init.xavier_uniform_(module.weight)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d)):
            nn.init.ones_(module.weight)
            nn.init.zeros_(module.bias)
