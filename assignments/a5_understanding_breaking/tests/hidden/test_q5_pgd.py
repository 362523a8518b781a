"""Hidden tests for question 5: PGD with other budgets, step sizes, step counts and seeds."""

import importlib.util
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from cnncourse.data import load_fashion_mnist

from autograder.testing import StudentError

ROOT = Path(__file__).resolve().parents[2]  # the assignment's folder: make_network.py and fashion_cnn.npz
REFERENCE = {}


def reference():
    """The grader's own copy of the network class and weights, and held-out test images (from 5000 on)."""
    if not REFERENCE:
        spec = importlib.util.spec_from_file_location("a5_make_network", ROOT / "make_network.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        with np.load(ROOT / "fashion_cnn.npz", allow_pickle=False) as archive:
            REFERENCE["weights"] = {name: archive[name] for name in archive.files}
        split = load_fashion_mnist()
        REFERENCE.update(network=module.FashionCNN, x=torch.from_numpy(split.x_test[5000:5064]),
                         y=torch.from_numpy(split.y_test[5000:5064]))
    return REFERENCE


def networks(student, in_channels=1, weights=None):
    """The same network twice: the grader's (in evaluation mode) and a fresh one in the student's process."""
    ref = reference()
    weights = ref["weights"] if weights is None else weights
    mine = ref["network"](in_channels=in_channels)
    mine.load_state_dict({name: torch.as_tensor(value) for name, value in weights.items()})
    return mine.eval(), student.load_weights(student.FashionCNN(in_channels=in_channels), weights)


def images(start, n):
    """n held-out test images and their labels."""
    ref = reference()
    return ref["x"][start:start + n].clone(), ref["y"][start:start + n].clone()


def expected_pgd(model, x, y, eps, alpha, steps, random_start=False, seed=0):
    x_adv = x.clone()
    if random_start:
        noise = torch.rand(x.shape, generator=torch.Generator().manual_seed(seed)) * 2 - 1
        x_adv = (x + eps * noise).clamp(0.0, 1.0)
    for _ in range(steps):
        x_adv.requires_grad_(True)
        (grad,) = torch.autograd.grad(F.cross_entropy(model(x_adv), y), x_adv)
        x_adv = torch.min(torch.max(x_adv.detach() + alpha * grad.sign(), x - eps), x + eps).clamp(0.0, 1.0)
    return x_adv.numpy()


def check(student, eps, alpha, steps, random_start, seed, start, n, train=False):
    mine, theirs = networks(student)
    if train:
        theirs.train()
    x, y = images(start, n)
    out = np.asarray(student.pgd(theirs, x, y, eps, alpha, steps, random_start, seed), dtype=np.float64)
    assert out.shape == tuple(x.shape), "pgd should return images of x's shape"
    assert np.all(np.abs(out - x.numpy()) <= eps + 1e-6), ("some pixels moved by more than eps from the original "
                                                           "image: project around the original x after every step")
    assert np.all((out >= 0) & (out <= 1)), "some pixels lie outside [0, 1]: clip after every step"
    # A gradient within rounding of 0 may get another sign in another process: allow a few such pixels.
    differ = np.abs(out - expected_pgd(mine, x, y, eps, alpha, steps, random_start, seed)) > 1e-5
    assert differ.mean() < 2e-3, f"{differ.sum()} of {differ.size} pixels differ from the reference PGD"


def test_more_steps_without_random_start(student):
    """eps = 0.08, alpha = 0.01, 6 steps, no random start."""
    check(student, 0.08, 0.01, 6, False, 0, 0, 16)


def test_steps_larger_than_the_ball(student):
    """alpha = 0.1 > eps = 0.03: every step is projected back onto the ball."""
    check(student, 0.03, 0.1, 3, False, 0, 16, 16)


def test_random_start_with_other_seeds(student):
    """Random starts with seeds 5 and 11."""
    check(student, 0.06, 0.02, 4, True, 5, 32, 16)
    check(student, 0.06, 0.02, 4, True, 11, 32, 16)


def test_model_in_training_mode(student):
    """A model handed over in training mode is attacked in evaluation mode."""
    check(student, 0.05, 0.02, 3, False, 0, 48, 16, train=True)


def test_x_is_left_unchanged(student):
    """pgd leaves x unchanged, with and without a random start."""
    _, theirs = networks(student)
    x, y = images(20, 4)
    called = student.pgd.returning_args(theirs, x=x.clone(), y=y, eps=0.05, alpha=0.02, steps=2, random_start=True)
    assert np.asarray(called.result).shape == tuple(x.shape), "pgd should return images of x's shape"
    assert torch.equal(torch.as_tensor(called.kwargs["x"]), x), "pgd changed x in place"
