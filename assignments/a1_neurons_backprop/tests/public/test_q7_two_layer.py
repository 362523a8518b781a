"""Public test for question 7: a two-layer network on two moons."""

import numpy as np


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
    X, y = student.make_moons(60, 0.1, seed=3)
    check_params(student.train_two_layer(X, y, hidden=8, seed=0), 8, 2, 2)


def test_hidden_units_start_different(student):
    """The initial weights (steps=0) differ between hidden units, so that they can learn different features."""
    X, y = student.make_moons(60, 0.1, seed=3)
    params = student.train_two_layer(X, y, hidden=8, seed=0, steps=0)
    check_params(params, 8, 2, 2)
    W1 = params["W1"]
    assert not np.allclose(W1, W1[0]), (
        "every hidden unit starts with the same weights (the rows of W1 are equal, for example all zero): equal "
        "units get equal gradients and stay equal forever (symmetry), so the hidden layer acts as a single unit. "
        "Initialise W1 randomly, for example rng.normal(0, np.sqrt(2 / fan_in), (hidden, 2))")


def test_moons_accuracy(student):
    """Trained on 200 moons points, the network classifies at least 90% of 1,000 new points."""
    X, y = student.make_moons(200, 0.1, seed=0)
    params = student.train_two_layer(X, y, hidden=32, seed=0)
    check_params(params, 32, 2, 2)
    X_test, y_test = student.make_moons(1000, 0.1, seed=1)
    predictions = np.asarray(student.predict_two_layer(params, X_test))
    assert predictions.shape == y_test.shape, f"predict_two_layer gave shape {predictions.shape}, expected {y_test.shape}"
    acc = np.count_nonzero(predictions == y_test) / len(y_test)
    assert acc >= 0.9, (
        f"test accuracy {acc:.1%} is below 90% (predict_two_layer uses your linear_forward and relu_forward): "
        "check the gradients, the learning rate and the steps"
    )
