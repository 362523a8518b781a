"""Hidden tests for question 5: more classes, shift invariance, extreme logits."""

import numpy as np

from autograder.testing import changed_arguments


def reference(logits, y):
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    grad = np.exp(log_probs)
    grad[np.arange(len(y)), y] -= 1
    return -log_probs[np.arange(len(y)), y].mean(), grad / len(y)


def test_random_batch(student):
    """A (16, 10) batch matches the reference loss and gradient."""
    rng = np.random.default_rng(51)
    logits, y = rng.normal(0, 3, (16, 10)), rng.integers(0, 10, 16)
    loss, dlogits = student.softmax_cross_entropy(logits, y)
    ref_loss, ref_grad = reference(logits, y)
    assert np.isclose(float(loss), ref_loss)
    np.testing.assert_allclose(np.asarray(dlogits), ref_grad, atol=1e-12)


def test_large_logits_are_left_unchanged(student):
    """softmax_cross_entropy leaves a (6, 5) batch of large logits unchanged."""
    rng = np.random.default_rng(53)
    logits, y = rng.normal(300, 50, (6, 5)), rng.integers(0, 5, 6)
    called = student.softmax_cross_entropy.returning_args(logits=logits.copy(), y=y.copy())
    assert np.isclose(float(called.result[0]), reference(logits, y)[0]), "the loss is wrong on large logits"
    changed = changed_arguments(called, logits=logits, y=y)
    assert changed == [], f"softmax_cross_entropy changed {' and '.join(changed)} in place"


def test_shift_invariance(student):
    """Adding 500 to every logit changes neither the loss nor the gradient."""
    rng = np.random.default_rng(52)
    logits, y = rng.normal(size=(5, 4)), rng.integers(0, 4, 5)
    loss, dlogits = student.softmax_cross_entropy(logits + 500.0, y)
    ref_loss, ref_grad = reference(logits, y)
    assert np.isclose(float(loss), ref_loss), f"got {loss}, expected {ref_loss}"
    np.testing.assert_allclose(np.asarray(dlogits), ref_grad, atol=1e-10)


def test_very_negative_correct_logit(student):
    """A correct-class logit 800 below the others gives loss about 800, not inf."""
    logits = np.array([[0.0, -800.0, 0.0]])
    loss, dlogits = student.softmax_cross_entropy(logits, np.array([1]))
    ref_loss, ref_grad = reference(logits, np.array([1]))
    assert np.isfinite(float(loss)) and np.isclose(float(loss), ref_loss), (
        f"expected {ref_loss:.4f}, got {loss}: compute log p_y from the shifted logits, not log(softmax)"
    )
    np.testing.assert_allclose(np.asarray(dlogits), ref_grad, atol=1e-12)
