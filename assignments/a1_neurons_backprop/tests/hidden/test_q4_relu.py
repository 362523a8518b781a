"""Hidden tests for question 4: 4-D arrays and a numerical check."""

import numpy as np

from autograder.testing import changed_arguments


def test_backward_4d(student):
    """relu_backward on an (N, C, H, W) array matches dout * (x > 0)."""
    rng = np.random.default_rng(41)
    x, dout = rng.normal(size=(2, 3, 4, 4)), rng.normal(size=(2, 3, 4, 4))
    dx = np.asarray(student.relu_backward(dout, x))
    assert dx.shape == x.shape
    np.testing.assert_allclose(dx, dout * (x > 0))


def test_backward_matches_numerical_gradient(student):
    """relu_backward matches centred differences of sum(relu(x) * dout) away from 0."""
    rng = np.random.default_rng(42)
    x = rng.uniform(0.1, 1.0, (3, 5)) * rng.choice([-1.0, 1.0], (3, 5))
    dout = rng.normal(size=(3, 5))
    h = 1e-6
    numerical = (np.maximum(x + h, 0) - np.maximum(x - h, 0)) / (2 * h) * dout
    np.testing.assert_allclose(np.asarray(student.relu_backward(dout, x)), numerical, atol=1e-6)


def test_4d_inputs_are_left_unchanged(student):
    """relu_forward and relu_backward leave (N, C, H, W) inputs unchanged."""
    rng = np.random.default_rng(43)
    x, dout = rng.normal(size=(2, 2, 3, 3)), rng.normal(size=(2, 2, 3, 3))
    for name, kwargs in (("relu_forward", {"x": x}), ("relu_backward", {"dout": dout, "x": x})):
        called = getattr(student, name).returning_args(**{k: v.copy() for k, v in kwargs.items()})
        changed = changed_arguments(called, **kwargs)
        assert changed == [], f"{name} changed {' and '.join(changed)} in place"


def test_forward_all_negative(student):
    """relu_forward of an all-negative array is all zeros."""
    out = np.asarray(student.relu_forward(-np.arange(1.0, 7.0).reshape(2, 3)))
    np.testing.assert_allclose(out, np.zeros((2, 3)))
