"""Public tests for question 5: softmax cross-entropy and its gradient."""

import numpy as np

from autograder.testing import changed_arguments

LOG_10 = 2.302585092994046

# A batch of 4 examples over 3 classes and its loss and dlogits, worked out once and written down.
LOGITS = np.array([[0.5, -1.0, 2.0], [1.0, 1.0, 0.0], [-0.5, 0.0, 0.5], [3.0, -2.0, 1.0]])
LABELS = np.array([0, 2, 1, 2])
LOSS = 1.7291052512711795
DLOGITS = np.array([[-0.20617740196499085, 0.009778143317671862, 0.19639925864731897],
                    [0.10557969956287955, 0.10557969956287955, -0.2111593991257591],
                    [0.04658093080646189, -0.1732010285703754, 0.1266200977639135],
                    [0.21890014876577196, 0.001474937600475695, -0.22037508636624759]])


def call(student, logits, y):
    result = student.softmax_cross_entropy(logits, y)
    assert isinstance(result, (list, tuple)) and len(result) == 2, (
        "softmax_cross_entropy should return two things: (loss, dlogits)"
    )
    return float(result[0]), np.asarray(result[1])


def test_uniform_logits_give_log_c(student):
    """Equal logits over 10 classes give loss log(10)."""
    loss, dlogits = call(student, np.zeros((2, 10)), np.array([3, 7]))
    assert np.isclose(loss, LOG_10), f"with all logits equal every class has p = 1/10, so loss = log 10 = 2.3026, got {loss}"
    assert dlogits.shape == (2, 10), f"dlogits should have the shape of logits (2, 10), got {dlogits.shape}"


def test_hand_example(student):
    """logits (0, log 3) with y = 1: p = (1/4, 3/4), loss = log(4/3), dlogits = (1/4, -1/4)."""
    loss, dlogits = call(student, np.array([[0.0, 1.0986122886681098]]), np.array([1]))
    assert np.isclose(loss, 0.28768207245178085), f"loss should be -log(3/4) = 0.2877, got {loss}"
    np.testing.assert_allclose(dlogits, [[0.25, -0.25]], atol=1e-12, err_msg="dlogits = p - onehot(y)")


def test_large_logits_stay_finite(student):
    """Logits of 1000 give a finite loss and gradient."""
    loss, dlogits = call(student, np.array([[1000.0, 0.0]]), np.array([0]))
    if not (np.isfinite(loss) and np.all(np.isfinite(dlogits))):
        raise AssertionError(f"logits (1000, 0) with label 0 gave loss={loss}: exp(1000) overflows to inf (and "
                             "inf / inf is nan). Subtract each row's max before exponentiating")
    loss, dlogits = call(student, np.array([[1000.0, 0.0], [0.0, 1000.0]]), np.array([1, 1]))
    if not np.isfinite(loss):
        raise AssertionError(
            f"logits (1000, 0) with label 1 gave loss={loss}, although label 0 worked, so nothing overflows: the "
            "probability p_1 = e^-1000 / (1 + e^-1000) rounds to 0 and log(0) = -inf. Do not take the log of the "
            "normalised probability: compute log p_y = (s_y - max s) - log(sum_j exp(s_j - max s)) directly")
    assert np.isclose(loss, 500.0), f"the first example costs 1000 and the second 0, so the mean is 500, got {loss}"


def test_gradient_is_divided_by_batch_size(student):
    """The loss is a mean over the batch, so each row of dlogits is divided by N."""
    loss, dlogits = call(student, LOGITS.copy(), LABELS)
    if np.isclose(loss, 4 * LOSS):
        raise AssertionError("the loss is the sum of -log p_y over the batch: take the mean instead")
    assert np.isclose(loss, LOSS), f"the loss should be the mean of -log p_y over the batch, {LOSS:.6f}, got {loss}"
    if np.allclose(dlogits, 4 * DLOGITS):
        raise AssertionError("dlogits is p - onehot(y) but the loss is a mean: divide by the batch size N")
    np.testing.assert_allclose(dlogits, DLOGITS, atol=1e-10, err_msg="dlogits = (p - onehot(y)) / N")


def test_logits_are_left_unchanged(student):
    """softmax_cross_entropy leaves the caller's logits and labels unchanged."""
    logits = LOGITS.copy()
    called = student.softmax_cross_entropy.returning_args(logits=logits, y=LABELS)
    assert np.isclose(float(called.result[0]), LOSS), f"the loss should be {LOSS:.6f}, got {called.result[0]}"
    changed = changed_arguments(called, logits=logits, y=LABELS)
    assert changed == [], (
        f"softmax_cross_entropy changed {' and '.join(changed)} in place (logits -= logits.max(...) writes into "
        "the caller's array): subtract into a new array, shifted = logits minus each row's maximum")


def test_gradient_properties(student):
    """Each row of dlogits sums to 0, is negative at the label only, and moving along it lowers the loss."""
    loss, dlogits = call(student, LOGITS.copy(), LABELS)
    assert dlogits.shape == LOGITS.shape, f"dlogits should have the shape of logits {LOGITS.shape}, got {dlogits.shape}"
    row_sums = dlogits[:, 0] + dlogits[:, 1] + dlogits[:, 2]
    np.testing.assert_allclose(row_sums, 0.0, atol=1e-12,
                               err_msg="the probabilities sum to 1 and the one-hot too, so every row of p - onehot sums to 0")
    is_label = np.zeros(LOGITS.shape, dtype=bool)
    is_label[[0, 1, 2, 3], LABELS] = True
    assert np.all(dlogits[is_label] < 0) and np.all(dlogits[~is_label] > 0), (
        "dlogits should be negative at each row's label (p_y - 1 < 0) and positive elsewhere (p > 0)"
    )
    smaller, _ = call(student, LOGITS - 0.01 * dlogits, LABELS)
    assert smaller < loss, "a small step against dlogits should lower the loss: check the sign of the gradient"
