"""Public tests for question 5: softmax cross-entropy and its gradient."""

import numpy as np


def reference_loss(logits, y):
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return -log_probs[np.arange(len(y)), y].mean()


def call(student, logits, y):
    result = student.softmax_cross_entropy(logits, y)
    assert isinstance(result, (list, tuple)) and len(result) == 2, (
        "softmax_cross_entropy should return two things: (loss, dlogits)"
    )
    return float(result[0]), np.asarray(result[1])


def test_uniform_logits_give_log_c(student):
    """Equal logits over 10 classes give loss log(10)."""
    loss, dlogits = call(student, np.zeros((2, 10)), np.array([3, 7]))
    assert np.isclose(loss, np.log(10)), f"with all logits equal every class has p = 1/10, so loss = log 10 = 2.3026, got {loss}"
    assert dlogits.shape == (2, 10), f"dlogits should have the shape of logits (2, 10), got {dlogits.shape}"


def test_hand_example(student):
    """logits (0, log 3) with y = 1: p = (1/4, 3/4), loss = log(4/3), dlogits = (1/4, -1/4)."""
    loss, dlogits = call(student, np.array([[0.0, np.log(3.0)]]), np.array([1]))
    assert np.isclose(loss, np.log(4 / 3)), f"loss should be -log(3/4) = 0.2877, got {loss}"
    np.testing.assert_allclose(dlogits, [[0.25, -0.25]], atol=1e-12, err_msg="dlogits = p - onehot(y)")


def test_large_logits_stay_finite(student):
    """Logits of 1000 give a finite loss and gradient."""
    loss, dlogits = call(student, np.array([[1000.0, 0.0], [0.0, 1000.0]]), np.array([1, 1]))
    assert np.isfinite(loss) and np.all(np.isfinite(dlogits)), (
        f"large logits gave loss={loss}: exp(1000) overflows. Subtract each row's max before exponentiating"
    )
    assert np.isclose(loss, 500.0), f"the first example costs 1000 and the second 0, so the mean is 500, got {loss}"


def test_gradient_is_divided_by_batch_size(student):
    """The loss is a mean over the batch, so each row of dlogits is divided by N."""
    rng = np.random.default_rng(0)
    logits, y = rng.normal(size=(4, 3)), np.array([0, 2, 1, 2])
    loss, dlogits = call(student, logits, y)
    assert np.isclose(loss, reference_loss(logits, y)), "the loss should be the mean of -log p_y over the batch"
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    p[np.arange(4), y] -= 1
    if np.allclose(dlogits, p):
        raise AssertionError("dlogits is p - onehot(y) but the loss is a mean: divide by the batch size N")
    np.testing.assert_allclose(dlogits, p / 4, atol=1e-10)


def test_gradient_matches_numerical(student):
    """dlogits matches centred differences of the loss."""
    rng = np.random.default_rng(1)
    logits, y = rng.normal(0, 2, size=(3, 5)), np.array([4, 0, 2])
    _, dlogits = call(student, logits, y)
    numerical = np.zeros_like(logits)
    h = 1e-6
    for i in np.ndindex(logits.shape):
        old = logits[i]
        logits[i] = old + h
        plus = reference_loss(logits, y)
        logits[i] = old - h
        minus = reference_loss(logits, y)
        logits[i] = old
        numerical[i] = (plus - minus) / (2 * h)
    np.testing.assert_allclose(dlogits, numerical, atol=1e-7)
