"""Public tests for question 2: naive convolution forward."""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def reference_conv(x, w, b, stride, padding):
    x_pad = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    windows = sliding_window_view(x_pad, w.shape[2:], axis=(2, 3))[:, :, ::stride, ::stride]
    return np.einsum("nchwuv,ocuv->nohw", windows, w) + b[None, :, None, None]


def check(student, x, w, b, stride, padding):
    out = np.asarray(student.conv2d_forward_naive(x, w, b, stride=stride, padding=padding))
    expected = reference_conv(x, w, b, stride, padding)
    if out.shape != expected.shape:
        raise AssertionError(
            f"your output has shape {out.shape}; with a {x.shape[2]}x{x.shape[3]} input, a "
            f"{w.shape[2]}x{w.shape[3]} kernel, stride {stride} and padding {padding} it should be {expected.shape}: "
            "check the output-size formula (N, C_out, H_out, W_out)"
        )
    if not np.allclose(out, expected, atol=1e-10):
        if np.allclose(out, reference_conv(x, w[:, :, ::-1, ::-1], b, stride, padding), atol=1e-10):
            raise AssertionError("you flipped the kernel: deep-learning convolution is cross-correlation, "
                                 "multiply w[o, c, u, v] with the pixel at offset (u, v) of the window")
        if np.allclose(out, expected - b[None, :, None, None], atol=1e-10):
            raise AssertionError("the output is missing the bias: add b[o] to every position of channel o")
        raise AssertionError(f"values differ from the reference by up to {np.abs(out - expected).max():.3g}")


def test_hand_example(student):
    """A 3x3 input with a 2x2 kernel: out = [[-4, -4], [-4, -4]] + 1."""
    x = np.arange(9.0).reshape(1, 1, 3, 3)
    w = np.array([[[[1.0, 0.0], [0.0, -1.0]]]])
    out = np.asarray(student.conv2d_forward_naive(x, w, np.array([1.0])))
    # Each window gives x[i, j] - x[i + 1, j + 1] = -4, plus the bias 1.
    np.testing.assert_allclose(out, np.full((1, 1, 2, 2), -3.0),
                               err_msg="out[i, j] = x[i, j] * 1 + x[i+1, j+1] * (-1) + b = -3 everywhere")


def test_channels_and_bias(student):
    """Two images, 3 input and 2 output channels, stride 1, no padding."""
    rng = np.random.default_rng(0)
    check(student, rng.normal(size=(2, 3, 5, 5)), rng.normal(size=(2, 3, 3, 3)), rng.normal(size=2), 1, 0)


def test_padding(student):
    """Padding 1 keeps a 5x5 input at 5x5 with a 3x3 kernel."""
    rng = np.random.default_rng(1)
    check(student, rng.normal(size=(1, 2, 5, 5)), rng.normal(size=(3, 2, 3, 3)), rng.normal(size=3), 1, 1)


def test_stride_two_with_padding(student):
    """With stride 2 and padding 1 a 7x7 input gives 4x4."""
    rng = np.random.default_rng(2)
    check(student, rng.normal(size=(1, 1, 7, 7)), rng.normal(size=(2, 1, 3, 3)), rng.normal(size=2), 2, 1)
