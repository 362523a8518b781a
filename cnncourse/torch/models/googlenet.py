"""The Inception module and a small GoogLeNet for 32x32 images (Szegedy et al. 2015)."""

from typing import Any

import torch
from torch import nn

from .utils import check_input, init_weights, make_activation

__all__ = ["InceptionBlock", "GoogLeNetSmall", "googlenet_small"]


def _conv(in_channels: int, out_channels: int, kernel_size: int, activation: str) -> nn.Sequential:
    """A convolution that keeps the size, then the activation."""
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, kernel_size, padding=kernel_size // 2), make_activation(activation)
    )


class InceptionBlock(nn.Module):
    """Four branches side by side, concatenated along channels: a 1x1 convolution, a 1x1 reduction then
    a 3x3, a 1x1 reduction then a 5x5, and a 3x3 max pool then a 1x1 projection.

    The 1x1 reductions are what make the block affordable: a 5x5 convolution from 192 to 32 channels
    costs 153,600 weights, a 1x1 reduction to 16 channels first brings it to 3,072 + 12,800.

    x: (N, in_channels, H, W) -> (N, ch1x1 + ch3x3 + ch5x5 + pool_proj, H, W)
    """

    def __init__(
        self,
        in_channels: int,
        ch1x1: int,
        ch3x3red: int,
        ch3x3: int,
        ch5x5red: int,
        ch5x5: int,
        pool_proj: int,
        activation: str = "relu",
    ):
        super().__init__()
        self.out_channels = ch1x1 + ch3x3 + ch5x5 + pool_proj
        self.branch1 = _conv(in_channels, ch1x1, 1, activation)
        self.branch2 = nn.Sequential(_conv(in_channels, ch3x3red, 1, activation), _conv(ch3x3red, ch3x3, 3, activation))
        self.branch3 = nn.Sequential(_conv(in_channels, ch5x5red, 1, activation), _conv(ch5x5red, ch5x5, 5, activation))
        self.branch4 = nn.Sequential(
            nn.MaxPool2d(kernel_size=3, stride=1, padding=1), _conv(in_channels, pool_proj, 1, activation)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.branch1(x), self.branch2(x), self.branch3(x), self.branch4(x)], dim=1)


class GoogLeNetSmall(nn.Module):
    """The first layers of GoogLeNet, up to Inception (4a), for 32x32 images: about 1 million parameters.

    Stem: 3x3 conv (64), max pool, 1x1 conv (64), 3x3 conv (192), max pool; then Inception (3a), (3b),
    max pool, (4a) with the widths of the paper's Table 1; global average pooling, dropout 0.4 and a
    linear layer, as in the paper's head. The stem's first convolution is 3x3 with stride 1 instead of
    7x7 with stride 2, since a 32x32 image is already small. Maps: 32 -> 16 -> 8 -> 4
    (28 -> 14 -> 7 -> 4 for Fashion-MNIST with ``in_channels=1``).

    x: (N, in_channels, H, W) (32x32 intended) -> scores: (N, num_classes)
    """

    def __init__(self, num_classes: int = 10, activation: str = "relu", in_channels: int = 3):
        super().__init__()
        self.in_channels = in_channels
        self.stem = nn.Sequential(
            _conv(in_channels, 64, 3, activation),
            nn.MaxPool2d(kernel_size=3, stride=2, padding=1),
            _conv(64, 64, 1, activation),
            _conv(64, 192, 3, activation),
            nn.MaxPool2d(kernel_size=3, stride=2, padding=1),
        )
        self.inception3a = InceptionBlock(192, 64, 96, 128, 16, 32, 32, activation)
        self.inception3b = InceptionBlock(256, 128, 128, 192, 32, 96, 64, activation)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.inception4a = InceptionBlock(480, 192, 96, 208, 16, 48, 64, activation)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.dropout = nn.Dropout(0.4)
        self.fc = nn.Linear(self.inception4a.out_channels, num_classes)
        init_weights(self, activation)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_input(x, "googlenet_small", in_channels=self.in_channels)
        x = self.inception3b(self.inception3a(self.stem(x)))
        x = self.inception4a(self.maxpool(x))
        return self.fc(self.dropout(self.avgpool(x).flatten(1)))


def googlenet_small(num_classes: int = 10, **kwargs: Any) -> GoogLeNetSmall:
    """A small GoogLeNet for 32x32 RGB images (or grey ones with ``in_channels=1``); every keyword goes to
    :class:`GoogLeNetSmall`."""
    return GoogLeNetSmall(num_classes=num_classes, **kwargs)
