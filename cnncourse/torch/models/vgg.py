"""VGG networks (Simonyan & Zisserman 2015): configurations A to E, small versions, dense evaluation."""

import copy
import math
from typing import Any

import torch
from torch import nn

from .utils import check_input, init_weights, make_activation

__all__ = ["VGG_CONFIGS", "VGG", "vgg", "vgg_small", "FullyConvolutionalVGG", "to_fully_convolutional"]

# Table 1 of the paper, column by column: "conv3-64" is a 3x3 convolution with 64 output channels.
VGG_CONFIGS: dict[str, tuple[str, ...]] = {
    name: tuple(layers.split())
    for name, layers in {
        "A": "conv3-64 maxpool conv3-128 maxpool conv3-256 conv3-256 maxpool "
        "conv3-512 conv3-512 maxpool conv3-512 conv3-512 maxpool",
        "A-LRN": "conv3-64 LRN maxpool conv3-128 maxpool conv3-256 conv3-256 maxpool "
        "conv3-512 conv3-512 maxpool conv3-512 conv3-512 maxpool",
        "B": "conv3-64 conv3-64 maxpool conv3-128 conv3-128 maxpool conv3-256 conv3-256 maxpool "
        "conv3-512 conv3-512 maxpool conv3-512 conv3-512 maxpool",
        "C": "conv3-64 conv3-64 maxpool conv3-128 conv3-128 maxpool conv3-256 conv3-256 conv1-256 maxpool "
        "conv3-512 conv3-512 conv1-512 maxpool conv3-512 conv3-512 conv1-512 maxpool",
        "D": "conv3-64 conv3-64 maxpool conv3-128 conv3-128 maxpool conv3-256 conv3-256 conv3-256 maxpool "
        "conv3-512 conv3-512 conv3-512 maxpool conv3-512 conv3-512 conv3-512 maxpool",
        "E": "conv3-64 conv3-64 maxpool conv3-128 conv3-128 maxpool "
        "conv3-256 conv3-256 conv3-256 conv3-256 maxpool conv3-512 conv3-512 conv3-512 conv3-512 maxpool "
        "conv3-512 conv3-512 conv3-512 conv3-512 maxpool",
    }.items()
}

# Five 2x2 max pools halve the image five times: 32x32 is the smallest input that keeps a 1x1 map.
_MIN_SIZE = 32


