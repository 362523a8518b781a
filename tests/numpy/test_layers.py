"""Every NumPy layer against PyTorch (float64) and against numerical gradients."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

from cnncourse.numpy import init
from cnncourse.numpy import layers as L
from cnncourse.numpy.gradcheck import check_layer

F64 = np.float64


def rand(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def away_from_zero(*shape, seed=0, margin=0.1):
    """Random values with |x| >= margin, so that finite differences never straddle a kink at 0."""
    x = rand(*shape, seed=seed)
    return np.where(np.abs(x) < margin, np.sign(x + 1e-12) * margin + x, x)


def assert_close(ours, theirs):
    np.testing.assert_allclose(ours, np.asarray(theirs), rtol=1e-6, atol=1e-10)


def compare_with_torch(layer, torch_fn, x, torch_params=None, seed=1):
    """Forward, dx and every listed parameter gradient of `layer` against `torch_fn` in float64."""
    torch_params = torch_params or {}
    out = layer.forward(x)
    dout = rand(*out.shape, seed=seed)
    dx = layer.backward(dout)
    xt = torch.tensor(x, requires_grad=True)
    out_t = torch_fn(xt)
    out_t.backward(torch.tensor(dout))
    assert out.dtype == F64
    assert_close(out, out_t.detach().numpy())
    assert_close(dx, xt.grad.numpy())
    assert set(layer.grads) == set(layer.params)
    for name, tensor in torch_params.items():
        assert_close(layer.grads[name], tensor.grad.numpy())


def torch_param(layer, name):
    return torch.tensor(layer.params[name], requires_grad=True)


def assert_gradcheck(layer, x, tol=1e-6):
    errors = check_layer(layer, x, seed=99)  # not 0: a dout equal to x (same draws) hides errors
    assert set(errors) == {"x", *layer.params}
    assert max(errors.values()) < tol, errors


# ----------------------------------------------------------------------------- init


@pytest.mark.parametrize("shape", [(3, 7), (16, 3, 5, 5), (8, 4, 1, 3), (2, 5, 3)])
def test_fans_match_torch(shape):
    assert init.fan_in_and_fan_out(shape) == torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))


def test_he_and_xavier_scales():
    shape = (200, 50, 3, 3)
    fan_in, fan_out = init.fan_in_and_fan_out(shape)
    he = init.he_normal(shape, fan_in, seed=0)
    assert he.dtype == np.float32
    assert he.std() == pytest.approx(np.sqrt(2 / fan_in), rel=0.02)
    bound = np.sqrt(6 / fan_in)
    hu = init.he_uniform(shape, fan_in, seed=0)
    assert np.abs(hu).max() <= bound and np.abs(hu).max() > 0.99 * bound
    assert hu.std() == pytest.approx(np.sqrt(2 / fan_in), rel=0.02)
    xn = init.xavier_normal(shape, fan_in, fan_out, seed=0)
    assert xn.std() == pytest.approx(np.sqrt(2 / (fan_in + fan_out)), rel=0.02)
    xu = init.xavier_uniform(shape, fan_in, fan_out, seed=0, dtype=F64)
    assert xu.dtype == F64
    assert np.abs(xu).max() <= np.sqrt(6 / (fan_in + fan_out))
    assert xu.std() == pytest.approx(np.sqrt(2 / (fan_in + fan_out)), rel=0.02)


def test_init_is_reproducible_and_rejects_bad_fans():
    np.testing.assert_array_equal(init.he_normal((4, 3), 3, seed=5), init.he_normal((4, 3), 3, seed=5))
    with pytest.raises(ValueError, match="fan_in must be a positive integer"):
        init.he_normal((4, 3), 0)
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        init.fan_in_and_fan_out((5,))


def test_layers_use_he_or_xavier():
    he = L.Linear(400, 300, seed=0).params["W"]
    xavier = L.Linear(400, 300, init="xavier", seed=0).params["W"]
    assert he.std() == pytest.approx(np.sqrt(2 / 400), rel=0.02)
    assert np.abs(xavier).max() <= np.sqrt(6 / 700)
    with pytest.raises(ValueError, match="init must be 'he' or 'xavier'"):
        L.Conv2d(1, 2, 3, init="orthogonal")


# ----------------------------------------------------------------------------- Linear and Conv2d


@pytest.mark.parametrize("n, d_in, d_out, bias", [(4, 5, 3, True), (1, 7, 3, False), (6, 2, 9, True)])
def test_linear_matches_torch(n, d_in, d_out, bias):
    layer = L.Linear(d_in, d_out, bias=bias, seed=0, dtype=F64)
    if bias:
        layer.params["b"][...] = rand(d_out, seed=3)
    params = {name: torch_param(layer, name) for name in layer.params}
    compare_with_torch(layer, lambda x: TF.linear(x, params["W"], params.get("b")), rand(n, d_in), params)
    assert_gradcheck(layer, rand(n, d_in, seed=2))


@pytest.mark.parametrize(
    "x_shape, c_out, kernel_size, stride, padding",
    [
        ((2, 3, 7, 7), 4, 3, 1, 0),
        ((1, 2, 8, 6), 3, 3, 2, 1),
        ((2, 1, 5, 5), 2, (2, 3), (1, 2), (1, 0)),
        ((3, 4, 6, 6), 2, 1, 1, 0),
    ],
)
def test_conv2d_matches_torch(x_shape, c_out, kernel_size, stride, padding):
    layer = L.Conv2d(x_shape[1], c_out, kernel_size, stride, padding, seed=0, dtype=F64)
    layer.params["b"][...] = rand(c_out, seed=4)
    W, b = torch_param(layer, "W"), torch_param(layer, "b")
    compare_with_torch(layer, lambda x: TF.conv2d(x, W, b, stride, padding), rand(*x_shape), {"W": W, "b": b})


def test_conv2d_gradcheck():
    assert_gradcheck(L.Conv2d(2, 3, 3, stride=2, padding=1, seed=0, dtype=F64), rand(2, 2, 5, 5))
    assert_gradcheck(L.Conv2d(1, 2, (1, 3), bias=False, seed=0, dtype=F64), rand(1, 1, 1, 6))


def test_float64_input_with_float32_params():
    layer = L.Conv2d(2, 3, 3, seed=0)
    x = rand(2, 2, 4, 4)
    out = layer(x)
    assert layer.params["W"].dtype == np.float32 and out.dtype == F64
    layer.backward(np.ones_like(out))
    assert layer.grads["W"].dtype == np.float32
    assert layer(x.astype(np.float32)).dtype == np.float32


# ----------------------------------------------------------------------------- pooling and reshaping


@pytest.mark.parametrize(
    "x_shape, kernel_size, stride", [((2, 3, 6, 6), 2, None), ((1, 2, 7, 5), 3, 2), ((2, 1, 5, 6), (2, 3), 1)]
)
def test_pools_match_torch(x_shape, kernel_size, stride):
    # A permutation: all values distinct, so every window has a unique max as in torch.
    x = np.random.default_rng(0).permutation(np.prod(x_shape)).reshape(x_shape) * 0.1
    compare_with_torch(L.MaxPool2d(kernel_size, stride), lambda t: TF.max_pool2d(t, kernel_size, stride), x)
    compare_with_torch(L.AvgPool2d(kernel_size, stride), lambda t: TF.avg_pool2d(t, kernel_size, stride), x)
    # Values 0.1 apart and h = 1e-6: the argmax never changes inside a finite difference.
    assert_gradcheck(L.MaxPool2d(kernel_size, stride), x)
    assert_gradcheck(L.AvgPool2d(kernel_size, stride), x)


def test_global_avg_pool_and_flatten_match_torch():
    x = rand(2, 3, 4, 5)
    compare_with_torch(L.GlobalAvgPool2d(), lambda t: TF.adaptive_avg_pool2d(t, 1).flatten(1), x)
    compare_with_torch(L.Flatten(), lambda t: t.flatten(1), x)
    assert L.Flatten()(x).shape == (2, 60)
    assert_gradcheck(L.GlobalAvgPool2d(), x)
    assert_gradcheck(L.Flatten(), x)


# ----------------------------------------------------------------------------- activations


@pytest.mark.parametrize(
    "layer, torch_fn",
    [
        (L.ReLU(), TF.relu),
        (L.LeakyReLU(), TF.leaky_relu),
        (L.LeakyReLU(0.2), lambda t: TF.leaky_relu(t, 0.2)),
        (L.Sigmoid(), torch.sigmoid),
        (L.Tanh(), torch.tanh),
        (L.Swish(), TF.silu),
        (L.Swish(beta=2.5), lambda t: t * torch.sigmoid(2.5 * t)),
    ],
)
@pytest.mark.parametrize("shape", [(4, 6), (2, 3, 4, 5)])
def test_activations_match_torch(layer, torch_fn, shape):
    x = away_from_zero(*shape)
    compare_with_torch(layer, torch_fn, x)
    assert_gradcheck(layer, x)


@pytest.mark.parametrize("num_parameters, shape", [(1, (4, 6)), (1, (2, 3, 4, 4)), (3, (2, 3, 4, 4)), (5, (4, 5))])
def test_prelu_matches_torch(num_parameters, shape):
    layer = L.PReLU(num_parameters, dtype=F64)
    layer.params["alpha"][...] = 0.1 + np.arange(num_parameters) * 0.2
    alpha = torch_param(layer, "alpha")
    x = away_from_zero(*shape)
    compare_with_torch(layer, lambda t: TF.prelu(t, alpha), x, {"alpha": alpha})
    assert_gradcheck(layer, x)


# ----------------------------------------------------------------------------- dropout


def test_dropout_eval_is_identity():
    x = rand(3, 4)
    layer = L.Dropout(0.5, seed=0).eval()
    np.testing.assert_array_equal(layer(x), x)
    np.testing.assert_array_equal(layer.backward(x), x)


def test_dropout_train_keeps_expectation_and_drops_p():
    p = 0.3
    layer = L.Dropout(p, seed=0)
    x = np.ones((200, 500))
    out = layer(x)
    assert np.mean(out == 0) == pytest.approx(p, abs=0.01)
    assert out.mean() == pytest.approx(1.0, abs=0.01)
    np.testing.assert_allclose(out[out != 0], 1 / (1 - p))
    # The gradient flows through exactly the units that were kept, with the same scale.
    np.testing.assert_array_equal(layer.backward(np.ones_like(x)), out)


def test_dropout_masks_follow_the_seed_and_gradcheck_in_train_mode():
    x = rand(4, 5)
    np.testing.assert_array_equal(L.Dropout(0.5, seed=7)(x), L.Dropout(0.5, seed=7)(x))
    assert not np.array_equal(L.Dropout(0.5, seed=7)(x), L.Dropout(0.5, seed=8)(x))
    assert_gradcheck(L.Dropout(0.5, seed=0), x)


# ----------------------------------------------------------------------------- batch norm and LRN


@pytest.mark.parametrize(
    "ours, theirs, shape",
    [(L.BatchNorm1d, torch.nn.BatchNorm1d, (8, 3)), (L.BatchNorm2d, torch.nn.BatchNorm2d, (4, 3, 5, 5))],
)
def test_batchnorm_matches_torch_in_train_and_eval(ours, theirs, shape):
    c = shape[1]
    layer = ours(c, momentum=0.2, dtype=F64)
    layer.params["gamma"][...] = 1 + rand(c, seed=5)
    layer.params["beta"][...] = rand(c, seed=6)
    ref = theirs(c, momentum=0.2).double()
    with torch.no_grad():
        ref.weight.copy_(torch.tensor(layer.params["gamma"]))
        ref.bias.copy_(torch.tensor(layer.params["beta"]))
    for step in range(3):
        x = 2 + 3 * rand(*shape, seed=10 + step)
        ref.zero_grad()
        compare_with_torch(layer, ref, x, {"gamma": ref.weight, "beta": ref.bias}, seed=step)
        assert_close(layer.running_mean, ref.running_mean.numpy())
        assert_close(layer.running_var, ref.running_var.numpy())
    layer.eval()
    ref.eval()
    ref.zero_grad()
    compare_with_torch(layer, ref, rand(*shape, seed=20), {"gamma": ref.weight, "beta": ref.bias})
    # Eval must not touch the running statistics.
    assert_close(layer.running_mean, ref.running_mean.numpy())


@pytest.mark.parametrize("layer_cls, shape", [(L.BatchNorm1d, (6, 4)), (L.BatchNorm2d, (3, 2, 3, 3))])
def test_batchnorm_gradcheck(layer_cls, shape):
    layer = layer_cls(shape[1], dtype=F64)
    layer.params["gamma"][...] = 1 + rand(shape[1], seed=5)
    before = layer.running_mean.copy()
    assert_gradcheck(layer, rand(*shape))
    np.testing.assert_array_equal(layer.running_mean, before)  # check_layer leaves the layer as it was
    layer.running_mean[...] = rand(shape[1], seed=7)
    layer.running_var[...] = 0.5 + rand(shape[1], seed=8) ** 2
    assert_gradcheck(layer.eval(), rand(*shape))


def test_batchnorm_errors():
    with pytest.raises(ValueError, match=r"BatchNorm2d expected input \(N, C, H, W\) with C = 3"):
        L.BatchNorm2d(3)(rand(2, 4, 3, 3))
    with pytest.raises(ValueError, match=r"BatchNorm1d expected input \(N, C\)"):
        L.BatchNorm1d(3)(rand(2, 3, 5))
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        L.BatchNorm1d(3)(rand(1, 3))


@pytest.mark.parametrize("size, shape", [(2, (2, 5, 3, 3)), (3, (1, 4, 2, 3)), (5, (2, 7, 3, 2)), (4, (3, 6, 5))])
def test_local_response_norm_matches_torch(size, shape):
    # A large alpha and small k make the normalisation (and its gradient) matter.
    layer = L.LocalResponseNorm(size, alpha=0.5, beta=0.75, k=2.0)
    ref = torch.nn.LocalResponseNorm(size, alpha=0.5, beta=0.75, k=2.0)
    x = rand(*shape)
    compare_with_torch(layer, ref, x)
    assert_gradcheck(layer, x)
    compare_with_torch(L.LocalResponseNorm(size), torch.nn.LocalResponseNorm(size), x)


# ----------------------------------------------------------------------------- residual


def test_identity_residual_matches_torch():
    conv = L.Conv2d(3, 3, 3, padding=1, seed=0, dtype=F64)
    block = L.Residual(L.Sequential(conv, L.Tanh()))
    W, b = torch_param(conv, "W"), torch_param(conv, "b")
    x = rand(2, 3, 4, 4)
    compare_with_torch(block, lambda t: t + torch.tanh(TF.conv2d(t, W, b, padding=1)), x,
                       {"branch.0.W": W, "branch.0.b": b})
    assert_gradcheck(block, x)


def torch_basic_block(block, x, stride):
    """The same basic block written with torch.nn.functional and block's parameter tensors."""
    p = {name: torch_param(block, name) for name in block.params}

    def bn(t, prefix):
        return TF.batch_norm(t, None, None, p[prefix + ".gamma"], p[prefix + ".beta"], training=True)

    out = TF.relu(bn(TF.conv2d(x, p["0.branch.0.W"], stride=stride, padding=1), "0.branch.1"))
    out = bn(TF.conv2d(out, p["0.branch.3.W"], padding=1), "0.branch.4")
    skip = x if "0.shortcut.0.W" not in p else bn(TF.conv2d(x, p["0.shortcut.0.W"], stride=stride), "0.shortcut.1")
    return TF.relu(out + skip), p


