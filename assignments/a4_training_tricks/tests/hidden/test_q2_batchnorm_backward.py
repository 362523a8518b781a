"""Hidden tests for question 2: gradients against centred differences of a reference forward pass."""

import numpy as np

from autograder.testing import changed_arguments


def forward(x, gamma, beta, running_mean, running_var, training, eps):
    axes = (0, 2, 3)
    mean, var = (x.mean(axis=axes), x.var(axis=axes)) if training else (running_mean, running_var)
    shape = (1, -1, 1, 1)
    return gamma.reshape(shape) * (x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + eps) + beta.reshape(shape)


def numerical_gradients(dout, x, gamma, beta, running_mean, running_var, training, eps, h=1e-6):
    def loss():
        return np.sum(forward(x, gamma, beta, running_mean, running_var, training, eps) * dout)

    grads = []
    for array in (x, gamma, beta):
        g = np.zeros_like(array)
        for i in np.ndindex(array.shape):
            old = array[i]
            array[i] = old + h
            plus = loss()
            array[i] = old - h
            minus = loss()
            array[i] = old
            g[i] = (plus - minus) / (2 * h)
        grads.append(g)
    return grads


def check(student, seed, shape, training, eps=1e-5):
    rng = np.random.default_rng(seed)
    c = shape[1]
    x, dout = rng.normal(1.0, 2.0, size=shape), rng.normal(size=shape)
    gamma, beta = rng.normal(size=c), rng.normal(size=c)
    running_mean, running_var = rng.normal(size=c), rng.uniform(0.5, 2.0, size=c)
    result = student.batchnorm_backward(dout, x, gamma, running_mean, running_var, training, eps)
    assert isinstance(result, tuple) and len(result) == 3, "batchnorm_backward should return (dx, dgamma, dbeta)"
    expected = numerical_gradients(dout, x, gamma, beta, running_mean, running_var, training, eps)
    for name, got, want in zip(("dx", "dgamma", "dbeta"), result, expected):
        got = np.asarray(got)
        assert got.shape == want.shape, f"{name} has shape {got.shape}, expected {want.shape}"
        np.testing.assert_allclose(got, want, atol=1e-5, rtol=1e-5,
                                   err_msg=f"{name} differs from the numerical gradient")


def test_training_matches_numerical_gradient(student):
    """Training mode on a (3, 2, 2, 3) batch: dx, dgamma, dbeta against centred differences."""
    check(student, 21, (3, 2, 2, 3), training=True)


def test_training_single_image_matches_numerical_gradient(student):
    """Training mode on one 3x3 image with 3 channels and eps 0.1."""
    check(student, 22, (1, 3, 3, 3), training=True, eps=0.1)


def test_evaluation_matches_numerical_gradient(student):
    """Evaluation mode on a (2, 3, 2, 2) batch: the running statistics are constants."""
    check(student, 23, (2, 3, 2, 2), training=False)


def test_inputs_are_left_unchanged(student):
    """batchnorm_backward leaves dout, x and the parameters unchanged, in both modes."""
    rng = np.random.default_rng(24)
    kwargs = {"dout": rng.normal(size=(2, 2, 2, 2)), "x": rng.normal(size=(2, 2, 2, 2)), "gamma": rng.normal(size=2),
              "running_mean": rng.normal(size=2), "running_var": rng.uniform(0.5, 2.0, size=2)}
    for training in (True, False):
        called = student.batchnorm_backward.returning_args(**{k: v.copy() for k, v in kwargs.items()},
                                                           training=training)
        changed = changed_arguments(called, **kwargs, training=training)
        assert changed == [], f"batchnorm_backward changed {' and '.join(changed)} in place"
