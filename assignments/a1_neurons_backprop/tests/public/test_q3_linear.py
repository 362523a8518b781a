"""Public tests for question 3: linear layer forward and backward."""

import numpy as np


def reference_numerical_grads(x, W, b, dout, h=1e-6):
    """Centred differences of L = sum((x @ W.T + b) * dout) with respect to x, W and b."""
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


def unpack3(result, name):
    assert isinstance(result, (list, tuple)) and len(result) == 3, (
        f"{name} should return three arrays (dx, dW, db), got {type(result).__name__}"
    )
    return [np.asarray(r) for r in result]


def test_forward_hand_example(student):
    """A hand-worked example: x = (1, 2, 3) gives out = (-2, 4)."""
    x = np.array([[1.0, 2.0, 3.0]])
    W = np.array([[1.0, 0.0, -1.0], [0.5, 0.5, 0.5]])
    b = np.array([0.0, 1.0])
    out = np.asarray(student.linear_forward(x, W, b))
    assert out.shape == (1, 2), f"out should have shape (N, out) = (1, 2), got {out.shape}"
    if np.allclose(out, [[-2.0, 3.0]]):
        raise AssertionError("out is x @ W.T without the bias: add b")
    np.testing.assert_allclose(out, [[-2.0, 4.0]], err_msg="out = x @ W.T + b")


def test_forward_batch(student):
    """A batch of 4 inputs with 5 features through a (3, 5) weight gives (4, 3)."""
    rng = np.random.default_rng(0)
    x, W, b = rng.normal(size=(4, 5)), rng.normal(size=(3, 5)), rng.normal(size=3)
    out = np.asarray(student.linear_forward(x, W, b))
    assert out.shape == (4, 3), f"x is (4, 5) and W is (3, 5) (out, in): out should be (4, 3), got {out.shape}"
    np.testing.assert_allclose(out, x @ W.T + b, rtol=1e-10)


def test_backward_shapes(student):
    """dx, dW and db have the shapes of x, W and b."""
    rng = np.random.default_rng(1)
    x, W, dout = rng.normal(size=(4, 3)), rng.normal(size=(5, 3)), rng.normal(size=(4, 5))
    dx, dW, db = unpack3(student.linear_backward(dout, x, W), "linear_backward")
    assert dx.shape == x.shape, f"dx has shape {dx.shape} but x is {x.shape}: dx = dout @ W"
    assert dW.shape == W.shape, (
        f"dW has shape {dW.shape} but W is {W.shape}: did you compute x.T @ dout instead of dout.T @ x?"
    )
    assert db.shape == (5,), f"db has shape {db.shape} but b is (5,): sum dout over the batch axis 0"


def test_backward_bias_sums_over_batch(student):
    """db is the sum of dout over the batch, not the mean and not zero."""
    x, W = np.ones((3, 2)), np.ones((2, 2))
    dout = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    _, _, db = unpack3(student.linear_backward(dout, x, W), "linear_backward")
    if np.allclose(db, 0):
        raise AssertionError("db is zero: did you forget the bias gradient? It is dout summed over the batch")
    if np.allclose(db, [3.0, 4.0]):
        raise AssertionError("db is the mean of dout over the batch; the bias is added to every row, so SUM")
    np.testing.assert_allclose(db, [9.0, 12.0], err_msg="db = dout.sum(axis=0)")


def test_backward_matches_numerical_gradients(student):
    """dx, dW and db match centred differences of sum(out * dout)."""
    rng = np.random.default_rng(2)
    x, W, b, dout = rng.normal(size=(3, 4)), rng.normal(size=(2, 4)), rng.normal(size=2), rng.normal(size=(3, 2))
    dx, dW, db = unpack3(student.linear_backward(dout, x, W), "linear_backward")
    dx_num, dW_num, db_num = reference_numerical_grads(x, W, b, dout)
    np.testing.assert_allclose(dx, dx_num, atol=1e-6, err_msg="dx is wrong: dx = dout @ W")
    np.testing.assert_allclose(dW, dW_num, atol=1e-6, err_msg="dW is wrong: dW = dout.T @ x")
    np.testing.assert_allclose(db, db_num, atol=1e-6, err_msg="db is wrong: db = dout.sum(axis=0)")
