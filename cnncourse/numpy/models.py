"""Whole networks built from the NumPy layers: a multilayer perceptron and LeNet-5.

Both are :class:`~cnncourse.numpy.layers.Sequential` subclasses, so ``forward``/``backward``,
``params``/``grads``, ``num_parameters`` and the optimizers work on them unchanged.
"""

from __future__ import annotations

import numpy as np

from ..activations import activation_spec
from ..lenet import lenet5_layout
from ..pooling import check_pooling
from ._checks import Seed
from .layers import AvgPool2d, Conv2d, Flatten, Layer, Linear, MaxPool2d, Sequential, make_activation

__all__ = ["MLP", "LeNet5"]


class MLP(Sequential):
    """A multilayer perceptron: Linear, activation, Linear, activation, ..., Linear.

    ``MLP([2, 8, 1])`` is Linear(2, 8) -> ReLU -> Linear(8, 1): ``sizes`` lists the width of the
    input, of every hidden layer and of the output. The last layer has no activation, so the
    output is logits (for ``softmax_cross_entropy``) or a regression value.

    x: (N, sizes[0]) -> (N, sizes[-1]).
    """

    def __init__(self, sizes: list[int], activation: str = "relu", seed: Seed = None, dtype=np.float32) -> None:
        if len(sizes) < 2:
            raise ValueError(f"sizes must list at least the input and output widths, got {list(sizes)}")
        # He initialisation for the rectifier family, Xavier for the squashing functions.
        init = activation_spec(activation).init
        rng = np.random.default_rng(seed)
        layers: list[Layer] = []
        for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            layers.append(Linear(n_in, n_out, init=init, seed=rng, dtype=dtype))
            if i < len(sizes) - 2:
                layers.append(make_activation(activation))
        super().__init__(*layers)


class LeNet5(Sequential):
    """LeNet-5 for 32x32, 28x28 or 8x8 images; the layout (a table of shapes and parameter counts)
    is in :mod:`cnncourse.lenet`, shared with ``cnncourse.torch.models.LeNet5``, which builds the same network.

    Arguments are keyword-only, in the order both libraries use: ``in_channels``, ``num_classes``,
    ``input_size`` (32, 28 or 8), ``activation`` (a name of ``cnncourse.activations.ACTIVATIONS``),
    ``pooling`` ("avg" or "max"), then ``seed`` and ``dtype`` of the weights.

    x: (N, in_channels, input_size, input_size) -> logits (N, num_classes).
    """

    def __init__(self, *, in_channels: int = 1, num_classes: int = 10, input_size: int = 32,
                 activation: str = "tanh", pooling: str = "avg", seed: Seed = None, dtype=np.float32) -> None:
        init = activation_spec(activation).init
        pool = AvgPool2d if check_pooling(pooling) == "avg" else MaxPool2d
        layout = lenet5_layout(input_size)
        k = layout.kernel_size
        rng = np.random.default_rng(seed)
        super().__init__(
            Conv2d(in_channels, 6, k, padding=layout.c1_padding, init=init, seed=rng, dtype=dtype),  # C1
            make_activation(activation),
            pool(2),  # S2
            Conv2d(6, 16, k, padding=layout.c3_padding, init=init, seed=rng, dtype=dtype),  # C3
            make_activation(activation),
            pool(2),  # S4
            Flatten(),
            Linear(layout.c5_in_features, 120, init=init, seed=rng, dtype=dtype),  # C5
            make_activation(activation),
            Linear(120, 84, init=init, seed=rng, dtype=dtype),  # F6
            make_activation(activation),
            Linear(84, num_classes, init=init, seed=rng, dtype=dtype),
        )
