"""Hidden tests for question 2: exact runs against a reference perceptron."""

import numpy as np

from autograder.testing import changed_arguments


def reference_train(X, y, max_epochs):
    w, b = np.zeros(X.shape[1]), 0.0
    for epoch in range(1, max_epochs + 1):
        mistakes = 0
        for xi, yi in zip(X, y):
            if yi * (w @ xi + b) <= 0:
                w, b, mistakes = w + yi * xi, b + yi, mistakes + 1
        if mistakes == 0:
            break
    return w, b, epoch


def test_and_function(student):
    """The perceptron learns logical AND on {-1, +1} inputs exactly as the rule prescribes."""
    X = np.array([[-1.0, -1.0], [-1.0, 1.0], [1.0, -1.0], [1.0, 1.0]])
    y = np.array([-1, -1, -1, 1])
    w, b, epochs = student.train_perceptron(X, y)
    w_ref, b_ref, epochs_ref = reference_train(X, y, 100)
    np.testing.assert_allclose(w, w_ref)
    assert np.isclose(float(b), b_ref) and int(epochs) == epochs_ref, (
        f"got b={b}, epochs={epochs}; expected b={b_ref}, epochs={epochs_ref}"
    )


def test_random_separable_data_matches_reference(student):
    """On random separable 3-D data, w, b and epochs match the reference run."""
    rng = np.random.default_rng(21)
    X = rng.normal(size=(40, 3))
    y = np.where(X @ np.array([1.0, -2.0, 0.5]) + 0.3 > 0, 1, -1)
    w, b, epochs = student.train_perceptron(X, y)
    w_ref, b_ref, epochs_ref = reference_train(X, y, 100)
    np.testing.assert_allclose(w, w_ref, atol=1e-9)
    assert np.isclose(float(b), b_ref) and int(epochs) == epochs_ref, (
        f"got b={b}, epochs={epochs}; expected b={b_ref}, epochs={epochs_ref}"
    )


def test_stops_at_max_epochs_on_xor(student):
    """On XOR, which no line separates, training stops after max_epochs passes."""
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = np.array([-1, 1, 1, -1])
    _, _, epochs = student.train_perceptron(X, y, max_epochs=7)
    assert int(epochs) == 7, f"XOR is not separable, so all 7 passes should run; got epochs={epochs}"


def test_inputs_are_left_unchanged(student):
    """perceptron_step and train_perceptron leave the caller's arrays unchanged."""
    w0, x = np.array([0.5, -1.0, 2.0]), np.array([-1.0, 1.0, -1.0])
    called = student.perceptron_step.returning_args(w=w0.copy(), b=0.0, x=x.copy(), y=1, lr=0.5)
    np.testing.assert_allclose(called.result[0], w0 + 0.5 * x, err_msg="w should become w + lr * y * x")
    changed = changed_arguments(called, w=w0, b=0.0, x=x, y=1, lr=0.5)
    assert changed == [], f"perceptron_step changed {' and '.join(changed)} in place"
    X = np.array([[1.0, 2.0], [-1.0, -1.5], [2.0, 0.5]])
    y = np.array([1, -1, 1])
    called = student.train_perceptron.returning_args(X=X.copy(), y=y.copy())
    changed = changed_arguments(called, X=X, y=y)
    assert changed == [], f"train_perceptron changed {' and '.join(changed)} in place"


def test_step_with_fractional_lr(student):
    """perceptron_step on a misclassified 4-D example with lr = 0.1."""
    w0 = np.array([0.5, -1.0, 2.0, 0.0])
    x = np.array([1.0, 1.0, -1.0, 3.0])
    w, b = student.perceptron_step(w0, -0.25, x, 1, lr=0.1)
    np.testing.assert_allclose(w, w0 + 0.1 * x, err_msg="w should become w + lr * y * x")
    assert np.isclose(float(b), -0.15), f"b should become -0.25 + 0.1 = -0.15, got {b}"
