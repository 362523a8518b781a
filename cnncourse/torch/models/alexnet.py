"""AlexNet (Krizhevsky, Sutskever & Hinton 2012) and a small version for 32x32 images."""

from typing import Any

import torch
from torch import nn

from .utils import check_input, init_weights, make_activation

__all__ = ["AlexNet", "alexnet", "AlexNetSmall", "alexnet_small"]


def _classifier(in_features: int, hidden: int, num_classes: int, activation: str) -> nn.Sequential:
    """AlexNet's head: dropout before each of the two hidden layers, in torchvision's module order."""
    return nn.Sequential(
        nn.Dropout(0.5),
        nn.Linear(in_features, hidden),
        make_activation(activation),
        nn.Dropout(0.5),
        nn.Linear(hidden, hidden),
        make_activation(activation),
        nn.Linear(hidden, num_classes),
    )


class AlexNet(nn.Module):
    """AlexNet in the single-tower form torchvision uses: 61,100,840 parameters with 1000 classes.

    The 2012 network split its feature maps over two GPUs (48 + 48 maps in the first layer, ...) and
    normalized responses across channels (LRN); this form has one tower with 64, 192, 384, 256, 256
    maps, no LRN, and an adaptive average pool to 6x6, so inputs larger than 224x224 also work.

    x: (N, 3, H, W) with H, W >= 63 (224 in the paper) -> scores: (N, num_classes)
    """

    # The smallest input that survives conv1 (11x11, stride 4, padding 2) and three 3x3 stride-2 max
    # pools: each pool needs a 3x3 map, so 3 <- 7 <- 15 after conv1, and (H + 4 - 11) / 4 + 1 >= 15.
    min_size = 63

    def __init__(self, num_classes: int = 1000, activation: str = "relu"):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 64, kernel_size=11, stride=4, padding=2),
            make_activation(activation),
            nn.MaxPool2d(kernel_size=3, stride=2),  # overlapping pooling: 3x3 windows, stride 2
            nn.Conv2d(64, 192, kernel_size=5, padding=2),
            make_activation(activation),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(192, 384, kernel_size=3, padding=1),
            make_activation(activation),
            nn.Conv2d(384, 256, kernel_size=3, padding=1),
            make_activation(activation),
            nn.Conv2d(256, 256, kernel_size=3, padding=1),
            make_activation(activation),
            nn.MaxPool2d(kernel_size=3, stride=2),
        )
        self.avgpool = nn.AdaptiveAvgPool2d((6, 6))
        self.classifier = _classifier(256 * 6 * 6, 4096, num_classes, activation)
        # Both AlexNets start from the course's initialisation (init_weights: He for ReLU, fan_in), not
        # the paper's N(0, 0.01^2) with biases of 1, so the two sizes differ only in their layers.
        init_weights(self, activation)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_input(x, "alexnet", in_channels=3, min_size=self.min_size)
        x = self.avgpool(self.features(x))
        return self.classifier(x.flatten(1))


def alexnet(num_classes: int = 1000, **kwargs: Any) -> AlexNet:
    """AlexNet for ImageNet-sized RGB images; every keyword goes to :class:`AlexNet`."""
    return AlexNet(num_classes=num_classes, **kwargs)


class AlexNetSmall(nn.Module):
    """AlexNet's shape (five convolutions, three max pools, three fully connected layers) for 32x32 images.

    Half the channels of :class:`AlexNet` (32, 96, 192, 128, 128), 5x5 and 3x3 kernels with stride 1
    since a 32x32 image has no pixels to spare, and 512-unit hidden layers: about 1.9 million parameters,
    small enough to train on a CPU. ``in_channels=1, input_size=28`` takes Fashion-MNIST: the three pools
    leave 3x3 maps instead of 4x4, so the first hidden layer reads 128 * 3 * 3 features.

    x: (N, in_channels, input_size, input_size) -> scores: (N, num_classes)
    """

    def __init__(self, num_classes: int = 10, activation: str = "relu", in_channels: int = 3, input_size: int = 32):
        super().__init__()
        if not isinstance(input_size, int) or input_size < 8:
            raise ValueError(f"input_size must be an integer of at least 8 (three 2x2 pools), got {input_size!r}")
        self.in_channels, self.input_size = in_channels, input_size
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 32, kernel_size=5, padding=2),
            make_activation(activation),
            nn.MaxPool2d(2),  # -> 16x16
            nn.Conv2d(32, 96, kernel_size=5, padding=2),
            make_activation(activation),
            nn.MaxPool2d(2),  # -> 8x8
            nn.Conv2d(96, 192, kernel_size=3, padding=1),
            make_activation(activation),
            nn.Conv2d(192, 128, kernel_size=3, padding=1),
            make_activation(activation),
            nn.Conv2d(128, 128, kernel_size=3, padding=1),
            make_activation(activation),
            nn.MaxPool2d(2),  # -> 4x4
        )
        final_size = input_size // 8  # three 2x2 pools, each rounding down
        self.classifier = _classifier(128 * final_size**2, 512, num_classes, activation)
        init_weights(self, activation)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_input(x, "alexnet_small", in_channels=self.in_channels, size=self.input_size)
        return self.classifier(self.features(x).flatten(1))


def alexnet_small(num_classes: int = 10, **kwargs: Any) -> AlexNetSmall:
    """A small AlexNet for 32x32 RGB images (CIFAR-10) or 28x28 grey ones (Fashion-MNIST); every keyword
    goes to :class:`AlexNetSmall`."""
    return AlexNetSmall(num_classes=num_classes, **kwargs)
