"""Hidden tests for question 4: several steps against a reference computed here."""

import numpy as np

from autograder.testing import changed_arguments


def run(student, steps, lr, momentum, seed):
    """(student's, reference) parameters after `steps` steps on random gradients, threading the velocity."""
    rng = np.random.default_rng(seed)
    params = {"W": rng.normal(size=(3, 4)), "b": rng.normal(size=3)}
    velocity = {k: np.zeros_like(v) for k, v in params.items()}
    ref_params = {k: v.copy() for k, v in params.items()}
    ref_velocity = {k: v.copy() for k, v in velocity.items()}
    for _ in range(steps):
        grads = {k: rng.normal(size=v.shape) for k, v in params.items()}
        params, velocity = student.sgd_momentum_step(params, grads, velocity, lr, momentum)
        params = {k: np.asarray(v, dtype=float) for k, v in params.items()}
        velocity = {k: np.asarray(v, dtype=float) for k, v in velocity.items()}
        for k in ref_params:
            ref_velocity[k] = momentum * ref_velocity[k] + grads[k]
            ref_params[k] = ref_params[k] - lr * ref_velocity[k]
    return params, velocity, ref_params, ref_velocity


def test_five_steps(student):
    """Five steps with lr 0.05 and momentum 0.8 on a weight matrix and a bias."""
    params, velocity, ref_params, ref_velocity = run(student, 5, 0.05, 0.8, 41)
    assert set(params) == {"W", "b"}, "the new parameters should keep the keys W and b"
    for k in ref_params:
        np.testing.assert_allclose(velocity[k], ref_velocity[k], rtol=1e-10, err_msg=f"the velocity of {k} is wrong")
        np.testing.assert_allclose(params[k], ref_params[k], rtol=1e-10, err_msg=f"{k} is wrong after 5 steps")


def test_zero_momentum_is_plain_sgd(student):
    """With momentum 0 three steps are plain gradient descent."""
    params, _, ref_params, _ = run(student, 3, 0.1, 0.0, 42)
    for k in ref_params:
        np.testing.assert_allclose(params[k], ref_params[k], rtol=1e-10, err_msg=f"{k} is wrong with momentum 0")


def test_inputs_are_left_unchanged(student):
    """sgd_momentum_step leaves params, grads and velocity unchanged."""
    rng = np.random.default_rng(43)
    params = {"W": rng.normal(size=(2, 3)), "b": rng.normal(size=2)}
    grads = {k: rng.normal(size=v.shape) for k, v in params.items()}
    velocity = {k: rng.normal(size=v.shape) for k, v in params.items()}
    called = student.sgd_momentum_step.returning_args(
        params={k: v.copy() for k, v in params.items()}, grads={k: v.copy() for k, v in grads.items()},
        velocity={k: v.copy() for k, v in velocity.items()}, lr=0.1, momentum=0.9)
    changed = changed_arguments(called, params=params, grads=grads, velocity=velocity, lr=0.1, momentum=0.9)
    assert changed == [], f"sgd_momentum_step changed {' and '.join(changed)} in place"