@pytest.mark.parametrize("c_in, c_out, stride", [(3, 3, 1), (2, 4, 2)])
def test_basic_block_matches_torch(c_in, c_out, stride):
    block = L.Residual.basic(c_in, c_out, stride, seed=0, dtype=F64)
    has_projection = stride != 1 or c_in != c_out
    assert ("0.shortcut.0.W" in block.params) == has_projection
    x = rand(2, c_in, 6, 6)
    out = block(x)
    assert out.shape == (2, c_out, 6 // stride, 6 // stride)
    dout = rand(*out.shape, seed=1)
    dx = block.backward(dout)
    xt = torch.tensor(x, requires_grad=True)
    out_t, p = torch_basic_block(block, xt, stride)
    out_t.backward(torch.tensor(dout))
    assert_close(out, out_t.detach().numpy())
    assert_close(dx, xt.grad.numpy())
    for name, tensor in p.items():
        assert_close(block.grads[name], tensor.grad.numpy())


def test_residual_shape_mismatch_is_explained():
    with pytest.raises(ValueError, match="use a projection shortcut"):
        L.Residual(L.Conv2d(2, 4, 3, padding=1))(rand(1, 2, 4, 4))


# ----------------------------------------------------------------------------- Sequential


def test_sequential_shares_arrays_and_modes():
    model = L.Sequential(L.Conv2d(1, 2, 3, seed=0), L.BatchNorm2d(2), L.ReLU(), L.Flatten(), L.Dropout(),
                         L.Linear(8, 3, seed=1))
    assert list(model.params) == ["0.W", "0.b", "1.gamma", "1.beta", "5.W", "5.b"]
    assert list(model.grads) == list(model.params)
    assert model.params["0.W"] is model[0].params["W"]
    assert model.grads["5.b"] is model[5].grads["b"]
    assert len(model) == 6 and [type(m).__name__ for m in model][:3] == ["Conv2d", "BatchNorm2d", "ReLU"]
    assert isinstance(model[1:3], L.Sequential) and len(model[1:3]) == 2
    assert model.eval() is model and not any(layer.training for layer in model)
    assert model.train() is model and all(layer.training for layer in model)
    out = model(rand(4, 1, 4, 4))
    model.backward(np.ones_like(out))
    assert np.abs(model.grads["0.W"]).sum() > 0 and np.shares_memory(model.grads["0.W"], model[0].grads["W"])
    assert L.num_parameters(model) == 2 * 9 + 2 + 2 + 2 + 8 * 3 + 3
    assert repr(model[5]) == "Linear(in_features=8, out_features=3)"
    assert repr(model[1:3]) == "Sequential(\n  (0): BatchNorm2d(num_features=2, eps=1e-05, momentum=0.1)\n  (1): ReLU()\n)"


def test_sequential_gradcheck():
    # No conv bias: BatchNorm subtracts the mean, so a bias before it has a gradient of exactly 0,
    # which no relative error can check.
    model = L.Sequential(
        L.Conv2d(2, 3, 3, padding=1, bias=False, seed=0, dtype=F64),
        L.BatchNorm2d(3, dtype=F64),
        L.Tanh(),
        L.AvgPool2d(2),
        L.Flatten(),
        L.Dropout(0.25, seed=1),
        L.Linear(12, 2, seed=2, dtype=F64),
    )
    assert_gradcheck(model, rand(3, 2, 4, 4))


def test_global_local_and_shared_connectivity_counts():
    """7 inputs, 3 hidden units: global 3 x 7 = 21, local 3 x 3 = 9, shared 1 x 3 = 3 weights."""
    x = rand(1, 7)
    dense = L.Linear(7, 3, bias=False, seed=0)
    # Local: hidden unit j sees inputs 2j..2j+2 with its own 3 weights. A 1-row Conv2d with 3 output
    # channels computes every channel at every position; unit j is channel j at position j.
    local = L.Conv2d(1, 3, (1, 3), stride=2, bias=False, seed=0, dtype=F64)
    shared = L.Conv2d(1, 1, (1, 3), stride=2, bias=False, seed=0, dtype=F64)
    assert [L.num_parameters(m) for m in (dense, local, shared)] == [21, 9, 3]
    image = x.reshape(1, 1, 1, 7)
    local_out = local(image)[0, :, 0, :]
    kernels = local.params["W"][:, 0, 0, :]
    assert_close(np.diag(local_out), [kernels[j] @ x[0, 2 * j : 2 * j + 3] for j in range(3)])
    # Shared: the same 3 weights slide along, i.e. a banded 3 x 7 matrix with only 3 free numbers.
    banded = np.zeros((3, 7))
    for j in range(3):
        banded[j, 2 * j : 2 * j + 3] = shared.params["W"][0, 0, 0]
    assert_close(shared(image)[0, 0, 0], banded @ x[0])


# ----------------------------------------------------------------------------- bad input


def test_bad_input_errors():
    with pytest.raises(ValueError, match=r"Linear expected input with 5 features \(N, 5\), got \(4, 3\)"):
        L.Linear(5, 2)(np.zeros((4, 3)))
    with pytest.raises(ValueError, match="Conv2d expected 3 input channels, got 1"):
        L.Conv2d(3, 4, 3)(np.zeros((2, 1, 5, 5)))
    with pytest.raises(ValueError, match=r"Conv2d input must be 4-D \(N, C, H, W\)"):
        L.Conv2d(3, 4, 3)(np.zeros((3, 5, 5)))
    with pytest.raises(ValueError, match=r"kernel_size \(5, 5\) is larger than the padded input \(4, 4\)"):
        L.Conv2d(1, 1, 5, padding=1)(np.zeros((1, 1, 2, 2)))
    with pytest.raises(ValueError, match=r"MaxPool2d input must be 4-D \(N, C, H, W\)"):
        L.MaxPool2d(2)(np.zeros((4, 4)))
    with pytest.raises(ValueError, match="PReLU with 3 slopes"):
        L.PReLU(3)(np.zeros((2, 4, 5, 5)))
    with pytest.raises(ValueError, match=r"p must be a probability in \[0, 1\)"):
        L.Dropout(1.5)
    with pytest.raises(ValueError, match="in_features must be a positive integer"):
        L.Linear(0, 3)
    with pytest.raises(TypeError, match="dtype must be a floating type"):
        L.Linear(2, 3, dtype=np.int32)
    with pytest.raises(RuntimeError, match="backward called before forward"):
        L.ReLU().backward(np.zeros(3))
    with pytest.raises(ValueError, match=r"expected dout of the output's shape \(2, 3\)"):
        layer = L.Linear(4, 3)
        layer(np.zeros((2, 4)))
        layer.backward(np.zeros((2, 4)))
    with pytest.raises(TypeError, match="Sequential takes Layer objects"):
        L.Sequential(L.ReLU(), "relu")
