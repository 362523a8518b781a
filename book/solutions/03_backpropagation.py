"""Worked solutions to the exercises of chapter 3, Backpropagation (for instructors).

Each ``exercise_<n>()`` has the written answer as its docstring and computes and asserts every number
that answer states. Run with ``.venv/bin/python book/solutions/03_backpropagation.py``.
"""

from __future__ import annotations

import math

import numpy as np

from cnncourse.data import load_digits
from cnncourse.numpy import MLP, Linear, Value, check_layer, numerical_gradient, softmax, softmax_cross_entropy


def exercise_1() -> None:
    """f = max(x, y) * (x + z) at x = 2, y = 3, z = -1.

    Forward: m = max(2, 3) = 3 (y wins), s = x + z = 1, f = m * s = 3.

    | step | node | local gradient | upstream | gradient |
    | --- | --- | --- | --- | --- |
    | 1 | m (in f = m s) | s = 1 | 1 | df/dm = 1 |
    | 2 | s (in f = m s) | m = 3 | 1 | df/ds = 3 |
    | 3 | y (in m = max(x, y)) | 1 (y is the max) | 1 | 1 |
    | 4 | x (in m = max(x, y)) | 0 (x is not the max) | 1 | 0 |
    | 5 | x (in s = x + z) | 1 | 3 | 3 |
    | 6 | z (in s = x + z) | 1 | 3 | 3 |

    x is a fork (it feeds both max and +), so its gradient is the sum 0 + 3 = 3.
    Answer: df/dx = 3, df/dy = 1, df/dz = 3; Value gives the same.
    """
    x, y, z = Value(2.0), Value(3.0), Value(-1.0)
    f = Value.max(x, y) * (x + z)
    f.backward()
    assert f.data == 3.0
    assert (x.grad, y.grad, z.grad) == (3.0, 1.0, 3.0)


def exercise_2() -> None:
    """Y = X ⊙ W (both (N, D)) and s = sum of all X_nd.

    Product: Y_nd = X_nd W_nd, so dY_nd/dX_kj = W_kj [n = k][d = j]; with G = dL/dY,
    dL/dX_kj = sum_{n,d} G_nd W_nd [n = k][d = j] = G_kj W_kj, i.e. dL/dX = G ⊙ W and likewise
    dL/dW = G ⊙ X. Each entry is a multiply gate: it swaps (each input gets the upstream gradient times
    the other input).

    Sum: ds/dX_kj = 1 for every entry, so with upstream gradient g = dL/ds (a scalar),
    dL/dX = g * ones((N, D)): an add gate, which distributes the upstream gradient unchanged to every input.
    Checked numerically below (relative errors below 1e-8).
    """
    rng = np.random.default_rng(0)
    X, W, G = rng.normal(size=(3, 4)), rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    loss_x = lambda: float(np.sum((X * W) * G))
    assert np.allclose(numerical_gradient(loss_x, X), G * W, atol=1e-8)
    assert np.allclose(numerical_gradient(loss_x, W), G * X, atol=1e-8)
    g = 2.5
    assert np.allclose(numerical_gradient(lambda: g * float(X.sum()), X), g * np.ones_like(X), atol=1e-8)


def exercise_3() -> None:
    """Shifting all logits of an example by a constant c changes nothing, and the gradient's row sums are 0.

    Softmax: e^{S_c + c'} / sum_k e^{S_k + c'} = e^{c'} e^{S_c} / (e^{c'} sum_k e^{S_k}) = P_c: the
    factor e^{c'} cancels. The loss -log P_y depends on S only through P, so it does not change either.
    Consequently the loss is constant along the direction (1, 1, ..., 1) of one example's logits, so its
    derivative in that direction, sum_c dL/dS_nc, is 0. Directly: sum_c (P_nc - [c = y_n]) / N =
    (1 - 1) / N = 0. Checked on one example: the loss is unchanged by a shift of 7 and the row sum of
    the gradient is 0 to 1e-15.
    """
    rng = np.random.default_rng(0)
    S, y = rng.normal(size=(1, 5)), np.array([3])
    loss, dS = softmax_cross_entropy(S, y)
    shifted_loss, _ = softmax_cross_entropy(S + 7.0, y)
    assert abs(loss - shifted_loss) < 1e-12
    assert np.allclose(softmax(S), softmax(S + 7.0))
    assert abs(dS.sum()) < 1e-15


class BrokenLinear(Linear):
    """Linear whose bias gradient is the batch mean instead of the batch sum (the bug of exercise 4)."""

    def backward(self, dout: np.ndarray) -> np.ndarray:
        dx = super().backward(dout)
        self.grads["b"][...] = dout.mean(axis=0)
        return dx


