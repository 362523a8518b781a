"""Public tests for question 1: a VGG block (3x3 convolutions with padding 1 and ReLU, then 2x2 max pooling)."""

import torch

from autograder.testing import StudentError, parameter_count


def test_output_shapes(student):
    """VGGBlock(3, 8, 2) maps (2, 3, 32, 32) to (2, 8, 16, 16) and (1, 3, 7, 9) to (1, 8, 3, 4)."""
    block = student.VGGBlock(3, 8, 2)
    out = block(torch.rand(2, 3, 32, 32))
    assert isinstance(out, torch.Tensor), f"forward should return a tensor, got {type(out).__name__}"
    shape = tuple(out.shape)
    assert shape != (2, 8, 14, 14), ("each 3x3 convolution shrank H and W by 2: use padding=1, so that only the "
                                     "pooling changes the size")
    assert shape != (2, 8, 8, 8), "H and W were halved twice: pool once, at the end of the block, not after each conv"
    assert shape == (2, 8, 16, 16), f"expected (2, 8, 16, 16), got {shape}"
    odd = tuple(block(torch.rand(1, 3, 7, 9)).shape)
    assert odd == (1, 8, 3, 4), (f"a 7x9 input should give 3x4 (the 2x2 pooling with stride 2 rounds down, as "
                                 f"nn.MaxPool2d(2) does), got {odd}")


def test_parameter_counts_match_vgg11(student):
    """VGGBlock(64, 128, 1) and VGGBlock(128, 256, 2) have as many parameters as VGG-11's stages 2 and 3."""
    second = parameter_count(student.VGGBlock(64, 128, 1))
    assert second != 73_728, "73,728 parameters: VGG's convolutions have a bias (bias=True, nn.Conv2d's default)"
    assert second != 74_112, "74,112 parameters: VGG has no batch norm (it predates it)"
    assert second == 73_856, f"VGG-11's second stage has 128 * (64 * 9 + 1) = 73,856 parameters, you have {second:,}"
    third = parameter_count(student.VGGBlock(128, 256, 2))
    assert third != 590_336, ("590,336 parameters: the second convolution should map out_channels to out_channels "
                              "(256 * (256 * 9 + 1)), not in_channels to out_channels")
    assert third == 885_248, (f"VGG-11's third stage (two convolutions, 128 -> 256 -> 256) has 885,248 parameters, "
                              f"you have {third:,}")


def test_outputs_are_rectified_and_pooled(student):
    """Every output of VGGBlock(2, 4, 1) is at least 0 (a ReLU follows each convolution)."""
    out = student.VGGBlock(2, 4, 1)(torch.randn(3, 2, 6, 6, generator=torch.Generator().manual_seed(0)) * 5)
    assert bool((out >= 0).all()), "some outputs are negative: apply a ReLU after each convolution"


def test_rejects_zero_convolutions(student):
    """VGGBlock(3, 8, 0) raises a ValueError."""
    try:
        student.VGGBlock(3, 8, 0)
    except StudentError as error:
        assert error.type_name == "ValueError", f"expected a ValueError, got {error}"
    else:
        raise AssertionError("a block needs at least one convolution: raise a ValueError for num_convs < 1")
