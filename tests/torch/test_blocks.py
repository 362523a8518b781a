"""Post-2016 blocks: shapes, parameter counts against their formulas and torchvision, and the
depthwise-separable cost ratio 1 / C_out + 1 / k^2."""

import pytest
import torch
from torch import nn
from torchvision.models.convnext import CNBlock
from torchvision.ops import SqueezeExcitation as TorchvisionSE

from cnncourse.torch import count_macs, count_parameters
from cnncourse.torch.models import ConvNeXtBlock, DepthwiseSeparableConv, PreActBlock, SqueezeExcitation


@pytest.mark.parametrize(("c_in", "c_out", "k"), [(32, 64, 3), (16, 48, 5), (64, 128, 3)])
def test_depthwise_separable_cost_ratio(c_in, c_out, k):
    h = 14
    separable = count_macs(DepthwiseSeparableConv(c_in, c_out, k), (c_in, h, h))
    full = count_macs(nn.Conv2d(c_in, c_out, k, padding=k // 2, bias=False), (c_in, h, h))
    assert separable == h * h * (c_in * k * k + c_in * c_out)
    assert separable / full == pytest.approx(1 / c_out + 1 / k**2)


def test_depthwise_separable_shapes_and_errors():
    block = DepthwiseSeparableConv(8, 16, stride=2)
    assert block(torch.randn(2, 8, 10, 10)).shape == (2, 16, 5, 5)
    assert block.depthwise.weight.shape == (8, 1, 3, 3)
    with pytest.raises(ValueError, match="kernel_size"):
        DepthwiseSeparableConv(8, 16, kernel_size=4)


def test_squeeze_excitation_matches_torchvision():
    torch.manual_seed(0)
    ours = SqueezeExcitation(32, reduction=4)
    theirs = TorchvisionSE(32, 8)
    assert count_parameters(ours) == count_parameters(theirs) == 2 * 32 * 8 + 8 + 32
    theirs.fc1.load_state_dict(ours.fc1.state_dict())
    theirs.fc2.load_state_dict(ours.fc2.state_dict())
    x = torch.randn(2, 32, 5, 5)
    torch.testing.assert_close(ours(x), theirs(x))
    with pytest.raises(ValueError, match="divisible"):
        SqueezeExcitation(30, reduction=4)


@pytest.mark.parametrize("channels", [16, 96])
def test_convnext_block_matches_torchvision(channels):
    torch.manual_seed(0)
    ours = ConvNeXtBlock(channels, layer_scale=0.5)
    theirs = CNBlock(channels, layer_scale=0.5, stochastic_depth_prob=0.0).eval()
    assert count_parameters(ours) == count_parameters(theirs) == 8 * channels**2 + 58 * channels
    # torchvision's block: Conv2d(dw), Permute, LayerNorm, Linear, GELU, Linear, Permute
    dw, _, norm, fc1, _, fc2, _ = theirs.block
    for mine, other in [(ours.dwconv, dw), (ours.norm, norm), (ours.pwconv1, fc1), (ours.pwconv2, fc2)]:
        other.load_state_dict(mine.state_dict())
    theirs.layer_scale.data = ours.gamma.data.view(channels, 1, 1).clone()
    x = torch.randn(2, channels, 7, 7)
    torch.testing.assert_close(ours(x), theirs(x))


def test_preact_block_keeps_identity_path():
    block = PreActBlock(8, 8)
    nn.init.zeros_(block.conv2.weight)  # residual branch off: the block must be the identity
    x = torch.randn(2, 8, 6, 6)
    torch.testing.assert_close(block(x), x)
    down = PreActBlock(8, 16, stride=2)
    assert down(x).shape == (2, 16, 3, 3)
