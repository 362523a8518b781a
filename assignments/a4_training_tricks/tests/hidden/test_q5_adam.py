"""Hidden tests for question 5: several steps against a reference computed here."""

import numpy as np

from autograder.testing import changed_arguments


def reference_step(params, grads, state, lr, beta1, beta2, eps):
    t = state["t"] + 1
    m = {k: beta1 * state["m"][k] + (1 - beta1) * grads[k] for k in params}
    v = {k: beta2 * state["v"][k] + (1 - beta2) * grads[k] ** 2 for k in params}
    new = {k: params[k] - lr * (m[k] / (1 - beta1**t)) / (np.sqrt(v[k] / (1 - beta2**t)) + eps) for k in params}
    return new, {"t": t, "m": m, "v": v}


def start(seed):
    rng = np.random.default_rng(seed)
    params = {"W": rng.normal(size=(4, 3)), "b": rng.normal(size=4)}
    state = {"t": 0, "m": {k: np.zeros_like(v) for k, v in params.items()},
             "v": {k: np.zeros_like(v) for k, v in params.items()}}
    return rng, params, state


def as_floats(tree):
    return {k: np.asarray(v, dtype=float) for k, v in tree.items()}


def test_ten_steps_other_betas(student):
    """Ten steps with lr 0.05, betas (0.8, 0.99) and eps 1e-6 on a weight matrix and a bias."""
    rng, params, state = start(51)
    ref_params, ref_state = params, state
    for _ in range(10):
        grads = {k: rng.normal(size=v.shape) * 3.0 for k, v in params.items()}
        params, state = student.adam_step(params, grads, state, lr=0.05, beta1=0.8, beta2=0.99, eps=1e-6)
        params = as_floats(params)
        state = {"t": state["t"], "m": as_floats(state["m"]), "v": as_floats(state["v"])}
        ref_params, ref_state = reference_step(ref_params, grads, ref_state, 0.05, 0.8, 0.99, 1e-6)
    assert isinstance(state["t"], int) and state["t"] == 10, "t should be the integer 10 after ten steps"
    for k in ref_params:
        np.testing.assert_allclose(state["m"][k], ref_state["m"][k], rtol=1e-9, err_msg=f"m of {k} is wrong")
        np.testing.assert_allclose(state["v"][k], ref_state["v"][k], rtol=1e-9, err_msg=f"v of {k} is wrong")
        np.testing.assert_allclose(params[k], ref_params[k], rtol=1e-9, err_msg=f"{k} is wrong after ten steps")


def test_step_size_is_scale_free(student):
    """The first step has size about lr whatever the gradient's scale (1e-4 or 1e4)."""
    _, params, state = start(52)
    grads = {"W": np.full((4, 3), 1e-4), "b": np.full(4, -1e4)}
    new, _ = student.adam_step(params, grads, state, lr=0.01)
    np.testing.assert_allclose(params["W"] - np.asarray(new["W"]), 0.01, rtol=1e-3,
                               err_msg="a tiny gradient should still give a step of about lr")
    np.testing.assert_allclose(np.asarray(new["b"]) - params["b"], 0.01, rtol=1e-3,
                               err_msg="a huge gradient should give a step of about lr")


def test_inputs_are_left_unchanged(student):
    """adam_step leaves params, grads and the state (its t, m and v) unchanged."""
    rng, params, state = start(53)
    grads = {k: rng.normal(size=v.shape) for k, v in params.items()}
    state = {"t": 3, "m": {k: rng.normal(size=v.shape) for k, v in params.items()},
             "v": {k: rng.uniform(size=v.shape) for k, v in params.items()}}

    def copied(tree):
        return {k: copied(v) if isinstance(v, dict) else (v.copy() if isinstance(v, np.ndarray) else v)
                for k, v in tree.items()}

    called = student.adam_step.returning_args(params=copied(params), grads=copied(grads), state=copied(state))
    changed = changed_arguments(called, params=params, grads=grads, state=state)
    assert changed == [], f"adam_step changed {' and '.join(changed)} in place"
