"""Hidden tests for question 6: other schedules against a reference computed here."""

import math

import numpy as np

from autograder.testing import StudentError


def reference(step, total, warmup, peak, final=0.0):
    if step < warmup:
        return peak * (step + 1) / warmup
    return final + (peak - final) * (1 + math.cos(math.pi * (step - warmup) / (total - warmup))) / 2


def test_whole_schedule(student):
    """Every step of a 40-step schedule with 7 warm-up steps, peak 0.3 and final 0.002."""
    got = np.array([student.warmup_cosine_lr(t, 40, 7, 0.3, final_lr=0.002) for t in range(40)])
    expected = np.array([reference(t, 40, 7, 0.3, 0.002) for t in range(40)])
    np.testing.assert_allclose(got, expected, rtol=1e-9, err_msg="the schedule is wrong")


def test_rises_then_falls(student):
    """A 30-step schedule with 5 warm-up steps rises strictly, then never rises again."""
    got = np.array([student.warmup_cosine_lr(t, 30, 5, 1.0) for t in range(30)])
    assert np.all(np.diff(got[:5]) > 0), "the lr should rise during the warm-up"
    assert np.all(np.diff(got[5:]) < 0), "the lr should fall after the warm-up"
    assert np.isclose(got[4], 1.0) and np.isclose(got[5], 1.0), "the peak is reached at t = W - 1 and t = W"


def test_no_warm_up_other_length(student):
    """Without warm-up: a 7-step cosine from 0.5."""
    got = np.array([student.warmup_cosine_lr(t, 7, 0, 0.5) for t in range(7)])
    np.testing.assert_allclose(got, [reference(t, 7, 0, 0.5) for t in range(7)], rtol=1e-9,
                               err_msg="the cosine without warm-up is wrong")


def test_type_is_float(student):
    """The learning rate is a float (also during the warm-up)."""
    assert isinstance(student.warmup_cosine_lr(1, 20, 4, 1), float), "return a float during the warm-up"
    assert isinstance(student.warmup_cosine_lr(10, 20, 4, 1), float), "return a float after the warm-up"


def test_bad_arguments_are_refused(student):
    """A negative step, a step past the end and a warm-up as long as the schedule raise ValueErrors."""
    for args in ((-1, 10, 2, 0.1), (11, 10, 2, 0.1), (3, 10, 10, 0.1)):
        try:
            student.warmup_cosine_lr(*args)
        except StudentError as error:
            assert error.type_name == "ValueError", f"expected a ValueError, got {error.type_name}"
        else:
            raise AssertionError("a step outside 0 .. total_steps - 1 or warmup_steps >= total_steps should raise "
                                 "a ValueError")
