"""MLP and LeNet-5: structure, parameter counts, and the forward pass against the same net in PyTorch."""

import numpy as np
import pytest
import torch
import torch.nn.functional as tF

from cnncourse.numpy.layers import AvgPool2d, Conv2d, Linear, MaxPool2d, Tanh, num_parameters
from cnncourse.numpy.models import MLP, LeNet5
from cnncourse.numpy.optim import SGD


def test_mlp_structure_and_forward_matches_torch():
    model = MLP([3, 8, 5, 2], activation="tanh", seed=0, dtype=np.float64)
    assert [type(layer) for layer in model] == [Linear, Tanh, Linear, Tanh, Linear]
    assert num_parameters(model) == (3 * 8 + 8) + (8 * 5 + 5) + (5 * 2 + 2)
    x = np.random.default_rng(1).normal(size=(4, 3))
    p = {k: torch.from_numpy(v) for k, v in model.params.items()}
    h = torch.tanh(tF.linear(torch.from_numpy(x), p["0.W"], p["0.b"]))
    h = torch.tanh(tF.linear(h, p["2.W"], p["2.b"]))
    expected = tF.linear(h, p["4.W"], p["4.b"]).numpy()
    np.testing.assert_allclose(model.forward(x), expected, rtol=1e-12, atol=1e-12)


def test_mlp_is_reproducible_with_a_seed():
    a, b, c = MLP([2, 8, 1], seed=3), MLP([2, 8, 1], seed=3), MLP([2, 8, 1], seed=4)
    assert all(np.array_equal(a.params[k], b.params[k]) for k in a.params)
    assert not np.array_equal(a.params["0.W"], c.params["0.W"])
    assert a.params["0.W"].dtype == np.float32


def test_lenet5_has_61706_parameters_and_gives_logits():
    model = LeNet5(seed=0)
    assert num_parameters(model) == 61_706
    assert num_parameters(LeNet5(input_size=28)) == 61_706
    assert num_parameters(LeNet5(input_size=8)) == 19_754
    # Three input channels add 2 * 6 * 5 * 5 weights; two classes remove 8 * (84 + 1) from the last layer.
    assert num_parameters(LeNet5(num_classes=2, in_channels=3)) == 61_706 + 300 - 680
    x = np.random.default_rng(0).random((3, 1, 32, 32), dtype=np.float32)
    out = model.forward(x)
    assert out.shape == (3, 10) and out.dtype == np.float32


def _torch_lenet(model, x, input_size, act, pool):
    p = {k: torch.from_numpy(v) for k, v in model.params.items()}
    pad = {32: 0, 28: 2, 8: 1}[input_size]
    h = pool(act(tF.conv2d(torch.from_numpy(x), p["0.W"], p["0.b"], padding=pad)), 2)
    h = pool(act(tF.conv2d(h, p["3.W"], p["3.b"], padding=1 if input_size == 8 else 0)), 2)
    h = act(tF.linear(h.flatten(1), p["7.W"], p["7.b"]))
    h = act(tF.linear(h, p["9.W"], p["9.b"]))
    return tF.linear(h, p["11.W"], p["11.b"]).numpy()


@pytest.mark.parametrize(
    "input_size, activation, pooling",
    [(32, "tanh", "avg"), (28, "relu", "max"), (8, "relu", "avg"), (8, "tanh", "max")],
)
def test_lenet5_forward_matches_torch(input_size, activation, pooling):
    model = LeNet5(input_size=input_size, activation=activation, pooling=pooling, seed=1, dtype=np.float64)
    pool_type = AvgPool2d if pooling == "avg" else MaxPool2d
    assert isinstance(model[2], pool_type) and isinstance(model[0], Conv2d)
    x = np.random.default_rng(2).random((2, 1, input_size, input_size))
    act = torch.tanh if activation == "tanh" else torch.relu
    pool = tF.avg_pool2d if pooling == "avg" else tF.max_pool2d
    np.testing.assert_allclose(model.forward(x), _torch_lenet(model, x, input_size, act, pool), rtol=1e-10, atol=1e-12)


def test_lenet5_backward_fills_every_gradient_and_an_optimizer_step_runs():
    model = LeNet5(input_size=8, seed=0)
    out = model.forward(np.ones((2, 1, 8, 8), dtype=np.float32))
    model.backward(np.ones_like(out))
    assert set(model.grads) == set(model.params)
    assert all(np.any(g != 0) for g in model.grads.values())
    before = model.params["0.W"].copy()
    SGD(model, lr=0.1).step()
    assert not np.array_equal(before, model.params["0.W"])


def test_bad_arguments():
    with pytest.raises(ValueError, match="sizes must list at least"):
        MLP([4])
    with pytest.raises(ValueError, match="unknown activation .softplus.; choose one of relu"):
        MLP([2, 2], activation="softplus")
    with pytest.raises(ValueError, match=r"input_size must be one of \[8, 28, 32\], got 16"):
        LeNet5(input_size=16)
    with pytest.raises(ValueError, match="pooling must be 'max' or 'avg', got 'min'"):
        LeNet5(pooling="min")
    with pytest.raises(ValueError, match="input channels"):
        LeNet5(in_channels=3).forward(np.zeros((1, 1, 32, 32), dtype=np.float32))
