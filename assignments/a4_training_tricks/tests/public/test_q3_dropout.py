"""Public tests for question 3: inverted dropout."""

import numpy as np

from autograder.testing import StudentError, changed_arguments


def call(student, x, p, training, seed=None):
    """The student's (out, mask), checked for shapes."""
    result = student.dropout_forward(x, p, training, seed)
    assert isinstance(result, tuple) and len(result) == 2, "dropout_forward should return a tuple (out, mask)"
    out, mask = (np.asarray(r, dtype=float) for r in result)
    assert out.shape == mask.shape == x.shape, (
        f"out and mask should have the shape of x {x.shape}, got {out.shape} and {mask.shape}")
    return out, mask


def test_evaluation_is_the_identity(student):
    """In evaluation dropout returns x unchanged and a mask of ones (no scaling at test time)."""
    x = np.array([[1.0, -2.0], [3.0, 4.0]])
    out, mask = call(student, x, 0.5, False)
    if np.allclose(out, x * 0.5) or np.allclose(out, x * 2.0):
        raise AssertionError("you scaled x at evaluation time: with inverted dropout the scaling by 1 / (1 - p) "
                             "happens in training, so evaluation returns x as it is")
    np.testing.assert_allclose(out, x, err_msg="with training=False, out must equal x")
    np.testing.assert_allclose(mask, 1.0, err_msg="with training=False, the mask is all ones")


def test_kept_units_are_scaled(student):
    """With p = 0.5 a unit of 1 becomes 0 or 1 / (1 - 0.5) = 2."""
    out, mask = call(student, np.ones((200, 100)), 0.5, True, seed=0)
    if np.all((out == 0.0) | (out == 1.0)):
        raise AssertionError("kept units are not scaled: multiply them by 1 / (1 - p), so that the expected value "
                             "of every unit stays the same (inverted dropout)")
    assert np.all((out == 0.0) | (out == 2.0)), "with p = 0.5 every output of x = 1 should be 0 or 2"
    assert np.all((mask == 0.0) | (mask == 2.0)), "the mask should hold 0 (dropped) or 1 / (1 - p) = 2 (kept)"


def test_p_is_the_drop_probability(student):
    """With p = 0.2 about 20% of the units are dropped (between 18% and 22% of 20,000)."""
    out, _ = call(student, np.ones((200, 100)), 0.2, True, seed=1)
    dropped = np.count_nonzero(out == 0.0) / out.size
    assert not 0.75 < dropped < 0.85, (
        f"{dropped:.0%} of the units were dropped with p = 0.2: p is the probability of dropping a unit, "
        "not of keeping it")
    assert 0.18 < dropped < 0.22, f"{dropped:.1%} of the units were dropped with p = 0.2, expected about 20%"


def test_out_is_x_times_mask(student):
    """out equals x times the returned mask."""
    x = np.array([[1.0, -2.0, 3.0, 0.5], [4.0, 5.0, -6.0, 7.0], [8.0, 9.0, 10.0, -11.0]])
    out, mask = call(student, x, 0.25, True, seed=3)
    np.testing.assert_allclose(out, x * mask, err_msg="out should be x * mask")
    assert np.all((mask == 0.0) | np.isclose(mask, 4 / 3)), "with p = 0.25 the mask holds 0 or 1 / 0.75"


def test_seed_gives_the_same_mask(student):
    """The same seed gives the same mask; another seed another mask."""
    x = np.ones((10, 10))
    _, first = call(student, x, 0.5, True, seed=7)
    _, again = call(student, x, 0.5, True, seed=7)
    _, other = call(student, x, 0.5, True, seed=8)
    np.testing.assert_array_equal(first, again, err_msg=(
        "two calls with seed=7 gave different masks: draw from np.random.default_rng(seed)"))
    assert not np.array_equal(first, other), "seeds 7 and 8 gave the same mask: use the seed for the draws"


def test_backward_multiplies_by_the_mask(student):
    """dropout_backward(dout, mask) is dout * mask."""
    dout = np.array([[1.0, 2.0], [3.0, 4.0]])
    mask = np.array([[0.0, 2.0], [2.0, 0.0]])
    dx = np.asarray(student.dropout_backward(dout, mask))
    if np.allclose(dx, [[0.0, 2.0], [3.0, 0.0]]):
        raise AssertionError("dx passes dout where a unit was kept but forgets the scaling: the forward pass "
                             "multiplied by mask, so dx = dout * mask")
    np.testing.assert_allclose(dx, [[0.0, 4.0], [6.0, 0.0]], err_msg="dx = dout * mask")


def test_p_of_one_is_refused(student):
    """p = 1 (drop everything, divide by zero) raises a ValueError."""
    try:
        student.dropout_forward(np.ones(3), 1.0, True, 0)
    except StudentError as error:
        assert error.type_name == "ValueError", f"expected a ValueError, got {error}"
    else:
        raise AssertionError("p must be in [0, 1): raise a ValueError for p = 1")


def test_inputs_are_left_unchanged(student):
    """dropout_forward and dropout_backward leave their arguments unchanged."""
    x = np.array([[1.0, -2.0, 3.0], [4.0, 5.0, -6.0]])
    called = student.dropout_forward.returning_args(x=x.copy(), p=0.5, training=True, seed=0)
    out, mask = np.asarray(called.result[0]), np.asarray(called.result[1])
    np.testing.assert_allclose(out, x * mask, err_msg="out should be x * mask")
    changed = changed_arguments(called, x=x, p=0.5, training=True, seed=0)
    assert changed == [], f"dropout_forward changed {' and '.join(changed)} in place (x *= mask): return x * mask"
    dout, mask = np.array([1.0, 2.0]), np.array([0.0, 2.0])
    called = student.dropout_backward.returning_args(dout=dout.copy(), mask=mask.copy())
    np.testing.assert_allclose(called.result, [0.0, 4.0], err_msg="dx = dout * mask")
    changed = changed_arguments(called, dout=dout, mask=mask)
    assert changed == [], (f"dropout_backward changed {' and '.join(changed)} in place: compute dout * mask as a "
                           "new array")
