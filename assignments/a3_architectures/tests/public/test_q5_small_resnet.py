"""Public tests for question 5: a small ResNet for 28x28 grayscale images, built from ResidualBlock."""

import numpy as np
import torch

from autograder.testing import parameter_count


def test_shapes_through_the_network(student):
    """SmallResNet() maps (2, 1, 28, 28) through 28x28x16, 14x14x16, 7x7x32 and 4x4x64 to logits (2, 10)."""
    net = student.SmallResNet()
    x = torch.rand(2, 1, 28, 28)
    stem = net.stem(x)
    assert tuple(stem.shape) == (2, 16, 28, 28), f"stem: expected (2, 16, 28, 28), got {tuple(stem.shape)}"
    stage1 = net.stage1(stem)
    assert tuple(stage1.shape) == (2, 16, 14, 14), (f"stage1: expected (2, 16, 14, 14), got {tuple(stage1.shape)}: "
                                                    "ResidualBlock(16, 16, stride=2)")
    stage2 = net.stage2(stage1)
    assert tuple(stage2.shape) == (2, 32, 7, 7), (f"stage2: expected (2, 32, 7, 7), got {tuple(stage2.shape)}: "
                                                  "ResidualBlock(16, 32, stride=2)")
    stage3 = net.stage3(stage2)
    assert tuple(stage3.shape) == (2, 64, 4, 4), (f"stage3: expected (2, 64, 4, 4), got {tuple(stage3.shape)}: "
                                                  "ResidualBlock(32, 64, stride=2)")
    logits = net(x)
    assert tuple(logits.shape) == (2, 10), f"expected logits (2, 10), got {tuple(logits.shape)}"


def test_parameter_counts(student):
    """SmallResNet() has 78,042 parameters and SmallResNet(5, (8, 16, 32)) 19,725."""
    count = parameter_count(student.SmallResNet())
    assert count != 87_642, ("87,642 parameters: fc takes the flattened 64 x 4 x 4 maps; average over H and W first "
                             "(global average pooling), so that fc is nn.Linear(64, 10)")
    assert count != 78_058, "78,058 parameters: the stem's convolution is followed by batch norm, so it has no bias"
    assert count == 78_042, f"expected 78,042 parameters, you have {count:,}"
    small = parameter_count(student.SmallResNet(5, (8, 16, 32)))
    assert small == 19_725, (f"SmallResNet(num_classes=5, widths=(8, 16, 32)) should have 19,725 parameters, you have "
                             f"{small:,}: use the arguments rather than fixed numbers")


def test_any_input_size(student):
    """A 32x32 image gives 10 logits too (global average pooling)."""
    shape = tuple(student.SmallResNet()(torch.rand(1, 1, 32, 32)).shape)
    assert shape == (1, 10), (f"a (1, 1, 32, 32) input gave {shape}: pool with the mean over H and W "
                              "(x.mean(dim=(2, 3))), which works for any input size, instead of flattening 4x4 maps")


def test_returns_logits(student):
    """forward returns logits, not probabilities."""
    net = student.SmallResNet()
    net.eval()
    logits = np.asarray(net(torch.rand(4, 1, 28, 28, generator=torch.Generator().manual_seed(0))).detach())
    assert logits.shape == (4, 10), f"expected logits (4, 10), got {logits.shape}"
    assert not bool(((logits >= 0) & (logits <= 1)).all()), (
        "every output lies in [0, 1], like probabilities: forward returns logits (no softmax); "
        "nn.functional.cross_entropy applies the softmax itself")
