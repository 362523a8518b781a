"""Hidden tests for question 4: FGSM with other epsilons and images, against the grader's own FGSM."""

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


def expected_fgsm(model, x, y, eps):
    x_var = x.clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(F.cross_entropy(model(x_var), y), x_var)
    return (x + eps * grad.sign()).clamp(0.0, 1.0).numpy()


def check(student, eps, start, n, train=False):
    mine, theirs = networks(student)
    if train:
        theirs.train()
    x, y = images(start, n)
    out = np.asarray(student.fgsm(theirs, x, y, eps), dtype=np.float64)
    assert out.shape == tuple(x.shape), "fgsm should return images of x's shape"
    # A gradient within rounding of 0 may get another sign in another process: allow a few such pixels.
    differ = np.abs(out - expected_fgsm(mine, x, y, eps)) > 1e-5
    assert differ.mean() < 1e-3, (f"{differ.sum()} of {differ.size} pixels differ from clip(x + eps * sign(d loss / "
                                  "d x), 0, 1) with the model in evaluation mode")


def test_small_epsilon(student):
    """eps = 0.03 on 32 held-out images."""
    check(student, 0.03, 0, 32)


def test_large_epsilon(student):
    """eps = 0.25 on 32 held-out images (many pixels clipped)."""
    check(student, 0.25, 32, 32)


def test_model_in_training_mode(student):
    """A model handed over in training mode is attacked in evaluation mode."""
    check(student, 0.07, 16, 16, train=True)


def test_x_is_left_unchanged(student):
    """fgsm leaves x unchanged on held-out images."""
    _, theirs = networks(student)
    x, y = images(40, 6)
    called = student.fgsm.returning_args(theirs, x=x.clone(), y=y, eps=0.05)
    assert np.asarray(called.result).shape == tuple(x.shape), "fgsm should return images of x's shape"
    assert torch.equal(torch.as_tensor(called.kwargs["x"]), x), "fgsm changed x in place"
