"""Public tests for question 4: FGSM."""

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

# fgsm(model, x[:8], y[:8], eps=0.1) of the provided network at images 0 and 5, rows and columns 12-14.
EXPECTED = np.array([[[0.1, 0.0, 0.35098], [0.1, 0.24902, 0.645098], [0.284314, 0.633333, 0.331373]], [[0.77451, 0.1, 0.1], [0.492157, 0.1, 0.1], [0.37451, 0.1, 0.0]]])


def call(student, model, x, y, eps):
    """The student's adversarial images as an array, checked for shape."""
    out = np.asarray(student.fgsm(model, x, y, eps), dtype=np.float64)
    assert out.shape == tuple(x.shape), f"fgsm should return images of x's shape {tuple(x.shape)}, got {out.shape}"
    return out


def test_every_pixel_moves_by_eps_inside_the_image_range(student):
    """With eps = 0.1 every changed pixel inside (0, 1) moved by exactly eps, and every pixel lies in [0, 1]."""
    model, x, y = probe(student)
    out = call(student, model, x, y, 0.1)
    assert np.all(out >= 0) and np.all(out <= 1), ("some pixels lie outside [0, 1]: clip x + eps * sign(gradient) "
                                                   "to the image range")
    moved = np.abs(out - x.numpy())
    inside = (out > 0) & (out < 1) & (moved > 1e-7)
    assert np.all(np.isclose(moved[inside], 0.1, atol=1e-5)), (
        "pixels moved by amounts other than eps: step by eps * sign(gradient), not eps * gradient")


def test_the_loss_goes_up(student):
    """FGSM with eps = 0.1 lowers the accuracy on 8 test images from 8 of 8."""
    model, x, y = probe(student)
    clean = accuracy_of(model, x, y)
    attacked = accuracy_of(model, torch.as_tensor(call(student, model, x, y, 0.1), dtype=torch.float32), y)
    assert attacked < clean, (f"the accuracy went from {clean} to {attacked}: the step lowered the loss; FGSM adds "
                              "eps * sign of the gradient of the loss (away from the true class)")


def test_values_of_the_provided_network(student):
    """The adversarial pixels of images 0 and 5 match the reference values."""
    model, x, y = probe(student)
    out = call(student, model, x, y, 0.1)[[0, 5], 0, 12:15, 12:15]
    np.testing.assert_allclose(out, EXPECTED, atol=1e-5, err_msg=(
        "fgsm differs from the reference: clip(x + eps * sign(d cross_entropy / d x), 0, 1) in evaluation mode"))


def test_the_model_runs_in_evaluation_mode(student):
    """A model handed over in training mode gives the same attack as one in evaluation mode."""
    model, x, y = probe(student)
    expected = call(student, model, x, y, 0.1)
    training = student.load_weights(student.FashionCNN())
    training.train()
    out = call(student, training, x, y, 0.1)
    assert np.allclose(out, expected, atol=1e-6), (
        "fgsm gave another result for a model in training mode: call model.eval() first (dropout and batch norm "
        "behave differently in training, and dropout makes the gradient random)")


def test_x_is_left_unchanged(student):
    """fgsm leaves x unchanged."""
    model, x, y = probe(student, 4)
    called = student.fgsm.returning_args(model, x=x.clone(), y=y, eps=0.1)
    assert np.asarray(called.result).shape == (4, 1, 28, 28), "fgsm should return images of x's shape"
    assert torch.equal(torch.as_tensor(called.kwargs["x"]), x), (
        "fgsm changed x in place: take the gradient with respect to a copy, x.detach().clone().requires_grad_(True), "
        "and return a new tensor")
