"""Public tests for question 5: one step of Adam."""

import numpy as np

from autograder.testing import changed_arguments

START = {"t": 0, "m": {"w": np.zeros(3)}, "v": {"w": np.zeros(3)}}
G1 = {"w": np.array([0.5, -2.0, 1e-3])}
# After one step from w = (1, 1, 1) with lr = 0.01 (the defaults otherwise): pasted from a reference computation.
W1 = np.array([0.9900000002, 1.00999999995, 0.990000099999])
STATE1 = {"t": 1, "m": {"w": np.array([0.05, -0.2, 1e-4])}, "v": {"w": np.array([2.5e-4, 4e-3, 1e-9])}}


def call(student, params, grads, state, **kwargs):
    """The student's (new_params, new_state), checked for their form."""
    result = student.adam_step(params, grads, state, **kwargs)
    assert isinstance(result, tuple) and len(result) == 2, "adam_step should return (new_params, new_state)"
    new_params, new_state = result
    assert isinstance(new_params, dict) and set(new_params) == set(params), (
        f"new_params should be a dict with the keys {sorted(params)}")
    assert isinstance(new_state, dict) and {"t", "m", "v"} <= set(new_state), (
        'new_state should be a dict {"t": ..., "m": {...}, "v": {...}}')
    return new_params, new_state


def test_first_step_is_about_lr_times_sign(student):
    """With bias correction the first step is -lr * g / (|g| + eps), about -lr * sign(g)."""
    params, state = call(student, {"w": np.ones(3)}, G1, START, lr=0.01)
    w = np.asarray(params["w"], dtype=float)
    if np.allclose(w, [0.968377243398, 1.031622771602, 0.968387220237]):
        raise AssertionError("the first step is sqrt(1 - beta2) / (1 - beta1) = 3.16 times too large: without bias "
                             "correction m and v are still near their zero start; use m / (1 - beta1**t) and "
                             "v / (1 - beta2**t), with t counted from 1")
    if not np.all(np.isfinite(w)):
        raise AssertionError("the parameters are not finite: with t = 0 in the correction, 1 - beta**0 = 0; "
                             "increase t first, so the first step uses t = 1")
    np.testing.assert_allclose(w, W1, rtol=1e-9, err_msg=(
        "after one step from zero averages m_hat = g and v_hat = g**2, so w = 1 - 0.01 * g / (|g| + eps)"))
    assert state["t"] == 1, f"the new state's t should be 1 after the first step, got {state['t']}"


def test_state_holds_the_raw_averages(student):
    """The new state holds t = 1, m = 0.1 g and v = 0.001 g**2 (not the bias-corrected ones)."""
    _, state = call(student, {"w": np.ones(3)}, G1, START, lr=0.01)
    m, v = np.asarray(state["m"]["w"], dtype=float), np.asarray(state["v"]["w"], dtype=float)
    if np.allclose(m, G1["w"]):
        raise AssertionError("the state holds the bias-corrected m_hat: store the raw average m and correct it only "
                             "to compute the step (the correction changes with t)")
    np.testing.assert_allclose(m, STATE1["m"]["w"], rtol=1e-9, err_msg="m = 0.9 * 0 + 0.1 * g")
    if np.allclose(v, 0.001 * np.abs(G1["w"])):
        raise AssertionError("v averages the squared gradient, g**2, not |g|")
    np.testing.assert_allclose(v, STATE1["v"]["w"], rtol=1e-9, err_msg="v = 0.999 * 0 + 0.001 * g**2")


def test_second_step(student):
    """A second step from the state of the first, with g = (0.5, 1, 0)."""
    params, state = call(student, {"w": W1}, {"w": np.array([0.5, 1.0, 0.0])}, STATE1, lr=0.01)
    w = np.asarray(params["w"], dtype=float)
    if np.allclose(w, [0.947504102329, 1.021318235048, 0.961534366286]):
        raise AssertionError("the second step has no bias correction: divide by 1 - beta**t with t = 2")
    np.testing.assert_allclose(w, [0.9800000004, 1.01266337033, 0.983299612241], rtol=1e-9,
                               err_msg="the parameters after the second step are wrong")
    assert state["t"] == 2, f"t should be 2 after the second step, got {state['t']}"


def test_eps_is_added_after_the_square_root(student):
    """With g = eps = 1e-8 and lr = 1 the first step is g / (|g| + eps) = 0.5."""
    params, _ = call(student, {"w": np.ones(1)}, {"w": np.array([1e-8])},
                     {"t": 0, "m": {"w": np.zeros(1)}, "v": {"w": np.zeros(1)}}, lr=1.0, eps=1e-8)
    w = np.asarray(params["w"], dtype=float)
    if np.allclose(w, [0.9999], atol=1e-5):
        raise AssertionError("eps was added inside the square root: use m_hat / (sqrt(v_hat) + eps)")
    np.testing.assert_allclose(w, [0.5], rtol=1e-6, err_msg="w = 1 - 1e-8 / (1e-8 + 1e-8)")


def test_inputs_are_left_unchanged(student):
    """adam_step returns new dicts and leaves params, grads and state unchanged."""
    called = student.adam_step.returning_args(params={"w": W1.copy()}, grads={"w": np.array([0.5, 1.0, 0.0])},
                                              state={"t": 1, "m": {"w": STATE1["m"]["w"].copy()},
                                                     "v": {"w": STATE1["v"]["w"].copy()}}, lr=0.01)
    np.testing.assert_allclose(called.result[0]["w"], [0.9800000004, 1.01266337033, 0.983299612241], rtol=1e-9,
                               err_msg="the new parameters are wrong")
    changed = changed_arguments(called, params={"w": W1}, grads={"w": np.array([0.5, 1.0, 0.0])}, state=STATE1,
                                lr=0.01)
    assert changed == [], (
        f"adam_step changed {' and '.join(changed)} in place (state['t'] += 1, m *= beta1 or params[k] -= ... change "
        "the caller's objects): build a new state and new parameter dicts")
