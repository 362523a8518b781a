"""Public tests for question 4: im2col's layout and convolution as a matrix product."""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def reference_im2col(x, kh, kw, stride, padding):
    """The documented layout, built one window at a time."""
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


def test_slides_example_shape(student):
    """A 4x4 input with 3 channels and a 2x2 kernel gives a 12x9 matrix."""
    x = np.arange(48.0).reshape(1, 3, 4, 4)
    cols = np.asarray(student.im2col(x, 2, 2))
    if cols.shape == (9, 12):
        raise AssertionError("cols has shape (9, 12): it should be transposed, (C*kH*kW, N*H_out*W_out) = (12, 9), "
                             "one column per window")
    assert cols.shape == (12, 9), f"cols should have shape (C*kH*kW, N*H_out*W_out) = (12, 9), got {cols.shape}"


def test_slides_example_values(student):
    """Column 0 of the 4x4x3 example is the first 2x2 window of each channel, channel by channel."""
    x = np.arange(48.0).reshape(1, 3, 4, 4)
    cols = np.asarray(student.im2col(x, 2, 2))
    # Channel c starts at 16c; the first window of a 4-wide image is entries 0, 1, 4, 5.
    first = np.array([0, 1, 4, 5, 16, 17, 20, 21, 32, 33, 36, 37], dtype=float)
    if cols.shape == (12, 9) and np.allclose(np.sort(cols[:, 0]), first) and not np.allclose(cols[:, 0], first):
        raise AssertionError(f"column 0 is {cols[:, 0]}; its entries are right but in the wrong order: rows run over "
                             "the channel first, then kernel row, then kernel column (like w[o].ravel())")
    np.testing.assert_allclose(cols[:, 0], first, err_msg="column 0 should be x[0, :, 0:2, 0:2].ravel()")
    np.testing.assert_allclose(cols, reference_im2col(x, 2, 2, 1, 0))


def test_batch_padding_and_stride(student):
    """Two images, padding 1 and stride 2: columns run image, then output row, then output column."""
    x = np.random.default_rng(0).normal(size=(2, 2, 5, 5))
    cols = np.asarray(student.im2col(x, 3, 3, stride=2, padding=1))
    expected = reference_im2col(x, 3, 3, 2, 1)
    assert cols.shape == expected.shape, (
        f"cols has shape {cols.shape}, expected {expected.shape}: with stride 2 and padding 1 a 5x5 input "
        "has 3x3 windows per image"
    )
    np.testing.assert_allclose(cols, expected, err_msg="column n*H_out*W_out + i*W_out + j is window (n, i, j)")


def test_conv2d_im2col_matches_reference(student):
    """conv2d_im2col gives the same result as the definition, with stride 2 and padding 1."""
    rng = np.random.default_rng(1)
    x, w, b = rng.normal(size=(2, 3, 7, 7)), rng.normal(size=(4, 3, 3, 3)), rng.normal(size=4)
    out = np.asarray(student.conv2d_im2col(x, w, b, stride=2, padding=1))
    expected = reference_conv(x, w, b, 2, 1)
    assert out.shape == expected.shape, (
        f"out has shape {out.shape}, expected {expected.shape} (N, C_out, H_out, W_out): after the matrix product "
        "reshape to (C_out, N, H_out, W_out) and move the image axis first"
    )
    np.testing.assert_allclose(out, expected, atol=1e-10)
