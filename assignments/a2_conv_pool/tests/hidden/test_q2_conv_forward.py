"""Hidden tests for question 2: rectangular inputs and kernels, larger strides and paddings."""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from autograder.testing import changed_arguments


def reference_conv(x, w, b, stride, padding):
    x_pad = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    windows = sliding_window_view(x_pad, w.shape[2:], axis=(2, 3))[:, :, ::stride, ::stride]
    return np.einsum("nchwuv,ocuv->nohw", windows, w) + b[None, :, None, None]


def check(student, shape_x, shape_w, stride, padding, seed):
    rng = np.random.default_rng(seed)
    x, w, b = rng.normal(size=shape_x), rng.normal(size=shape_w), rng.normal(size=shape_w[0])
    out = np.asarray(student.conv2d_forward_naive(x, w, b, stride=stride, padding=padding))
    expected = reference_conv(x, w, b, stride, padding)
    assert out.shape == expected.shape, f"expected shape {expected.shape}, got {out.shape}"
    np.testing.assert_allclose(out, expected, atol=1e-10)


def test_rectangular_input_and_kernel(student):
    """A 6x9 input with a 2x4 kernel."""
    check(student, (2, 2, 6, 9), (3, 2, 2, 4), 1, 0, seed=71)


def test_stride_three_padding_two(student):
    """Stride 3 and padding 2 on an 8x8 input with a 3x3 kernel (the floor matters)."""
    check(student, (1, 3, 8, 8), (2, 3, 3, 3), 3, 2, seed=72)


def test_one_by_one_kernel(student):
    """A 1x1 kernel mixes channels only."""
    check(student, (3, 4, 4, 4), (5, 4, 1, 1), 1, 0, seed=73)


def test_kernel_covers_the_padded_input(student):
    """A 5x5 kernel on a 3x3 input with padding 1 gives a single output."""
    check(student, (1, 2, 3, 3), (1, 2, 5, 5), 1, 1, seed=74)


def test_inputs_are_left_unchanged(student):
    """conv2d_forward_naive leaves x, w and b unchanged."""
    rng = np.random.default_rng(75)
    x, w, b = rng.normal(size=(2, 2, 4, 4)), rng.normal(size=(3, 2, 3, 3)), rng.normal(size=3)
    for name, kwargs in (("conv2d_forward_naive", {"x": x, "w": w, "b": b}),):
        called = getattr(student, name).returning_args(**{k: np.copy(v) if isinstance(v, np.ndarray) else v
                                                        for k, v in kwargs.items()})
        changed = changed_arguments(called, **kwargs)
        assert changed == [], f"{name} changed {' and '.join(changed)} in place"
