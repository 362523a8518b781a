"""Hidden tests for question 4: rectangular kernels, larger batches, other strides."""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from autograder.testing import changed_arguments


def reference_im2col(x, kh, kw, stride, padding):
    n_images, channels, height, width = x.shape
    x_pad = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    h_out = (height + 2 * padding - kh) // stride + 1
    w_out = (width + 2 * padding - kw) // stride + 1
    cols = np.zeros((channels * kh * kw, n_images * h_out * w_out))
    for n in range(n_images):
        for i in range(h_out):
            for j in range(w_out):
                window = x_pad[n, :, i * stride:i * stride + kh, j * stride:j * stride + kw]
                cols[:, n * h_out * w_out + i * w_out + j] = window.ravel()
    return cols


def reference_conv(x, w, b, stride, padding):
    x_pad = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    windows = sliding_window_view(x_pad, w.shape[2:], axis=(2, 3))[:, :, ::stride, ::stride]
    return np.einsum("nchwuv,ocuv->nohw", windows, w) + b[None, :, None, None]


def test_im2col_rectangular_kernel(student):
    """A 2x3 kernel at stride 1 with padding 2 on three 4x5 images."""
    x = np.random.default_rng(91).normal(size=(3, 2, 4, 5))
    np.testing.assert_allclose(np.asarray(student.im2col(x, 2, 3, stride=1, padding=2)), reference_im2col(x, 2, 3, 1, 2))


def test_im2col_stride_three(student):
    """Stride 3 on an 8x8 input with a 3x3 kernel (the floor matters)."""
    x = np.random.default_rng(92).normal(size=(2, 1, 8, 8))
    np.testing.assert_allclose(np.asarray(student.im2col(x, 3, 3, stride=3, padding=0)), reference_im2col(x, 3, 3, 3, 0))


def test_conv2d_im2col_rectangular(student):
    """conv2d_im2col with a 3x2 kernel, 5 output channels, stride 2, padding 2."""
    rng = np.random.default_rng(93)
    x, w, b = rng.normal(size=(3, 2, 6, 7)), rng.normal(size=(5, 2, 3, 2)), rng.normal(size=5)
    out = np.asarray(student.conv2d_im2col(x, w, b, stride=2, padding=2))
    expected = reference_conv(x, w, b, 2, 2)
    assert out.shape == expected.shape, f"expected {expected.shape}, got {out.shape}"
    np.testing.assert_allclose(out, expected, atol=1e-10)


def test_inputs_are_left_unchanged(student):
    """im2col and conv2d_im2col leave their inputs unchanged."""
    rng = np.random.default_rng(94)
    x, w, b = rng.normal(size=(2, 2, 5, 5)), rng.normal(size=(3, 2, 3, 3)), rng.normal(size=3)
    for name, kwargs in (("im2col", {"x": x, "kh": 3, "kw": 3, "padding": 1}),
                         ("conv2d_im2col", {"x": x, "w": w, "b": b, "padding": 1})):
        called = getattr(student, name).returning_args(**{k: np.copy(v) if isinstance(v, np.ndarray) else v
                                                        for k, v in kwargs.items()})
        changed = changed_arguments(called, **kwargs)
        assert changed == [], f"{name} changed {' and '.join(changed)} in place"
