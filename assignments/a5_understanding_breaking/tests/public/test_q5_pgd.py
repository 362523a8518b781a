"""Public tests for question 5: PGD."""

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

# pgd(model, x[:8], y[:8], eps=0.05, alpha=0.02, steps=5) at images 1 and 6, rows and columns 12-14: with
# random_start=True and seed=0, and without a random start.
EXPECTED_RANDOM_START = np.array([[[0.991176, 0.859804, 1.0], [0.951961, 0.967647, 0.851961], [0.951569, 0.93549, 0.867647]], [[0.021386, 0.244118, 0.293137], [0.072745, 0.264447, 0.304902], [0.0, 0.340196, 0.197059]]])
EXPECTED = np.array([[[0.991176, 0.859804, 1.0], [0.951961, 0.927647, 0.951961], [0.871569, 0.97549, 0.867647]], [[0.07098, 0.244118, 0.293137], [0.112745, 0.244118, 0.304902], [0.063137, 0.340196, 0.197059]]])


def call(student, model, x, y, eps, alpha, steps, random_start=False, seed=0):
    """The student's adversarial images as an array, checked for shape."""
    out = np.asarray(student.pgd(model, x, y, eps, alpha, steps, random_start, seed), dtype=np.float64)
    assert out.shape == tuple(x.shape), f"pgd should return images of x's shape {tuple(x.shape)}, got {out.shape}"
    return out


def test_stays_in_the_ball_around_x_and_in_the_image_range(student):
    """5 steps of 0.02 with eps = 0.05: no pixel moves more than eps from x, every pixel lies in [0, 1]."""
    model, x, y = probe(student)
    out = call(student, model, x, y, 0.05, 0.02, 5)
    assert np.all(np.abs(out - x.numpy()) <= 0.05 + 1e-6), (
        "some pixels moved by more than eps from the original image: after every step, project onto the eps-ball "
        "around the ORIGINAL x (clamp to [x - eps, x + eps]), not around the current iterate")
    assert np.all(out >= 0) and np.all(out <= 1), "some pixels lie outside [0, 1]: clip after every step"


def test_values_of_the_provided_network(student):
    """Without a random start the result matches the reference values."""
    model, x, y = probe(student)
    out = call(student, model, x, y, 0.05, 0.02, 5)[[1, 6], 0, 12:15, 12:15]
    np.testing.assert_allclose(out, EXPECTED, atol=1e-5, err_msg=(
        "pgd differs from the reference: x_adv = clip(project(x_adv + alpha * sign(grad)), 0, 1), 5 times"))


def test_random_start_follows_the_seed(student):
    """random_start=True with seed 0 matches the reference; the same seed gives the same images, another seed others."""
    model, x, y = probe(student)
    first = call(student, model, x, y, 0.05, 0.02, 5, True, 0)
    again = call(student, model, x, y, 0.05, 0.02, 5, True, 0)
    other = call(student, model, x, y, 0.05, 0.02, 5, True, 1)
    assert np.array_equal(first, again), ("two calls with seed 0 gave different images: draw the noise with "
                                          "torch.Generator().manual_seed(seed)")
    assert not np.array_equal(first, other), "seeds 0 and 1 gave the same images: use the seed for the noise"
    np.testing.assert_allclose(first[[1, 6], 0, 12:15, 12:15], EXPECTED_RANDOM_START, atol=1e-5, err_msg=(
        "the random start differs from the reference: noise = torch.rand(x.shape, generator=torch.Generator()"
        ".manual_seed(seed)) * 2 - 1, then x_adv = clip(x + eps * noise, 0, 1)"))


def test_x_is_left_unchanged(student):
    """pgd leaves x unchanged."""
    model, x, y = probe(student, 4)
    called = student.pgd.returning_args(model, x=x.clone(), y=y, eps=0.05, alpha=0.02, steps=2)
    assert np.asarray(called.result).shape == (4, 1, 28, 28), "pgd should return images of x's shape"
    assert torch.equal(torch.as_tensor(called.kwargs["x"]), x), "pgd changed x in place: work on copies"
