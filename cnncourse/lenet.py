"""LeNet-5's layout, written once for ``cnncourse.numpy.LeNet5`` and ``cnncourse.torch.models.LeNet5``.

LeNet-5 (LeCun, Bottou, Bengio & Haffner 1998) with the three simplifications most modern courses make:
S2/S4 are plain 2x2 pooling (the paper's had a trainable scale and bias), C3 connects every S2 map (the
paper used a sparse connection table) and the output is a linear layer (the paper used Euclidean RBF
units). Both classes take the same arguments ``in_channels, num_classes, input_size, activation, pooling``
and build this network, layer for layer (shapes for one image with ``in_channels = 1``)::

    input_size = 32 (the original)              input_size = 8 (scikit-learn's digits)
    C1 conv 5x5, 6    (1, 32, 32) -> (6, 28, 28)    156   conv 3x3 pad 1, 6  -> (6, 8, 8)      60
       act, pool 2x2             -> (6, 14, 14)           act, pool 2x2      -> (6, 4, 4)
    C3 conv 5x5, 16              -> (16, 10, 10) 2,416    conv 3x3 pad 1, 16 -> (16, 4, 4)    880
       act, pool 2x2             -> (16, 5, 5)            act, pool 2x2      -> (16, 2, 2)
       flatten                   -> 400                   flatten            -> 64
    C5 linear 400 -> 120, act                   48,120    linear 64 -> 120, act            7,800
    F6 linear 120 -> 84, act                    10,164    linear 120 -> 84, act           10,164
       linear 84 -> num_classes                    850    linear 84 -> num_classes           850
                                                ------                                   ------
                                                61,706  (10 classes)                     19,754

``input_size = 28`` (MNIST, Fashion-MNIST) pads C1 by 2, which gives the 32x32 column's shapes and its
61,706 parameters. The 8x8 digits are too small for two 5x5 convolutions, so that column uses 3x3
kernels with padding 1, which keep the size, and the same two poolings. C5 is a linear layer: on the
5x5 map of the original it is the same as the paper's 5x5 convolution. With ``in_channels`` > 1 the
first convolution has more weights (456 instead of 156 for 3 channels at 32x32).

The original used tanh-like squashing and average pooling (the defaults, ``activation="tanh"``,
``pooling="avg"``); ``activation="relu"`` and ``pooling="max"`` give the modern variant. Weights are
He-normal for the rectifier family and Xavier-uniform for tanh and sigmoid (``cnncourse.activations``),
biases zero, in both libraries.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["LENET5_LAYOUTS", "LeNetLayout", "lenet5_layout"]


class LeNetLayout(NamedTuple):
    """The sizes that depend on ``input_size``: kernel size, paddings of C1 and C3, features entering C5."""

    kernel_size: int
    c1_padding: int
    c3_padding: int
    c5_in_features: int


LENET5_LAYOUTS: dict[int, LeNetLayout] = {
    32: LeNetLayout(5, 0, 0, 16 * 5 * 5),
    28: LeNetLayout(5, 2, 0, 16 * 5 * 5),
    8: LeNetLayout(3, 1, 1, 16 * 2 * 2),
}


def lenet5_layout(input_size: int) -> LeNetLayout:
    """The layout for ``input_size`` (32, 28 or 8); a ValueError names the sizes there are."""
    if input_size not in LENET5_LAYOUTS:
        raise ValueError(f"input_size must be one of {sorted(LENET5_LAYOUTS)}, got {input_size!r}")
    return LENET5_LAYOUTS[input_size]
