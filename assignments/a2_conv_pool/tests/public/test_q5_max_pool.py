"""Public tests for question 5: max pooling forward and backward."""

import numpy as np

X = np.array([[[[1.0, 1.0, 2.0, 4.0],
                [5.0, 6.0, 7.0, 8.0],
                [3.0, 2.0, 1.0, 0.0],
                [1.0, 2.0, 3.0, 4.0]]]])


def test_forward_hand_example(student):
    """2x2 pooling with stride 2 of a 4x4 example gives [[6, 8], [3, 4]]."""
    out = np.asarray(student.max_pool_forward(X, kernel_size=2, stride=2))
    assert out.shape == (1, 1, 2, 2), f"expected shape (1, 1, 2, 2), got {out.shape}"
    np.testing.assert_allclose(out[0, 0], [[6.0, 8.0], [3.0, 4.0]], err_msg="each output is its window's maximum")


def test_forward_per_channel(student):
    """Pooling is done channel by channel, for every image."""
    x = np.array([[[[0.0, 13.0, 26.0, 7.0], [20.0, 1.0, 14.0, 27.0]],
                   [[8.0, 21.0, 2.0, 15.0], [28.0, 9.0, 22.0, 3.0]]],
                  [[[16.0, 29.0, 10.0, 23.0], [4.0, 17.0, 30.0, 11.0]],
                   [[24.0, 5.0, 18.0, 31.0], [12.0, 25.0, 6.0, 19.0]]]])
    out = np.asarray(student.max_pool_forward(x, kernel_size=2, stride=2))
    assert out.shape == (2, 2, 1, 2), f"two 2x4 images with 2 channels pool to (2, 2, 1, 2), got {out.shape}"
    expected = [[[[20.0, 27.0]], [[28.0, 22.0]]], [[[29.0, 30.0]], [[25.0, 31.0]]]]
    np.testing.assert_allclose(out, expected, err_msg="pool each channel of each image on its own")


def test_backward_hand_example(student):
    """The gradient goes to the maximum of each window only."""
    dout = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
    dx = np.asarray(student.max_pool_backward(dout, X, kernel_size=2, stride=2))
    assert dx.shape == X.shape, f"dx should have the shape of x {X.shape}, got {dx.shape}"
    if np.allclose(dx[0, 0, :2, :2], 0.25):
        raise AssertionError("the gradient is spread evenly over each window (that is average pooling): "
                             "send all of it to the window's maximum")
    if np.allclose(dx[0, 0, :2, :2], 1.0):
        raise AssertionError("every pixel of the first window got the window's whole gradient: only the maximum "
                             "(the pixel the forward pass picked, np.argmax of the window) receives it, the others 0")
    expected = np.array([[0.0, 0.0, 0.0, 0.0],
                         [0.0, 1.0, 0.0, 2.0],
                         [3.0, 0.0, 0.0, 0.0],
                         [0.0, 0.0, 0.0, 4.0]])
    np.testing.assert_allclose(dx[0, 0], expected, err_msg="dx is dout at each window's argmax and 0 elsewhere")


def test_backward_ties_go_to_the_first_maximum(student):
    """In a window of equal values the whole gradient goes to the first one (row-major)."""
    x = np.ones((1, 1, 2, 2))
    dx = np.asarray(student.max_pool_backward(np.array([[[[5.0]]]]), x, kernel_size=2, stride=2))
    if np.allclose(dx, 5.0):
        raise AssertionError("all four pixels of the window (here all equal, so all maxima) got the full gradient, "
                             "which counts it 4 times: send it to one pixel only, the first maximum "
                             "(np.argmax of the flattened window)")
    np.testing.assert_allclose(dx[0, 0], [[5.0, 0.0], [0.0, 0.0]])


def test_backward_overlapping_windows_add_up(student):
    """With a 3x3 kernel and stride 1 a pixel that is the max of several windows gets their sum."""
    x = np.zeros((1, 1, 4, 4))
    x[0, 0, 1, 2] = 9.0  # the largest value, inside all four 3x3 windows
    dout = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
    dx = np.asarray(student.max_pool_backward(dout, x, kernel_size=3, stride=1))
    assert np.isclose(dx[0, 0, 1, 2], 10.0), (
        f"the pixel at (1, 2) is the max of all four windows, so it should get 1 + 2 + 3 + 4 = 10, "
        f"got {dx[0, 0, 1, 2]}: send each window's gradient to its maximum and add (+=) where windows overlap"
    )
    expected = np.zeros((1, 1, 4, 4))
    expected[0, 0, 1, 2] = 10.0
    np.testing.assert_allclose(dx, expected, err_msg="only the maximum should receive a gradient")
