"""weight_gradient_norms against autograd by hand, and errors."""

import numpy as np
import pytest
import torch
from torch import nn

from cnncourse.torch import weight_gradient_norms


def test_norms_equal_autograd_in_forward_order():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(1, 3, 3), nn.ReLU(), nn.Conv2d(3, 2, 3), nn.Flatten(), nn.Linear(2 * 2 * 2, 4))
    x, y = torch.randn(5, 1, 6, 6), torch.tensor([0, 1, 2, 3, 0])
    norms = weight_gradient_norms(net, x, y)
    nn.functional.cross_entropy(net(x), y).backward()
    expected = [net[0].weight.grad.norm().item(), net[2].weight.grad.norm().item()]
    np.testing.assert_allclose(norms, expected, rtol=1e-6)
    net.zero_grad()
    assert weight_gradient_norms(net, x, y, nn.Linear).shape == (1,)
    assert all(p.grad is None for p in net.parameters())


def test_residual_keeps_layer_gradients_within_a_narrower_range_than_plain_when_deep():
    from cnncourse.torch.models import resnet_cifar

    x, y = torch.rand(16, 1, 28, 28), torch.arange(16) % 10
    spread = {}
    for shortcut in ("none", "A"):
        ratios = []
        for seed in range(3):
            torch.manual_seed(seed)
            norms = weight_gradient_norms(resnet_cifar(56, in_channels=1, width=4, shortcut=shortcut), x, y)
            ratios.append(norms.max() / norms.min())
        spread[shortcut] = np.mean(ratios)
    # with batch norm, the plain network's early gradients blow up at initialisation; shortcuts keep them level
    assert spread["none"] > 10 * spread["A"]


def test_no_layer_of_that_type():
    with pytest.raises(ValueError, match="Conv2d"):
        weight_gradient_norms(nn.Sequential(nn.Flatten(), nn.Linear(4, 2)), torch.zeros(1, 1, 2, 2), torch.tensor([0]))
