"""Hidden tests for question 3: other shapes, strides and paddings against numerical gradients."""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from autograder.testing import changed_arguments


def reference_conv(x, w, b, stride, padding):
    x_pad = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    windows = sliding_window_view(x_pad, w.shape[2:], axis=(2, 3))[:, :, ::stride, ::stride]
    return np.einsum("nchwuv,ocuv->nohw", windows, w) + b[None, :, None, None]


def numerical_grads(dout, x, w, b, stride, padding, h=1e-6):
    grads = []
    for arr in (x, w, b):
        g = np.zeros_like(arr)
        for i in np.ndindex(arr.shape):
            old = arr[i]
            arr[i] = old + h
            plus = np.sum(reference_conv(x, w, b, stride, padding) * dout)
            arr[i] = old - h
            minus = np.sum(reference_conv(x, w, b, stride, padding) * dout)
            arr[i] = old
            g[i] = (plus - minus) / (2 * h)
        grads.append(g)
    return grads


def check(student, seed, shape_x, shape_w, stride, padding):
    rng = np.random.default_rng(seed)
    x, w, b = rng.normal(size=shape_x), rng.normal(size=shape_w), rng.normal(size=shape_w[0])
    dout = rng.normal(size=reference_conv(x, w, b, stride, padding).shape)
    dx, dw, db = (np.asarray(r) for r in student.conv2d_backward_naive(dout, x, w, b, stride=stride, padding=padding))
    dx_num, dw_num, db_num = numerical_grads(dout, x, w, b, stride, padding)
    assert dx.shape == x.shape and dw.shape == w.shape and db.shape == b.shape, (
        f"shapes {dx.shape}, {dw.shape}, {db.shape}; expected {x.shape}, {w.shape}, {b.shape}"
    )
    np.testing.assert_allclose(dx, dx_num, atol=1e-6, err_msg="dx")
    np.testing.assert_allclose(dw, dw_num, atol=1e-6, err_msg="dw")
    np.testing.assert_allclose(db, db_num, atol=1e-6, err_msg="db")


def test_rectangular_kernel_stride_two(student):
    """A 2x3 kernel at stride 2 on a 5x6 input."""
    check(student, 81, (2, 1, 5, 6), (2, 1, 2, 3), 2, 0)


def test_padding_two_stride_three(student):
    """Padding 2 and stride 3 on a 4x4 input (the floor drops a border of the padded input)."""
    check(student, 82, (1, 2, 4, 4), (3, 2, 3, 3), 3, 2)


def test_kernel_as_large_as_padded_input(student):
    """A 4x4 kernel on a 2x2 input with padding 1: one output per image and channel."""
    check(student, 83, (2, 3, 2, 2), (2, 3, 4, 4), 1, 1)


def test_inputs_are_left_unchanged(student):
    """conv2d_backward_naive leaves dout, x, w and b unchanged."""
    rng = np.random.default_rng(84)
    x, w, b = rng.normal(size=(2, 2, 4, 4)), rng.normal(size=(3, 2, 3, 3)), rng.normal(size=3)
    dout = rng.normal(size=(2, 3, 4, 4))
    for name, kwargs in (("conv2d_backward_naive", {"dout": dout, "x": x, "w": w, "b": b, "padding": 1}),):
        called = getattr(student, name).returning_args(**{k: np.copy(v) if isinstance(v, np.ndarray) else v
                                                        for k, v in kwargs.items()})
        changed = changed_arguments(called, **kwargs)
        assert changed == [], f"{name} changed {' and '.join(changed)} in place"
