"""Public tests for question 6: learning rate with linear warm-up and cosine decay."""

import numpy as np

from autograder.testing import StudentError


def call(student, *args, **kwargs):
    """The student's learning rate, checked to be a float."""
    lr = student.warmup_cosine_lr(*args, **kwargs)
    assert isinstance(lr, float), f"warmup_cosine_lr should return a float, got {type(lr).__name__}"
    return lr


def test_warm_up_starts_above_zero(student):
    """With 2 warm-up steps and peak 0.1, steps 0 and 1 have lr 0.05 and 0.1."""
    first = call(student, 0, 10, 2, 0.1)
    if np.isclose(first, 0.0):
        raise AssertionError("step 0 has lr 0, a wasted step: the warm-up is peak_lr * (t + 1) / warmup_steps")
    assert np.isclose(first, 0.05), f"step 0 of 2 warm-up steps should have lr 0.1 * 1 / 2 = 0.05, got {first}"
    second = call(student, 1, 10, 2, 0.1)
    assert np.isclose(second, 0.1), f"the last warm-up step (t = 1) should reach the peak 0.1, got {second}"


def test_cosine_starts_at_the_end_of_warm_up(student):
    """Step 2 (the first after a 2-step warm-up) has the peak lr 0.1."""
    lr = call(student, 2, 10, 2, 0.1)
    if np.isclose(lr, 0.0904508497):
        raise AssertionError("the cosine was measured from step 0: it starts at the end of the warm-up, "
                             "cos(pi * (t - W) / (T - W))")
    assert np.isclose(lr, 0.1), f"at t = W = 2 the cosine starts at the peak 0.1, got {lr}"


def test_cosine_is_half_way_down_in_the_middle(student):
    """Half way through the decay (t = 6 of 10, warm-up 2) the lr is half the peak."""
    lr = call(student, 6, 10, 2, 0.1)
    if np.isclose(lr, 0.0):
        raise AssertionError("at the middle of the decay the lr is 0: use half a cosine, "
                             "(1 + cos(pi * (t - W) / (T - W))) / 2, not a full period")
    assert np.isclose(lr, 0.05), f"at t = 6 (half way from 2 to 10) the lr should be 0.05, got {lr}"
    last = call(student, 9, 10, 2, 0.1)
    assert np.isclose(last, 0.0038060234), (
        f"the last step t = 9 should have lr 0.1 * (1 + cos(7 pi / 8)) / 2 = 0.0038, got {last}")


def test_final_lr(student):
    """With final_lr 0.01 the middle of the decay has lr 0.055."""
    lr = call(student, 6, 10, 2, 0.1, final_lr=0.01)
    assert np.isclose(lr, 0.055), f"at t = 6 the lr should be 0.01 + (0.1 - 0.01) / 2 = 0.055, got {lr}"


def test_no_warm_up(student):
    """warmup_steps = 0: step 0 already has the peak lr."""
    lr = call(student, 0, 10, 0, 0.1)
    assert np.isclose(lr, 0.1), f"without warm-up step 0 should have the peak lr 0.1, got {lr}"


def test_step_outside_the_schedule_is_refused(student):
    """A step at or beyond total_steps raises a ValueError."""
    try:
        student.warmup_cosine_lr(10, 10, 2, 0.1)
    except StudentError as error:
        assert error.type_name == "ValueError", f"expected a ValueError, got {error}"
    else:
        raise AssertionError("steps are numbered 0 .. total_steps - 1: raise a ValueError for step = total_steps")
