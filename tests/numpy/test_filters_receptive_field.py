"""Hand-designed filters and receptive fields, against hand-worked values and an empirical measurement."""

import numpy as np
import pytest
from scipy.signal import correlate2d

from cnncourse.numpy.filters import KERNELS, kernel
from cnncourse.numpy.functional import conv2d_backward, conv2d_forward
from cnncourse.numpy.receptive_field import receptive_field


def test_identity_and_blur_preserve_flat_images():
    flat = np.full((6, 6), 0.3)
    for name in ("identity", "box blur", "gaussian blur", "sharpen"):
        np.testing.assert_allclose(correlate2d(flat, kernel(name), mode="valid"), 0.3, rtol=1e-6, err_msg=name)
    for name in ("edge (vertical)", "edge (horizontal)", "edge (all directions)"):
        np.testing.assert_allclose(correlate2d(flat, kernel(name), mode="valid"), 0.0, atol=1e-6, err_msg=name)


def test_vertical_edge_filter_finds_vertical_edge():
    img = np.zeros((5, 6))
    img[:, 3:] = 1.0
    out = correlate2d(img, kernel("edge (vertical)"), mode="valid")
    assert (out[:, 1:3] == 4).all() and (out[:, 0] == 0).all() and (out[:, 3] == 0).all()


def test_kernel_returns_a_copy_and_rejects_unknown_names():
    k = kernel("identity")
    k[1, 1] = 7
    assert KERNELS["identity"][1, 1] == 1
    with pytest.raises(ValueError, match="unknown kernel 'emboss'"):
        kernel("emboss")


@pytest.mark.parametrize(
    "kernels, strides, expected",
    [([3, 3, 3], None, [3, 5, 7]), ([5], [1], [5]), ([3, 2, 3], [1, 2, 1], [3, 4, 8]), ([11, 3], [4, 1], [11, 19])],
)
def test_receptive_field_formula(kernels, strides, expected):
    assert receptive_field(kernels, strides) == expected


def test_receptive_field_matches_the_gradient_footprint():
    """The input pixels that influence one output pixel, found by backpropagation, span the formula's size."""
    rng = np.random.default_rng(0)
    x = rng.random((1, 1, 32, 32))
    caches, out = [], x
    for k, s in [(3, 1), (3, 2), (3, 1)]:
        w = rng.random((1, 1, k, k)) + 0.1  # positive weights: no accidental cancellation
        out, cache = conv2d_forward(out, w, None, s, 0)
        caches.append(cache)
    g = np.zeros_like(out)
    g[0, 0, out.shape[2] // 2, out.shape[3] // 2] = 1.0
    for cache in reversed(caches):
        g = conv2d_backward(g, cache)[0]
    rows = np.nonzero(g[0, 0].any(axis=1))[0]
    assert rows.max() - rows.min() + 1 == receptive_field([3, 3, 3], [1, 2, 1])[-1] == 9


def test_receptive_field_bad_input():
    with pytest.raises(ValueError, match="2 strides"):
        receptive_field([3, 3, 3], [1, 2])
