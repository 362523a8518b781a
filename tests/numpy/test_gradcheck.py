"""The gradient checker itself: it must pass right gradients and catch wrong ones."""

import numpy as np
import pytest

from cnncourse.numpy import layers as L
from cnncourse.numpy.gradcheck import check_layer, numerical_gradient, relative_error


def test_numerical_gradient_of_a_cubic_and_x_is_restored():
    x = np.array([[1.0, -2.0], [0.5, 3.0]])
    before = x.copy()
    grad = numerical_gradient(lambda: np.sum(x**3), x)
    np.testing.assert_allclose(grad, 3 * before**2, rtol=1e-8)
    np.testing.assert_array_equal(x, before)


def test_numerical_gradient_rejects_integer_arrays():
    with pytest.raises(TypeError, match="x must be a floating NumPy array"):
        numerical_gradient(lambda: 0.0, np.arange(3))


def test_relative_error_by_hand():
    assert relative_error(np.ones(3), np.ones(3)) == 0.0
    assert relative_error(np.zeros(2), np.zeros(2)) == 0.0
    # ||a - b|| = sqrt(2), ||a|| + ||b|| = 2.
    assert relative_error(np.array([1.0, 0.0]), np.array([0.0, 1.0])) == pytest.approx(np.sqrt(2) / 2)
    assert relative_error(np.array([1.0, 2.0]), np.array([1.0, 2.0 + 3e-6])) == pytest.approx(3e-6 / (2 * np.sqrt(5)),
                                                                                            rel=1e-6)
    with pytest.raises(ValueError, match="same shape"):
        relative_error(np.zeros(2), np.zeros(3))


class BrokenInputGradient(L.Linear):
    def backward(self, dout):
        return 1.01 * super().backward(dout)


class BrokenWeightGradient(L.Linear):
    def backward(self, dout):
        dx = super().backward(dout)
        self.grads["W"][0, 0] += 1e-3
        return dx


def test_check_layer_passes_a_right_layer_and_catches_wrong_ones():
    x = np.random.default_rng(1).standard_normal((4, 3))
    errors = check_layer(L.Linear(3, 2, seed=0, dtype=np.float64), x)
    assert set(errors) == {"x", "W", "b"} and max(errors.values()) < 1e-8
    broken = check_layer(BrokenInputGradient(3, 2, seed=0, dtype=np.float64), x)
    assert broken["x"] > 1e-3 and broken["W"] < 1e-8
    broken = check_layer(BrokenWeightGradient(3, 2, seed=0, dtype=np.float64), x)
    assert broken["W"] > 1e-5 and broken["x"] < 1e-8


def test_check_layer_leaves_the_layer_untouched():
    layer = L.Sequential(L.Linear(3, 4, bias=False, seed=0, dtype=np.float64), L.BatchNorm1d(4, dtype=np.float64),
                         L.Dropout(0.5, seed=2))
    x = np.random.default_rng(1).standard_normal((5, 3))
    params = {name: p.copy() for name, p in layer.params.items()}
    state = layer[2].rng.bit_generator.state
    assert max(check_layer(layer, x).values()) < 1e-6
    for name, p in layer.params.items():
        np.testing.assert_array_equal(p, params[name])
    np.testing.assert_array_equal(layer[1].running_mean, np.zeros(4))
    assert layer[2].rng.bit_generator.state == state


def test_check_layer_needs_float64():
    with pytest.raises(ValueError, match="check_layer needs a float64 input x, got float32"):
        check_layer(L.ReLU(), np.ones((2, 2), dtype=np.float32))
    with pytest.raises(ValueError, match="check_layer needs float64 parameters"):
        check_layer(L.Linear(2, 2), np.ones((2, 2)))
