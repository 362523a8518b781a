"""Public tests for question 3: naive convolution backward.

The expected gradients of L = sum(conv(x, w, b) * dout) were worked out once (with centred differences, exact here
because the convolution is linear) and written down; inputs are small integers so they stay readable.
"""

import numpy as np


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
    x, w, b = np.ones((2, 1, 4, 4)), np.ones((3, 1, 3, 3)), np.zeros(3)
    dout = np.array([[[[1.0, 2.0], [3.0, 4.0]], [[-1.0, 0.0], [0.5, 0.5]], [[2.0, 2.0], [2.0, 2.0]]],
                     [[[1.0, 1.0], [1.0, 1.0]], [[0.0, 0.0], [0.0, 1.0]], [[-3.0, 0.0], [0.0, 0.0]]]])
    _, _, db = call(student, dout, x, w, b, 1, 0)
    if np.allclose(db, 0):
        raise AssertionError("db is zero: the bias is added at every output position, so db[o] = dout[:, o].sum()")
    if np.allclose(db, [10.0, 0.0, 8.0]):
        raise AssertionError("db covers the first image only: sum dout over the images too (axes 0, 2 and 3)")
    np.testing.assert_allclose(db, [14.0, 1.0, 5.0], err_msg="db[o] = dout[:, o, :, :].sum() = 10 + 4, -1 + 2, 8 - 3")


def test_single_window_gives_the_kernel(student):
    """A 2x2 kernel on a 2x2 input has one window: dx = dout * w and dw = dout * x."""
    x = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
    w = np.array([[[[0.5, -1.0], [2.0, 0.0]]]])
    dx, dw, db = call(student, np.array([[[[3.0]]]]), x, w, np.array([0.0]), 1, 0)
    np.testing.assert_allclose(dx, 3.0 * w, err_msg="out = sum(x * w) + b, so dx = dout * w")
    np.testing.assert_allclose(dw, 3.0 * x, err_msg="out = sum(x * w) + b, so dw = dout * x")
    np.testing.assert_allclose(db, [3.0], err_msg="db = dout summed")


def test_no_padding_stride_one(student):
    """dx, dw and db for 2 input and 2 output channels with stride 1, no padding."""
    x = np.arange(18.0).reshape(1, 2, 3, 3) % 5 - 2
    w = np.arange(16.0).reshape(2, 2, 2, 2) % 3 - 1
    b = np.array([0.5, -0.5])
    dout = np.array([[[[1.0, -1.0], [2.0, 0.0]], [[0.0, 3.0], [-2.0, 1.0]]]])
    dx, dw, db = call(student, dout, x, w, b, 1, 0)
    expected_dw = [[[[1.0, 3.0], [-3.0, 4.0]], [[4.0, 1.0], [-5.0, -3.0]]],
                   [[[-3.0, -6.0], [8.0, -5.0]], [[-5.0, -3.0], [6.0, 8.0]]]]
    expected_dx = [[[[-1.0, 4.0, -3.0], [-3.0, 1.0, 3.0], [2.0, -4.0, 1.0]],
                    [[0.0, -2.0, -1.0], [1.0, 5.0, -3.0], [-4.0, 3.0, -1.0]]]]
    np.testing.assert_allclose(dw, expected_dw, atol=1e-10, err_msg="dw is wrong")
    np.testing.assert_allclose(dx, expected_dx, atol=1e-10,
                               err_msg="dx is wrong: each input pixel gets dout[n, o, i, j] * w[o, c, u, v] from every "
                                       "window over it and from every output channel o, all added up")
    np.testing.assert_allclose(db, [2.0, 2.0], atol=1e-10, err_msg="db is wrong")


def test_dx_sums_over_output_channels(student):
    """With 2 output channels and non-overlapping windows (2x2 kernel, stride 2), dx sums both channels' terms."""
    x = np.arange(16.0).reshape(1, 1, 4, 4) % 5 - 2
    w = np.array([[[[1.0, 2.0], [3.0, 4.0]]], [[[0.0, 1.0], [-1.0, 2.0]]]])
    dout = np.array([[[[1.0, 2.0], [3.0, -1.0]], [[2.0, 0.0], [1.0, 1.0]]]])
    dx, _, _ = call(student, dout, x, w, np.zeros(2), 2, 0)
    # Pixel (0, 1): dout[0, 0, 0, 0] * w[0, 0, 0, 1] + dout[0, 1, 0, 0] * w[1, 0, 0, 1] = 1 * 2 + 2 * 1 = 4.
    expected = [[1.0, 4.0, 2.0, 4.0], [1.0, 8.0, 6.0, 8.0], [3.0, 7.0, -1.0, -1.0], [8.0, 14.0, -4.0, -2.0]]
    only_last = [[0.0, 2.0, 0.0, 0.0], [-2.0, 4.0, 0.0, 0.0], [0.0, 1.0, 0.0, 1.0], [-1.0, 2.0, -1.0, 2.0]]
    only_first = [[1.0, 2.0, 2.0, 4.0], [3.0, 4.0, 6.0, 8.0], [3.0, 6.0, -1.0, -2.0], [9.0, 12.0, -3.0, -4.0]]
    if np.allclose(dx[0, 0], only_last) or np.allclose(dx[0, 0], only_first):
        raise AssertionError("dx holds one output channel's contribution only: every output channel o read x, so "
                             "dx sums dout[n, o, i, j] * w[o] over all o (accumulate with +=, do not reset or "
                             "overwrite dx for each o)")
    np.testing.assert_allclose(dx[0, 0], expected, atol=1e-10,
                               err_msg="the windows do not overlap here, so dx[n, c] is the sum over output "
                                       "channels o of dout[n, o, i, j] * w[o, c] placed under window (i, j)")


def test_padding_and_stride(student):
    """dx, dw and db with stride 2 and padding 1 on a 4x4 input."""
    x = np.arange(16.0).reshape(1, 1, 4, 4) % 6 - 2
    w = np.array([[[[1.0, 0.0, -1.0], [2.0, 1.0, 0.0], [0.0, -1.0, 1.0]]]])
    dout = np.array([[[[1.0, 2.0], [-1.0, 3.0]]]])
    dx, dw, db = call(student, dout, x, w, np.array([1.0]), 2, 1)
    expected_dw = [[[[9.0, -8.0, -6.0], [1.0, 4.0, 9.0], [3.0, 0.0, 5.0]]]]
    expected_dx = [[[[1.0, 4.0, 2.0, 0.0], [-1.0, 5.0, -2.0, -1.0], [-1.0, 6.0, 3.0, 0.0], [1.0, -1.0, -3.0, 3.0]]]]
    np.testing.assert_allclose(dw, expected_dw, atol=1e-10, err_msg="dw is wrong: use the padded input for dw")
    np.testing.assert_allclose(dx, expected_dx, atol=1e-10,
                               err_msg="dx is wrong: with one output channel, a 3x3 kernel and stride 2 the windows "
                                       "overlap, and a pixel under two windows gets both contributions: add up (+=)")
    np.testing.assert_allclose(db, [5.0], atol=1e-10)
