"""Public test for question 7: a two-layer network on two moons."""

import numpy as np


def make_moons(n, noise, seed):
    rng = np.random.default_rng(seed)
    t = rng.uniform(0, np.pi, n)
    y = rng.integers(0, 2, n)
    upper = np.stack([np.cos(t), np.sin(t)], axis=1)
    lower = np.stack([1 - np.cos(t), 0.5 - np.sin(t)], axis=1)
    return np.where(y[:, None] == 0, upper, lower) + noise * rng.normal(size=(n, 2)), y


def accuracy(params, X, y):
    hidden = np.maximum(X @ params["W1"].T + params["b1"], 0)
    return np.mean((hidden @ params["W2"].T + params["b2"]).argmax(axis=1) == y)


def check_params(params, hidden, n_in, n_classes):
    expected = {"W1": (hidden, n_in), "b1": (hidden,), "W2": (n_classes, hidden), "b2": (n_classes,)}
    assert isinstance(params, dict), f"train_two_layer should return a dict of arrays, got {type(params).__name__}"
    for key, shape in expected.items():
        assert key in params, f"the params dict has no {key!r}: expected keys {sorted(expected)}"
        params[key] = np.asarray(params[key])
        assert params[key].shape == shape, (
            f"params[{key!r}] has shape {params[key].shape}, expected {shape} (weights are (out, in))"
        )


def test_params_have_the_right_shapes(student):
    """train_two_layer returns W1 (hidden, 2), b1 (hidden,), W2 (2, hidden), b2 (2,)."""
    X, y = make_moons(60, 0.1, seed=3)
    check_params(student.train_two_layer(X, y, hidden=8, seed=0), 8, 2, 2)


def test_moons_accuracy(student):
    """Trained on 200 moons points, the network classifies at least 90% of 1,000 new points."""
    X, y = make_moons(200, 0.1, seed=0)
    params = student.train_two_layer(X, y, hidden=32, seed=0)
    check_params(params, 32, 2, 2)
    X_test, y_test = make_moons(1000, 0.1, seed=1)
    acc = accuracy(params, X_test, y_test)
    assert acc >= 0.9, f"test accuracy {acc:.1%} is below 90%: check the gradients, the learning rate and the steps"
