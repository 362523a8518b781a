"""Hidden tests for question 2: the block against torchvision's BasicBlock, with torchvision's (random) weights
loaded into the student's block under the prescribed names, in evaluation and training mode."""

import numpy as np
import torch
from torch import nn
from torchvision.models.resnet import BasicBlock, conv1x1

from autograder.testing import StudentError, parameter_count


def torchvision_block(in_channels, out_channels, stride, seed):
    """torchvision's BasicBlock with random weights and random running statistics."""
    torch.manual_seed(seed)
    downsample = None
    if stride != 1 or in_channels != out_channels:
        downsample = nn.Sequential(conv1x1(in_channels, out_channels, stride), nn.BatchNorm2d(out_channels))
    block = BasicBlock(in_channels, out_channels, stride, downsample)
    with torch.no_grad():
        for name, value in block.state_dict().items():
            if name.endswith("running_var"):
                value.uniform_(0.5, 2.0)
            elif name.endswith(("running_mean", "bias")):
                value.normal_(0.0, 0.2)
            elif name.endswith("weight") and value.ndim == 1:
                value.uniform_(0.5, 1.5)
    return block


def compare(student, in_channels, out_channels, stride, x, training=False, seed=0):
    reference = torchvision_block(in_channels, out_channels, stride, seed)
    state = {name.replace("downsample", "shortcut"): value.clone() for name, value in reference.state_dict().items()}
    block = student.ResidualBlock(in_channels, out_channels, stride=stride)
    try:
        block.load_state_dict(state)
    except StudentError as error:
        raise AssertionError("torchvision's weights do not load into your block under the names the question "
                             f"prescribes (conv1, bn1, conv2, bn2, shortcut.0, shortcut.1): {error}") from None
    reference.train(training)
    if training:
        block.train()
    else:
        block.eval()
    with torch.no_grad():
        expected = reference(x)
    got = block(x)
    assert tuple(got.shape) == tuple(expected.shape), (f"expected the shape {tuple(expected.shape)}, got "
                                                       f"{tuple(got.shape)}")
    np.testing.assert_allclose(np.asarray(got.detach()), np.asarray(expected), rtol=1e-4, atol=1e-4, err_msg=(
        "with torchvision's weights your block's output differs from BasicBlock's: "
        "relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)), the stride on conv1 and on the shortcut"))


def test_projection_stride_2_matches_torchvision(student):
    """ResidualBlock(32, 64, stride=2) equals torchvision's BasicBlock with a downsample, in evaluation mode."""
    compare(student, 32, 64, 2, torch.randn(2, 32, 10, 10, generator=torch.Generator().manual_seed(1)))


def test_identity_matches_torchvision(student):
    """ResidualBlock(16, 16) equals torchvision's BasicBlock without a downsample on a 7x7 input."""
    compare(student, 16, 16, 1, torch.randn(3, 16, 7, 7, generator=torch.Generator().manual_seed(2)), seed=1)


def test_projection_for_channels_only_matches_torchvision(student):
    """ResidualBlock(8, 12) (stride 1, more channels) has a projection and equals torchvision's block."""
    compare(student, 8, 12, 1, torch.randn(2, 8, 5, 6, generator=torch.Generator().manual_seed(3)), seed=2)


def test_training_mode_matches_torchvision(student):
    """In training mode (batch statistics) ResidualBlock(6, 10, stride=2) equals torchvision's block on odd sizes."""
    compare(student, 6, 10, 2, torch.randn(4, 6, 9, 7, generator=torch.Generator().manual_seed(4)), training=True,
            seed=3)


def test_counts_match_resnet34(student):
    """ResNet-34's blocks: ResidualBlock(128, 256, stride=2), ResidualBlock(256, 256), ResidualBlock(256, 512, 2)."""
    for args in [(128, 256, 2), (256, 256, 1), (256, 512, 2)]:
        expected = sum(p.numel() for p in torchvision_block(*args, seed=0).parameters())
        got = parameter_count(student.ResidualBlock(*args))
        assert got == expected, f"ResidualBlock{args} has {got} parameters, torchvision's BasicBlock {expected}"
