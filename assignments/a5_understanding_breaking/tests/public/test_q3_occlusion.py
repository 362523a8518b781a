"""Public tests for question 3: occlusion."""

import numpy as np
import torch
from cnncourse.data import load_fashion_mnist

from autograder.testing import StudentError, accuracy_of, changed_arguments

DATA = {}


def probe(student, n=8):
    """A fresh copy of the provided network in your notebook's process, and the first n test images and labels."""
    if not DATA:
        split = load_fashion_mnist()
        DATA["x"], DATA["y"] = torch.from_numpy(split.x_test[:16]), torch.from_numpy(split.y_test[:16])
    return student.load_weights(student.FashionCNN()), DATA["x"][:n].clone(), DATA["y"][:n].clone()

# occlusion(model, x[:4], y[:4], patch=14, stride=7, fill=0.5) of the provided network: 3 x 3 positions per image.
EXPECTED = np.array([[[0.407455, 0.071507, -0.03742], [0.888141, 0.314046, -0.033083], [-0.002303, 0.120243, 0.148281]], [[0.101294, 0.003206, 0.016214], [0.02526, 0.009804, 0.003701], [0.086721, 0.002796, 0.020562]], [[0.000104, 0.000301, 0.000261], [0.000183, 0.054714, 0.000463], [0.000447, 0.868564, 0.002066]], [[0.000194, 0.000603, 0.000183], [0.000155, 0.070964, 0.005686], [0.002677, 0.952453, 0.008389]]])


def call(student, model, x, target, patch, stride, fill):
    """The student's occlusion maps as an array."""
    return np.asarray(student.occlusion(model, x, target, patch, stride, fill), dtype=np.float64)


def test_every_position_is_there(student):
    """A 7 x 7 patch with stride 3 on 28 x 28 images has (28 - 7) // 3 + 1 = 8 positions per axis."""
    model, x, y = probe(student)
    out = call(student, model, x, y, 7, 3, 0.0)
    if out.shape == (8, 7, 7):
        raise AssertionError("the map has 7 x 7 positions, not 8 x 8: the last position, at row and column "
                             "H - patch = 21, is missing (range(0, H - patch + 1, stride) includes it)")
    assert out.shape == (8, 8, 8), f"expected (N, H_out, W_out) = (8, 8, 8), got {out.shape}"


def test_values_of_the_provided_network(student):
    """The drops in probability for a 14 x 14 patch of 0.5 with stride 7 match the reference values."""
    model, x, y = probe(student, 4)
    out = call(student, model, x, y, 14, 7, 0.5)
    assert out.shape == (4, 3, 3), f"expected (4, 3, 3), got {out.shape}"
    assert np.all(np.abs(out) <= 1.0), ("some drops are larger than 1: subtract softmax probabilities (between 0 "
                                         "and 1), not raw class scores")
    if np.allclose(out, -EXPECTED, atol=1e-4):
        raise AssertionError("every value has the wrong sign: the drop is p(clean image) - p(occluded image)")
    np.testing.assert_allclose(out, EXPECTED, atol=1e-4, err_msg=(
        "occlusion differs from the reference: D[a, b] = p_target(x) - p_target(x with the patch at row a * stride "
        "and column b * stride)"))


def test_fill_is_used(student):
    """A patch of 0 and a patch of 0.5 give different maps."""
    model, x, y = probe(student, 4)
    zero = call(student, model, x, y, 14, 7, 0.0)
    half = call(student, model, x, y, 14, 7, 0.5)
    assert not np.allclose(zero, half), "fill = 0 and fill = 0.5 gave the same map: set the patch's pixels to fill"


def test_x_is_left_unchanged(student):
    """occlusion leaves x unchanged."""
    model, x, y = probe(student, 2)
    called = student.occlusion.returning_args(model, x=x.clone(), target=y, patch=14, stride=14, fill=0.5)
    assert np.asarray(called.result).shape == (2, 2, 2), "expected (2, 2, 2) for a 14 x 14 patch with stride 14"
    assert torch.equal(torch.as_tensor(called.kwargs["x"]), x), ("occlusion changed x in place: occlude a copy "
                                                                 "(x.clone()) for every position")
