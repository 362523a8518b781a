"""Public tests for question 4: im2col's layout and convolution as a matrix product."""

import numpy as np

# The 4x4x3 example: x = np.arange(48).reshape(1, 3, 4, 4) and a 2x2 kernel give 9 windows of 12 values each.
# Column k is window (k // 3, k % 3); its rows run over the channel, then the kernel row, then the kernel column.
COLS_4X4X3 = np.array([[0, 1, 2, 4, 5, 6, 8, 9, 10],
                       [1, 2, 3, 5, 6, 7, 9, 10, 11],
                       [4, 5, 6, 8, 9, 10, 12, 13, 14],
                       [5, 6, 7, 9, 10, 11, 13, 14, 15],
                       [16, 17, 18, 20, 21, 22, 24, 25, 26],
                       [17, 18, 19, 21, 22, 23, 25, 26, 27],
                       [20, 21, 22, 24, 25, 26, 28, 29, 30],
                       [21, 22, 23, 25, 26, 27, 29, 30, 31],
                       [32, 33, 34, 36, 37, 38, 40, 41, 42],
                       [33, 34, 35, 37, 38, 39, 41, 42, 43],
                       [36, 37, 38, 40, 41, 42, 44, 45, 46],
                       [37, 38, 39, 41, 42, 43, 45, 46, 47]], dtype=float)


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
    first = COLS_4X4X3[:, 0]
    if cols.shape == (12, 9) and np.allclose(np.sort(cols[:, 0]), first) and not np.allclose(cols[:, 0], first):
        raise AssertionError(f"column 0 is {cols[:, 0]}; its entries are right but in the wrong order: rows run over "
                             "the channel first, then kernel row, then kernel column (like w[o].ravel())")
    np.testing.assert_allclose(cols[:, 0], first, err_msg="column 0 should be x[0, :, 0:2, 0:2].ravel()")
    np.testing.assert_allclose(cols, COLS_4X4X3, err_msg="column i*W_out + j is window (i, j), x[0, :, i:i+2, j:j+2]")


def test_batch_padding_and_stride(student):
    """Two images, padding 1 and stride 2: columns run image, then output row, then output column."""
    x = np.arange(1.0, 19.0).reshape(2, 1, 3, 3)  # image 0 holds 1..9, image 1 holds 10..18
    cols = np.asarray(student.im2col(x, 2, 2, stride=2, padding=1))
    assert cols.shape == (4, 8), (
        f"cols has shape {cols.shape}, expected (4, 8): with stride 2 and padding 1 a 3x3 input has 2x2 windows "
        "of size 2x2 per image"
    )
    # The padded image 0 is 5x5 with 1..9 in the middle: window (0, 0) holds three zeros and the 1.
    expected = [[0, 0, 0, 5, 0, 0, 0, 14],
                [0, 0, 4, 6, 0, 0, 13, 15],
                [0, 2, 0, 8, 0, 11, 0, 17],
                [1, 3, 7, 9, 10, 12, 16, 18]]
    np.testing.assert_allclose(cols, expected, err_msg="column n*H_out*W_out + i*W_out + j is window (n, i, j)")


def test_conv2d_im2col_course_example(student):
    """conv2d_im2col gives the course's [[4, 3, 4], [2, 4, 3], [2, 3, 4]] on the 5x5 binary image."""
    image = np.array([[1, 1, 1, 0, 0], [0, 1, 1, 1, 0], [0, 0, 1, 1, 1], [0, 0, 1, 1, 0], [0, 1, 1, 0, 0]], dtype=float)
    kernel = np.array([[1, 0, 1], [0, 1, 0], [1, 0, 1]], dtype=float)
    out = np.asarray(student.conv2d_im2col(image[None, None], kernel[None, None], np.zeros(1)))
    assert out.shape == (1, 1, 3, 3), f"expected shape (1, 1, 3, 3), got {out.shape}"
    np.testing.assert_allclose(out[0, 0], [[4, 3, 4], [2, 4, 3], [2, 3, 4]])


def test_conv2d_im2col_batch_stride_and_padding(student):
    """conv2d_im2col on two images with 2 output channels, stride 2 and padding 1."""
    x = np.arange(64.0).reshape(2, 2, 4, 4) % 5 - 2
    w = np.arange(36.0).reshape(2, 2, 3, 3) % 3 - 1
    b = np.array([1.0, -1.0])
    out = np.asarray(student.conv2d_im2col(x, w, b, stride=2, padding=1))
    assert out.shape == (2, 2, 2, 2), (
        f"out has shape {out.shape}, expected (2, 2, 2, 2) (N, C_out, H_out, W_out): after the matrix product "
        "reshape to (C_out, N, H_out, W_out) and move the image axis first"
    )
    expected = [[[[-3.0, 9.0], [1.0, -2.0]], [[-5.0, 7.0], [-1.0, -4.0]]],
                [[[5.0, -6.0], [-2.0, 8.0]], [[3.0, -8.0], [-4.0, 6.0]]]]
    np.testing.assert_allclose(out, expected, atol=1e-10,
                               err_msg="the product is (C_out, N*H_out*W_out): reshape it to (C_out, N, H_out, W_out), "
                                       "then move the image axis first")
