"""Public tests for question 2: batch normalisation backward, training and evaluation."""

import numpy as np

from autograder.testing import changed_arguments

# One channel holding 1, 5, 1, 5 (mean 3, variance 4, so x_hat = -1, 1, -1, 1 with eps = 0) and dout 1, 2, 3, 4.
X = np.array([[[[1.0, 5.0]]], [[[1.0, 5.0]]]])
DOUT = np.array([[[[1.0, 2.0]]], [[[3.0, 4.0]]]])


def call(student, **kwargs):
    """The student's (dx, dgamma, dbeta), checked for shapes."""
    result = student.batchnorm_backward(**kwargs)
    assert isinstance(result, tuple) and len(result) == 3, "batchnorm_backward should return (dx, dgamma, dbeta)"
    dx, dgamma, dbeta = (np.asarray(r, dtype=float) for r in result)
    channels = kwargs["x"].shape[1]
    assert dx.shape == kwargs["x"].shape, f"dx should have the shape of x {kwargs['x'].shape}, got {dx.shape}"
    assert dgamma.shape == dbeta.shape == (channels,), (
        f"dgamma and dbeta should have shape (C,) = ({channels},), got {dgamma.shape} and {dbeta.shape}: "
        "sum over the axes N, H and W (axis=(0, 2, 3)), since gamma_c and beta_c are used at every position")
    return (dx, dgamma, dbeta)


def test_parameter_gradients(student):
    """dgamma = sum(dout * x_hat) = 2 and dbeta = sum(dout) = 10 on the hand example."""
    _, dgamma, dbeta = call(student, dout=DOUT, x=X, gamma=np.array([2.0]), running_mean=np.zeros(1),
                            running_var=np.ones(1), training=True, eps=0.0)
    np.testing.assert_allclose(dbeta, [10.0], atol=1e-6, err_msg="dbeta = sum of dout = 1 + 2 + 3 + 4")
    np.testing.assert_allclose(dgamma, [2.0], atol=1e-6, err_msg=(
        "dgamma = sum of dout * x_hat = -1 + 2 - 3 + 4 (x_hat uses the batch statistics)"))


def test_training_dx_includes_the_statistics(student):
    """Training-mode dx on the hand example is (-1, -1, 1, 1)."""
    dx, _, _ = call(student, dout=DOUT, x=X, gamma=np.array([2.0]), running_mean=np.zeros(1),
                    running_var=np.ones(1), training=True, eps=0.0)
    dx = dx.ravel()
    if np.allclose(dx, [1.0, 2.0, 3.0, 4.0]):
        raise AssertionError("dx = dout * gamma / sqrt(var + eps) treats the batch mean and variance as constants: "
                             "in training they are computed from x, so subtract mean(g) and x_hat * mean(g * x_hat)")
    if np.allclose(dx, [-1.5, -0.5, 0.5, 1.5]):
        raise AssertionError("dx misses the path through the variance: subtract x_hat * mean(g * x_hat) too")
    if np.allclose(dx, [1.5, 1.5, 3.5, 3.5]):
        raise AssertionError("dx misses the path through the mean: subtract mean(g) too")
    if np.allclose(dx, [-0.5, -0.5, 0.5, 0.5]):
        raise AssertionError("dx is missing the factor gamma: g = dout * gamma")
    np.testing.assert_allclose(dx, [-1.0, -1.0, 1.0, 1.0], atol=1e-6, err_msg=(
        "dx = (g - mean(g) - x_hat * mean(g * x_hat)) / sqrt(var + eps) with g = 2 * dout, mean(g) = 5, "
        "mean(g * x_hat) = 1, sqrt(var) = 2"))


def test_constant_dout_gives_zero_dx_in_training(student):
    """In training, a dout that is constant over a channel gives dx = 0 (a shift of x changes no output)."""
    x = np.array([[[[0.5, -1.0], [2.0, 0.0]], [[3.0, 1.0], [0.0, 1.0]]],
                  [[[1.0, 4.0], [-2.0, 0.5]], [[2.0, 2.0], [5.0, -1.0]]]])
    dout = np.ones_like(x)
    dout[:, 1] = -3.0
    dx, _, dbeta = call(student, dout=dout, x=x, gamma=np.array([1.5, 0.5]), running_mean=np.zeros(2),
                        running_var=np.ones(2), training=True)
    np.testing.assert_allclose(dbeta, [8.0, -24.0], atol=1e-6, err_msg="dbeta = sum of dout over N, H and W")
    np.testing.assert_allclose(dx, 0.0, atol=1e-6, err_msg=(
        "adding a constant to a whole channel does not change the normalised output in training, so a dout that is "
        "constant over the channel must give dx = 0: dx must subtract mean(g) over the channel's N * H * W values"))


def test_evaluation_uses_running_statistics(student):
    """Evaluation mode: dx = dout * gamma / sqrt(running_var + eps), x_hat from the running statistics."""
    dx, dgamma, dbeta = call(student, dout=DOUT, x=X, gamma=np.array([2.0]), running_mean=np.array([1.0]),
                             running_var=np.array([16.0]), training=False, eps=0.0)
    if np.allclose(dx.ravel(), [-1.0, -1.0, 1.0, 1.0]) or np.allclose(dx.ravel(), [1.0, 2.0, 3.0, 4.0]):
        raise AssertionError("in evaluation you used the batch statistics: the running statistics are constants "
                             "there, so dx = dout * gamma / sqrt(running_var + eps)")
    np.testing.assert_allclose(dx.ravel(), [0.5, 1.0, 1.5, 2.0], atol=1e-6,
                               err_msg="in evaluation dx = dout * gamma / sqrt(running_var) = dout * 2 / 4")
    if np.allclose(dgamma, [2.0]):
        raise AssertionError("in evaluation you used the batch statistics for x_hat: use the running statistics")
    np.testing.assert_allclose(dgamma, [6.0], atol=1e-6, err_msg=(
        "in evaluation x_hat = (x - running_mean) / sqrt(running_var) = 0, 1, 0, 1, so dgamma = 0 + 2 + 0 + 4"))
    np.testing.assert_allclose(dbeta, [10.0], atol=1e-6, err_msg="dbeta = sum of dout")


def test_inputs_are_left_unchanged(student):
    """batchnorm_backward leaves dout, x and the parameters unchanged."""
    called = student.batchnorm_backward.returning_args(
        dout=DOUT.copy(), x=X.copy(), gamma=np.array([2.0]), running_mean=np.zeros(1), running_var=np.ones(1),
        training=True, eps=0.0)
    np.testing.assert_allclose(np.ravel(called.result[0]), [-1.0, -1.0, 1.0, 1.0], atol=1e-6, err_msg="dx is wrong")
    changed = changed_arguments(called, dout=DOUT, x=X, gamma=np.array([2.0]), running_mean=np.zeros(1),
                                running_var=np.ones(1), training=True, eps=0.0)
    assert changed == [], (f"batchnorm_backward changed {' and '.join(changed)} in place (for example dout *= gamma): "
                           "compute new arrays instead")
