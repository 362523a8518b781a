"""The perceptron rule, step by step and to convergence."""

import numpy as np
import pytest

from cnncourse.numpy.perceptron import Perceptron

X_GATE = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)


def test_one_update_by_hand():
    p = Perceptron(2, lr=0.5)
    # w = 0, b = 0: the unit does not fire on (1, 1) but should, so w += 0.5 * (1, 1), b += 0.5.
    assert p.update(np.array([1.0, 1.0]), 1) is True
    np.testing.assert_allclose(p.w, [0.5, 0.5])
    assert p.b == 0.5
    assert p.update(np.array([1.0, 1.0]), 1) is False  # now correct: nothing changes
    np.testing.assert_allclose(p.w, [0.5, 0.5])


@pytest.mark.parametrize("labels", [[0, 0, 0, 1], [0, 1, 1, 1]], ids=["AND", "OR"])
def test_learns_separable_gates(labels):
    p = Perceptron(2)
    mistakes = p.fit(X_GATE, np.array(labels), epochs=50)
    assert mistakes[-1] == 0
    np.testing.assert_array_equal(p.predict(X_GATE), labels)


def test_never_learns_xor():
    p = Perceptron(2)
    mistakes = p.fit(X_GATE, np.array([0, 1, 1, 0]), epochs=100)
    assert len(mistakes) == 100 and min(mistakes) > 0


def test_bad_input():
    p = Perceptron(2)
    with pytest.raises(ValueError, match=r"X must be \(N, 2\)"):
        p.predict(np.zeros((3, 3)))
    with pytest.raises(ValueError, match="labels in"):
        p.fit(X_GATE, np.array([0, 2, 1, 0]))
