"""Hidden tests for question 6: the accuracy against epsilon, measured by the grader on the student's own attacks."""

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


def accuracy(model, x, y):
    with torch.no_grad():
        return float((model(x).argmax(dim=1) == y).float().mean())


def check(student, attack, epsilons, steps, start, n):
    """The curve, compared with the grader's accuracy on the student's own adversarial images (so that a mistake of
    question 4 or 5 is not counted again here)."""
    mine, theirs = networks(student)
    x, y = images(start, n)
    out = np.asarray(student.accuracy_vs_epsilon(theirs, x, y, epsilons, attack, steps), dtype=np.float64)
    assert out.shape == (len(epsilons),), "accuracy_vs_epsilon should return one accuracy per epsilon"
    assert np.all((out >= 0) & (out <= 1)), "accuracies should be fractions between 0 and 1"
    assert np.isclose(out[0], accuracy(mine, x, y)), "at eps = 0 the accuracy should be the clean accuracy"
    expected = []
    for eps in epsilons:
        if attack == "fgsm":
            adversarial = student.fgsm(theirs, x, y, eps)
        else:
            adversarial = student.pgd(theirs, x, y, eps, 2.5 * eps / steps, steps)
        expected.append(accuracy(mine, torch.as_tensor(adversarial, dtype=torch.float32), y))
    np.testing.assert_allclose(out, expected, atol=1e-6, err_msg=(
        f"the accuracies are not those of the model on your own {attack} images, eps by eps"))
    assert out[-1] < out[0], "the accuracy should fall as eps grows: measure it on the adversarial images"


def test_fgsm_curve(student):
    """The FGSM curve on 32 held-out images with five epsilons."""
    check(student, "fgsm", [0.0, 0.01, 0.03, 0.08, 0.15], 10, 0, 32)


def test_pgd_curve(student):
    """The PGD curve (4 steps) on 32 held-out images with four epsilons."""
    check(student, "pgd", [0.0, 0.02, 0.05, 0.1], 4, 32, 32)


def test_unknown_attack(student):
    """accuracy_vs_epsilon refuses an unknown attack (deepfool) with a ValueError."""
    _, theirs = networks(student)
    x, y = images(0, 2)
    try:
        student.accuracy_vs_epsilon(theirs, x, y, [0.0], "deepfool")
    except StudentError as error:
        assert error.type_name == "ValueError", f"expected a ValueError for an unknown attack, got {error.type_name}"
    else:
        raise AssertionError("an unknown attack should raise a ValueError")
