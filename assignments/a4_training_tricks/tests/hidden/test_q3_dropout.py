"""Hidden tests for question 3: other shapes, probabilities and seeds."""

import numpy as np

from autograder.testing import StudentError, changed_arguments


def forward(student, x, p, training, seed):
    result = student.dropout_forward(x, p, training, seed)
    assert isinstance(result, tuple) and len(result) == 2, "dropout_forward should return (out, mask)"
    out, mask = np.asarray(result[0], dtype=float), np.asarray(result[1], dtype=float)
    assert out.shape == mask.shape == x.shape, "out and mask should have the shape of x"
    return out, mask


def test_training_three_dimensional(student):
    """p = 0.3 on a (40, 25, 10) array: 30% dropped, kept units scaled by 1 / 0.7, out = x * mask."""
    x = np.random.default_rng(31).normal(size=(40, 25, 10))
    out, mask = forward(student, x, 0.3, True, 5)
    dropped = np.mean(mask == 0.0)
    assert 0.28 < dropped < 0.32, "the fraction of dropped units is not close to p"
    assert np.allclose(mask[mask != 0.0], 1 / 0.7), "kept units should be scaled by 1 / (1 - p)"
    np.testing.assert_allclose(out, x * mask, err_msg="out should be x * mask")


def test_expected_value_is_kept(student):
    """The mean of dropout(ones) over many units stays about 1 (p = 0.6)."""
    out, _ = forward(student, np.ones((300, 100)), 0.6, True, 6)
    assert abs(out.mean() - 1.0) < 0.03, "the mean of the output should stay about the mean of the input"


def test_units_are_dropped_independently(student):
    """Every row of a (100, 50) batch gets its own mask."""
    _, mask = forward(student, np.ones((100, 50)), 0.5, True, 7)
    assert not np.all(mask == mask[:1]), "every row got the same mask: draw one value per unit"
    assert not np.all(mask == mask[:, :1]), "every column got the same mask: draw one value per unit"
    assert 0.45 < np.mean(mask == 0.0) < 0.55, "units should be dropped with probability p"


def test_evaluation_other_shape(student):
    """Evaluation on a (3, 4, 5) array returns x and a mask of ones."""
    x = np.random.default_rng(32).normal(size=(3, 4, 5))
    out, mask = forward(student, x, 0.4, False, 0)
    np.testing.assert_allclose(out, x, err_msg="evaluation should return x unchanged")
    np.testing.assert_allclose(mask, 1.0, err_msg="evaluation's mask should be all ones")


def test_p_zero_keeps_everything(student):
    """p = 0 in training keeps every unit unscaled."""
    x = np.random.default_rng(33).normal(size=(4, 6))
    out, mask = forward(student, x, 0.0, True, 1)
    np.testing.assert_allclose(out, x, err_msg="with p = 0 nothing is dropped")


def test_seed_reproducible_other_shape(student):
    """The same seed gives the same mask on a (7, 9) array."""
    _, first = forward(student, np.ones((7, 9)), 0.5, True, 99)
    _, again = forward(student, np.ones((7, 9)), 0.5, True, 99)
    np.testing.assert_array_equal(first, again, err_msg="the same seed should give the same mask")


def test_negative_p_is_refused(student):
    """p = -0.1 raises a ValueError."""
    try:
        student.dropout_forward(np.ones(4), -0.1, True, 0)
    except StudentError as error:
        assert error.type_name == "ValueError", f"expected a ValueError, got {error.type_name}"
    else:
        raise AssertionError("a negative p should raise a ValueError")


def test_backward_random(student):
    """dropout_backward on a (6, 5) gradient and mask is dout * mask."""
    rng = np.random.default_rng(34)
    dout = rng.normal(size=(6, 5))
    mask = (rng.random((6, 5)) > 0.4) / 0.6
    called = student.dropout_backward.returning_args(dout=dout.copy(), mask=mask.copy())
    np.testing.assert_allclose(called.result, dout * mask, err_msg="dx should be dout * mask")
    assert changed_arguments(called, dout=dout, mask=mask) == [], "dropout_backward changed its arguments in place"


def test_inputs_are_left_unchanged(student):
    """dropout_forward leaves x unchanged in training and in evaluation."""
    x = np.random.default_rng(35).normal(size=(5, 4))
    for training in (True, False):
        called = student.dropout_forward.returning_args(x=x.copy(), p=0.5, training=training, seed=2)
        assert changed_arguments(called, x=x, p=0.5, training=training, seed=2) == [], \
            "dropout_forward changed x in place"
