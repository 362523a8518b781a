"""Initialization and the scale of activations in a deep MLP (Glorot & Bengio 2010; He et al. 2015)."""

import numpy as np
import pytest
import torch

from cnncourse.torch.init_stats import activation_statistics, fill_weight

DEPTH, WIDTH, N = 10, 256, 256


def stats(init, activation):
    return activation_statistics(depth=DEPTH, width=WIDTH, init=init, activation=activation, n=N, seed=0)


def test_small_gaussian_init_with_tanh_collapses_the_activations():
    s = stats("normal-0.01", "tanh")
    assert s.std.shape == s.mean.shape == s.grad_norm.shape == (DEPTH,)
    # Each layer multiplies the scale by about 0.01 * sqrt(256) = 0.16.
    assert np.all(np.diff(s.std) < 0)
    assert s.std[-1] < 1e-6 < s.std[0]
    np.testing.assert_allclose(s.std[1:] / s.std[:-1], 0.16, rtol=0.15)


def test_xavier_keeps_tanh_activations_within_a_band():
    s = stats("xavier", "tanh")
    assert np.all((0.15 < s.std) & (s.std < 1.0))
    assert np.all(np.abs(s.mean) < 0.05)  # tanh is odd: zero-mean in, zero-mean out


def test_he_keeps_relu_activations_at_a_constant_scale_and_xavier_does_not():
    he, xavier = stats("he", "relu"), stats("xavier", "relu")
    assert he.std.max() / he.std.min() < 1.5
    # Xavier's variance is half of what ReLU needs, so the scale halves about every two layers.
    assert xavier.std[-1] / xavier.std[0] < 0.1


def test_large_init_saturates_tanh_and_explodes_relu():
    assert np.all(stats("normal-1", "tanh").std > 0.9)  # units stuck at -1 or +1
    relu = stats("normal-1", "relu")
    np.testing.assert_allclose(relu.std[1:] / relu.std[:-1], np.sqrt(WIDTH / 2), rtol=0.2)


def test_gradient_norms_match_autograd_of_the_same_network():
    """Rebuild the network by hand from the same seed and compare the last layer's gradient."""
    s = activation_statistics(depth=3, width=8, init="he", activation="relu", n=5, seed=3)
    g = torch.Generator().manual_seed(3)
    weights = [fill_weight(torch.empty(8, 8), "he", g).requires_grad_() for _ in range(3)]
    h = torch.randn(5, 8, generator=g)
    for w in weights:
        h = torch.relu(h @ w.T)
    (h.sum() / 5).backward()
    np.testing.assert_allclose(s.grad_norm, [w.grad.norm().item() for w in weights], rtol=1e-5)
    np.testing.assert_allclose(s.std[-1], h.std().item(), rtol=1e-5)


def test_init_weight_standard_deviations():
    g = torch.Generator().manual_seed(0)
    for init, expected in [("xavier", (2 / (300 + 200)) ** 0.5), ("he", (2 / 300) ** 0.5), ("normal-0.05", 0.05)]:
        w = fill_weight(torch.empty(200, 300), init, g)
        assert w.std().item() == pytest.approx(expected, rel=0.02)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"init": "orthogonal"}, "init must be 'xavier', 'he' or 'normal-<std>'"),
        ({"init": "normal-abc"}, "needs a non-negative number"),
        ({"activation": "softplus"}, "unknown activation .softplus.; choose one of relu"),
        ({"depth": 0}, "depth must be a positive integer"),
        ({"width": 0}, "width must be a positive integer"),
    ],
)
def test_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        activation_statistics(**({"n": 4, "width": 4} | kwargs))


def test_fill_weight_takes_a_seed_or_a_generator():
    a, b = fill_weight(torch.empty(5, 4), "he", seed=3), fill_weight(torch.empty(5, 4), "he", seed=3)
    torch.testing.assert_close(a, b)
    g = torch.Generator().manual_seed(3)
    torch.testing.assert_close(fill_weight(torch.empty(5, 4), "he", g), a)
    assert not torch.equal(fill_weight(torch.empty(5, 4), "he", g), a)  # a generator advances


def test_pytorch_default_init_has_a_sixth_of_he_variance():
    """The fact the model docstrings state: uniform on +-1/sqrt(fan_in), variance 1/(3 fan_in) = (2/fan_in) / 6."""
    torch.manual_seed(0)
    fan_in = 500
    default = torch.nn.Linear(fan_in, 400).weight
    assert default.abs().max().item() <= fan_in**-0.5
    assert default.var().item() == pytest.approx(1 / (3 * fan_in), rel=0.02)
    assert default.var().item() / (2 / fan_in) == pytest.approx(1 / 6, rel=0.02)
