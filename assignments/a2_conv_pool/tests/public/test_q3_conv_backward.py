"""Public tests for question 3: naive convolution backward, checked against numerical gradients."""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def reference_conv(x, w, b, stride, padding):
    x_pad = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    windows = sliding_window_view(x_pad, w.shape[2:], axis=(2, 3))[:, :, ::stride, ::stride]
    return np.einsum("nchwuv,ocuv->nohw", windows, w) + b[None, :, None, None]


def numerical_grads(dout, x, w, b, stride, padding, h=1e-6):
    """Centred differences of L = sum(conv(x, w, b) * dout) with respect to x, w and b."""
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


def setup(seed, shape_x, shape_w, stride, padding):
    rng = np.random.default_rng(seed)
    x, w, b = rng.normal(size=shape_x), rng.normal(size=shape_w), rng.normal(size=shape_w[0])
    dout = rng.normal(size=reference_conv(x, w, b, stride, padding).shape)
    return dout, x, w, b


def call(student, dout, x, w, b, stride, padding):
    result = student.conv2d_backward_naive(dout, x, w, b, stride=stride, padding=padding)
    assert isinstance(result, (list, tuple)) and len(result) == 3, "conv2d_backward_naive should return (dx, dw, db)"
    dx, dw, db = (np.asarray(r) for r in result)
    assert dx.shape == x.shape, (
        f"dx has shape {dx.shape} but x is {x.shape}"
        + (": cut the padding off dx_pad before returning it" if padding else "")
    )
    assert dw.shape == w.shape, f"dw has shape {dw.shape} but w is {w.shape}"
    assert db.shape == b.shape, f"db has shape {db.shape} but b is {b.shape}: sum dout over axes (0, 2, 3)"
    return dx, dw, db


def test_bias_gradient(student):
    """db[o] sums dout[:, o] over images and positions."""
    dout, x, w, b = setup(0, (2, 1, 4, 4), (3, 1, 3, 3), 1, 0)
    _, _, db = call(student, dout, x, w, b, 1, 0)
    if np.allclose(db, 0):
        raise AssertionError("db is zero: the bias is added at every output position, so db[o] = dout[:, o].sum()")
    np.testing.assert_allclose(db, dout.sum(axis=(0, 2, 3)), err_msg="db[o] = dout[:, o, :, :].sum()")


def test_no_padding_stride_one(student):
    """dx, dw and db match numerical gradients with stride 1, no padding."""
    dout, x, w, b = setup(1, (2, 2, 4, 4), (2, 2, 3, 3), 1, 0)
    dx, dw, db = call(student, dout, x, w, b, 1, 0)
    dx_num, dw_num, db_num = numerical_grads(dout, x, w, b, 1, 0)
    np.testing.assert_allclose(dw, dw_num, atol=1e-6, err_msg="dw is wrong")
    np.testing.assert_allclose(dx, dx_num, atol=1e-6,
                               err_msg="dx is wrong: overlapping windows must add up (+=) in dx")
    np.testing.assert_allclose(db, db_num, atol=1e-6, err_msg="db is wrong")


def test_padding_and_stride(student):
    """dx, dw and db match numerical gradients with stride 2 and padding 1."""
    dout, x, w, b = setup(2, (1, 2, 5, 5), (2, 2, 3, 3), 2, 1)
    dx, dw, db = call(student, dout, x, w, b, 2, 1)
    dx_num, dw_num, db_num = numerical_grads(dout, x, w, b, 2, 1)
    np.testing.assert_allclose(dw, dw_num, atol=1e-6, err_msg="dw is wrong: use the padded input for dw")
    np.testing.assert_allclose(dx, dx_num, atol=1e-6, err_msg="dx is wrong")
    np.testing.assert_allclose(db, db_num, atol=1e-6)
