"""Public tests for question 3: a DenseNet-BC dense block (BN-ReLU-1x1 conv-BN-ReLU-3x3 conv layers whose outputs are
concatenated)."""

import numpy as np
import torch

from autograder.testing import parameter_count, parameter_shapes


def test_dense_layer_returns_only_new_features(student):
    """DenseLayer(5, 3) maps (2, 5, 6, 6) to the 3 new channels (2, 3, 6, 6)."""
    out = student.DenseLayer(5, 3)(torch.rand(2, 5, 6, 6))
    assert isinstance(out, torch.Tensor), f"forward should return a tensor, got {type(out).__name__}"
    assert tuple(out.shape) == (2, 3, 6, 6), (f"a dense layer returns growth_rate = 3 new channels at the same H and W "
                                              f"(the block concatenates them), got {tuple(out.shape)}")


def test_output_channels(student):
    """DenseBlock(3, 5, 4) maps (2, 5, 6, 6) to (2, 5 + 3 * 4, 6, 6) = (2, 17, 6, 6)."""
    shape = tuple(student.DenseBlock(3, 5, 4)(torch.rand(2, 5, 6, 6)).shape)
    assert shape != (2, 12, 6, 6), ("12 channels: the block returned only the new features; it returns x together "
                                    "with them, in_channels + num_layers * growth_rate = 17 channels")
    assert shape != (2, 13, 6, 6), "13 channels: the last layer's output is missing from the concatenation"
    assert shape == (2, 17, 6, 6), f"expected (2, 17, 6, 6), got {shape}"


def test_first_channels_are_the_input(student):
    """The first 5 output channels of DenseBlock(2, 5, 3) are the input itself."""
    x = torch.rand(2, 5, 4, 4, generator=torch.Generator().manual_seed(0))
    block = student.DenseBlock(2, 5, 3)
    block.eval()
    out = np.asarray(block(x).detach())
    assert out.shape == (2, 11, 4, 4), f"expected (2, 11, 4, 4), got {out.shape}"
    np.testing.assert_allclose(out[:, :5], np.asarray(x), atol=1e-6, err_msg=(
        "the first 5 output channels should be x itself, unchanged: concatenate x and the layers' outputs in this "
        "order (torch.cat([x, new_1, new_2], dim=1)); a dense block keeps its input next to the new features, it "
        "does not add to it"))


def test_parameter_count_matches_densenet121(student):
    """DenseBlock(6, 64, 32) has as many parameters as DenseNet-121's first dense block (335,040)."""
    count = parameter_count(student.DenseBlock(6, 64, 32))
    assert count != 251_840, ("251,840 parameters: each layer saw only the previous layer's output; layer i gets the "
                              "concatenation of x and all earlier outputs, in_channels + i * growth_rate channels")
    assert count != 85_056, "85,056 parameters: the 1x1 bottleneck should have bn_size * growth_rate channels (4k)"
    assert count != 250_560, "250,560 parameters: the 1x1 bottleneck convolution (to 4k channels) is missing"
    assert count != 336_000, "336,000 parameters: convolutions in a dense layer have no bias (bias=False)"
    assert count != 333_696, ("333,696 parameters: the batch norms come before the convolutions (pre-activation: "
                              "BN, ReLU, conv), so norm1 normalises the layer's input")
    assert count == 335_040, f"DenseNet-121's first dense block has 335,040 parameters, you have {count:,}"


def test_parameter_names_and_shapes(student):
    """DenseBlock(2, 4, 3) has layers.i.norm1, conv1, norm2, conv2 with the channels of a growing input."""
    shapes = parameter_shapes(student.DenseBlock(2, 4, 3))
    expected = {
        "layers.0.norm1.weight": (4,), "layers.0.norm1.bias": (4,), "layers.0.conv1.weight": (12, 4, 1, 1),
        "layers.0.norm2.weight": (12,), "layers.0.norm2.bias": (12,), "layers.0.conv2.weight": (3, 12, 3, 3),
        "layers.1.norm1.weight": (7,), "layers.1.norm1.bias": (7,), "layers.1.conv1.weight": (12, 7, 1, 1),
        "layers.1.norm2.weight": (12,), "layers.1.norm2.bias": (12,), "layers.1.conv2.weight": (3, 12, 3, 3),
    }
    assert shapes == expected, (f"expected the parameters {expected} (layer 1 sees 4 + 3 = 7 channels), got {shapes}")
