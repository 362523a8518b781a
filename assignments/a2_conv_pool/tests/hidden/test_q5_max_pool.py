"""Hidden tests for question 5: other kernels and strides against a reference and numerical gradients."""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from autograder.testing import changed_arguments


def reference_pool(x, k, s):
    return sliding_window_view(x, (k, k), axis=(2, 3))[:, :, ::s, ::s].max(axis=(4, 5))


def test_forward_kernel3_stride2(student):
    """3x3 pooling with stride 2 on a 7x9 input."""
    x = np.random.default_rng(101).normal(size=(2, 2, 7, 9))
    out = np.asarray(student.max_pool_forward(x, kernel_size=3, stride=2))
    expected = reference_pool(x, 3, 2)
    assert out.shape == expected.shape, f"expected {expected.shape}, got {out.shape}"
    np.testing.assert_allclose(out, expected)


def test_backward_matches_numerical_gradient(student):
    """max_pool_backward matches centred differences of sum(pool(x) * dout) (distinct values, overlapping windows)."""
    rng = np.random.default_rng(102)
    x = rng.permutation(2 * 5 * 5).reshape(1, 2, 5, 5).astype(float)  # distinct values: no ties
    dout = rng.normal(size=reference_pool(x, 3, 2).shape)
    dx = np.asarray(student.max_pool_backward(dout, x, kernel_size=3, stride=2))
    numerical = np.zeros_like(x)
    h = 1e-3
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        plus = np.sum(reference_pool(x, 3, 2) * dout)
        x[i] = old - h
        minus = np.sum(reference_pool(x, 3, 2) * dout)
        x[i] = old
        numerical[i] = (plus - minus) / (2 * h)
    np.testing.assert_allclose(dx, numerical, atol=1e-8)


def test_backward_drops_uncovered_border(student):
    """With a 2x2 kernel at stride 2 on a 5x5 input the last row and column get no gradient."""
    x = np.random.default_rng(103).normal(size=(1, 1, 5, 5))
    dx = np.asarray(student.max_pool_backward(np.ones((1, 1, 2, 2)), x, kernel_size=2, stride=2))
    assert dx.shape == (1, 1, 5, 5)
    assert np.all(dx[0, 0, 4, :] == 0) and np.all(dx[0, 0, :, 4] == 0)
    assert np.isclose(dx.sum(), 4.0)


def test_inputs_are_left_unchanged(student):
    """max_pool_forward and max_pool_backward leave their inputs unchanged."""
    rng = np.random.default_rng(104)
    x, dout = rng.normal(size=(2, 2, 4, 4)), rng.normal(size=(2, 2, 2, 2))
    for name, kwargs in (("max_pool_forward", {"x": x}), ("max_pool_backward", {"dout": dout, "x": x})):
        called = getattr(student, name).returning_args(**{k: np.copy(v) if isinstance(v, np.ndarray) else v
                                                        for k, v in kwargs.items()})
        changed = changed_arguments(called, **kwargs)
        assert changed == [], f"{name} changed {' and '.join(changed)} in place"
