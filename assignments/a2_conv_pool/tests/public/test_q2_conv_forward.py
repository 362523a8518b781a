"""Public tests for question 2: naive convolution forward.

The expected outputs are worked out by hand or computed once and written down; a second array, the result of the
common mistake of flipping the kernel, lets the feedback say what went wrong.
"""

import numpy as np

from autograder.testing import StudentError


def check(student, x, w, b, stride, padding, expected, flipped):
    pad_hint = ("did you pad every axis? np.pad(x, p) pads the image and channel axes too; pad only H and W: "
                "np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))")
    try:
        out = np.asarray(student.conv2d_forward_naive(x, w, b, stride=stride, padding=padding))
    except StudentError as error:
        if padding and "broadcast" in error.message:
            raise AssertionError(f"your code raised {error}. With padding {padding}: {pad_hint}") from None
        raise
    expected, flipped = np.asarray(expected, dtype=float), np.asarray(flipped, dtype=float)
    if padding and out.ndim == 4 and out.shape[0] == x.shape[0] + 2 * padding:
        raise AssertionError(f"your output has {out.shape[0]} images for {x.shape[0]} input images: {pad_hint}")
    if out.shape != expected.shape:
        raise AssertionError(
            f"your output has shape {out.shape}; with a {x.shape[2]}x{x.shape[3]} input, a "
            f"{w.shape[2]}x{w.shape[3]} kernel, stride {stride} and padding {padding} it should be {expected.shape}: "
            "check the output-size formula (N, C_out, H_out, W_out)"
        )
    if not np.allclose(out, expected, atol=1e-10):
        if np.allclose(out, flipped, atol=1e-10):
            raise AssertionError("you flipped the kernel: deep-learning convolution is cross-correlation, "
                                 "multiply w[o, c, u, v] with the pixel at offset (u, v) of the window")
        if np.allclose(out, expected - b[None, :, None, None], atol=1e-10):
            raise AssertionError("the output is missing the bias: add b[o] to every position of channel o")
        if padding and np.allclose(out, np.broadcast_to(b[None, :, None, None], out.shape)):
            raise AssertionError(f"every output equals the bias, so every window you read was all zeros: {pad_hint}")
        raise AssertionError(f"the values are wrong: expected\n{expected}\ngot\n{out}")


def test_hand_example(student):
    """A 3x3 input with a 2x2 kernel: out = [[-4, -4], [-4, -4]] + 1."""
    x = np.arange(9.0).reshape(1, 1, 3, 3)
    w = np.array([[[[1.0, 0.0], [0.0, -1.0]]]])
    out = np.asarray(student.conv2d_forward_naive(x, w, np.array([1.0])))
    # Each window gives x[i, j] - x[i + 1, j + 1] = -4, plus the bias 1.
    np.testing.assert_allclose(out, np.full((1, 1, 2, 2), -3.0),
                               err_msg="out[i, j] = x[i, j] * 1 + x[i+1, j+1] * (-1) + b = -3 everywhere")


def test_course_example(student):
    """The course's 5x5 binary image with the kernel [[1, 0, 1], [0, 1, 0], [1, 0, 1]] gives [[4, 3, 4], [2, 4, 3], [2, 3, 4]]."""
    image = np.array([[1, 1, 1, 0, 0], [0, 1, 1, 1, 0], [0, 0, 1, 1, 1], [0, 0, 1, 1, 0], [0, 1, 1, 0, 0]], dtype=float)
    kernel = np.array([[1, 0, 1], [0, 1, 0], [1, 0, 1]], dtype=float)
    out = np.asarray(student.conv2d_forward_naive(image[None, None], kernel[None, None], np.zeros(1)))
    assert out.shape == (1, 1, 3, 3), f"a 5x5 image and a 3x3 kernel give (1, 1, 3, 3), got {out.shape}"
    np.testing.assert_allclose(out[0, 0], [[4, 3, 4], [2, 4, 3], [2, 3, 4]],
                               err_msg="each output counts the image's 1s under the kernel's 1s")


def test_channels_and_bias(student):
    """Two images, 2 input and 2 output channels, stride 1, no padding."""
    x = np.arange(36.0).reshape(2, 2, 3, 3) % 7 - 3
    w = np.arange(16.0).reshape(2, 2, 2, 2) % 5 - 2
    b = np.array([0.5, -1.0])
    expected = [[[[5.5, 2.5], [-3.5, 7.5]], [[-11.0, 4.0], [-1.0, 7.0]]],
                [[[7.5, -9.5], [5.5, 2.5]], [[7.0, 8.0], [-11.0, 4.0]]]]
    flipped = [[[[-2.5, -19.5], [2.5, 13.5]], [[11.0, 12.0], [0.0, -27.0]]],
               [[[13.5, 10.5], [-2.5, -19.5]], [[-27.0, -12.0], [11.0, 12.0]]]]
    check(student, x, w, b, 1, 0, expected, flipped)


def test_padding(student):
    """Padding 1 keeps a 3x3 input at 3x3 with a 3x3 kernel."""
    x = np.arange(9.0).reshape(1, 1, 3, 3)
    w = np.array([[[[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 2.0]]]])
    expected = [[[[13.0, 13.0, -1.0], [13.0, 17.0, -5.0], [-13.0, -9.0, -19.0]]]]
    flipped = [[[[5.0, 3.0, -1.0], [-1.0, 1.0, -3.0], [-13.0, -3.0, -11.0]]]]
    check(student, x, w, np.array([1.0]), 1, 1, expected, flipped)


def test_stride_two_with_padding(student):
    """With stride 2 and padding 1 a 7x7 input gives 4x4."""
    x = np.arange(49.0).reshape(1, 1, 7, 7)
    w = np.array([[[[1.0, 0.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, -1.0]]],
                  [[[0.0, 1.0, 0.0], [0.0, 1.0, 0.0], [0.0, 2.0, 0.0]]]])
    expected = [[[[-8.0, -10.0, -12.0, 0.0], [-22.0, -16.0, -16.0, 12.0],
                  [-36.0, -16.0, -16.0, 26.0], [0.0, 36.0, 38.0, 40.0]],
                 [[12.0, 18.0, 24.0, 30.0], [61.0, 69.0, 77.0, 85.0],
                  [117.0, 125.0, 133.0, 141.0], [75.0, 79.0, 83.0, 87.0]]]]
    flipped = [[[[8.0, 10.0, 12.0, 0.0], [22.0, 16.0, 16.0, -12.0],
                 [36.0, 16.0, 16.0, -26.0], [0.0, -36.0, -38.0, -40.0]],
                [[5.0, 9.0, 13.0, 17.0], [47.0, 55.0, 63.0, 71.0],
                 [103.0, 111.0, 119.0, 127.0], [110.0, 116.0, 122.0, 128.0]]]]
    check(student, x, w, np.array([0.0, -2.0]), 2, 1, expected, flipped)
