"""Hidden tests for question 5: other widths and classes (counts against the same network built from torchvision's
BasicBlock), and forward as the composition of the student's own stem, stages, average pooling and fc."""

import numpy as np
import torch
from torch import nn
from torchvision.models.resnet import BasicBlock, conv1x1

from autograder.testing import parameter_count, parameter_shapes


def torchvision_count(num_classes, widths):
    w0, w1, w2 = widths
    net = nn.Sequential(
        nn.Conv2d(1, w0, 3, padding=1, bias=False), nn.BatchNorm2d(w0),
        BasicBlock(w0, w0, 2, nn.Sequential(conv1x1(w0, w0, 2), nn.BatchNorm2d(w0))),
        BasicBlock(w0, w1, 2, nn.Sequential(conv1x1(w0, w1, 2), nn.BatchNorm2d(w1))),
        BasicBlock(w1, w2, 2, nn.Sequential(conv1x1(w1, w2, 2), nn.BatchNorm2d(w2))),
        nn.Linear(w2, num_classes))
    return sum(p.numel() for p in net.parameters())


def test_counts_match_torchvision_blocks(student):
    """SmallResNet(7, (8, 16, 24)) and SmallResNet(3, (4, 4, 8)) count like torchvision's blocks put together."""
    for num_classes, widths in [(7, (8, 16, 24)), (3, (4, 4, 8))]:
        got = parameter_count(student.SmallResNet(num_classes, widths))
        assert got == torchvision_count(num_classes, widths), (
            f"SmallResNet({num_classes}, {widths}) has {got} parameters, expected another number")


def test_forward_composes_the_parts(student):
    """forward(x) = fc(mean over H and W of stage3(stage2(stage1(stem(x))))), in evaluation mode."""
    net = student.SmallResNet(4, (6, 8, 10))
    net.eval()
    x = torch.rand(3, 1, 20, 12, generator=torch.Generator().manual_seed(1))
    features = net.stage3(net.stage2(net.stage1(net.stem(x))))
    expected = net.fc(features.mean(dim=(2, 3)))
    np.testing.assert_allclose(np.asarray(net(x).detach()), np.asarray(expected.detach()), rtol=1e-5, atol=1e-5,
                               err_msg="forward should be fc(global average pooling(stage3(stage2(stage1(stem(x))))))")


def test_stages_are_residual_blocks(student):
    """stage1, stage2 and stage3 are residual blocks with projection shortcuts (each has stride 2)."""
    names = set(parameter_shapes(student.SmallResNet()))
    expected = {f"stage{i}.{name}" for i in (1, 2, 3) for name in ("conv1.weight", "conv2.weight", "shortcut.0.weight")}
    assert expected <= names, "stage1-3 should be ResidualBlocks with stride 2 (with the attribute names of question 2)"


def test_other_image_sizes(student):
    """SmallResNet(6) gives (2, 6) logits for 28x28, 9x9 and 40x36 images."""
    net = student.SmallResNet(6)
    for size in [(28, 28), (9, 9), (40, 36)]:
        shape = tuple(net(torch.rand(2, 1, *size)).shape)
        assert shape == (2, 6), f"an image of size {size} gave {shape}, expected (2, 6)"
