"""Public tests for question 6: numerical gradient with centred differences."""

import numpy as np


def probe(student, name, x, h):
    grad, x_after = student.numerical_gradient_probe(name, x, h)
    return np.asarray(grad), np.asarray(x_after)


def test_sum_of_cubes_is_centred(student):
    """For f = sum(x**3) the centred difference gives exactly 3x^2 + h^2."""
    x = np.array([[1.0, -2.0], [0.5, 3.0]])
    h = 1e-3
    grad, _ = probe(student, "sum_of_cubes", x, h)
    assert grad.shape == x.shape, f"grad should have the shape of x {x.shape}, got {grad.shape}"
    if np.allclose(grad, 3 * x**2 + 3 * x * h + h**2, atol=1e-7):
        raise AssertionError("this is the one-sided difference (f(x+h) - f(x)) / h, whose error is of order h: "
                             "use (f(x+h) - f(x-h)) / (2h)")
    np.testing.assert_allclose(grad, 3 * x**2 + h**2, atol=1e-7,
                               err_msg="expected (f(x+h) - f(x-h)) / (2h) = 3x^2 + h^2 for each entry")


def test_x_is_restored(student):
    """numerical_gradient leaves x exactly as it was."""
    x = np.array([0.3, -1.2, 2.5])
    _, x_after = probe(student, "sum_of_cubes", x, 1e-4)
    np.testing.assert_array_equal(x_after, x, err_msg="x changed: put each entry back after perturbing it")


def test_coupled_function(student):
    """For f = prod(sin(x)) every partial derivative involves the other entries."""
    x = np.array([0.4, 1.1, -0.7])
    grad, _ = probe(student, "product_of_sines", x, 1e-5)
    # d/dx_i of sin(x_0) sin(x_1) sin(x_2) is cos(x_i) times the sines of the other two.
    expected = np.array([-0.5288101709255676, -0.113793742375688, 0.2654403877021054])
    np.testing.assert_allclose(grad, expected, atol=1e-8)
