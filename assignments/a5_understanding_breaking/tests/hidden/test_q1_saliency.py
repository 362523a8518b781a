"""Hidden tests for question 1: saliency on held-out images, other classes and channel counts."""

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


def expected_saliency(model, x, target):
    x = x.detach().clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(model(x).gather(1, target[:, None]).sum(), x)
    return grad.abs().amax(dim=1).numpy()


def test_true_classes_of_held_out_images(student):
    """Saliency of the true class on 24 held-out images."""
    mine, theirs = networks(student)
    x, y = images(0, 24)
    out = np.asarray(student.saliency(theirs, x, y), dtype=np.float64)
    np.testing.assert_allclose(out, expected_saliency(mine, x, y), rtol=1e-3, atol=1e-5, err_msg=(
        "saliency differs from |d score[target] / d x| maximised over channels"))


def test_other_target_classes(student):
    """Saliency of classes that are not the true ones (target = label + 3 mod 10)."""
    mine, theirs = networks(student)
    x, y = images(24, 16)
    target = (y + 3) % 10
    out = np.asarray(student.saliency(theirs, x, target), dtype=np.float64)
    np.testing.assert_allclose(out, expected_saliency(mine, x, target), rtol=1e-3, atol=1e-5, err_msg=(
        "saliency should explain the class given in target, whatever the label or the prediction"))


def test_three_channels_with_different_images(student):
    """On a 3-channel network whose channels see different images, the map is the maximum over channels."""
    weights = dict(reference()["weights"])
    rng = np.random.default_rng(51)
    weights["conv1.weight"] = np.concatenate([weights["conv1.weight"] * s for s in (0.2, 0.7, 0.1)], axis=1)
    weights["conv1.weight"] = (weights["conv1.weight"] + 0.05 * rng.normal(size=weights["conv1.weight"].shape)
                               ).astype(np.float32)
    mine, theirs = networks(student, 3, weights)
    x = torch.cat([images(40, 8)[0], images(48, 8)[0], images(56, 8)[0]], dim=1)
    target = images(40, 8)[1]
    out = np.asarray(student.saliency(theirs, x, target), dtype=np.float64)
    assert out.shape == (8, 28, 28), "saliency should return (N, H, W) for a 3-channel input"
    np.testing.assert_allclose(out, expected_saliency(mine, x, target), rtol=1e-3, atol=1e-5, err_msg=(
        "with 3 channels, the map is the maximum over channels of the absolute gradient"))


def test_x_is_left_unchanged(student):
    """saliency leaves x unchanged and does not depend on x requiring gradients."""
    _, theirs = networks(student)
    x, y = images(10, 5)
    called = student.saliency.returning_args(theirs, x=x.clone(), target=y)
    assert np.asarray(called.result).shape == (5, 28, 28), "saliency should return (N, H, W)"
    assert torch.equal(torch.as_tensor(called.kwargs["x"]), x), "saliency changed x in place"
