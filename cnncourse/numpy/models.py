"""Whole networks built from the NumPy layers: a multilayer perceptron and LeNet-5.

Both are :class:`~cnncourse.numpy.layers.Sequential` subclasses, so ``forward``/``backward``,
``params``/``grads``, ``num_parameters`` and the optimizers work on them unchanged.
"""

from __future__ import annotations

import numpy as np

from .layers import (AvgPool2d, Conv2d, Flatten, Layer, LeakyReLU, Linear, MaxPool2d, ReLU, Sequential,
                     Sigmoid, Swish, Tanh)

__all__ = ["MLP", "LeNet5"]

# Each activation with the weight initialisation that keeps activations at a steady scale for it:
# He for the rectifiers (He et al. 2015), Xavier for the saturating ones (Glorot & Bengio 2010).
_ACTIVATIONS: dict[str, tuple[type[Layer], str]] = {
    "relu": (ReLU, "he"),
    "leaky_relu": (LeakyReLU, "he"),
    "swish": (Swish, "he"),
    "tanh": (Tanh, "xavier"),
    "sigmoid": (Sigmoid, "xavier"),
}


def _activation(activation: str) -> tuple[type[Layer], str]:
    if activation not in _ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(_ACTIVATIONS)}, got {activation!r}")
    return _ACTIVATIONS[activation]


class MLP(Sequential):
    """A multilayer perceptron: Linear, activation, Linear, activation, ..., Linear.

    ``MLP([2, 8, 1])`` is Linear(2, 8) -> ReLU -> Linear(8, 1): ``sizes`` lists the width of the
    input, of every hidden layer and of the output. The last layer has no activation, so the
    output is logits (for ``softmax_cross_entropy``) or a regression value.

    x: (N, sizes[0]) -> (N, sizes[-1]).
    """

    def __init__(self, sizes: list[int], activation: str = "relu", seed: int | np.random.Generator | None = None,
                 dtype=np.float32) -> None:
        if len(sizes) < 2:
            raise ValueError(f"sizes must list at least the input and output widths, got {list(sizes)}")
        act, init = _activation(activation)
        rng = np.random.default_rng(seed)
        layers: list[Layer] = []
        for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            layers.append(Linear(n_in, n_out, init=init, seed=rng, dtype=dtype))
            if i < len(sizes) - 2:
                layers.append(act())
        super().__init__(*layers)


class LeNet5(Sequential):
    """LeNet-5 (LeCun, Bottou, Bengio & Haffner 1998) for 32x32, 28x28 or 8x8 images.

    ``input_size=32``, the original (shapes for one 1-channel image)::

        conv 5x5, 6      (1, 32, 32) -> (6, 28, 28)     156 parameters
        act, pool 2x2                -> (6, 14, 14)
        conv 5x5, 16                 -> (16, 10, 10)   2,416
        act, pool 2x2                -> (16, 5, 5)
        flatten                      -> 400
        linear 400 -> 120, act                        48,120
        linear 120 -> 84, act                         10,164
        linear 84 -> num_classes                         850   (10 classes)
                                                      ------
                                                      61,706

    ``input_size=28`` (MNIST) pads the first convolution by 2, which gives the same shapes and
    the same 61,706 parameters.

    ``input_size=8`` (scikit-learn's digits) is too small for two 5x5 convolutions, so it uses
    3x3 convolutions with padding 1, which keep the size, and the same two 2x2 pools::

        conv 3x3 pad 1, 6     (1, 8, 8) -> (6, 8, 8)       60 parameters
        act, pool 2x2                  -> (6, 4, 4)
        conv 3x3 pad 1, 16             -> (16, 4, 4)      880
        act, pool 2x2                  -> (16, 2, 2)
        flatten                        -> 64
        linear 64 -> 120, act                           7,800
        linear 120 -> 84, act                          10,164
        linear 84 -> num_classes                          850   (10 classes)
                                                       ------
                                                       19,754

    The original used tanh-like squashing and subsampling by averaging (the defaults);
    ``activation="relu"`` and ``pooling="max"`` give the modern variant.
    With ``in_channels`` > 1 the first convolution has more weights (e.g. 456 instead of 156 for 3).

    x: (N, in_channels, input_size, input_size) -> logits (N, num_classes).
    """

    def __init__(self, num_classes: int = 10, in_channels: int = 1, input_size: int = 32, activation: str = "tanh",
                 pooling: str = "avg", seed: int | np.random.Generator | None = None, dtype=np.float32) -> None:
        act, init = _activation(activation)
        if pooling not in ("avg", "max"):
            raise ValueError(f"pooling must be 'avg' or 'max', got {pooling!r}")
        pool = AvgPool2d if pooling == "avg" else MaxPool2d
        if input_size == 8:
            kernel_size, padding, flat = 3, 1, 16 * 2 * 2
        elif input_size in (28, 32):
            kernel_size, padding, flat = 5, (32 - input_size) // 2, 16 * 5 * 5
        else:
            raise ValueError(f"input_size must be 32, 28 or 8, got {input_size!r}")
        rng = np.random.default_rng(seed)
        super().__init__(
            Conv2d(in_channels, 6, kernel_size, padding=padding, init=init, seed=rng, dtype=dtype),
            act(),
            pool(2),
            Conv2d(6, 16, kernel_size, padding=padding if input_size == 8 else 0, init=init, seed=rng, dtype=dtype),
            act(),
            pool(2),
            Flatten(),
            Linear(flat, 120, init=init, seed=rng, dtype=dtype),
            act(),
            Linear(120, 84, init=init, seed=rng, dtype=dtype),
            act(),
            Linear(84, num_classes, init=init, seed=rng, dtype=dtype),
        )
