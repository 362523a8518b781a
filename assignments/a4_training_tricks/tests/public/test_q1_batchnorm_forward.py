"""Public tests for question 1: batch normalisation forward, training and evaluation."""

import numpy as np

from autograder.testing import StudentError, changed_arguments

# Two images, two channels, 1 x 2 pixels. Channel 0 holds 1, 5, 1, 5 (mean 3, biased variance 4, unbiased 16/3);
# channel 1 holds 0, 2, 4, 6 (mean 3, biased variance 5, unbiased 20/3).
X = np.array([[[[1.0, 5.0]], [[0.0, 2.0]]],
              [[[1.0, 5.0]], [[4.0, 6.0]]]])


def call(student, **kwargs):
    """The student's (out, new_running_mean, new_running_var), checked for shapes."""
    result = student.batchnorm_forward(**kwargs)
    assert isinstance(result, tuple) and len(result) == 3, (
        "batchnorm_forward should return a tuple (out, new_running_mean, new_running_var)")
    out, mean, var = (np.asarray(r, dtype=float) for r in result)
    assert out.shape == kwargs["x"].shape, f"out should have the shape of x {kwargs['x'].shape}, got {out.shape}"
    assert mean.shape == var.shape == (2,), (
        f"the running statistics should have shape (C,) = (2,), got {mean.shape} and {var.shape}")
    return out, mean, var


def test_training_normalises_each_channel(student):
    """Training mode: each channel standardised with its batch mean and biased variance, then gamma and beta."""
    out, _, _ = call(student, x=X, gamma=np.array([2.0, 1.0]), beta=np.array([0.5, 0.0]),
                     running_mean=np.zeros(2), running_var=np.ones(2), training=True, eps=0.0)
    if np.allclose(out[:, 0].ravel(), [-1.2320508, 2.2320508, -1.2320508, 2.2320508]):
        raise AssertionError("you normalised with the unbiased variance (dividing by m - 1): the normalisation uses "
                             "the biased variance, the mean of squared deviations (np.var's default, ddof=0); only "
                             "the running variance stores the unbiased one")
    np.testing.assert_allclose(out[:, 0].ravel(), [-1.5, 2.5, -1.5, 2.5], atol=1e-6, err_msg=(
        "channel 0 holds 1, 5, 1, 5 (mean 3, variance 4), so x_hat = -1, 1, -1, 1 and out = 2 x_hat + 0.5: "
        "compute the statistics per channel over the axes N, H and W (axis=(0, 2, 3))"))
    np.testing.assert_allclose(out[:, 1].ravel(), [-1.3416408, -0.4472136, 0.4472136, 1.3416408], atol=1e-6,
                               err_msg="channel 1 holds 0, 2, 4, 6 (mean 3, variance 5): out = (x - 3) / sqrt(5)")


def test_eps_goes_inside_the_square_root(student):
    """With eps = 1 channel 0 is divided by sqrt(4 + 1), not sqrt(4) + 1."""
    out, _, _ = call(student, x=X, gamma=np.ones(2), beta=np.zeros(2), running_mean=np.zeros(2),
                     running_var=np.ones(2), training=True, eps=1.0)
    if np.allclose(out[:, 0].ravel(), [-2 / 3, 2 / 3, -2 / 3, 2 / 3]):
        raise AssertionError("you divided by sqrt(var) + eps: eps goes inside the square root, sqrt(var + eps)")
    np.testing.assert_allclose(out[:, 0].ravel(), [-0.894427191, 0.894427191, -0.894427191, 0.894427191],
                               atol=1e-6, err_msg="out = (x - 3) / sqrt(4 + 1) for channel 0")


