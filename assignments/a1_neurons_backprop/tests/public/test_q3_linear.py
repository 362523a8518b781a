"""Public tests for question 3: linear layer forward and backward."""

import numpy as np


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
    x = np.array([[0.5, -1.0, 2.0, 0.0, 1.5],
                  [1.0, 1.0, -0.5, 2.0, 0.0],
                  [-2.0, 0.5, 0.0, 1.0, -1.0],
                  [0.0, 0.0, 1.0, -1.5, 0.5]])
    W = np.array([[1.0, 0.5, -1.0, 0.0, 2.0],
                  [-0.5, 1.0, 0.0, 1.5, 0.5],
                  [0.0, -1.0, 1.0, 0.5, -0.5]])
    b = np.array([0.25, -0.5, 1.0])
    out = np.asarray(student.linear_forward(x, W, b))
    assert out.shape == (4, 3), f"x is (4, 5) and W is (3, 5) (out, in): out should be (4, 3), got {out.shape}"
    # Row n, column o is x[n] . W[o] + b[o]; for example out[0, 0] = 0.5 - 0.5 - 2 + 0 + 3 + 0.25 = 1.25.
    expected = np.array([[1.25, -1.0, 3.25],
                         [2.25, 3.0, 0.5],
                         [-3.5, 2.0, 1.5],
                         [0.25, -2.5, 1.0]])
    np.testing.assert_allclose(out, expected, rtol=1e-10, err_msg="out[n, o] = x[n] . W[o] + b[o]")


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


def test_backward_one_example_gives_the_coefficients(student):
    """With one example and dout = 1, out = x . W[0] + b is linear: dx = W[0], dW = x, db = 1."""
    x, W = np.array([[2.0, -1.0, 0.5]]), np.array([[3.0, 4.0, -2.0]])
    dx, dW, db = unpack3(student.linear_backward(np.array([[1.0]]), x, W), "linear_backward")
    np.testing.assert_allclose(dx, W, err_msg="out = x . w + b changes by w[i] per unit of x[i]: dx = dout @ W")
    np.testing.assert_allclose(dW, x, err_msg="out = x . w + b changes by x[i] per unit of w[i]: dW = dout.T @ x")
    np.testing.assert_allclose(db, [1.0], err_msg="out changes by 1 per unit of b: db = dout.sum(axis=0)")


def test_backward_hand_example(student):
    """dx, dW and db of a (3, 4) batch through a (2, 4) weight, worked out by hand."""
    x = np.array([[1.0, -2.0, 0.5, 3.0], [0.0, 1.0, -1.0, 2.0], [2.0, 0.5, 1.5, -1.0]])
    W = np.array([[0.5, -1.0, 2.0, 0.0], [1.0, 0.0, -0.5, 1.5]])
    dout = np.array([[1.0, -2.0], [0.5, 3.0], [-1.0, 1.0]])
    dx, dW, db = unpack3(student.linear_backward(dout, x, W), "linear_backward")
    expected_dx = np.array([[-1.5, -1.0, 3.0, -3.0], [3.25, -0.5, -0.5, 4.5], [0.5, 1.0, -2.5, 1.5]])
    expected_dW = np.array([[-1.0, -2.0, -1.5, 5.0], [0.0, 7.5, -2.5, -1.0]])
    np.testing.assert_allclose(dx, expected_dx, atol=1e-10, err_msg="dx is wrong: dx = dout @ W")
    np.testing.assert_allclose(dW, expected_dW, atol=1e-10, err_msg="dW is wrong: dW = dout.T @ x")
    np.testing.assert_allclose(db, [0.5, 2.0], atol=1e-10, err_msg="db is wrong: db = dout.sum(axis=0)")
