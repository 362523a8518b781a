"""Hidden tests for question 1: other shapes, momenta and eps against a reference computed here."""

import numpy as np

from autograder.testing import StudentError, changed_arguments


def reference(x, gamma, beta, running_mean, running_var, training, momentum=0.1, eps=1e-5):
    axes = (0, 2, 3)
    if training:
        m = x.size // x.shape[1]
        mean, var = x.mean(axis=axes), x.var(axis=axes)
        new_mean = (1 - momentum) * running_mean + momentum * mean
        new_var = (1 - momentum) * running_var + momentum * var * m / (m - 1)
    else:
        mean, var, new_mean, new_var = running_mean, running_var, running_mean, running_var
    shape = (1, -1, 1, 1)
    out = gamma.reshape(shape) * (x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + eps) + beta.reshape(shape)
    return out, new_mean, new_var


def arguments(seed, shape):
    rng = np.random.default_rng(seed)
    c = shape[1]
    return {"x": rng.normal(2.0, 3.0, size=shape), "gamma": rng.normal(size=c), "beta": rng.normal(size=c),
            "running_mean": rng.normal(size=c), "running_var": rng.uniform(0.5, 2.0, size=c)}


def compare(student, kwargs):
    result = student.batchnorm_forward(**kwargs)
    assert isinstance(result, tuple) and len(result) == 3, "batchnorm_forward should return a tuple of 3 arrays"
    expected = reference(**kwargs)
    for name, got, want in zip(("out", "new_running_mean", "new_running_var"), result, expected):
        got = np.asarray(got)
        assert got.shape == want.shape, f"{name} has shape {got.shape}, expected {want.shape}"
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-8, err_msg=f"{name} is wrong")


def test_training_other_shape_momentum_eps(student):
    """Training on a (3, 4, 5, 2) batch with momentum 0.3 and eps 1e-3."""
    compare(student, {**arguments(11, (3, 4, 5, 2)), "training": True, "momentum": 0.3, "eps": 1e-3})


def test_training_single_image(student):
    """Training on one 3x4 image (m = H * W = 12 values per channel, N = 1)."""
    compare(student, {**arguments(12, (1, 3, 3, 4)), "training": True})


def test_evaluation_other_shape(student):
    """Evaluation on a (5, 3, 2, 3) batch uses the running statistics and returns them."""
    compare(student, {**arguments(13, (5, 3, 2, 3)), "training": False, "momentum": 0.5, "eps": 1e-2})


def test_evaluation_single_value_is_fine(student):
    """Evaluation of one 1x1 image works (running statistics need no batch)."""
    compare(student, {**arguments(14, (1, 2, 1, 1)), "training": False})


def test_training_refuses_one_value_per_channel(student):
    """Training on a (1, 3, 1, 1) batch raises a ValueError."""
    try:
        student.batchnorm_forward(**arguments(15, (1, 3, 1, 1)), training=True)
    except StudentError as error:
        assert error.type_name == "ValueError", f"expected a ValueError, got {error.type_name}"
    else:
        raise AssertionError("one value per channel in training should raise a ValueError")


def test_inputs_are_left_unchanged(student):
    """batchnorm_forward leaves every argument unchanged, in training and in evaluation."""
    for training in (True, False):
        kwargs = {**arguments(16, (2, 3, 2, 2)), "training": training}
        called = student.batchnorm_forward.returning_args(**{k: np.copy(v) if isinstance(v, np.ndarray) else v
                                                            for k, v in kwargs.items()})
        changed = changed_arguments(called, **kwargs)
        assert changed == [], f"batchnorm_forward changed {' and '.join(changed)} in place"
