"""cnncourse.torch's LeNet-5 is the same network as cnncourse.numpy's, at every input size."""

import numpy as np
import pytest
import torch

from cnncourse.activations import ACTIVATIONS
from cnncourse.numpy import LeNet5, num_parameters
from cnncourse.torch.models import count_parameters, lenet5

# Every activation name of the shared list at 8x8, and the other sizes with both pooling modes.
CASES = [(8, name, "max") for name in ACTIVATIONS] + [(28, "tanh", "avg"), (32, "tanh", "max"), (32, "relu", "avg")]


@pytest.mark.parametrize("input_size, activation, pooling", CASES)
def test_same_parameters_and_outputs(input_size, activation, pooling):
    ours = LeNet5(num_classes=10, input_size=input_size, activation=activation, pooling=pooling, seed=0, dtype=np.float64)
    theirs = lenet5(num_classes=10, activation=activation, pooling=pooling, input_size=input_size).double()
    assert num_parameters(ours) == count_parameters(theirs)
    # Copy the NumPy weights into the torch modules in order (conv, conv, linear, linear, linear).
    layers = [m for m in theirs.modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear))]
    with_weights = [layer for layer in ours if "W" in layer.params]
    with torch.no_grad():
        for t, n in zip(layers, with_weights, strict=True):
            t.weight.copy_(torch.from_numpy(n.params["W"]))
            t.bias.copy_(torch.from_numpy(n.params["b"]))
    x = np.random.default_rng(0).random((3, 1, input_size, input_size))
    np.testing.assert_allclose(theirs(torch.from_numpy(x)).detach().numpy(), ours.forward(x), rtol=1e-10, atol=1e-12)


def test_digits_variant_size_and_errors():
    assert count_parameters(lenet5(input_size=8)) == 19_754
    with pytest.raises(ValueError, match="lenet5 expects 8x8 inputs, got 32x32"):
        lenet5(input_size=8)(torch.zeros(1, 1, 32, 32))
    with pytest.raises(ValueError, match="input_size must be one of"):
        lenet5(input_size=16)
    with pytest.raises(ValueError, match="pooling must be 'max' or 'avg', got 'median'"):
        lenet5(pooling="median")


@pytest.mark.parametrize("activation, expected_std", [("relu", (2 / 400) ** 0.5), ("tanh", (2 / (400 + 120)) ** 0.5)])
def test_initialisation_matches_numpy(activation, expected_std):
    """He for ReLU, Xavier for tanh, zero biases: the scheme of cnncourse.numpy's LeNet5."""
    torch.manual_seed(0)
    model = lenet5(activation=activation)
    assert model.c5.weight.std().item() == pytest.approx(expected_std, rel=0.05)
    assert model.c5.bias.abs().max().item() == 0
