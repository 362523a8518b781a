"""Public tests for question 1: sigmoid and its derivative."""

import numpy as np


def test_sigmoid_at_zero(student):
    """sigmoid(0) is 0.5."""
    out = np.asarray(student.sigmoid(np.array([0.0])))
    assert out.shape == (1,), f"sigmoid should keep the input's shape (1,), got {out.shape}"
    np.testing.assert_allclose(out, [0.5], err_msg="sigmoid(0) must be exactly 0.5")


def test_sigmoid_values_and_shape(student):
    """sigmoid matches 1 / (1 + exp(-x)) elementwise and keeps the shape."""
    x = np.array([[-3.0, -1.0, 0.5], [1.0, 2.0, 4.0]])
    out = np.asarray(student.sigmoid(x))
    assert out.shape == x.shape, f"sigmoid should keep the input's shape {x.shape}, got {out.shape}"
    if np.allclose(out[0], [0.9525741268224334, 0.7310585786300049, 0.3775406687981454]):
        raise AssertionError("sigmoid(x) came out as sigmoid(-x): it is 1 / (1 + exp(-x)), with a minus sign")
    expected = np.array([[0.04742587317756678, 0.2689414213699951, 0.6224593312018546],
                         [0.7310585786300049, 0.8807970779778823, 0.9820137900379085]])
    np.testing.assert_allclose(out, expected, rtol=1e-10,
                               err_msg="sigmoid(x) should be 1 / (1 + exp(-x)) for every entry")


def test_sigmoid_large_inputs(student):
    """sigmoid of -1000 and 1000 gives 0 and 1, not nan."""
    out = np.asarray(student.sigmoid(np.array([-1000.0, 1000.0])))
    if not np.isfinite(out[1]):
        raise AssertionError(
            f"sigmoid(1000) gave {out[1]}: exp(1000) overflows to inf, and inf / (1 + inf) is nan. "
            "exp(x) / (1 + exp(x)) is safe only for x < 0; for x >= 0 use 1 / (1 + exp(-x))")
    if not np.isfinite(out[0]):
        raise AssertionError(
            f"sigmoid(-1000) gave {out[0]}: exp(1000) overflows to inf for the large negative input. "
            "For x < 0 use exp(x) / (1 + exp(x)), which only ever exponentiates a negative number")
    np.testing.assert_allclose(out, [0.0, 1.0], atol=1e-12)


def test_sigmoid_grad_at_zero(student):
    """sigmoid_grad(0) is 1/4."""
    out = np.asarray(student.sigmoid_grad(np.array([0.0])))
    np.testing.assert_allclose(out, [0.25], err_msg="the sigmoid's slope at 0 is sigmoid(0) * (1 - sigmoid(0)) = 0.25")


def test_sigmoid_grad_takes_the_input(student):
    """sigmoid_grad(x) is sigma(x) * (1 - sigma(x)), evaluated at the input x."""
    x = np.array([-2.0, -0.5, 1.0, 3.0])
    out = np.asarray(student.sigmoid_grad(x))
    if np.allclose(out, x * (1 - x)):
        raise AssertionError("sigmoid_grad takes the input x, not the output s: compute s = sigmoid(x) first, "
                             "then s * (1 - s); you returned x * (1 - x)")
    # sigmoid(x) * (1 - sigmoid(x)) at x = -2, -0.5, 1, 3.
    expected = [0.1049935854035065, 0.2350037122015945, 0.19661193324148185, 0.045176659730912]
    np.testing.assert_allclose(out, expected, rtol=1e-8, err_msg="sigmoid_grad(x) should be s * (1 - s), s = sigmoid(x)")
