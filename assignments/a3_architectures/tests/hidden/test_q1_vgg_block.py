"""Hidden tests for question 1: other channels, depths and sizes; parameter counts against torchvision's VGG-16;
the forward pass against a reference computed here from the student's own weights."""

import numpy as np
import torch
import torch.nn.functional as F
from torchvision.models.vgg import cfgs, make_layers

from autograder.testing import StudentError, parameter_count, state_dict_arrays


def reference(state, x):
    """Convolutions (padding 1) and ReLUs with the block's own weights, in state_dict order, then 2x2 max pooling."""
    weights = [torch.from_numpy(v) for v in state.values() if v.ndim == 4]
    biases = [torch.from_numpy(v) for v in state.values() if v.ndim == 1]
    assert len(weights) == len(biases), "the block should have one bias per convolution, and nothing else"
    for w, b in zip(weights, biases):
        x = torch.relu(F.conv2d(x, w, b, padding=1))
    return F.max_pool2d(x, 2)


def test_counts_match_torchvision_vgg16(student):
    """VGG-16's stages 1, 3 and 4 as VGGBlock(3, 64, 2), VGGBlock(128, 256, 3), VGGBlock(256, 512, 3)."""
    vgg16 = make_layers(cfgs["D"])  # the convolutional part only: 13 convolutions, ReLUs and 5 poolings
    for args, layers in [((3, 64, 2), vgg16[0:5]), ((128, 256, 3), vgg16[10:17]), ((256, 512, 3), vgg16[17:24])]:
        expected = sum(p.numel() for p in layers.parameters())
        got = parameter_count(student.VGGBlock(*args))
        assert got == expected, f"VGGBlock{args} has {got} parameters, torchvision's VGG-16 stage has {expected}"


def test_forward_matches_reference(student):
    """VGGBlock(5, 7, 3) on (2, 5, 13, 10): three conv-ReLU pairs with the block's weights, then max pooling."""
    block = student.VGGBlock(5, 7, 3)
    x = torch.randn(2, 5, 13, 10, generator=torch.Generator().manual_seed(3))
    out = block(x)
    assert tuple(out.shape) == (2, 7, 6, 5), f"expected the shape (2, 7, 6, 5), got {tuple(out.shape)}"
    state = state_dict_arrays(block)
    np.testing.assert_allclose(np.asarray(out.detach()), np.asarray(reference(state, x)), rtol=1e-4, atol=1e-5,
                               err_msg="the output is not conv-ReLU repeated num_convs times, then 2x2 max pooling")


def test_shapes_of_small_and_odd_inputs(student):
    """VGGBlock(4, 6, 1) maps (1, 4, 2, 2) to (1, 6, 1, 1) and (3, 4, 15, 6) to (3, 6, 7, 3)."""
    block = student.VGGBlock(4, 6, 1)
    assert tuple(block(torch.rand(1, 4, 2, 2)).shape) == (1, 6, 1, 1), "a 2x2 input should pool to 1x1"
    assert tuple(block(torch.rand(3, 4, 15, 6)).shape) == (3, 6, 7, 3), "a 15x6 input should pool to 7x3"


def test_rejects_negative_convolutions(student):
    """VGGBlock(3, 8, -1) raises a ValueError."""
    try:
        student.VGGBlock(3, 8, -1)
    except StudentError as error:
        assert error.type_name == "ValueError", f"expected a ValueError, got {error.type_name}"
    else:
        raise AssertionError("num_convs < 1 should raise a ValueError")
