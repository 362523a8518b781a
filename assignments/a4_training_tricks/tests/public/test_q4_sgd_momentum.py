"""Public tests for question 4: one step of SGD with momentum."""

import numpy as np

from autograder.testing import changed_arguments


def call(student, params, grads, velocity, lr, momentum=0.9):
    """The student's (new_params, new_velocity) as dicts of float arrays with the parameters' keys."""
    result = student.sgd_momentum_step(params, grads, velocity, lr, momentum)
    assert isinstance(result, tuple) and len(result) == 2, "sgd_momentum_step should return (new_params, new_velocity)"
    new_params, new_velocity = result
    assert isinstance(new_params, dict) and isinstance(new_velocity, dict), "return two dicts"
    assert set(new_params) == set(new_velocity) == set(params), (
        f"both dicts should have the keys of params {sorted(params)}, got {sorted(new_params)} and "
        f"{sorted(new_velocity)}")
    return ({k: np.asarray(v, dtype=float) for k, v in new_params.items()},
            {k: np.asarray(v, dtype=float) for k, v in new_velocity.items()})


def test_first_step_is_gradient_descent(student):
    """From zero velocity the first step is w - lr * g: (1, 2) with g = (0.5, -1), lr 0.1 gives (0.95, 2.1)."""
    params, velocity = call(student, {"w": np.array([1.0, 2.0])}, {"w": np.array([0.5, -1.0])},
                            {"w": np.zeros(2)}, lr=0.1)
    if np.allclose(params["w"], [1.05, 1.9]):
        raise AssertionError("the step went up the gradient: w = w - lr * v (minus)")
    np.testing.assert_allclose(velocity["w"], [0.5, -1.0], err_msg="v = 0.9 * 0 + g")
    np.testing.assert_allclose(params["w"], [0.95, 2.1], err_msg="w = w - lr * v")


def test_velocity_first_then_step(student):
    """With velocity (0.5, -1): v = 0.9 v + g = (0.95, -1.9), then w = (1, 2) - 0.1 v = (0.905, 2.19)."""
    params, velocity = call(student, {"w": np.array([1.0, 2.0])}, {"w": np.array([0.5, -1.0])},
                            {"w": np.array([0.5, -1.0])}, lr=0.1)
    if np.allclose(velocity["w"], [0.4, -0.8]):
        raise AssertionError("you used v = momentum * v - lr * g, w = w + v: this assignment uses PyTorch's "
                             "convention, v = momentum * v + g and w = w - lr * v")
    if np.allclose(velocity["w"], [0.5, -1.0]):
        raise AssertionError("the new velocity is still (0.5, -1): v = momentum * v + g, without a (1 - momentum) "
                             "factor in front of g (that would be an average, not PyTorch's momentum)")
    np.testing.assert_allclose(velocity["w"], [0.95, -1.9], err_msg="v = 0.9 * (0.5, -1) + (0.5, -1)")
    if np.allclose(params["w"], [0.95, 2.1]):
        raise AssertionError("the step used the old velocity: update v first, then step with the new one, "
                             "w = w - lr * (momentum * v + g)")
    np.testing.assert_allclose(params["w"], [0.905, 2.19], err_msg="w = (1, 2) - 0.1 * (0.95, -1.9)")


def test_every_parameter_is_updated(student):
    """A weight matrix and a bias are each updated with their own gradient and velocity."""
    params, velocity = call(student, {"W": np.array([[1.0, 2.0], [3.0, 4.0]]), "b": np.array([0.5])},
                            {"W": np.array([[1.0, 0.0], [0.0, -1.0]]), "b": np.array([2.0])},
                            {"W": np.zeros((2, 2)), "b": np.array([1.0])}, lr=0.5)
    np.testing.assert_allclose(params["W"], [[0.5, 2.0], [3.0, 4.5]], err_msg="W = W - 0.5 * g_W")
    np.testing.assert_allclose(velocity["b"], [2.9], err_msg="v_b = 0.9 * 1 + 2")
    np.testing.assert_allclose(params["b"], [-0.95], err_msg="b = 0.5 - 0.5 * 2.9")


def test_inputs_are_left_unchanged(student):
    """sgd_momentum_step returns new dicts and leaves params, grads and velocity unchanged."""
    params, grads, velocity = {"w": np.array([1.0, 2.0])}, {"w": np.array([0.5, -1.0])}, {"w": np.array([0.5, -1.0])}
    called = student.sgd_momentum_step.returning_args(
        params={"w": np.array([1.0, 2.0])}, grads={"w": np.array([0.5, -1.0])},
        velocity={"w": np.array([0.5, -1.0])}, lr=0.1)
    np.testing.assert_allclose(called.result[0]["w"], [0.905, 2.19], err_msg="the new parameters are wrong")
    changed = changed_arguments(called, params=params, grads=grads, velocity=velocity, lr=0.1)
    assert changed == [], (
        f"sgd_momentum_step changed {' and '.join(changed)} in place (params[k] -= ... or velocity[k] *= ... writes "
        "into the caller's arrays): build new dicts of new arrays")
