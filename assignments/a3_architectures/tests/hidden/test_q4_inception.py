"""Hidden tests for question 4: counts against torchvision's Inception (with the paper's 5x5 in branch 3), and the
forward pass against torchvision's module with the same (random) weights, mapped branch by branch in order."""

import numpy as np
import torch
from torchvision.models.googlenet import BasicConv2d, Inception

from autograder.testing import StudentError, parameter_count, state_dict_arrays


def paper_inception(args, seed=0):
    """torchvision's Inception with branch 3's 3x3 conv-BN unit replaced by a 5x5 one (padding 2), as in the paper;
    random weights and running statistics."""
    torch.manual_seed(seed)
    module = Inception(*args)
    module.branch3[1] = BasicConv2d(args[4], args[5], kernel_size=5, padding=2)
    with torch.no_grad():
        for name, value in module.state_dict().items():
            if name.endswith("running_var"):
                value.uniform_(0.5, 2.0)
            elif name.endswith(("running_mean", "bias")):
                value.normal_(0.0, 0.2)
            elif name.endswith("weight") and value.ndim == 1:
                value.uniform_(0.5, 1.5)
    return module.eval()


def test_counts_match_torchvision_with_5x5(student):
    """Modules 4a and 5b of GoogLeNet and a small one: torchvision's count with branch 3's conv 5x5."""
    for args in [(480, 192, 96, 208, 16, 48, 64), (832, 384, 192, 384, 48, 128, 128), (10, 3, 4, 5, 2, 6, 7)]:
        expected = sum(p.numel() for p in paper_inception(args).parameters())
        got = parameter_count(student.Inception(*args))
        assert got == expected, f"Inception{args} has {got} parameters, expected {expected}"


def test_forward_matches_torchvision(student):
    """Inception(6, 3, 4, 5, 2, 4, 3) equals torchvision's module (with the 5x5) given the same weights."""
    args = (6, 3, 4, 5, 2, 4, 3)
    reference = paper_inception(args, seed=1)
    block = student.Inception(*args)
    own = state_dict_arrays(block)
    theirs = reference.state_dict()
    for branch in ("branch1", "branch2", "branch3", "branch4"):
        mine = [k for k in own if k.startswith(branch + ".")]
        their = [k for k in theirs if k.startswith(branch + ".")]
        shapes = [own[k].shape for k in mine]
        assert shapes == [tuple(theirs[k].shape) for k in their], (
            f"{branch}'s parameters and buffers, in order, should be conv weight, then the batch norm's, for each "
            "conv-BN-ReLU unit")
    state = {mine: theirs[their].clone() for branch in ("branch1", "branch2", "branch3", "branch4")
             for mine, their in zip([k for k in own if k.startswith(branch + ".")],
                                    [k for k in theirs if k.startswith(branch + ".")])}
    try:
        block.load_state_dict(state)
    except StudentError as error:
        raise AssertionError(f"the weights could not be loaded into your module: {error}") from None
    block.eval()
    x = torch.randn(2, 6, 7, 5, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        expected = reference(x)
    got = block(x)
    assert tuple(got.shape) == tuple(expected.shape), (f"expected the shape {tuple(expected.shape)}, got "
                                                       f"{tuple(got.shape)}")
    # torchvision's batch norms use eps = 1e-3, nn.BatchNorm2d's default is 1e-5: a tolerance covers both.
    np.testing.assert_allclose(np.asarray(got.detach()), np.asarray(expected), rtol=2e-3, atol=2e-3, err_msg=(
        "with the same weights your module's output differs from the Inception module's: four conv-BN-ReLU "
        "branches (1x1; 1x1 then 3x3; 1x1 then 5x5; 3x3 max pooling with stride 1 then 1x1), concatenated"))


def test_shapes_on_other_sizes(student):
    """Inception(5, 1, 2, 3, 1, 2, 4) keeps 1x1, 3x3 and 10x3 inputs and gives 10 channels."""
    block = student.Inception(5, 1, 2, 3, 1, 2, 4)
    for size in [(1, 1), (3, 3), (10, 3)]:
        shape = tuple(block(torch.rand(2, 5, *size)).shape)
        assert shape == (2, 10, *size), f"an input of size {size} gave {shape}, expected {(2, 10, *size)}"
