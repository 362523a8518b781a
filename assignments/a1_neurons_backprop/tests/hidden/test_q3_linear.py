"""Hidden tests for question 3: other shapes, numerical gradient checks."""

import numpy as np

from autograder.testing import changed_arguments


def numerical_grads(x, W, b, dout, h=1e-6):
    def loss():
        return np.sum((x @ W.T + b) * dout)

    grads = []
    for arr in (x, W, b):
        g = np.zeros_like(arr)
        for i in np.ndindex(arr.shape):
            old = arr[i]
            arr[i] = old + h
            plus = loss()
            arr[i] = old - h
            minus = loss()
            arr[i] = old
            g[i] = (plus - minus) / (2 * h)
        grads.append(g)
    return grads


def test_forward_single_output(student):
    """A (7, 6) batch through a (1, 6) weight gives (7, 1)."""
    rng = np.random.default_rng(31)
    x, W, b = rng.normal(size=(7, 6)), rng.normal(size=(1, 6)), rng.normal(size=1)
    out = np.asarray(student.linear_forward(x, W, b))
    assert out.shape == (7, 1)
    np.testing.assert_allclose(out, x @ W.T + b, rtol=1e-10)


def check_backward(student, seed, n, n_in, n_out):
    """linear_backward on an (n, n_in) batch and an (n_out, n_in) weight, against centred differences."""
    rng = np.random.default_rng(seed)
    x, W, b = rng.normal(size=(n, n_in)), rng.normal(size=(n_out, n_in)), rng.normal(size=n_out)
    dout = rng.normal(size=(n, n_out))
    dx, dW, db = [np.asarray(r) for r in student.linear_backward(dout, x, W)]
    dx_num, dW_num, db_num = numerical_grads(x, W, b, dout)
    np.testing.assert_allclose(dx, dx_num, atol=1e-6)
    np.testing.assert_allclose(dW, dW_num, atol=1e-6)
    np.testing.assert_allclose(db, db_num, atol=1e-6)


def test_inputs_are_left_unchanged(student):
    """linear_forward and linear_backward leave x, W, b and dout unchanged."""
    rng = np.random.default_rng(34)
    x, W, b, dout = rng.normal(size=(3, 4)), rng.normal(size=(2, 4)), rng.normal(size=2), rng.normal(size=(3, 2))
    for name, kwargs in (("linear_forward", {"x": x, "W": W, "b": b}),
                         ("linear_backward", {"dout": dout, "x": x, "W": W})):
        called = getattr(student, name).returning_args(**{k: v.copy() for k, v in kwargs.items()})
        changed = changed_arguments(called, **kwargs)
        assert changed == [], f"{name} changed {' and '.join(changed)} in place"


def test_backward_square_weight(student):
    """With a square weight a transposed gradient has the right shape but wrong values."""
    check_backward(student, seed=32, n=5, n_in=3, n_out=3)


def test_backward_batch_of_one(student):
    """A batch of one example with 8 inputs and 2 outputs."""
    check_backward(student, seed=33, n=1, n_in=8, n_out=2)
