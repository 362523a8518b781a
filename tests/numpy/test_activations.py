"""Every activation name of the shared list (cnncourse.activations), built by cnncourse.numpy.

The list drives the tests: a name added to ``ACTIVATIONS`` is checked here against PyTorch and against
numerical gradients, and in tests/torch/test_activations.py in the torch half, without a new test.
"""

import numpy as np
import pytest
import torch

from cnncourse.activations import ACTIVATION_ALIASES, ACTIVATIONS, activation_spec
from cnncourse.numpy import LeNet5, MLP, make_activation
from cnncourse.numpy.gradcheck import check_layer
from cnncourse.torch.models import make_activation as torch_activation

NAMES = [*ACTIVATIONS, *ACTIVATION_ALIASES]


def inputs(seed=0, margin=0.05):
    """(N, C, H, W) values with |x| >= margin: no finite difference straddles the kink of a rectifier at 0."""
    x = np.random.default_rng(seed).standard_normal((2, 3, 4, 4)) * 2
    return np.where(np.abs(x) < margin, margin, x)


@pytest.mark.parametrize("name", NAMES)
def test_forward_and_backward_match_pytorch(name):
    layer = make_activation(name)
    reference = torch_activation(name).double()
    x = inputs()
    out = layer.forward(x)
    dout = np.random.default_rng(1).standard_normal(out.shape)
    dx = layer.backward(dout)
    xt = torch.tensor(x, requires_grad=True)
    out_t = reference(xt)
    out_t.backward(torch.tensor(dout))
    np.testing.assert_allclose(out, out_t.detach().numpy(), rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-6, atol=1e-12)
    for (key, grad), p in zip(layer.grads.items(), reference.parameters(), strict=True):  # PReLU's slope
        np.testing.assert_allclose(grad, p.grad.numpy().reshape(grad.shape), rtol=1e-6, err_msg=key)


@pytest.mark.parametrize("name", NAMES)
def test_gradients_match_finite_differences(name):
    layer = make_activation(name, dtype=np.float64) if activation_spec(name).name == "prelu" else make_activation(name)
    errors = check_layer(layer, inputs(seed=2))
    assert max(errors.values()) < 1e-7, errors


@pytest.mark.parametrize("name", NAMES)
def test_every_call_builds_a_fresh_layer_and_names_ignore_case(name):
    a, b = make_activation(name), make_activation(name.upper())
    assert a is not b and type(a) is type(b)


@pytest.mark.parametrize("name", NAMES)
def test_models_accept_every_name_and_initialise_for_it(name):
    """He (std sqrt(2 / fan_in)) for the rectifiers, Xavier-uniform (std sqrt(2 / (fan_in + fan_out))) otherwise."""
    mlp = MLP([400, 300, 10], activation=name, seed=0)
    std = mlp.params["0.W"].std()
    expected = np.sqrt(2 / 400) if activation_spec(name).init == "he" else np.sqrt(2 / (400 + 300))
    assert std == pytest.approx(expected, rel=0.02)
    net = LeNet5(input_size=8, activation=name, seed=0)
    assert net.forward(np.zeros((2, 1, 8, 8), dtype=np.float32)).shape == (2, 10)


def test_keywords_reach_the_layer():
    layer = make_activation("leaky_relu", negative_slope=0.2)
    np.testing.assert_allclose(layer.forward(np.array([-1.0, 2.0])), [-0.2, 2.0])


def test_unknown_names_list_the_choices():
    with pytest.raises(ValueError, match="unknown activation 'softplus'; choose one of relu, leaky_relu"):
        make_activation("softplus")
    with pytest.raises(TypeError, match="activation must be a string"):
        make_activation(3)