def test_training_updates_running_statistics(student):
    """Training mode returns running = 0.9 running + 0.1 batch, with the unbiased batch variance."""
    _, mean, var = call(student, x=X, gamma=np.ones(2), beta=np.zeros(2), running_mean=np.array([0.0, 1.0]),
                        running_var=np.array([1.0, 2.0]), training=True, momentum=0.1)
    if np.allclose(mean, [0.0, 1.0]):
        raise AssertionError("the running mean was not updated: in training, return "
                             "(1 - momentum) * running_mean + momentum * batch mean")
    if np.allclose(mean, [2.7, 2.8]):
        raise AssertionError("momentum weighs the new batch, not the old running value: "
                             "running_mean = (1 - momentum) * running_mean + momentum * batch mean")
    np.testing.assert_allclose(mean, [0.3, 1.2], atol=1e-6, err_msg=(
        "both channels have batch mean 3: new running mean = 0.9 * [0, 1] + 0.1 * 3"))
    if np.allclose(var, [1.3, 2.3]):
        raise AssertionError("the running variance uses the biased batch variance: it stores the unbiased one, "
                             "var * m / (m - 1) with m = N * H * W values per channel (as PyTorch does)")
    if np.allclose(var, [1.0, 2.0]):
        raise AssertionError("the running variance was not updated")
    np.testing.assert_allclose(var, [0.9 + 0.1 * 16 / 3, 1.8 + 0.1 * 20 / 3], atol=1e-6, err_msg=(
        "new running variance = 0.9 * [1, 2] + 0.1 * unbiased batch variance (16/3 and 20/3)"))


def test_evaluation_uses_running_statistics(student):
    """Evaluation mode normalises with the running statistics and returns them unchanged."""
    out, mean, var = call(student, x=X, gamma=np.ones(2), beta=np.zeros(2), running_mean=np.array([1.0, 2.0]),
                          running_var=np.array([4.0, 1.0]), training=False, eps=0.0)
    if np.allclose(out[:, 0].ravel(), [-1.0, 1.0, -1.0, 1.0]):
        raise AssertionError("in evaluation (training=False) you normalised with the batch's own statistics: "
                             "use running_mean and running_var, so that a prediction does not depend on the batch")
    np.testing.assert_allclose(out[:, 0].ravel(), [0.0, 2.0, 0.0, 2.0], atol=1e-6,
                               err_msg="channel 0 in evaluation: (x - 1) / sqrt(4)")
    np.testing.assert_allclose(out[:, 1].ravel(), [-2.0, 0.0, 2.0, 4.0], atol=1e-6,
                               err_msg="channel 1 in evaluation: (x - 2) / sqrt(1)")
    assert np.allclose(mean, [1.0, 2.0]) and np.allclose(var, [4.0, 1.0]), (
        "in evaluation the running statistics stay as they are: return running_mean and running_var unchanged")


def test_inputs_are_left_unchanged(student):
    """batchnorm_forward returns new running statistics and leaves every argument unchanged."""
    running_mean, running_var = np.array([0.0, 1.0]), np.array([1.0, 2.0])
    called = student.batchnorm_forward.returning_args(
        x=X.copy(), gamma=np.ones(2), beta=np.zeros(2), running_mean=running_mean.copy(),
        running_var=running_var.copy(), training=True)
    np.testing.assert_allclose(called.result[1], [0.3, 1.2], atol=1e-6, err_msg="the new running mean is wrong")
    changed = changed_arguments(called, x=X, gamma=np.ones(2), beta=np.zeros(2), running_mean=running_mean,
                                running_var=running_var, training=True)
    assert changed == [], (
        f"batchnorm_forward changed {' and '.join(changed)} in place (running_mean *= ... or running_mean[:] = ... "
        "writes into the caller's array): compute the new running statistics as new arrays and return them")


def test_one_value_per_channel_is_refused_in_training(student):
    """Training on one value per channel (N = H = W = 1) raises a ValueError."""
    x = np.array([[[[1.0]], [[2.0]]]])
    try:
        student.batchnorm_forward(x, np.ones(2), np.zeros(2), np.zeros(2), np.ones(2), True)
    except StudentError as error:
        assert error.type_name == "ValueError", f"expected a ValueError, got {error}"
    else:
        raise AssertionError("with one value per channel the batch variance is undefined (m - 1 = 0): "
                             "raise a ValueError in training mode")
