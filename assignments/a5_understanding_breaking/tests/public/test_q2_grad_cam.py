"""Public tests for question 2: Grad-CAM."""

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

# grad_cam(model, x[:8], y[:8], "conv2") of the provided network at images 2 and 3, rows and columns 10-13.
EXPECTED = np.array([[[0.568191, 0.466842, 0.155614, 0.013589], [0.648075, 0.542447, 0.180816, 0.000102], [0.691909, 0.581472, 0.193824, 0.000305], [0.708068, 0.596262, 0.198754, 0.009666]], [[0.318303, 0.316026, 0.277074, 0.437667], [0.370233, 0.369894, 0.307255, 0.448766], [0.407221, 0.406891, 0.327738, 0.445937], [0.420394, 0.418958, 0.320459, 0.428776]]])
# The same pixels when the weights average the gradient over the channels (dim 1) instead of the positions.
CHANNEL_AVERAGE = np.array([[[0.05565, 0.236055, 0.708166, 0.962814], [0.07574, 0.236055, 0.708166, 0.962814], [0.118099, 0.078685, 0.236055, 0.320938], [0.104458, 0.0, 0.0, 0.016296]], [[0.04646, 0.16918, 0.507539, 0.609559], [0.074555, 0.159646, 0.478937, 0.478937], [0.138713, 0.053215, 0.159646, 0.159646], [0.163022, 0.016954, 0.005651, 0.020008]]])


def call(student, model, x, target, layer):
    """The student's heatmaps as an array, checked for shape and range."""
    out = np.asarray(student.grad_cam(model, x, target, layer), dtype=np.float64)
    expected = (x.shape[0], x.shape[2], x.shape[3])
    if out.shape == (x.shape[0], 14, 14) or out.shape == (x.shape[0], 1, 14, 14):
        raise AssertionError(f"the heatmap has the layer's size {out.shape}, not the image's {expected}: upsample "
                             "it with F.interpolate(..., size=(H, W), mode='bilinear', align_corners=False)")
    assert out.shape == expected, f"grad_cam should return (N, H, W) = {expected}, got {out.shape}"
    assert np.all(out >= 0), ("the heatmap has negative values: apply a ReLU to the weighted sum of the maps before "
                              "upsampling (Grad-CAM keeps only the evidence for the class)")
    return out


def test_heatmaps_have_the_image_size_and_a_maximum_of_one(student):
    """Heatmaps at conv2 are (N, 28, 28), non-negative, at most 1, and reach 1 in every image."""
    model, x, y = probe(student)
    out = call(student, model, x, y, "conv2")
    assert np.all(out <= 1 + 1e-5) and np.all(np.any(np.isclose(out, 1.0, atol=1e-5), axis=(1, 2))), (
        "every heatmap should be divided by its own maximum, so that its largest value is exactly 1")


def test_values_of_the_provided_network(student):
    """The heatmaps of images 2 and 3 at conv2 match the reference values."""
    model, x, y = probe(student)
    out = call(student, model, x, y, "conv2")[[2, 3], 10:14, 10:14]
    if np.allclose(out, CHANNEL_AVERAGE, rtol=1e-3, atol=1e-5):
        raise AssertionError("the weights averaged the gradient over the channels: alpha_k is the average of "
                             "d score / d A^k over the positions (dims 2 and 3), one weight per channel k")
    np.testing.assert_allclose(out, EXPECTED, rtol=1e-3, atol=1e-5, err_msg=(
        "Grad-CAM differs from the reference: weights = gradients averaged over positions, ReLU of the weighted sum "
        "of the maps, bilinear upsampling, divided by the maximum"))


def test_an_unknown_layer_is_refused(student):
    """A layer name the model does not have raises a ValueError."""
    model, x, y = probe(student, 2)
    try:
        student.grad_cam(model, x, y, "conv7")
    except StudentError as error:
        assert error.type_name == "ValueError", f"expected a ValueError naming the layer, got {error}"
    else:
        raise AssertionError("grad_cam(..., layer='conv7') should raise a ValueError: the model has no such layer")
