"""Public tests for question 2: the perceptron rule."""

import numpy as np

from autograder.testing import changed_arguments


def separable_blobs(n, seed):
    rng = np.random.default_rng(seed)
    X = np.concatenate([rng.normal([2.0, 2.0], 0.5, (n, 2)), rng.normal([-2.0, -1.0], 0.5, (n, 2))])
    return X, np.repeat([1, -1], n)


def test_step_on_a_zero_score(student):
    """From w = 0, b = 0 the example x = (1, 2), y = +1 is a mistake: w becomes (1, 2), b becomes 1."""
    w, b = student.perceptron_step(np.zeros(2), 0.0, np.array([1.0, 2.0]), 1)
    if np.allclose(w, 0) and float(b) == 0:
        raise AssertionError("a score of exactly 0 is a mistake (y * (w.x + b) <= 0), so w and b must change; "
                             "did you use < 0 instead of <= 0?")
    np.testing.assert_allclose(w, [1.0, 2.0], err_msg="w should become w + lr * y * x = (1, 2)")
    assert float(b) == 1.0, f"b should become b + lr * y = 1, got {b}: did you forget to update the bias?"


def test_step_on_a_negative_example(student):
    """A misclassified negative example moves w and b away from it: w = (-1, -1), b = -0.5."""
    w, b = student.perceptron_step(np.array([1.0, 0.0]), 0.5, np.array([2.0, 1.0]), -1)
    np.testing.assert_allclose(w, [-1.0, -1.0], err_msg="w + lr * y * x with y = -1 should be (1, 0) - (2, 1)")
    assert np.isclose(float(b), -0.5), f"b should be 0.5 + lr * y = -0.5, got {b}: did you forget the bias?"


def test_step_leaves_correct_examples_alone(student):
    """A correctly classified example does not change w or b."""
    w, b = student.perceptron_step(np.array([1.0, 1.0]), 0.0, np.array([1.0, 1.0]), 1)
    np.testing.assert_allclose(w, [1.0, 1.0], err_msg="the example is already correct (score 2 > 0): keep w")
    assert float(b) == 0.0, f"the example is already correct: keep b = 0, got {b}"


def test_step_does_not_modify_w(student):
    """perceptron_step returns a new w and leaves the caller's w and x unchanged."""
    w, x = np.array([0.5, -1.0]), np.array([1.0, 2.0])
    called = student.perceptron_step.returning_args(w=w, b=0.0, x=x, y=1)
    new_w, _ = called.result
    np.testing.assert_allclose(new_w, [1.5, 1.0], err_msg="w should become w + lr * y * x = (1.5, 1)")
    changed = changed_arguments(called, w=w, b=0.0, x=x, y=1)
    assert changed == [], (
        f"perceptron_step changed its {' and '.join(changed)} in place (w += ... writes into the caller's array): "
        "return w + lr * y * x, a new array")


def test_step_uses_the_learning_rate(student):
    """With lr = 0.5 the update is halved."""
    w, b = student.perceptron_step(np.zeros(3), 0.0, np.array([2.0, -4.0, 6.0]), 1, lr=0.5)
    np.testing.assert_allclose(w, [1.0, -2.0, 3.0], err_msg="the update is lr * y * x")
    assert np.isclose(float(b), 0.5), f"the bias update is lr * y = 0.5, got {b}"


def test_training_separates_the_data(student):
    """train_perceptron finds w, b classifying every training point correctly."""
    X, y = separable_blobs(15, seed=0)
    w, b, epochs = student.train_perceptron(X, y)
    w = np.asarray(w, dtype=float)
    assert w.shape == (2,), f"w should have one weight per feature, shape (2,), got {w.shape}"
    margins = y * (X[:, 0] * w[0] + X[:, 1] * w[1] + float(b))
    assert np.all(margins > 0), f"{np.count_nonzero(margins <= 0)} of {len(y)} points are still misclassified"
    assert 1 <= int(epochs) <= 100, f"epochs should count the passes made (1 to max_epochs), got {epochs}"
