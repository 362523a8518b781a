"""Public tests for question 1: saliency maps."""

from pathlib import Path

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


WEIGHTS = Path(__file__).resolve().parents[2] / "fashion_cnn.npz"  # beside the notebook
# saliency(model, x[:8], y[:8]) of the provided network at images 0 and 5, rows and columns 12-14.
EXPECTED = np.array([[[0.04177, 0.143031, 0.389666], [0.224796, 0.049523, 0.168657], [0.596571, 0.302602, 0.067802]], [[0.029055, 0.057397, 0.107882], [0.509462, 0.406409, 0.250308], [0.000649, 0.175311, 0.691018]]])
# The same pixels from |d loss / d x| (F.cross_entropy) instead of |d score / d x|.
FROM_THE_LOSS = np.array([[[0.002039, 0.001243, 0.002126], [0.003412, 0.001469, 0.001129], [0.0025, 0.002125, 0.000325]], [[4e-06, 1e-06, 9e-06], [1.6e-05, 2e-06, 6e-06], [6e-06, 1.8e-05, 8e-06]]])


def call(student, model, x, target):
    """The student's maps as an array, checked for shape."""
    out = np.asarray(student.saliency(model, x, target), dtype=np.float64)
    expected = (x.shape[0], x.shape[2], x.shape[3])
    assert out.shape == expected, (
        f"saliency should return one map per image, shape (N, H, W) = {expected}, got {out.shape}: reduce the "
        "channel axis (1) with a maximum")
    return out


def test_maps_are_magnitudes(student):
    """Saliency maps have shape (N, H, W) and no negative values."""
    model, x, y = probe(student)
    out = call(student, model, x, y)
    assert np.all(out >= 0), "the map has negative values: saliency is the absolute value of the gradient"


def test_values_of_the_provided_network(student):
    """The maps of test images 0 and 5 for their true class match the reference values."""
    model, x, y = probe(student)
    out = call(student, model, x, y)[[0, 5], 12:15, 12:15]
    if np.allclose(out, FROM_THE_LOSS, rtol=1e-2, atol=2e-6):
        raise AssertionError("these are gradients of the loss: saliency takes the gradient of the class score "
                             "model(x)[n, target[n]], before the softmax, not of F.cross_entropy")
    np.testing.assert_allclose(out, EXPECTED, rtol=1e-3, atol=1e-5, err_msg=(
        "saliency differs from the reference: the gradient of the target class's score with respect to x, in "
        "absolute value, maximised over channels"))


def test_channels_are_reduced_by_a_maximum(student):
    """On a 3-channel copy of the network whose channels weigh 0.5, 0.3 and 0.2, the map is 0.5 times the original."""
    model, x, y = probe(student)
    original = call(student, model, x, y)
    with np.load(WEIGHTS, allow_pickle=False) as archive:
        weights = dict(archive)
    # Channel k of the first convolution gets share[k] of its weights: on an image repeated in 3 channels the network
    # computes exactly what it did before, and d score / d channel k is share[k] times the old gradient.
    weights["conv1.weight"] = weights["conv1.weight"] * np.array([0.5, 0.3, 0.2], dtype=np.float32)[None, :, None, None]
    three = student.load_weights(student.FashionCNN(in_channels=3), weights)
    out = call(student, three, x.repeat(1, 3, 1, 1), y)
    if np.allclose(out, original, rtol=1e-3, atol=1e-6):
        raise AssertionError("the channel gradients were summed (0.5 + 0.3 + 0.2 = 1 times the map): take the "
                             "maximum over channels of the absolute gradient")
    if np.allclose(out, original / 3, rtol=1e-3, atol=1e-6):
        raise AssertionError("the channel gradients were averaged: take the maximum over channels")
    np.testing.assert_allclose(out, 0.5 * original, rtol=1e-3, atol=1e-6, err_msg=(
        "with channel shares 0.5, 0.3, 0.2 the maximum over channels of |gradient| is 0.5 times the 1-channel map"))


def test_x_is_left_unchanged(student):
    """saliency leaves x unchanged."""
    model, x, y = probe(student, 4)
    called = student.saliency.returning_args(model, x=x.clone(), target=y)
    assert np.asarray(called.result).shape == (4, 28, 28), "saliency should return (N, H, W)"
    assert torch.equal(torch.as_tensor(called.kwargs["x"]), x), "saliency changed x in place: work on a copy"
