"""Hand-crafted features, checked on images whose gradients are known by hand."""

import numpy as np
import pytest

from cnncourse.numpy.features import gradient_histograms, image_gradients


def test_gradients_of_a_ramp():
    ramp = np.tile(np.arange(6.0), (4, 1))  # brightness grows by 1 per column
    gx, gy = image_gradients(ramp)
    np.testing.assert_allclose(gx, np.ones((1, 4, 6)))
    np.testing.assert_allclose(gy, np.zeros((1, 4, 6)))


def test_gradients_accept_nchw_and_keep_dtype():
    x = np.random.default_rng(0).random((3, 1, 8, 8)).astype(np.float32)
    gx, gy = image_gradients(x)
    assert gx.shape == gy.shape == (3, 8, 8) and gx.dtype == np.float32
    np.testing.assert_allclose(gx[1, 2, 3], (x[1, 0, 2, 4] - x[1, 0, 2, 2]) / 2, rtol=1e-6)


def test_vertical_edge_votes_for_horizontal_gradient():
    img = np.zeros((1, 1, 8, 8))
    img[..., 4:] = 1.0  # dark left half, bright right half: the gradient points along +x (0 degrees)
    f = gradient_histograms(img, cell_size=4, bins=9).reshape(2, 2, 9)
    assert f[..., 1:].sum() == 0, "every vote must land in the 0-degree bin"
    assert f[:, 1, 0].sum() > 0 and f[:, 0, 0].sum() > 0
    np.testing.assert_allclose(np.linalg.norm(f), 1.0)


def test_horizontal_edge_votes_for_ninety_degrees():
    img = np.zeros((8, 8))
    img[4:] = 1.0
    f = gradient_histograms(img, cell_size=8, bins=4)
    assert f.shape == (1, 4)
    assert np.argmax(f[0]) == 2  # 90 degrees lies in bin 2 of [0,45), [45,90), [90,135), [135,180)


def test_histogram_is_contrast_invariant():
    x = np.random.default_rng(1).random((2, 1, 8, 8))
    np.testing.assert_allclose(gradient_histograms(x), gradient_histograms(3 * x), rtol=1e-10)


def test_bad_input():
    with pytest.raises(ValueError, match="multiple of cell_size"):
        gradient_histograms(np.zeros((1, 1, 8, 8)), cell_size=3)
    with pytest.raises(ValueError, match="grayscale"):
        image_gradients(np.zeros((1, 3, 8, 8)))
    with pytest.raises(ValueError, match="must be"):
        image_gradients(np.zeros(5))
