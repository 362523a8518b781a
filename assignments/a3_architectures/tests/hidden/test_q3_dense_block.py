"""Hidden tests for question 3: the block against torchvision's _DenseBlock with torchvision's (random) weights loaded
under the prescribed names (denselayer{i + 1} -> layers.{i}), other sizes, bottleneck widths and counts."""

import numpy as np
import torch
from torchvision.models.densenet import _DenseBlock

from autograder.testing import StudentError, parameter_count


def torchvision_block(num_layers, in_channels, growth_rate, bn_size, seed=0):
    torch.manual_seed(seed)
    block = _DenseBlock(num_layers, in_channels, bn_size, growth_rate, drop_rate=0.0)
    with torch.no_grad():
        for name, value in block.state_dict().items():
            if name.endswith("running_var"):
                value.uniform_(0.5, 2.0)
            elif name.endswith(("running_mean", "bias")):
                value.normal_(0.0, 0.2)
            elif name.endswith("weight") and value.ndim == 1:
                value.uniform_(0.5, 1.5)
    return block.eval()


def compare(student, num_layers, in_channels, growth_rate, bn_size, x, seed=0):
    reference = torchvision_block(num_layers, in_channels, growth_rate, bn_size, seed)
    state = {}
    for name, value in reference.state_dict().items():
        layer, rest = name.split(".", 1)
        state[f"layers.{int(layer.removeprefix('denselayer')) - 1}.{rest}"] = value.clone()
    block = student.DenseBlock(num_layers, in_channels, growth_rate, bn_size=bn_size)
    try:
        block.load_state_dict(state)
    except StudentError as error:
        raise AssertionError("torchvision's weights do not load into your block under the names the question "
                             f"prescribes (layers.i.norm1, conv1, norm2, conv2): {error}") from None
    block.eval()
    with torch.no_grad():
        expected = reference(x)
    got = block(x)
    assert tuple(got.shape) == tuple(expected.shape), (f"expected the shape {tuple(expected.shape)}, got "
                                                       f"{tuple(got.shape)}")
    np.testing.assert_allclose(np.asarray(got.detach()), np.asarray(expected), rtol=1e-4, atol=1e-4, err_msg=(
        "with torchvision's weights your dense block's output differs from _DenseBlock's: x, then each layer's "
        "conv2(relu(norm2(conv1(relu(norm1(all features so far)))))), concatenated"))


def test_matches_torchvision_bn_size_2(student):
    """DenseBlock(3, 8, 5, bn_size=2) equals torchvision's _DenseBlock in evaluation mode."""
    compare(student, 3, 8, 5, 2, torch.randn(2, 8, 5, 5, generator=torch.Generator().manual_seed(1)))


def test_matches_torchvision_default_bottleneck(student):
    """DenseBlock(4, 6, 3) (bn_size 4) equals torchvision's _DenseBlock on a 6x4 input."""
    compare(student, 4, 6, 3, 4, torch.randn(3, 6, 6, 4, generator=torch.Generator().manual_seed(2)), seed=1)


def test_counts_match_densenet121(student):
    """DenseNet-121's second and third dense blocks: DenseBlock(12, 128, 32) and DenseBlock(24, 256, 32)."""
    for args in [(12, 128, 32), (24, 256, 32)]:
        expected = sum(p.numel() for p in torchvision_block(*args, bn_size=4).parameters())
        got = parameter_count(student.DenseBlock(*args))
        assert got == expected, f"DenseBlock{args} has {got} parameters, torchvision's _DenseBlock {expected}"


def test_input_kept_and_channels_grow(student):
    """DenseBlock(5, 3, 2) keeps its 3 input channels first and returns 3 + 5 * 2 channels."""
    x = torch.randn(2, 3, 4, 4, generator=torch.Generator().manual_seed(5))
    out = np.asarray(student.DenseBlock(5, 3, 2)(x).detach())
    assert out.shape == (2, 13, 4, 4), f"expected the shape (2, 13, 4, 4), got {out.shape}"
    np.testing.assert_allclose(out[:, :3], np.asarray(x), atol=1e-6, err_msg="the first channels should be x itself")
