"""The receptive field of stacked convolution and pooling layers."""

from __future__ import annotations

__all__ = ["receptive_field"]


def receptive_field(kernel_sizes: list[int], strides: list[int] | None = None) -> list[int]:
    """Receptive field (in input pixels, along one axis) after each layer of a stack.

    A layer with kernel k adds (k - 1) * j pixels, where j, the "jump", is the product of the
    strides of all layers before it: one step on its input is j steps on the image.
    Returns one size per layer, e.g. three 3x3 stride-1 layers -> [3, 5, 7].
    """
    strides = [1] * len(kernel_sizes) if strides is None else list(strides)
    if len(strides) != len(kernel_sizes):
        raise ValueError(f"got {len(kernel_sizes)} kernel sizes but {len(strides)} strides")
    if any(k < 1 for k in kernel_sizes) or any(s < 1 for s in strides):
        raise ValueError(f"kernel sizes and strides must be positive, got {kernel_sizes} and {strides}")
    sizes, size, jump = [], 1, 1
    for k, s in zip(kernel_sizes, strides):
        size += (k - 1) * jump
        jump *= s
        sizes.append(size)
    return sizes
