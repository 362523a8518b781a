"""Hidden tests for question 6: 3-D inputs and another function."""

import numpy as np


def test_log_sum_exp_3d(student):
    """The gradient of log(sum(exp(x))) on a (2, 2, 3) array is softmax(x)."""
    x = np.random.default_rng(61).normal(size=(2, 2, 3))
    grad, x_after = student.numerical_gradient_probe("log_sum_exp", x, 1e-5)
    grad = np.asarray(grad)
    assert grad.shape == x.shape, f"expected shape {x.shape}, got {grad.shape}"
    np.testing.assert_allclose(grad, np.exp(x) / np.exp(x).sum(), atol=1e-9)
    np.testing.assert_array_equal(np.asarray(x_after), x)


def test_step_size_is_used(student):
    """With h = 0.1 on sum(x**3) the result is 3x^2 + 0.01."""
    x = np.array([[2.0], [-1.0]])
    grad, _ = student.numerical_gradient_probe("sum_of_cubes", x, 0.1)
    np.testing.assert_allclose(np.asarray(grad), 3 * x**2 + 0.01, atol=1e-9)
