"""Gradient checking: compare a layer's backward pass with centred finite differences.

The centred difference (f(x + h) - f(x - h)) / 2h has error O(h^2), against O(h) for the one-sided
difference, so in float64 with h around 1e-6 an analytic gradient that is right agrees to ~1e-8
relative error, and one that is wrong is off by far more.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

import numpy as np

from ._checks import Seed

__all__ = ["numerical_gradient", "relative_error", "check_layer"]


def numerical_gradient(f: Callable[[], float], x: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """Centred-difference gradient of the scalar f() with respect to the array x.

    f takes no arguments and reads x, which is modified in place one entry at a time and restored
    (so x may be a parameter array that a layer holds). Returns an array of x's shape.
    """
    if not isinstance(x, np.ndarray) or not np.issubdtype(x.dtype, np.floating):
        raise TypeError(f"x must be a floating NumPy array that f reads, got {type(x).__name__}")
    grad = np.zeros_like(x, dtype=np.float64)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + h
        f_plus = float(f())
        x[idx] = old - h
        f_minus = float(f())
        x[idx] = old
        grad[idx] = (f_plus - f_minus) / (2 * h)
    return grad


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    """||a - b|| / (||a|| + ||b||), 0 when both are zero.

    Norms rather than elementwise ratios, so that entries that are nearly zero in both arrays
    (where finite differences are all rounding noise) do not dominate the result. A gradient that
    is exactly zero everywhere (a bias just before a BatchNorm) compares noise with noise and gives
    a meaningless ratio near 1.
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape, got {a.shape} and {b.shape}")
    scale = np.linalg.norm(a) + np.linalg.norm(b)
    return 0.0 if scale == 0 else float(np.linalg.norm(a - b) / scale)


def check_layer(layer, x: np.ndarray, seed: Seed = 0, h: float = 1e-6) -> dict[str, float]:
    """Check dx and every parameter gradient of `layer` at input x against numerical gradients.

    The scalar checked is loss = sum(layer.forward(x) * dout) with a random upstream gradient dout
    (drawn from `seed`), so backward(dout) must return dloss/dx and fill grads with dloss/dparam.
    Returns the relative error per key: "x" and every key of layer.params.

    Every forward pass runs on a fresh copy of the layer as it was when called: a Dropout draws
    the same mask each time and BatchNorm's running statistics are left as they were, so train
    mode can be checked too. The layer itself is never changed. Use float64 parameters and input:
    in float32 the finite differences are rounding noise.
    """
    x = np.array(x, copy=True)
    if x.dtype != np.float64:
        raise ValueError(f"check_layer needs a float64 input x, got {x.dtype}")
    pristine = copy.deepcopy(layer)
    for name, p in pristine.params.items():
        if p.dtype != np.float64:
            raise ValueError(f"check_layer needs float64 parameters (build the layer with dtype=np.float64), "
                             f"got {name}: {p.dtype}")

    def fresh():
        return copy.deepcopy(pristine)

    probe = fresh()
    out = probe.forward(x)
    dout = np.random.default_rng(seed).standard_normal(out.shape)
    dx = probe.backward(dout)

    def loss() -> float:
        return float(np.sum(fresh().forward(x) * dout))

    errors = {"x": relative_error(dx, numerical_gradient(loss, x, h))}
    for name, p in pristine.params.items():
        errors[name] = relative_error(probe.grads[name], numerical_gradient(loss, p, h))
    return errors
