"""Public tests for question 4: ReLU forward and backward."""

import numpy as np

from autograder.testing import changed_arguments


def test_forward_hand_example(student):
    """relu(-2, 0, 3) is (0, 0, 3)."""
    out = np.asarray(student.relu_forward(np.array([-2.0, 0.0, 3.0])))
    np.testing.assert_allclose(out, [0.0, 0.0, 3.0], err_msg="ReLU keeps positive entries and zeroes the rest")


def test_forward_keeps_shape(student):
    """relu_forward keeps a (2, 3, 4) shape."""
    x = np.arange(24.0).reshape(2, 3, 4) - 11.5  # -11.5, -10.5, ..., 11.5: the first half negative
    out = np.asarray(student.relu_forward(x))
    assert out.shape == x.shape, f"expected shape {x.shape}, got {out.shape}"
    np.testing.assert_array_equal(out[x > 0], x[x > 0], err_msg="positive entries should pass unchanged")
    np.testing.assert_array_equal(out[x < 0], 0.0, err_msg="negative entries should become 0")


def test_inputs_are_left_unchanged(student):
    """relu_forward and relu_backward return new arrays and leave the caller's x and dout unchanged."""
    x = np.array([-2.0, 0.0, 3.0, -0.5])
    dout = np.array([1.0, 2.0, 3.0, 4.0])
    called = student.relu_forward.returning_args(x=x)
    np.testing.assert_allclose(called.result, [0.0, 0.0, 3.0, 0.0], err_msg="relu_forward(x) is wrong")
    assert changed_arguments(called, x=x) == [], (
        "relu_forward changed x in place (x[x < 0] = 0 writes into the caller's array, which the backward pass "
        "needs later): build a new array, for example with np.maximum(x, 0)")
    called = student.relu_backward.returning_args(dout=dout, x=x)
    np.testing.assert_allclose(called.result, [0.0, 0.0, 3.0, 0.0], err_msg="relu_backward(dout, x) is wrong")
    changed = changed_arguments(called, dout=dout, x=x)
    assert changed == [], (
        f"relu_backward changed {' and '.join(changed)} in place (dout[x <= 0] = 0 writes into the caller's "
        "array): return a new array, dout * (x > 0)")


def test_backward_multiplies_dout(student):
    """relu_backward passes dout through where x > 0, and 0 elsewhere (also at x = 0)."""
    x = np.array([-2.0, 0.0, 3.0, 0.5])
    dout = np.array([10.0, 10.0, 10.0, -4.0])
    dx = np.asarray(student.relu_backward(dout, x))
    if np.allclose(dx, [0.0, 0.0, 1.0, 1.0]):
        raise AssertionError("dx is the ReLU's local slope only: multiply it by dout (chain rule)")
    if np.allclose(dx, [0.0, 10.0, 10.0, -4.0]):
        raise AssertionError("at x = 0 the gradient is 0 (use x > 0, not x >= 0), as PyTorch does")
    np.testing.assert_allclose(dx, [0.0, 0.0, 10.0, -4.0], err_msg="dx = dout * (x > 0)")
