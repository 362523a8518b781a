"""The small networks at 28x28 grey (Fashion-MNIST): shapes, parameter arithmetic, plain vs residual,
VGG's rounding pools and dense evaluation."""

import pytest
import torch

from cnncourse.torch import count_parameters, summarize
from cnncourse.torch.models import (alexnet_small, densenet_small, googlenet_small, resnet_cifar,
                                    to_fully_convolutional, vgg_small)


def test_alexnet_small_at_28_reads_3x3_maps():
    net28 = alexnet_small(in_channels=1, input_size=28)
    net32 = alexnet_small()
    assert net28(torch.zeros(2, 1, 28, 28)).shape == (2, 10)
    # only the first hidden layer and conv1 differ: 128 * (16 - 9) * 512 weights, 2 * 25 * 32 in conv1
    assert count_parameters(net32) - count_parameters(net28) == 128 * 7 * 512 + 2 * 25 * 32
    with pytest.raises(ValueError, match="28x28"):
        net28(torch.zeros(1, 1, 32, 32))


def test_vgg_small_pools_round_up_so_28_keeps_a_map():
    net = vgg_small("A", in_channels=1, width=8)
    shapes = [r.output_shape[-1] for r in summarize(net, (1, 28, 28)).rows if r.kind == "MaxPool2d"]
    assert shapes == [14, 7, 4, 2, 1]
    # on 32x32 rounding up changes nothing: same maps as rounding down
    shapes32 = [r.output_shape[-1] for r in summarize(vgg_small("A", width=8), (3, 32, 32)).rows if r.kind == "MaxPool2d"]
    assert shapes32 == [16, 8, 4, 2, 1]


def test_dense_evaluation_of_a_28x28_vgg():
    torch.manual_seed(0)
    net = vgg_small("A", in_channels=1, width=8).eval()
    dense = to_fully_convolutional(net)
    x = torch.rand(3, 1, 28, 28)
    torch.testing.assert_close(dense(x).flatten(1), net(x), atol=1e-5, rtol=1e-4)
    assert dense(torch.rand(1, 1, 28, 124)).shape == (1, 10, 1, 4)


def test_plain_network_has_the_same_parameters_and_no_shortcut():
    plain = resnet_cifar(20, in_channels=1, width=8, shortcut="none")
    residual = resnet_cifar(20, in_channels=1, width=8)
    assert count_parameters(plain) == count_parameters(residual)
    block = plain.layer1[0]
    torch.nn.init.zeros_(block.conv2.weight)  # F(x) = 0 after the second batch norm's zero shift
    x = torch.rand(2, 8, 7, 7)
    assert torch.all(block(x) == 0)  # plain: relu(F(x)) = 0, the input is lost
    res_block = residual.layer1[0]
    torch.nn.init.zeros_(res_block.conv2.weight)
    torch.testing.assert_close(res_block(x), torch.relu(x))  # residual: the input passes
    with pytest.raises(ValueError, match="shortcut"):
        resnet_cifar(20, shortcut="C")
    with pytest.raises(ValueError, match="width"):
        resnet_cifar(20, width=0)


def test_densenet_small_channel_arithmetic():
    net = densenet_small(in_channels=1, growth_rate=8, block_layers=(3, 3, 3))
    # stem 16, block1 +24 -> 40, transition -> 20, block2 -> 44 -> 22, block3 -> 46
    assert net.classifier.in_features == 46
    assert net(torch.zeros(2, 1, 28, 28)).shape == (2, 10)
    with pytest.raises(ValueError, match="growth_rate"):
        densenet_small(growth_rate=0)
    with pytest.raises(ValueError, match="block_layers"):
        densenet_small(block_layers=())


def test_googlenet_small_takes_grey_28x28():
    assert googlenet_small(in_channels=1).eval()(torch.zeros(1, 1, 28, 28)).shape == (1, 10)
