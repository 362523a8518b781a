"""Hidden tests for question 2: Grad-CAM at other layers, for other classes and images."""

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


def expected_cam(model, x, target, layer):
    kept = {}
    handle = dict(model.named_modules())[layer].register_forward_hook(lambda m, i, output: kept.update(maps=output))
    try:
        scores = model(x)
    finally:
        handle.remove()
    (grads,) = torch.autograd.grad(scores.gather(1, target[:, None]).sum(), kept["maps"])
    cam = F.relu((grads.mean(dim=(2, 3), keepdim=True) * kept["maps"]).sum(dim=1, keepdim=True))
    cam = F.interpolate(cam, size=x.shape[-2:], mode="bilinear", align_corners=False)[:, 0]
    return (cam / cam.amax(dim=(1, 2), keepdim=True).clamp_min(1e-12)).detach().numpy()


def check(student, layer, start, n, shift=0):
    mine, theirs = networks(student)
    x, y = images(start, n)
    target = (y + shift) % 10
    out = np.asarray(student.grad_cam(theirs, x, target, layer), dtype=np.float64)
    assert out.shape == (n, 28, 28), f"grad_cam at {layer} should return (N, H, W), the image's size"
    np.testing.assert_allclose(out, expected_cam(mine, x, target, layer), rtol=1e-3, atol=1e-4, err_msg=(
        f"Grad-CAM at {layer} differs from the reference: position-averaged gradients as weights, ReLU, bilinear "
        "upsampling, divided by the maximum"))


def test_first_conv_layer(student):
    """Grad-CAM at conv1 (maps as large as the image)."""
    check(student, "conv1", 0, 12)


def test_after_a_relu(student):
    """Grad-CAM at relu2."""
    check(student, "relu2", 12, 12)


def test_after_pooling(student):
    """Grad-CAM at pool2 (7 x 7 maps, upsampled four times)."""
    check(student, "pool2", 24, 12)


def test_batch_norm_layer_and_other_classes(student):
    """Grad-CAM at bn1 for classes other than the true ones."""
    check(student, "bn1", 36, 12, shift=4)


def test_conv2_for_other_classes(student):
    """Grad-CAM at conv2 for classes other than the true ones."""
    check(student, "conv2", 48, 12, shift=7)


def test_unknown_layer(student):
    """grad_cam refuses a layer name the model does not have (fc2) with a ValueError."""
    _, theirs = networks(student)
    x, y = images(0, 2)
    try:
        student.grad_cam(theirs, x, y, "fc2")
    except StudentError as error:
        assert error.type_name == "ValueError", f"expected a ValueError for an unknown layer, got {error.type_name}"
    else:
        raise AssertionError("an unknown layer name should raise a ValueError")