def exercise_4() -> None:
    """check_layer(BrokenLinear(4, 3, seed=0, dtype=np.float64), x) on a batch x of 5 rows reports
    about 1e-10 for x and W (first band: correct) and 0.667 for b (last band: wrong).

    The bug only touches the bias gradient, so x and W stay correct. The broken gradient is the correct
    one divided by N: a = g / N against the correct b = g, so
    ||a - b|| / (||a|| + ||b||) = (1 - 1/N) / (1 + 1/N) = (N - 1) / (N + 1), which is 4/6 = 0.667 for N = 5,
    whatever the upstream gradient.
    """
    x = np.random.default_rng(0).normal(size=(5, 4))
    errors = check_layer(BrokenLinear(4, 3, seed=0, dtype=np.float64), x)
    assert errors["x"] < 1e-7 and errors["W"] < 1e-7
    assert abs(errors["b"] - 4 / 6) < 1e-6


class SinValue(Value):
    """Value with a sin() method; the local gradient of sin is cos."""

    def sin(self) -> Value:
        out = Value(math.sin(self.data), _inputs=(self,), _op="sin")

        def _backward() -> None:
            self.grad += math.cos(self.data) * out.grad

        out._backward = _backward
        return out


def exercise_5() -> None:
    """A subclass SinValue(Value) with sin() whose _backward adds cos(x) * out.grad to x.grad.

    Tested at x = -2, -0.5, 0, 1, 3 (inside an expression, sin(x) * x, so the chain rule and a fork
    are exercised too: d/dx = cos(x) x + sin(x)) against centred differences with h = 1e-5; the largest
    absolute difference is below 1e-9.
    """
    h, worst = 1e-5, 0.0
    for x0 in [-2.0, -0.5, 0.0, 1.0, 3.0]:
        x = SinValue(x0)
        f = x.sin() * x
        f.backward()
        numeric = (math.sin(x0 + h) * (x0 + h) - math.sin(x0 - h) * (x0 - h)) / (2 * h)
        worst = max(worst, abs(x.grad - numeric))
    assert worst < 1e-9


def _per_layer_factor(scale: float, seed: int, xb: np.ndarray, yb: np.ndarray) -> float:
    """(first / last layer weight-gradient norm) ** (1/9) of a 10-layer sigmoid MLP with weights * scale."""
    net = MLP([64] + [32] * 9 + [10], activation="sigmoid", seed=seed, dtype=np.float64)
    for name, p in net.params.items():
        if name.endswith(".W"):
            p *= scale
    _, dlogits = softmax_cross_entropy(net.forward(xb), yb)
    net.backward(dlogits)
    norms = [np.linalg.norm(net.grads[k]) for k in net.grads if k.endswith(".W")]
    return float((norms[0] / norms[-1]) ** (1 / (len(norms) - 1)))


def exercise_6() -> None:
    """Per-layer gradient factor of the 10-layer sigmoid network when the initial weights are scaled.

    Over seeds 0-2 (mean; spread 0.035 or less): scale 0.5 gives about 0.14, scale 1 about 0.25,
    scale 2 about 0.42 and scale 4 about 0.63, so scale 4 makes the gradients of all layers most
    similar (factor closest to 1), and even it loses a third per layer.

    Explanation: going back through one layer multiplies the gradient by the weights (their size grows
    with the scale) and by sigma'(z) <= 1/4. While the pre-activations stay near 0, sigma' stays near 1/4
    and the factor grows in proportion to the scale (0.125 and 0.25 expected for 0.5 and 1, measured
    0.14 and 0.25). Larger weights also spread the pre-activations out, so sigma' falls below 1/4 for many
    units: the factor grows less than the scale (0.42 instead of 0.5, 0.63 instead of 1). Because
    sigma' <= 1/4, the weights must be several times larger than Xavier's to keep the gradient's size,
    and the larger they are the more units saturate: no scale gives a factor of 1.
    """
    digits = load_digits(seed=0)
    xb, yb = digits.x_train[:256].reshape(256, -1).astype(np.float64), digits.y_train[:256]
    factors = {s: np.array([_per_layer_factor(s, seed, xb, yb) for seed in (0, 1, 2)]) for s in (0.5, 1, 2, 4)}
    means = {s: f.mean() for s, f in factors.items()}
    assert all(f.std() < 0.035 for f in factors.values())
    assert abs(means[0.5] - 0.14) < 0.01 and abs(means[1] - 0.25) < 0.01
    assert abs(means[2] - 0.42) < 0.02 and abs(means[4] - 0.63) < 0.03
    assert max(means, key=lambda s: -abs(np.log(means[s]))) == 4


if __name__ == "__main__":
    for name, func in sorted(globals().items()):
        if name.startswith("exercise_"):
            func()
            print(name, "ok")
