"""LeNet-5 (LeCun, Bottou, Bengio & Haffner 1998), the convolutional network that read handwritten digits."""

from typing import Any

import torch
from torch import nn

from ...lenet import lenet5_layout
from ...pooling import check_pooling
from .utils import check_input, init_weights, make_activation

__all__ = ["LeNet5", "lenet5"]


class LeNet5(nn.Module):
    """LeNet-5 for 32x32, 28x28 or 8x8 images, layers named as in the paper (C1, S2, C3, S4, C5, F6).

    The layout (a table of shapes and parameter counts for each input size) is in :mod:`cnncourse.lenet`,
    shared with ``cnncourse.numpy.LeNet5``: the two build the same network, initialised the same way, and
    take the same keyword-only arguments ``in_channels``, ``num_classes``, ``input_size`` (32, 28 or 8),
    ``activation`` (a name of ``cnncourse.activations.ACTIVATIONS``) and ``pooling`` ("avg" or "max").

    x: (N, in_channels, input_size, input_size) -> scores: (N, num_classes)
    """

    def __init__(
        self,
        *,
        in_channels: int = 1,
        num_classes: int = 10,
        input_size: int = 32,
        activation: str = "tanh",
        pooling: str = "avg",
    ):
        super().__init__()
        layout = lenet5_layout(input_size)
        pool = nn.AvgPool2d if check_pooling(pooling) == "avg" else nn.MaxPool2d
        self.in_channels, self.input_size = in_channels, input_size
        k = layout.kernel_size
        self.c1 = nn.Conv2d(in_channels, 6, kernel_size=k, padding=layout.c1_padding)
        self.s2 = pool(2)
        self.c3 = nn.Conv2d(6, 16, kernel_size=k, padding=layout.c3_padding)
        self.s4 = pool(2)
        self.c5 = nn.Linear(layout.c5_in_features, 120)
        self.f6 = nn.Linear(120, 84)
        self.output = nn.Linear(84, num_classes)
        self.act1, self.act2, self.act3, self.act4 = (make_activation(activation) for _ in range(4))
        # He for the rectifiers, Xavier for tanh/sigmoid, as cnncourse.numpy.LeNet5. PyTorch's default
        # (variance 1 / (3 fan_in), a sixth of He's) trains the ReLU network on the 8x8 digits worse.
        init_weights(self, activation)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_input(x, "lenet5", in_channels=self.in_channels, size=self.input_size)
        x = self.s2(self.act1(self.c1(x)))
        x = self.s4(self.act2(self.c3(x)))
        x = self.act3(self.c5(x.flatten(1)))
        x = self.act4(self.f6(x))
        return self.output(x)


def lenet5(**kwargs: Any) -> LeNet5:
    """LeNet-5; every keyword goes to :class:`LeNet5` (``in_channels``, ``num_classes``, ``input_size``,
    ``activation``, ``pooling``)."""
    return LeNet5(**kwargs)
