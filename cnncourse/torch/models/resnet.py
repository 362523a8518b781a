"""Residual networks (He, Zhang, Ren & Sun 2016): ImageNet ResNet-18 to 152 and the CIFAR ResNets."""

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from .utils import check_input, init_weights, make_activation

__all__ = ["PadShortcut", "BasicBlock", "Bottleneck", "ResNet", "ResNetCifar", "resnet", "resnet_cifar", "RESNET_DEPTHS"]


class PadShortcut(nn.Module):
    """Option A shortcut: subsample by ``stride`` and append zero channels, so the shortcut has no parameters.

    x: (N, C, H, W) -> (N, C + extra_channels, ceil(H / stride), ceil(W / stride))
    """

    def __init__(self, extra_channels: int, stride: int):
        super().__init__()
        self.extra_channels = extra_channels
        self.stride = stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x[:, :, :: self.stride, :: self.stride]
        return F.pad(x, (0, 0, 0, 0, 0, self.extra_channels))  # pads (W, H, C) from the last dim backwards


def _shortcut(in_channels: int, out_channels: int, stride: int, option: str) -> nn.Module | None:
    """The shortcut of a block whose input and output shapes differ; None when they match (identity)."""
    if stride == 1 and in_channels == out_channels:
        return None
    if option == "A":
        return PadShortcut(out_channels - in_channels, stride)
    # Option B: a 1x1 projection (with batch norm) to the new shape.
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, kernel_size=1, stride=stride, bias=False), nn.BatchNorm2d(out_channels)
    )


