"""LeNet-5 (LeCun, Bottou, Bengio & Haffner 1998), the convolutional network that read handwritten digits."""

import torch
from torch import nn

from .utils import check_input, make_activation

__all__ = ["LeNet5", "lenet5"]

# input size -> (kernel size, padding of C1, padding of C3, features entering C5), as cnncourse.numpy.LeNet5.
_GEOMETRY = {32: (5, 0, 0, 16 * 5 * 5), 28: (5, 2, 0, 16 * 5 * 5), 8: (3, 1, 1, 16 * 2 * 2)}


class LeNet5(nn.Module):
    """LeNet-5 on 32x32 grayscale images, layers named as in the paper (C1, S2, C3, S4, C5, F6).

    Three simplifications of the 1998 network, as most modern courses make: S2/S4 are plain 2x2 pooling
    (the paper's had a trainable scale and bias), C3 connects every S2 map (the paper used a sparse
    connection table) and the output is a linear layer (the paper used Euclidean RBF units).
    With 10 classes this leaves 61,706 parameters.

    ``input_size=28`` pads C1 by 2 (MNIST; same shapes and parameters). ``input_size=8`` (the 8x8 digits)
    uses 3x3 kernels with padding 1 in C1 and C3, so that two 2x2 poolings leave 2x2 maps: the same
    network as ``cnncourse.numpy.LeNet5(input_size=8)``, 19,754 parameters with 10 classes.
    ``activation`` and ``pooling`` ("avg" as the paper, "max" as modern networks) choose the variant.

    x: (N, 1, input_size, input_size) -> scores: (N, num_classes)
    """

    def __init__(self, num_classes: int = 10, activation: str = "tanh", pooling: str = "avg", input_size: int = 32):
        super().__init__()
        if input_size not in _GEOMETRY:
            raise ValueError(f"input_size must be one of {sorted(_GEOMETRY)}, got {input_size!r}")
        if pooling not in ("avg", "max"):
            raise ValueError(f"pooling must be 'avg' or 'max', got {pooling!r}")
        kernel, pad1, pad3, features = _GEOMETRY[input_size]
        pool = nn.AvgPool2d if pooling == "avg" else nn.MaxPool2d
        self.input_size = input_size
        self.c1 = nn.Conv2d(1, 6, kernel_size=kernel, padding=pad1)  # 32x32 -> (N, 6, 28, 28)
        self.s2 = pool(2)  # -> (N, 6, 14, 14)
        self.c3 = nn.Conv2d(6, 16, kernel_size=kernel, padding=pad3)  # -> (N, 16, 10, 10)
        self.s4 = pool(2)  # -> (N, 16, 5, 5)
        # C5 is a 5x5 convolution over a 5x5 map, which is the same as a fully connected layer.
        self.c5 = nn.Linear(features, 120)
        self.f6 = nn.Linear(120, 84)
        self.output = nn.Linear(84, num_classes)
        self.act1, self.act2, self.act3, self.act4 = (make_activation(activation) for _ in range(4))
        self._init_weights(activation)

    @torch.no_grad()
    def _init_weights(self, activation: str) -> None:
        """He initialisation for rectifiers, Xavier for squashing activations, zero biases.

        The same scheme as ``cnncourse.numpy.LeNet5``. PyTorch's default (uniform with a third of
        He's variance) trains this ReLU network on the 8x8 digits to about 94% instead of 98%.
        """
        rectifier = activation.lower() not in ("tanh", "sigmoid")
        for module in (self.c1, self.c3, self.c5, self.f6, self.output):
            if rectifier:
                nn.init.kaiming_normal_(module.weight, nonlinearity="relu")
            else:
                nn.init.xavier_uniform_(module.weight)
            nn.init.zeros_(module.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_input(x, "lenet5", in_channels=1, size=self.input_size)
        x = self.s2(self.act1(self.c1(x)))
        x = self.s4(self.act2(self.c3(x)))
        x = self.act3(self.c5(x.flatten(1)))
        x = self.act4(self.f6(x))
        return self.output(x)


def lenet5(num_classes: int = 10, activation: str = "tanh", pooling: str = "avg", input_size: int = 32) -> LeNet5:
    """LeNet-5 for 32x32 (or 28x28, or the 8x8 digits') grayscale images; see :class:`LeNet5`."""
    return LeNet5(num_classes, activation, pooling, input_size)
