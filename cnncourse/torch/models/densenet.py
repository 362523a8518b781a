"""Densely connected networks (Huang, Liu, van der Maaten & Weinberger 2017): DenseNet-121, 169, 201."""

from typing import Any

import torch
from torch import nn

from .utils import check_input, init_weights, make_activation

__all__ = ["DenseLayer", "DENSENET_DEPTHS", "DenseNet", "densenet", "DenseNetSmall", "densenet_small"]

# Table 1 of the paper: dense layers in each of the four blocks (growth rate 32, 64 stem channels).
DENSENET_DEPTHS: dict[int, tuple[int, int, int, int]] = {
    121: (6, 12, 24, 16),
    169: (6, 12, 32, 32),
    201: (6, 12, 48, 32),
}


class DenseLayer(nn.Module):
    """BN-act-1x1 conv (to ``bn_size * growth_rate`` channels)-BN-act-3x3 conv, its output appended to its input.

    Appending rather than replacing is the dense connectivity: in a block, layer l reads the stem's
    channels and the ``growth_rate`` channels of every layer before it.

    x: (N, C, H, W) -> (N, C + growth_rate, H, W)
    """

    def __init__(self, in_channels: int, growth_rate: int, bn_size: int = 4, activation: str = "relu"):
        super().__init__()
        self.norm1 = nn.BatchNorm2d(in_channels)
        self.act1 = make_activation(activation)
        self.conv1 = nn.Conv2d(in_channels, bn_size * growth_rate, kernel_size=1, bias=False)
        self.norm2 = nn.BatchNorm2d(bn_size * growth_rate)
        self.act2 = make_activation(activation)
        self.conv2 = nn.Conv2d(bn_size * growth_rate, growth_rate, kernel_size=3, padding=1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        new = self.conv1(self.act1(self.norm1(x)))
        new = self.conv2(self.act2(self.norm2(new)))
        return torch.cat([x, new], dim=1)


def _transition(in_channels: int, out_channels: int, activation: str) -> nn.Sequential:
    """BN-act-1x1 conv-2x2 average pool between two dense blocks: fewer channels, half the size."""
    layers = nn.Sequential()
    layers.add_module("norm", nn.BatchNorm2d(in_channels))
    layers.add_module("act", make_activation(activation))
    layers.add_module("conv", nn.Conv2d(in_channels, out_channels, kernel_size=1, bias=False))
    layers.add_module("pool", nn.AvgPool2d(kernel_size=2, stride=2))
    return layers


def _add_dense_blocks(features: nn.Sequential, channels: int, block_layers: tuple[int, ...], growth_rate: int,
                      activation: str) -> int:
    """Append dense blocks joined by halving transitions, then the final BN-act; return the channels out.

    Shared by the ImageNet and the small DenseNet, which differ only in their stems.
    """
    for i, num_layers in enumerate(block_layers, start=1):
        block = nn.Sequential()
        for j in range(num_layers):
            block.add_module(f"denselayer{j + 1}", DenseLayer(channels + j * growth_rate, growth_rate, 4, activation))
        features.add_module(f"denseblock{i}", block)
        channels += num_layers * growth_rate
        if i < len(block_layers):
            features.add_module(f"transition{i}", _transition(channels, channels // 2, activation))
            channels //= 2
    features.add_module("norm5", nn.BatchNorm2d(channels))
    features.add_module("act5", make_activation(activation))
    return channels


class DenseNet(nn.Module):
    """DenseNet-BC for ImageNet: a 7x7 stem, four dense blocks joined by transitions that halve the
    channels (compression 0.5), a final batch norm, global average pooling and a linear layer.
    Parameter names follow torchvision.

    x: (N, 3, H, W) with H, W >= 29 -> scores: (N, num_classes)
    """

    # The stem divides the size by 4 (rounding up) and three transitions by 2 (rounding down):
    # the last block needs a 1x1 map, so the stem must leave 8x8, which takes 29x29.
    min_size = 29

    def __init__(
        self, depth: int = 121, num_classes: int = 1000, growth_rate: int = 32, activation: str = "relu"
    ):
        super().__init__()
        if depth not in DENSENET_DEPTHS:
            raise ValueError(
                f"unsupported DenseNet depth {depth}; choose one of {', '.join(map(str, DENSENET_DEPTHS))}"
            )
        channels = 2 * growth_rate
        self.features = nn.Sequential()
        self.features.add_module("conv0", nn.Conv2d(3, channels, kernel_size=7, stride=2, padding=3, bias=False))
        self.features.add_module("norm0", nn.BatchNorm2d(channels))
        self.features.add_module("act0", make_activation(activation))
        self.features.add_module("pool0", nn.MaxPool2d(kernel_size=3, stride=2, padding=1))
        channels = _add_dense_blocks(self.features, channels, DENSENET_DEPTHS[depth], growth_rate, activation)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(channels, num_classes)
        init_weights(self, activation)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_input(x, "densenet", in_channels=3, min_size=self.min_size)
        return self.classifier(self.avgpool(self.features(x)).flatten(1))


def densenet(depth: int = 121, num_classes: int = 1000, **kwargs: Any) -> DenseNet:
    """DenseNet-``depth`` (121, 169 or 201) for ImageNet-sized images; every other keyword (``num_classes``,
    ``growth_rate``, ``activation``) goes to :class:`DenseNet`."""
    return DenseNet(depth, num_classes=num_classes, **kwargs)


class DenseNetSmall(nn.Module):
    """DenseNet-BC for small images (the paper's CIFAR layout): a 3x3 stem with ``2 * growth_rate`` channels,
    dense blocks of ``block_layers[i]`` layers joined by transitions that halve channels and size, a final
    batch norm, global average pooling and a linear layer.

    With the defaults (three blocks of 4 layers, growth rate 12) a block adds 48 channels; on 28x28
    Fashion-MNIST (``in_channels=1``) the maps go 28 -> 14 -> 7.

    x: (N, in_channels, H, W) -> scores: (N, num_classes)
    """

    def __init__(
        self,
        num_classes: int = 10,
        growth_rate: int = 12,
        block_layers: tuple[int, ...] = (4, 4, 4),
        in_channels: int = 3,
        activation: str = "relu",
    ):
        super().__init__()
        if not isinstance(growth_rate, int) or growth_rate < 1:
            raise ValueError(f"growth_rate must be a positive integer, got {growth_rate!r}")
        if not block_layers or any(not isinstance(n, int) or n < 1 for n in block_layers):
            raise ValueError(f"block_layers must be positive integers, one per block, got {block_layers!r}")
        self.in_channels = in_channels
        channels = 2 * growth_rate
        self.features = nn.Sequential()
        self.features.add_module("conv0", nn.Conv2d(in_channels, channels, kernel_size=3, padding=1, bias=False))
        channels = _add_dense_blocks(self.features, channels, tuple(block_layers), growth_rate, activation)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(channels, num_classes)
        init_weights(self, activation)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_input(x, "densenet_small", in_channels=self.in_channels)
        return self.classifier(self.avgpool(self.features(x)).flatten(1))


def densenet_small(num_classes: int = 10, **kwargs: Any) -> DenseNetSmall:
    """A small DenseNet-BC for 32x32 (or 28x28 grey) images; every keyword goes to :class:`DenseNetSmall`."""
    return DenseNetSmall(num_classes=num_classes, **kwargs)
