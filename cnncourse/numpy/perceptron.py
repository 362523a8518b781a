"""Rosenblatt's perceptron (1958): a threshold unit and its error-driven learning rule."""

from __future__ import annotations

import numpy as np

from ._checks import Seed

__all__ = ["Perceptron"]


class Perceptron:
    """A single threshold unit ``y_hat = 1 if w . x + b > 0 else 0`` for labels in {0, 1}.

    The learning rule changes the weights only on a mistake, by ``lr * (y - y_hat) * x``: towards
    an example that should have fired, away from one that should not. On linearly separable data it
    stops making mistakes after finitely many updates (Novikoff's convergence theorem).
    """

    def __init__(self, n_features: int, lr: float = 1.0) -> None:
        if n_features < 1:
            raise ValueError(f"n_features must be at least 1, got {n_features}")
        self.w = np.zeros(n_features)
        self.b = 0.0
        self.lr = lr

    def _check(self, X: np.ndarray) -> np.ndarray:
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != self.w.shape[0]:
            raise ValueError(f"X must be (N, {self.w.shape[0]}), got shape {X.shape}")
        return X

    def predict(self, X: np.ndarray) -> np.ndarray:
        """X: (N, D) -> labels (N,) in {0, 1}."""
        X = self._check(X)
        return (X @ self.w + self.b > 0).astype(np.int64)

    def update(self, x: np.ndarray, y: int) -> bool:
        """One step of the learning rule on a single example; returns True when it was a mistake."""
        error = int(y) - int(self.predict(np.asarray(x)[None])[0])
        if error:
            self.w += self.lr * error * np.asarray(x, dtype=np.float64)
            self.b += self.lr * error
        return error != 0

    def fit(self, X: np.ndarray, y: np.ndarray, epochs: int = 100, seed: Seed = 0) -> list[int]:
        """Sweep the data in a shuffled order until an epoch has no mistake (or ``epochs`` run out).

        Returns the number of mistakes in each epoch.
        """
        X = self._check(X)
        y = np.asarray(y)
        if y.shape != (X.shape[0],) or not np.isin(y, (0, 1)).all():
            raise ValueError(f"y must be (N,) = ({X.shape[0]},) labels in {{0, 1}}, got shape {y.shape}")
        rng = np.random.default_rng(seed)
        mistakes = []
        for _ in range(epochs):
            mistakes.append(sum(self.update(X[i], y[i]) for i in rng.permutation(len(X))))
            if mistakes[-1] == 0:
                break
        return mistakes
