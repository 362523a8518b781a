"""Public tests for question 2: a residual block, relu(F(x) + shortcut(x)), with a projection shortcut when the
shape changes."""

import numpy as np
import torch

from autograder.testing import parameter_count, parameter_shapes


def test_output_shapes_and_stride_on_conv1(student):
    """ResidualBlock(8, 16, stride=2) maps (2, 8, 9, 9) to (2, 16, 5, 5); its conv1 carries the stride."""
    block = student.ResidualBlock(8, 16, stride=2)
    x = torch.rand(2, 8, 9, 9)
    out = block(x)
    assert isinstance(out, torch.Tensor), f"forward should return a tensor, got {type(out).__name__}"
    assert tuple(out.shape) == (2, 16, 5, 5), f"expected (2, 16, 5, 5) = (N, C_out, (9 - 1) // 2 + 1, ...), got " \
                                              f"{tuple(out.shape)}"
    after_conv1 = tuple(block.conv1(x).shape)
    assert after_conv1 == (2, 16, 5, 5), (f"conv1 maps x to {after_conv1}: the stride belongs to the first 3x3 "
                                          "convolution (conv1), and conv2 keeps the size")
    same = tuple(student.ResidualBlock(8, 8)(torch.rand(2, 8, 6, 6)).shape)
    assert same == (2, 8, 6, 6), f"ResidualBlock(8, 8) should keep the shape (2, 8, 6, 6), got {same}"


def test_parameter_counts_match_resnet18(student):
    """ResidualBlock(64, 64) and ResidualBlock(64, 128, stride=2) have as many parameters as ResNet-18's blocks."""
    first = parameter_count(student.ResidualBlock(64, 64))
    assert first != 78_208, ("78,208 parameters: ResidualBlock(64, 64) has a projection, but when neither the stride "
                             "nor the channels change the shortcut is the identity (nn.Identity(), no parameters)")
    assert first not in (74_048, 74_112), (f"{first:,} parameters: a convolution followed by batch norm needs no bias "
                                           "(bias=False)")
    assert first == 73_984, f"ResNet-18's layer1[0] has 73,984 parameters, you have {first:,}"
    second = parameter_count(student.ResidualBlock(64, 128, stride=2))
    assert second != 229_888, ("229,888 parameters: projection shortcut missing its BatchNorm: 8,192 + 256 parameters "
                               "expected (a 1x1 conv 64 -> 128 without bias, then BatchNorm2d(128))")
    assert second != 221_696, ("221,696 parameters: the shortcut has no parameters, but a block whose shape changes "
                               "needs a projection shortcut (1x1 conv with the stride, then batch norm)")
    assert second != 295_680, "295,680 parameters: the projection shortcut is a 1x1 convolution, not 3x3"
    assert second not in (230_272, 230_400, 230_528), (
        f"{second:,} parameters: a convolution followed by batch norm needs no bias (bias=False)")
    assert second == 230_144, f"ResNet-18's layer2[0] has 230,144 parameters, you have {second:,}"


def test_attribute_names(student):
    """ResidualBlock(4, 8, stride=2) has conv1, bn1, conv2, bn2 and shortcut = (1x1 conv, batch norm)."""
    shapes = parameter_shapes(student.ResidualBlock(4, 8, stride=2))
    expected = {"conv1.weight": (8, 4, 3, 3), "bn1.weight": (8,), "bn1.bias": (8,), "conv2.weight": (8, 8, 3, 3),
                "bn2.weight": (8,), "bn2.bias": (8,), "shortcut.0.weight": (8, 4, 1, 1), "shortcut.1.weight": (8,),
                "shortcut.1.bias": (8,)}
    assert shapes == expected, (f"expected the parameters {expected} (the names the question prescribes; the grader "
                                f"loads weights by them), got {shapes}")
    identity = parameter_shapes(student.ResidualBlock(4, 4))
    assert set(identity) == {"conv1.weight", "bn1.weight", "bn1.bias", "conv2.weight", "bn2.weight", "bn2.bias"}, (
        f"ResidualBlock(4, 4) should have an identity shortcut without parameters, got the parameters {identity}")


