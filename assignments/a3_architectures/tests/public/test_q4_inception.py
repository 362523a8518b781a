"""Public tests for question 4: an Inception module, four conv-BN-ReLU branches concatenated along the channels."""

import numpy as np
import torch

from autograder.testing import StudentError, parameter_count


def test_each_branch_keeps_the_size(student):
    """Inception(8, 4, 4, 6, 2, 3, 5): on (2, 8, 9, 7) the branches give 4, 6, 3 and 5 channels at 9x7."""
    block = student.Inception(8, 4, 4, 6, 2, 3, 5)
    x = torch.rand(2, 8, 9, 7)
    shape1 = tuple(block.branch1(x).shape)
    assert shape1 == (2, 4, 9, 7), f"branch1 (a 1x1 conv to ch1x1 = 4 channels) gave {shape1}, expected (2, 4, 9, 7)"
    shape2 = tuple(block.branch2(x).shape)
    assert shape2 == (2, 6, 9, 7), (f"branch2 (1x1 to 4, then 3x3 with padding 1 to 6) gave {shape2}, expected "
                                    "(2, 6, 9, 7)")
    shape3 = tuple(block.branch3(x).shape)
    assert shape3 != (2, 3, 5, 3), "branch3 shrinks H and W by 4: its 5x5 convolution needs padding=2"
    assert shape3 == (2, 3, 9, 7), (f"branch3 (1x1 to 2, then 5x5 with padding 2 to 3) gave {shape3}, expected "
                                    "(2, 3, 9, 7)")
    shape4 = tuple(block.branch4(x).shape)
    assert shape4 != (2, 8, 9, 7), ("branch4 returned the 8 pooled input channels: follow the max pooling with a 1x1 "
                                    "conv to pool_proj = 5 channels")
    assert shape4 == (2, 5, 9, 7), (f"branch4 (3x3 max pooling with stride 1 and padding 1, then 1x1 to 5) gave "
                                    f"{shape4}, expected (2, 5, 9, 7)")


def test_output_is_the_branches_concatenated_in_order(student):
    """Inception(8, 4, 4, 6, 2, 3, 5)'s output is branch1, branch2, branch3, branch4 side by side (18 channels)."""
    block = student.Inception(8, 4, 4, 6, 2, 3, 5)
    block.eval()
    x = torch.rand(2, 8, 5, 5, generator=torch.Generator().manual_seed(0))
    try:
        out = np.asarray(block(x).detach())
    except StudentError as error:
        if "except in dimension 0" in error.message:
            raise AssertionError("torch.cat failed: the branches were concatenated along the batch axis (dim=0); "
                                 "use dim=1, the channels") from None
        raise
    assert out.shape != (8, 4, 5, 5), "the branches were concatenated along the batch axis: use dim=1, the channels"
    assert out.shape == (2, 18, 5, 5), f"expected 4 + 6 + 3 + 5 = 18 channels, (2, 18, 5, 5), got {out.shape}"
    message = "concatenate branch1, branch2, branch3 and branch4 in this order along dim=1"
    np.testing.assert_allclose(out[:, :4], np.asarray(block.branch1(x).detach()), atol=1e-5,
                               err_msg="channels 0-3 should be branch1's output: " + message)
    np.testing.assert_allclose(out[:, 4:10], np.asarray(block.branch2(x).detach()), atol=1e-5,
                               err_msg="channels 4-9 should be branch2's output: " + message)
    np.testing.assert_allclose(out[:, 10:13], np.asarray(block.branch3(x).detach()), atol=1e-5,
                               err_msg="channels 10-12 should be branch3's output: " + message)
    np.testing.assert_allclose(out[:, 13:], np.asarray(block.branch4(x).detach()), atol=1e-5,
                               err_msg="channels 13-17 should be branch4's output: " + message)


def test_parameter_count_of_module_3a(student):
    """Inception(192, 64, 96, 128, 16, 32, 32), GoogLeNet's module 3a, has 164,064 parameters."""
    count = parameter_count(student.Inception(192, 64, 96, 128, 16, 32, 32))
    assert count != 155_872, ("155,872 parameters, torchvision's count: its branch3 has a 3x3 convolution, but this "
                              "assignment follows the paper's 5x5 (16 * 32 * 25 weights)")
    assert count != 164_432, "164,432 parameters: a convolution followed by batch norm needs no bias (bias=False)"
    assert count != 163_328, "163,328 parameters: each convolution is followed by a batch norm (conv-BN-ReLU units)"
    assert count != 157_856, "157,856 parameters: branch4 needs its 1x1 convolution after the max pooling"
    assert count == 164_064, f"expected 164,064 parameters, you have {count:,}"


def test_output_is_rectified(student):
    """Every output of the module is at least 0 (each branch ends with a ReLU)."""
    out = student.Inception(3, 2, 2, 2, 2, 2, 2)(torch.randn(2, 3, 6, 6, generator=torch.Generator().manual_seed(1)))
    assert bool((out >= 0).all()), "some outputs are negative: every conv-BN unit is followed by a ReLU"
