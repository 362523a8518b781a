"""An ill-conditioned quadratic bowl, the smallest problem on which optimizers differ visibly.

f(w) = 1/2 sum_i lambda_i w_i^2 has its minimum at w = 0 and curvature lambda_i along axis i. Its
gradient is (lambda_i w_i)_i, so gradient descent acts on each coordinate separately:
w_i <- (1 - lr lambda_i) w_i. The condition number kappa = max(lambda) / min(lambda) measures how
elongated the valley is; the larger it is, the slower plain gradient descent converges.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = ["Quadratic", "descent_path"]


class Quadratic:
    """f(w) = 1/2 sum_i lambdas[i] w[i]^2 with one parameter "w" (D,), shaped like a layer for the optimizers.

    ``compute_grads()`` fills ``grads["w"]`` with lambdas * w and returns f(w).
    """

    def __init__(self, lambdas, start) -> None:
        self.lambdas = np.asarray(lambdas, dtype=np.float64)
        start = np.asarray(start, dtype=np.float64)
        if self.lambdas.ndim != 1 or np.any(self.lambdas <= 0):
            raise ValueError(f"lambdas must be a 1-D array of positive curvatures, got {lambdas!r}")
        if start.shape != self.lambdas.shape:
            raise ValueError(f"start must have shape {self.lambdas.shape} like lambdas, got {start.shape}")
        self.params = {"w": start.copy()}
        self.grads = {"w": np.zeros_like(start)}

    def value(self) -> float:
        w = self.params["w"]
        return float(0.5 * np.sum(self.lambdas * w * w))

    def compute_grads(self) -> float:
        self.grads["w"][...] = self.lambdas * self.params["w"]
        return self.value()


def descent_path(lambdas, start, make_optimizer: Callable, steps: int) -> tuple[np.ndarray, np.ndarray]:
    """Run ``steps`` steps of the optimizer ``make_optimizer(model)`` (e.g. ``lambda m: SGD(m, lr=0.1)``).

    Returns the points visited ``(steps + 1, D)``, starting with ``start``, and f at each ``(steps + 1,)``.
    """
    model = Quadratic(lambdas, start)
    optimizer = make_optimizer(model)
    path, values = [model.params["w"].copy()], [model.value()]
    for _ in range(steps):
        model.compute_grads()
        optimizer.step()
        path.append(model.params["w"].copy())
        values.append(model.value())
    return np.array(path), np.array(values)
