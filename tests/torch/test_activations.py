"""Every activation name of the shared list (cnncourse.activations), in the torch half.

Driven by the same list as tests/numpy/test_activations.py: every name builds in both halves, every
model family accepts it, and the initialisation follows the name's entry, as the NumPy layers do; test_lenet_parity.py compares
LeNet-5 in the two halves for every name.
"""

import numpy as np
import pytest
import torch
from torch import nn

import cnncourse.numpy as cn
from cnncourse import activations
from cnncourse.activations import ACTIVATION_ALIASES, ACTIVATIONS, activation_spec
from cnncourse.numpy import layers as numpy_layers
from cnncourse.torch import models
from cnncourse.torch.models import utils as torch_utils

NAMES = [*ACTIVATIONS, *ACTIVATION_ALIASES]


def test_both_halves_implement_exactly_the_shared_names():
    assert set(numpy_layers._ACTIVATION_LAYERS) == set(ACTIVATIONS)
    assert set(torch_utils._ACTIVATION_MODULES) == set(ACTIVATIONS)
    assert models.ACTIVATIONS is activations.ACTIVATIONS  # one list, not a second one with the same name
    assert set(ACTIVATIONS) == {"relu", "leaky_relu", "prelu", "elu", "gelu", "silu", "sigmoid", "tanh"}
    assert activation_spec("swish").name == "silu"


@pytest.mark.parametrize("name", NAMES)
def test_torch_module_computes_what_the_numpy_layer_computes(name):
    x = np.linspace(-4, 4, 33).reshape(1, 1, 3, 11)
    ours = cn.make_activation(name).forward(x)
    theirs = models.make_activation(name).double()(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(theirs, ours, rtol=1e-6, atol=1e-12)


@pytest.mark.parametrize("name", NAMES)
def test_every_call_returns_a_fresh_module(name):
    a, b = models.make_activation(name), models.make_activation(name)
    assert a is not b and type(a) is type(b)


FAMILIES = {  # small members of every family, sized to run in milliseconds
    "lenet5": (lambda act: models.lenet5(input_size=8, activation=act), (2, 1, 8, 8)),
    "alexnet_small": (lambda act: models.alexnet_small(activation=act), (2, 3, 32, 32)),
    "vgg_small": (lambda act: models.vgg_small(activation=act, width=4), (2, 3, 32, 32)),
    "resnet_cifar": (lambda act: models.resnet_cifar(8, activation=act, width=4), (2, 3, 16, 16)),
    "densenet_small": (lambda act: models.densenet_small(activation=act, growth_rate=2, block_layers=(1, 1)),
                       (2, 3, 16, 16)),
    "googlenet_small": (lambda act: models.googlenet_small(activation=act), (2, 3, 32, 32)),
}


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("name", NAMES)
def test_every_family_accepts_every_name(family, name):
    build, shape = FAMILIES[family]
    torch.manual_seed(0)
    model = build(name).eval()
    kind = type(models.make_activation(name))
    assert any(isinstance(m, kind) for m in model.modules())
    assert model(torch.rand(shape)).shape == (2, 10)


@pytest.mark.parametrize("name", NAMES)
def test_initialisation_follows_the_shared_entry(name):
    """fan_in He-normal for the rectifiers, Xavier-uniform for the squashing functions, in conv and linear layers."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(64, 128, 3), nn.Linear(600, 500))
    models.init_weights(model, name)
    conv, linear = model
    if activation_spec(name).init == "he":
        expected = [(2 / (64 * 9)) ** 0.5, (2 / 600) ** 0.5]
    else:
        expected = [(2 / (64 * 9 + 128 * 9)) ** 0.5, (2 / (600 + 500)) ** 0.5]
    assert [conv.weight.std().item(), linear.weight.std().item()] == pytest.approx(expected, rel=0.03)
    assert conv.bias.abs().max().item() == 0 and linear.bias.abs().max().item() == 0

