"""Hidden tests for question 7: other seeds, widths and a three-class problem."""

import numpy as np

from autograder.testing import changed_arguments


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


def reference_gradients(params, X, y):
    """Gradients of the mean softmax cross-entropy of the two-layer ReLU network, by a plain backward pass."""
    z1 = X @ params["W1"].T + params["b1"]
    h1 = np.maximum(z1, 0)
    logits = h1 @ params["W2"].T + params["b2"]
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    p[np.arange(len(y)), y] -= 1
    dlogits = p / len(y)
    dz1 = (dlogits @ params["W2"]) * (z1 > 0)
    return {"W1": dz1.T @ X, "b1": dz1.sum(axis=0), "W2": dlogits.T @ h1, "b2": dlogits.sum(axis=0)}


def test_one_step_follows_the_gradient(student):
    """One step (steps=1) moves the initial parameters (steps=0) by -lr times the true gradient of the loss."""
    X, y = make_moons(40, 0.1, seed=4)
    before = {k: np.asarray(v, dtype=float) for k, v in
              student.train_two_layer(X, y, hidden=6, seed=5, lr=0.1, steps=0).items()}
    after = {k: np.asarray(v, dtype=float) for k, v in
             student.train_two_layer(X, y, hidden=6, seed=5, lr=0.1, steps=1).items()}
    gradients = reference_gradients(before, X, y)
    for key in ("W2", "b2", "W1", "b1"):
        np.testing.assert_allclose((before[key] - after[key]) / 0.1, gradients[key], atol=1e-6, err_msg=(
            f"one step changed {key} by something other than -lr times the gradient of the loss: check its "
            "backward pass (the ReLU's backward pass sits between the two linear layers)"))


def test_training_leaves_the_data_alone(student):
    """train_two_layer leaves the caller's X and y unchanged."""
    X, y = make_moons(40, 0.1, seed=11)
    called = student.train_two_layer.returning_args(X=X.copy(), y=y.copy(), hidden=4, seed=0, steps=5)
    changed = changed_arguments(called, X=X, y=y, hidden=4, seed=0, steps=5)
    assert changed == [], f"train_two_layer changed {' and '.join(changed)} in place"


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