class BasicBlock(nn.Module):
    """Two 3x3 convolutions and a shortcut: out = act(F(x) + x). ResNet-18/34 and the CIFAR ResNets.

    ``shortcut="none"`` drops the shortcut, out = act(F(x)): the paper's "plain" counterpart, with the
    same layers and parameters, that the degradation experiment compares against.

    x: (N, in_channels, H, W) -> (N, channels, H / stride, W / stride)
    """

    expansion = 1

    def __init__(
        self, in_channels: int, channels: int, stride: int = 1, activation: str = "relu", shortcut: str = "B"
    ):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, channels, kernel_size=3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.act1 = make_activation(activation)
        self.conv2 = nn.Conv2d(channels, channels, kernel_size=3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)
        self.act2 = make_activation(activation)
        self.residual = shortcut != "none"
        self.downsample = _shortcut(in_channels, channels, stride, shortcut) if self.residual else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.act1(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if not self.residual:
            return self.act2(out)
        identity = x if self.downsample is None else self.downsample(x)
        return self.act2(out + identity)


class Bottleneck(nn.Module):
    """1x1 (reduce) -> 3x3 -> 1x1 (expand by 4) and a shortcut. ResNet-50/101/152.

    The stride sits on the 3x3 convolution, as in torchvision (the paper put it on the first 1x1; the
    parameter count is the same, and downsampling with a 1x1 stride-2 conv throws away 3/4 of the input).

    x: (N, in_channels, H, W) -> (N, 4 * channels, H / stride, W / stride)
    """

    expansion = 4

    def __init__(
        self, in_channels: int, channels: int, stride: int = 1, activation: str = "relu", shortcut: str = "B"
    ):
        super().__init__()
        out_channels = channels * self.expansion
        self.conv1 = nn.Conv2d(in_channels, channels, kernel_size=1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.act1 = make_activation(activation)
        self.conv2 = nn.Conv2d(channels, channels, kernel_size=3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)
        self.act2 = make_activation(activation)
        self.conv3 = nn.Conv2d(channels, out_channels, kernel_size=1, bias=False)
        self.bn3 = nn.BatchNorm2d(out_channels)
        self.act3 = make_activation(activation)
        self.downsample = _shortcut(in_channels, out_channels, stride, shortcut)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.act1(self.bn1(self.conv1(x)))
        out = self.act2(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.act3(out + identity)


def _make_stage(
    block: type[BasicBlock | Bottleneck],
    in_channels: int,
    channels: int,
    num_blocks: int,
    stride: int,
    activation: str,
    shortcut: str,
) -> nn.Sequential:
    """``num_blocks`` blocks; the first one changes the stride and the number of channels."""
    blocks = [block(in_channels, channels, stride, activation, shortcut)]
    blocks += [
        block(channels * block.expansion, channels, 1, activation, shortcut) for _ in range(num_blocks - 1)
    ]
    return nn.Sequential(*blocks)


# Table 1 of the paper: the block type and the number of blocks in each of the four stages.
RESNET_DEPTHS: dict[int, tuple[type[BasicBlock | Bottleneck], tuple[int, int, int, int]]] = {
    18: (BasicBlock, (2, 2, 2, 2)),
    34: (BasicBlock, (3, 4, 6, 3)),
    50: (Bottleneck, (3, 4, 6, 3)),
    101: (Bottleneck, (3, 4, 23, 3)),
    152: (Bottleneck, (3, 8, 36, 3)),
}


class ResNet(nn.Module):
    """The ImageNet ResNet: a 7x7 stride-2 stem and max pool, four stages of 64, 128, 256, 512 channels
    (times the block's expansion), global average pooling and one linear layer. Shortcuts that change
    shape are 1x1 projections (the paper's option B). Parameter names follow torchvision.

    x: (N, 3, H, W) -> scores: (N, num_classes)
    """

    def __init__(self, depth: int = 50, num_classes: int = 1000, activation: str = "relu"):
        super().__init__()
        if depth not in RESNET_DEPTHS:
            raise ValueError(
                f"unsupported ResNet depth {depth}; choose one of {', '.join(map(str, RESNET_DEPTHS))}"
            )
        block, num_blocks = RESNET_DEPTHS[depth]
        self.conv1 = nn.Conv2d(3, 64, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.act = make_activation(activation)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        in_channels = 64
        stages = []
        for i, (channels, n) in enumerate(zip((64, 128, 256, 512), num_blocks)):
            stages.append(_make_stage(block, in_channels, channels, n, 1 if i == 0 else 2, activation, "B"))
            in_channels = channels * block.expansion
        self.layer1, self.layer2, self.layer3, self.layer4 = stages
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(in_channels, num_classes)
        init_weights(self, activation)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_input(x, "resnet", in_channels=3)
        x = self.maxpool(self.act(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(self.avgpool(x).flatten(1))


def resnet(depth: int, num_classes: int = 1000, **kwargs: Any) -> ResNet:
    """ResNet-``depth`` for ImageNet-sized images, depth in 18, 34, 50, 101, 152; every other keyword goes
    to :class:`ResNet`."""
    return ResNet(depth, num_classes=num_classes, **kwargs)


class ResNetCifar(nn.Module):
    """The CIFAR-10 ResNet of the paper's Section 4.2: depth 6n + 2 for 32x32 images.

    A 3x3 convolution with 16 channels, three stages of n basic blocks with 16, 32 and 64 channels on
    32x32, 16x16 and 8x8 maps, global average pooling and a linear layer. ``shortcut="A"`` (the paper's
    choice for CIFAR, the default) subsamples and zero-pads channels, so shortcuts add no parameters
    (ResNet-20 has about 0.27 million); ``shortcut="B"`` uses 1x1 projections where the shape changes;
    ``shortcut="none"`` is the plain network of the same depth. ``width`` (16 in the paper) sets the
    channels of the first stage; ``in_channels=1`` takes grey images such as Fashion-MNIST's 28x28
    (maps 28 -> 14 -> 7).

    x: (N, in_channels, H, W) (32x32 in the paper) -> scores: (N, num_classes)
    """

    def __init__(
        self,
        depth: int = 20,
        num_classes: int = 10,
        activation: str = "relu",
        shortcut: str = "A",
        in_channels: int = 3,
        width: int = 16,
    ):
        super().__init__()
        if not isinstance(depth, int) or depth < 8 or (depth - 2) % 6 != 0:
            raise ValueError(f"unsupported CIFAR ResNet depth {depth}; it must be 6n + 2, e.g. 20, 32, 44, 56, 110")
        if shortcut not in ("A", "B", "none"):
            raise ValueError(
                f"shortcut must be 'A' (zero padding), 'B' (projection) or 'none' (plain), got {shortcut!r}"
            )
        if not isinstance(width, int) or width < 1:
            raise ValueError(f"width must be a positive integer, got {width!r}")
        n = (depth - 2) // 6
        self.in_channels = in_channels
        self.conv1 = nn.Conv2d(in_channels, width, kernel_size=3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.act = make_activation(activation)
        self.layer1 = _make_stage(BasicBlock, width, width, n, 1, activation, shortcut)
        self.layer2 = _make_stage(BasicBlock, width, 2 * width, n, 2, activation, shortcut)
        self.layer3 = _make_stage(BasicBlock, 2 * width, 4 * width, n, 2, activation, shortcut)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(4 * width, num_classes)
        init_weights(self, activation)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_input(x, "resnet_cifar", in_channels=self.in_channels)
        x = self.act(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.fc(self.avgpool(x).flatten(1))


def resnet_cifar(depth: int, num_classes: int = 10, **kwargs: Any) -> ResNetCifar:
    """ResNet-``depth`` for CIFAR-10 (depth = 6n + 2: 20, 32, 44, 56, ...); every other keyword
    (``num_classes``, ``activation``, ``shortcut``, ``in_channels``, ``width``) goes to :class:`ResNetCifar`."""
    return ResNetCifar(depth, num_classes=num_classes, **kwargs)
