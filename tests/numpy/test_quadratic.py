"""The quadratic bowl and descent paths: gradient descent contracts each axis by (1 - lr lambda)."""

import numpy as np
import pytest

from cnncourse.numpy.optim import SGD
from cnncourse.numpy.quadratic import Quadratic, descent_path


def test_gradient_descent_contracts_each_axis_by_its_factor():
    lambdas, start, lr = np.array([1.0, 10.0]), np.array([2.0, 1.0]), 0.15
    path, values = descent_path(lambdas, start, lambda m: SGD(m, lr=lr), steps=5)
    expected = start * (1 - lr * lambdas) ** np.arange(6)[:, None]
    np.testing.assert_allclose(path, expected)
    np.testing.assert_allclose(values, 0.5 * (lambdas * expected**2).sum(axis=1))


def test_heavy_ball_matches_its_recurrence():
    lambdas, start, lr, mu = np.array([1.0, 20.0]), np.array([1.0, 1.0]), 0.05, 0.8
    path, _ = descent_path(lambdas, start, lambda m: SGD(m, lr=lr, momentum=mu), steps=6)
    w, v = start.copy(), np.zeros(2)
    for t in range(6):
        v = mu * v + lambdas * w
        w = w - lr * v
        np.testing.assert_allclose(path[t + 1], w)


def test_quadratic_errors():
    with pytest.raises(ValueError, match="lambdas must be a 1-D array of positive curvatures"):
        Quadratic([1.0, -1.0], [0.0, 0.0])
    with pytest.raises(ValueError, match=r"start must have shape \(2,\)"):
        Quadratic([1.0, 2.0], [0.0])