def _make_features(
    config: str, batch_norm: bool, activation: str, width: int, in_channels: int = 3, ceil_mode: bool = False
) -> tuple[nn.Sequential, int]:
    """The convolutional part of a configuration, channels scaled by ``width / 64``; returns (layers, C_out).

    ``ceil_mode`` pools odd maps by rounding up (7x7 -> 4x4), so small inputs such as 28x28 survive five pools.
    """
    if config not in VGG_CONFIGS:
        raise ValueError(f"unknown VGG configuration {config!r}; choose one of {', '.join(VGG_CONFIGS)}")
    layers: list[nn.Module] = []
    for token in VGG_CONFIGS[config]:
        if token == "maxpool":
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2, ceil_mode=ceil_mode))
        elif token == "LRN":
            # Krizhevsky's LRN (n=5, alpha=1e-4, beta=0.75, k=2); PyTorch divides alpha by n, so pass n * alpha.
            layers.append(nn.LocalResponseNorm(size=5, alpha=5e-4, beta=0.75, k=2.0))
        else:
            kernel_size, channels = (int(v) for v in token.removeprefix("conv").split("-"))
            out_channels = channels * width // 64
            layers.append(nn.Conv2d(in_channels, out_channels, kernel_size, padding=kernel_size // 2))
            if batch_norm:
                layers.append(nn.BatchNorm2d(out_channels))
            layers.append(make_activation(activation))
            in_channels = out_channels
    return nn.Sequential(*layers), in_channels


class VGG(nn.Module):
    """A VGG network: the convolutions of a configuration, an average pool, three fully connected layers.

    The layout (and the parameter names) follow torchvision: ``features``, then ``avgpool`` (adaptive, to
    ``pool_size x pool_size``), then ``classifier`` with dropout after the two hidden layers. With the
    defaults it is the paper's network for 224x224 images; ``width`` (channels of the first stage, 64 in
    the paper) and ``hidden`` (4096 in the paper) shrink it. ``in_channels=1`` takes grey images;
    ``ceil_mode=True`` rounds odd map sizes up in the pools, so any input of at least 2x2 keeps a map.

    x: (N, in_channels, H, W) with H, W >= 32 (2 with ceil_mode) -> scores: (N, num_classes)
    """

    def __init__(
        self,
        config: str = "D",
        num_classes: int = 1000,
        batch_norm: bool = False,
        activation: str = "relu",
        width: int = 64,
        hidden: int = 4096,
        pool_size: int = 7,
        in_channels: int = 3,
        ceil_mode: bool = False,
    ):
        super().__init__()
        self.in_channels = in_channels
        self.min_size = 2 if ceil_mode else _MIN_SIZE
        self.features, channels = _make_features(config, batch_norm, activation, width, in_channels, ceil_mode)
        self.avgpool = nn.AdaptiveAvgPool2d((pool_size, pool_size))
        self.classifier = nn.Sequential(
            nn.Linear(channels * pool_size * pool_size, hidden),
            make_activation(activation),
            nn.Dropout(0.5),
            nn.Linear(hidden, hidden),
            make_activation(activation),
            nn.Dropout(0.5),
            nn.Linear(hidden, num_classes),
        )
        init_weights(self, activation)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_input(x, "vgg", in_channels=self.in_channels, min_size=self.min_size)
        x = self.avgpool(self.features(x))
        return self.classifier(x.flatten(1))


def vgg(config: str = "D", num_classes: int = 1000, **kwargs: Any) -> VGG:
    """The paper's VGG configuration ``config``: "A", "A-LRN", "B", "C", "D" (VGG-16) or "E" (VGG-19).

    "C" has 1x1 convolutions in its last three stages; "A-LRN" adds local response normalization after
    the first layer. VGG-16 ("D") has 138,357,544 parameters with 1000 classes. Every other keyword
    (``num_classes``, ``batch_norm``, ``activation``, ``width``, ...) goes to :class:`VGG`.
    """
    return VGG(config, num_classes=num_classes, **kwargs)


def vgg_small(config: str = "A", num_classes: int = 10, **kwargs: Any) -> VGG:
    """A VGG configuration for 32x32 images: channels ``width * (1, 2, 4, 8, 8)``, hidden layers of ``8 * width``.

    The five max pools leave a 1x1 map on a 32x32 input, so the classifier reads ``8 * width`` features.
    With the default width 16, configuration "A" has about 0.6 million parameters instead of 133 million.
    The pools round up, which changes nothing on 32x32 and lets 28x28 Fashion-MNIST images
    (``in_channels=1``) through as 28 -> 14 -> 7 -> 4 -> 2 -> 1. Every keyword goes to :class:`VGG`; the
    small defaults are ``num_classes=10, batch_norm=True, width=16, hidden=8 * width, pool_size=1,
    ceil_mode=True``.
    """
    kwargs = {"num_classes": num_classes, "batch_norm": True, "width": 16, "pool_size": 1, "ceil_mode": True, **kwargs}
    kwargs.setdefault("hidden", 8 * kwargs["width"])
    return VGG(config, **kwargs)


class FullyConvolutionalVGG(nn.Module):
    """A VGG whose fully connected layers became convolutions: any input at least as large as the
    training size gives a map of scores, one per window (the paper's dense evaluation).

    x: (N, 3, H, W) with H, W >= min_size -> scores: (N, num_classes, H', W')
    """

    def __init__(self, features: nn.Sequential, head: nn.Sequential, min_size: int):
        super().__init__()
        self.features = features
        self.head = head
        self.min_size = min_size
        self.in_channels = next(m for m in features.modules() if isinstance(m, nn.Conv2d)).in_channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_input(x, "fully convolutional vgg", in_channels=self.in_channels, min_size=self.min_size)
        return self.head(self.features(x))


@torch.no_grad()
def to_fully_convolutional(vgg_model: nn.Module) -> FullyConvolutionalVGG:
    """Turn a VGG's three fully connected layers into convolutions with the same weights.

    The first linear layer reads a ``C x k x k`` block of features (k = 7 for 224x224 inputs) and becomes
    a ``k x k`` convolution with C input channels; the other two become 1x1 convolutions. The adaptive
    average pool is dropped: it would squeeze any input back to k x k and hide the map. On an input of the
    training size the scores equal the original's (as an (N, num_classes, 1, 1) map); a 256x256 input to a
    224x224 network gives a 2x2 map. Works for :class:`VGG` and torchvision's VGG; ``vgg_model`` is unchanged.
    """
    classifier = getattr(vgg_model, "classifier", None)
    linears = [m for m in classifier if isinstance(m, nn.Linear)] if isinstance(classifier, nn.Sequential) else []
    if not isinstance(getattr(vgg_model, "features", None), nn.Sequential) or len(linears) != 3:
        raise TypeError("vgg_model must be a VGG: a 'features' Sequential and a 'classifier' with 3 linear layers")
    channels = [m for m in vgg_model.features.modules() if isinstance(m, nn.Conv2d)][-1].out_channels
    kernel_size = math.isqrt(linears[0].in_features // channels)
    if channels * kernel_size**2 != linears[0].in_features:
        raise ValueError(
            f"the first linear layer reads {linears[0].in_features} features, not {channels} x k x k"
        )
    head = []
    for module in vgg_model.classifier:
        if isinstance(module, nn.Linear):
            k = kernel_size if module is linears[0] else 1
            weight = module.weight
            # skip_init: the weights are overwritten below, so don't spend time drawing ~100 million random numbers.
            conv = nn.utils.skip_init(
                nn.Conv2d, module.in_features // k**2, module.out_features, k, device=weight.device, dtype=weight.dtype
            )
            # A linear weight (out, C*k*k) flattened in (C, H, W) order is a conv weight (out, C, k, k).
            conv.weight.copy_(weight.view(conv.weight.shape))
            conv.bias.copy_(module.bias)
            head.append(conv)
        else:
            head.append(copy.deepcopy(module))
    dense = FullyConvolutionalVGG(copy.deepcopy(vgg_model.features), nn.Sequential(*head), getattr(vgg_model, "min_size", _MIN_SIZE) * kernel_size)
    return dense.train(vgg_model.training)
