"""Hidden tests for question 1: other shapes, random inputs, saturation."""

import numpy as np


def reference_sigmoid(x):
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def test_sigmoid_random_3d(student):
    """sigmoid matches the reference on a random (2, 3, 4) array."""
    x = np.random.default_rng(11).normal(0, 5, (2, 3, 4))
    out = np.asarray(student.sigmoid(x))
    assert out.shape == x.shape, f"expected shape {x.shape}, got {out.shape}"
    np.testing.assert_allclose(out, reference_sigmoid(x), rtol=1e-9, atol=1e-15)


def test_sigmoid_grad_matches_numerical_derivative(student):
    """sigmoid_grad matches a centred difference of the sigmoid."""
    x = np.random.default_rng(12).normal(0, 3, (5, 2))
    h = 1e-5
    numerical = (reference_sigmoid(x + h) - reference_sigmoid(x - h)) / (2 * h)
    np.testing.assert_allclose(np.asarray(student.sigmoid_grad(x)), numerical, rtol=1e-6, atol=1e-10)


def test_sigmoid_grad_saturates(student):
    """sigmoid_grad of +-1000 is 0, not nan."""
    out = np.asarray(student.sigmoid_grad(np.array([-1000.0, 1000.0])))
    assert np.all(np.isfinite(out)), f"sigmoid_grad([-1000, 1000]) gave {out}"
    np.testing.assert_allclose(out, [0.0, 0.0], atol=1e-12)
