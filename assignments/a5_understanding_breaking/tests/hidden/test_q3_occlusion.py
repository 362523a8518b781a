"""Hidden tests for question 3: occlusion with other patch sizes, strides, fills and classes."""

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


def expected_occlusion(model, x, target, patch, stride, fill):
    n, _, height, width = x.shape
    rows, cols = range(0, height - patch + 1, stride), range(0, width - patch + 1, stride)
    out = np.zeros((n, len(rows), len(cols)))
    with torch.no_grad():
        clean = model(x).softmax(dim=1).gather(1, target[:, None])[:, 0]
        for a, i in enumerate(rows):
            for b, j in enumerate(cols):
                hidden = x.clone()
                hidden[:, :, i:i + patch, j:j + patch] = fill
                out[:, a, b] = (clean - model(hidden).softmax(dim=1).gather(1, target[:, None])[:, 0]).numpy()
    return out


def check(student, patch, stride, fill, start, n, shift=0):
    mine, theirs = networks(student)
    x, y = images(start, n)
    target = (y + shift) % 10
    expected = expected_occlusion(mine, x, target, patch, stride, fill)
    out = np.asarray(student.occlusion(theirs, x, target, patch, stride, fill), dtype=np.float64)
    assert out.shape == expected.shape, (f"with patch {patch} and stride {stride} the map should have "
                                         f"(28 - {patch}) // {stride} + 1 positions per axis")
    np.testing.assert_allclose(out, expected, atol=1e-4, err_msg=(
        "the drops in the target's probability differ from the reference"))


def test_patch_5_stride_2(student):
    """A 5 x 5 patch of 0.25 with stride 2 (12 x 12 positions)."""
    check(student, 5, 2, 0.25, 0, 6)


def test_patch_4_stride_4_white(student):
    """A 4 x 4 white patch (fill 1) with stride 4, for other classes."""
    check(student, 4, 4, 1.0, 6, 6, shift=2)


def test_stride_larger_than_the_patch(student):
    """A 3 x 3 patch with stride 5 (positions 0, 5, ..., 25)."""
    check(student, 3, 5, 0.0, 12, 6)


def test_one_position(student):
    """A patch as large as the image has one position: the drop to the probability of a grey image."""
    check(student, 28, 1, 0.5, 18, 6)