def test_identity_block_adds_before_the_final_relu(student):
    """With bn2's gamma 0 and beta 1, F(x) = 1 and ResidualBlock(2, 2) returns relu(x + 1)."""
    block = student.ResidualBlock(2, 2)
    block.eval()
    keys = block.load_state_dict({"bn2.weight": torch.zeros(2), "bn2.bias": torch.ones(2)}, strict=False)
    assert list(keys[1]) == [], "your block has no bn2.weight or bn2.bias: use the attribute names of the question"
    x = torch.tensor([[[[-2.0, -0.5], [0.5, 3.0]], [[-1.0, 0.0], [1.5, -3.0]]]])
    out = np.asarray(block(x).detach())
    if np.allclose(out, [[[[1.0, 1.0], [1.5, 4.0]], [[1.0, 1.0], [2.5, 1.0]]]], atol=1e-4):
        raise AssertionError("the shortcut adds before the final ReLU but the block applies ReLU to the shortcut too: "
                             "out = relu(F(x) + x), with x itself on the shortcut")
    if np.allclose(out, [[[[-1.0, 0.5], [1.5, 4.0]], [[0.0, 1.0], [2.5, -2.0]]]], atol=1e-4):
        raise AssertionError("the output has negative values: apply the ReLU after adding the shortcut, "
                             "out = relu(F(x) + shortcut(x))")
    if np.allclose(out, 1.0, atol=1e-4):
        raise AssertionError("the output is F(x) alone: add the shortcut x before the final ReLU")
    np.testing.assert_allclose(out, [[[[0.0, 0.5], [1.5, 4.0]], [[0.0, 1.0], [2.5, 0.0]]]], atol=1e-4, err_msg=(
        "with bn2's weight 0 and bias 1 the residual branch F(x) is 1 everywhere, so out = relu(x + 1)"))


def test_projection_shortcut_values(student):
    """ResidualBlock(2, 3, stride=2) with F(x) = 1 and a given 1x1 shortcut conv returns relu(1 + bn(conv(x)))."""
    block = student.ResidualBlock(2, 3, stride=2)
    block.eval()
    weight = torch.tensor([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.5]]).reshape(3, 2, 1, 1)
    keys = block.load_state_dict({"bn2.weight": torch.zeros(3), "bn2.bias": torch.ones(3),
                                  "shortcut.0.weight": weight}, strict=False)
    assert list(keys[1]) == [], "your block has no shortcut.0.weight: make the shortcut nn.Sequential(conv, bn)"
    x = torch.arange(18, dtype=torch.float32).reshape(1, 2, 3, 3) - 4.0  # channel 0: -4 .. 4, channel 1: 5 .. 13
    out = np.asarray(block(x).detach())
    assert out.shape == (1, 3, 2, 2), f"expected (1, 3, 2, 2), got {out.shape}"
    if np.allclose(out[0, 0], [[1.0, 1.0], [3.0, 5.0]], atol=1e-3):
        raise AssertionError("the shortcut adds before the final ReLU but the block applies ReLU to the shortcut too: "
                             "out = relu(F(x) + shortcut(x)), with shortcut = bn(conv1x1(x)) and no ReLU of its own")
    np.testing.assert_allclose(out[0], [[[0.0, 0.0], [3.0, 5.0]], [[6.0, 8.0], [12.0, 14.0]],
                                        [[7.5, 6.5], [4.5, 3.5]]], atol=1e-3, err_msg=(
        "the shortcut should take the pixels at stride 2 ((0, 0), (0, 2), (2, 0), (2, 2)), mix the channels with the "
        "1x1 weights, pass the batch norm (about the identity here) and be added to F(x) = 1 before the ReLU"))
