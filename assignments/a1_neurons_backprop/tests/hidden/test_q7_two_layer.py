"""Hidden tests for question 7: other seeds, widths and a three-class problem."""

import numpy as np


def make_moons(n, noise, seed):
    rng = np.random.default_rng(seed)
    t = rng.uniform(0, np.pi, n)
    y = rng.integers(0, 2, n)
    upper = np.stack([np.cos(t), np.sin(t)], axis=1)
    lower = np.stack([1 - np.cos(t), 0.5 - np.sin(t)], axis=1)
    return np.where(y[:, None] == 0, upper, lower) + noise * rng.normal(size=(n, 2)), y


def make_xor_blobs(n, seed):
    rng = np.random.default_rng(seed)
    centres = rng.choice([-1.0, 1.0], size=(n, 2))
    return centres + 0.35 * rng.normal(size=(n, 2)), (centres[:, 0] * centres[:, 1] > 0).astype(int)


def make_three_blobs(n, seed):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    angles = 2 * np.pi * y / 3
    return np.stack([np.cos(angles), np.sin(angles)], axis=1) + 0.3 * rng.normal(size=(n, 2)), y


def accuracy(params, X, y):
    W1, b1, W2, b2 = (np.asarray(params[k]) for k in ("W1", "b1", "W2", "b2"))
    return np.mean((np.maximum(X @ W1.T + b1, 0) @ W2.T + b2).argmax(axis=1) == y)


def test_moons_other_seed_and_width(student):
    """Moons with another seed and 16 hidden units: at least 90% on new points."""
    X, y = make_moons(200, 0.1, seed=7)
    acc = accuracy(student.train_two_layer(X, y, hidden=16, seed=3), *make_moons(1000, 0.1, seed=8))
    assert acc >= 0.9, f"test accuracy {acc:.1%} is below 90%"


def test_xor_blobs(student):
    """Four XOR blobs with 8 hidden units: at least 90% on new points."""
    X, y = make_xor_blobs(200, seed=5)
    acc = accuracy(student.train_two_layer(X, y, hidden=8, seed=1), *make_xor_blobs(1000, seed=6))
    assert acc >= 0.9, f"test accuracy {acc:.1%} is below 90%"


def test_three_classes(student):
    """Three blobs: W2 gets 3 rows and the accuracy is at least 90%."""
    X, y = make_three_blobs(200, seed=9)
    params = student.train_two_layer(X, y, hidden=16, seed=2)
    assert np.asarray(params["W2"]).shape == (3, 16), "with 3 classes W2 should be (3, hidden)"
    acc = accuracy(params, *make_three_blobs(1000, seed=10))
    assert acc >= 0.9, f"test accuracy {acc:.1%} is below 90%"
