"""Layers with a forward and a backward pass, built on ``functional``.

The contract every layer keeps (DESIGN.md):

- ``forward(x)`` returns the output and remembers what the backward pass needs; ``layer(x)`` is the same.
- ``backward(dout)`` takes dloss/doutput and returns dloss/dx. It also overwrites (never accumulates)
  ``grads[name]`` with dloss/d``params[name]`` for every parameter.
- ``params`` and ``grads`` are dicts with the same keys. Their arrays are updated in place, so an
  optimizer that changes ``params["W"]`` changes the layer. Containers (``Sequential``,
  ``Residual``) expose their children's arrays under keys like ``"0.W"`` or ``"branch.3.gamma"``.
- ``train()`` / ``eval()`` switch Dropout and BatchNorm (and every child of a container).

A layer computes in its input's floating dtype (float64 in, float64 out, with the float32
parameters cast for the computation); gradients are stored in the parameter's dtype. Integer
input is converted to float64, as ``functional`` does.
"""

from __future__ import annotations

import numpy as np
from scipy.special import erf

from . import functional as F
from ..activations import activation_spec
from ._checks import IntPair, Seed, as_float_array, check_4d, float_dtype, positive_int
from .init import fan_in_and_fan_out, he_normal, xavier_uniform

__all__ = [
    "Layer",
    "Sequential",
    "num_parameters",
    "Linear",
    "Conv2d",
    "MaxPool2d",
    "AvgPool2d",
    "GlobalAvgPool2d",
    "Flatten",
    "ReLU",
    "LeakyReLU",
    "PReLU",
    "Sigmoid",
    "Tanh",
    "Swish",
    "ELU",
    "GELU",
    "make_activation",
    "Dropout",
    "BatchNorm1d",
    "BatchNorm2d",
    "LocalResponseNorm",
    "Residual",
]


# ----------------------------------------------------------------------------- helpers


def _check_input_4d(x: np.ndarray, layer: str) -> np.ndarray:
    return check_4d(x, f"{layer} input")


def _initial_weight(init: str, shape: tuple[int, ...], seed: Seed, dtype: np.dtype) -> np.ndarray:
    fan_in, fan_out = fan_in_and_fan_out(shape)
    if init == "he":
        return he_normal(shape, fan_in, seed, dtype)
    if init == "xavier":
        return xavier_uniform(shape, fan_in, fan_out, seed, dtype)
    raise ValueError(f"init must be 'he' or 'xavier', got {init!r}")


# ----------------------------------------------------------------------------- the contract


class Layer:
    """Base class of all layers; see the module docstring for the contract.

    A subclass overrides forward and backward, registers each parameter once with
    ``self._add_param(name, array)`` and writes its gradient with ``self._set_grad(name, value)``;
    a layer built from other layers lists them in ``named_children()`` instead, and then its
    params, grads, train() and eval() cover them.
    """

    def __init__(self) -> None:
        self.training = True
        self._params: dict[str, np.ndarray] = {}
        self._grads: dict[str, np.ndarray] = {}
        self._cache = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def backward(self, dout: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.forward(x)

    def __repr__(self) -> str:
        children = self.named_children()
        if children:
            lines = [f"  ({name}): " + repr(child).replace("\n", "\n  ") for name, child in children]
            return f"{type(self).__name__}(\n" + "\n".join(lines) + "\n)"
        # The constructor's settings are the public attributes that are plain numbers or tuples.
        settings = [
            f"{name}={value!r}"
            for name, value in vars(self).items()
            if not name.startswith("_") and name != "training" and isinstance(value, (int, float, tuple))
        ]
        return f"{type(self).__name__}({', '.join(settings)})"

    def named_children(self) -> list[tuple[str, Layer]]:
        """(name, layer) pairs of the layers this one is built from; empty for a plain layer."""
        return []

    @property
    def params(self) -> dict[str, np.ndarray]:
        """Parameter arrays by name, the children's as "<child>.<name>"; update them in place."""
        return self._collect("params")

    @property
    def grads(self) -> dict[str, np.ndarray]:
        """Gradients from the last backward pass, same keys and shapes as ``params``."""
        return self._collect("grads")

    def _collect(self, attribute: str) -> dict[str, np.ndarray]:
        out = dict(self._params if attribute == "params" else self._grads)
        for prefix, child in self.named_children():
            out.update({f"{prefix}.{k}": v for k, v in getattr(child, attribute).items()})
        return out

    def train(self) -> Layer:
        """Training mode (Dropout drops, BatchNorm uses batch statistics); returns self."""
        self.training = True
        for _, child in self.named_children():
            child.train()
        return self

    def eval(self) -> Layer:
        """Evaluation mode (Dropout is the identity, BatchNorm uses running statistics); returns self."""
        self.training = False
        for _, child in self.named_children():
            child.eval()
        return self

    def _add_param(self, name: str, value: np.ndarray) -> None:
        self._params[name] = value
        self._grads[name] = np.zeros_like(value)

    def _set_grad(self, name: str, value: np.ndarray) -> None:
        # In place, so that a container's grads dict (same arrays) sees the new values.
        self._grads[name][...] = value

    def _saved(self):
        if self._cache is None:
            raise RuntimeError(f"{type(self).__name__}.backward called before forward")
        return self._cache

    def _dout(self, dout: np.ndarray, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
        dout = as_float_array(dout, "dout")
        if dout.shape != shape:
            raise ValueError(f"{type(self).__name__}.backward expected dout of the output's shape {shape}, "
                             f"got {dout.shape}")
        return dout.astype(dtype, copy=False)


def num_parameters(layer: Layer) -> int:
    """Total number of scalar parameters of a layer (and its children)."""
    return sum(p.size for p in layer.params.values())


class Sequential(Layer):
    """Layers applied one after another; backward runs them in reverse order.

    Supports len(), indexing (an int gives a layer, a slice a Sequential of the same layers) and
    iteration. params/grads are keyed "<index>.<name>", e.g. "0.W" or "3.gamma".
    """

    def __init__(self, *layers: Layer) -> None:
        super().__init__()
        for i, layer in enumerate(layers):
            if not isinstance(layer, Layer):
                raise TypeError(f"Sequential takes Layer objects, got {type(layer).__name__} at position {i}")
        self.layers = list(layers)

    def named_children(self) -> list[tuple[str, Layer]]:
        return [(str(i), layer) for i, layer in enumerate(self.layers)]

    def forward(self, x: np.ndarray) -> np.ndarray:
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self, dout: np.ndarray) -> np.ndarray:
        for layer in reversed(self.layers):
            dout = layer.backward(dout)
        return dout

    def __len__(self) -> int:
        return len(self.layers)

    def __getitem__(self, index: int | slice) -> Layer:
        if isinstance(index, slice):
            return Sequential(*self.layers[index])
        return self.layers[index]

    def __iter__(self):
        return iter(self.layers)


# ----------------------------------------------------------------------------- layers with weights


class Linear(Layer):
    """Fully connected layer: x (N, in_features) -> x @ W.T + b, (N, out_features).

    params: "W" (out_features, in_features), "b" (out_features,) unless bias=False.
    W is He-normal (init="he", for ReLU networks) or Xavier-uniform (init="xavier"); b starts at 0.
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        init: str = "he",
        seed: Seed = None,
        dtype=np.float32,
    ) -> None:
        super().__init__()
        self.in_features = positive_int(in_features, "in_features")
        self.out_features = positive_int(out_features, "out_features")
        dtype = float_dtype(dtype)
        self._add_param("W", _initial_weight(init, (self.out_features, self.in_features), seed, dtype))
        if bias:
            self._add_param("b", np.zeros(self.out_features, dtype=dtype))

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = as_float_array(x)
        if x.ndim != 2 or x.shape[1] != self.in_features:
            raise ValueError(
                f"Linear expected input with {self.in_features} features (N, {self.in_features}), got {x.shape}"
            )
        out = x @ self._params["W"].astype(x.dtype, copy=False).T
        if "b" in self._params:
            out += self._params["b"].astype(x.dtype, copy=False)
        self._cache = x
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        x = self._saved()
        dout = self._dout(dout, (x.shape[0], self.out_features), x.dtype)
        self._set_grad("W", dout.T @ x)
        if "b" in self._params:
            self._set_grad("b", dout.sum(axis=0))
        return dout @ self._params["W"].astype(x.dtype, copy=False)


class Conv2d(Layer):
    """2-D convolution: x (N, C_in, H, W) -> (N, C_out, H_out, W_out), via ``functional.conv2d_forward``.

    H_out = (H + 2 * padding - kH) // stride + 1, and likewise W_out. kernel_size, stride and
    padding are an int or a pair (h, w). params: "W" (C_out, C_in, kH, kW) (He-normal or
    Xavier-uniform, see Linear), "b" (C_out,) unless bias=False.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: IntPair,
        stride: IntPair = 1,
        padding: IntPair = 0,
        bias: bool = True,
        init: str = "he",
        seed: Seed = None,
        dtype=np.float32,
    ) -> None:
        super().__init__()
        self.in_channels = positive_int(in_channels, "in_channels")
        self.out_channels = positive_int(out_channels, "out_channels")
        kh, kw = (kernel_size, kernel_size) if np.isscalar(kernel_size) else tuple(kernel_size)
        self.kernel_size = (positive_int(kh, "kernel_size"), positive_int(kw, "kernel_size"))
        self.stride = stride
        self.padding = padding
        dtype = float_dtype(dtype)
        shape = (self.out_channels, self.in_channels) + self.kernel_size
        self._add_param("W", _initial_weight(init, shape, seed, dtype))
        if bias:
            self._add_param("b", np.zeros(self.out_channels, dtype=dtype))

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = _check_input_4d(x, "Conv2d")
        if x.shape[1] != self.in_channels:
            raise ValueError(
                f"Conv2d expected {self.in_channels} input channels, got {x.shape[1]} (input shape {x.shape})"
            )
        out, self._cache = F.conv2d_forward(x, self._params["W"], self._params.get("b"), self.stride, self.padding)
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        dx, dweight, dbias = F.conv2d_backward(dout, self._saved())
        self._set_grad("W", dweight)
        if dbias is not None:
            self._set_grad("b", dbias)
        return dx


# ----------------------------------------------------------------------------- pooling and reshaping


class _Pool2d(Layer):
    """Pooling of each channel's windows: x (N, C, H, W) -> (N, C, H_out, W_out).

    stride None means stride = kernel_size. A subclass names its functional forward/backward pair.
    """

    _forward = _backward = None

    def __init__(self, kernel_size: IntPair, stride: IntPair | None = None) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride

    def forward(self, x: np.ndarray) -> np.ndarray:
        out, self._cache = self._forward(_check_input_4d(x, type(self).__name__), self.kernel_size, self.stride)
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return self._backward(dout, self._saved())


class MaxPool2d(_Pool2d):
    """Max pooling (the gradient goes to each window's maximum); see :class:`_Pool2d` for shapes."""

    _forward, _backward = staticmethod(F.max_pool2d_forward), staticmethod(F.max_pool2d_backward)


class AvgPool2d(_Pool2d):
    """Average pooling (the gradient is shared evenly by each window); see :class:`_Pool2d` for shapes."""

    _forward, _backward = staticmethod(F.avg_pool2d_forward), staticmethod(F.avg_pool2d_backward)


class GlobalAvgPool2d(Layer):
    """Average of each feature map: x (N, C, H, W) -> (N, C), as used at the end of ResNet."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = _check_input_4d(x, "GlobalAvgPool2d")
        self._cache = x.shape, x.dtype
        return x.mean(axis=(2, 3))

    def backward(self, dout: np.ndarray) -> np.ndarray:
        shape, dtype = self._saved()
        dout = self._dout(dout, shape[:2], dtype)
        # Every pixel contributed 1 / (H * W) of its map's mean.
        return np.broadcast_to(dout[:, :, None, None] / (shape[2] * shape[3]), shape).copy()


class Flatten(Layer):
    """x (N, d1, d2, ...) -> (N, d1 * d2 * ...), e.g. conv features (N, C, H, W) -> (N, C*H*W)."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = as_float_array(x)
        if x.ndim < 1:
            raise ValueError(f"Flatten expected input with a batch dimension (N, ...), got shape {x.shape}")
        self._cache = x.shape, x.dtype
        return x.reshape(x.shape[0], -1)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        shape, dtype = self._saved()
        return self._dout(dout, (shape[0], int(np.prod(shape[1:]))), dtype).reshape(shape)


# ----------------------------------------------------------------------------- activations


class ReLU(Layer):
    """max(x, 0), any shape. The gradient passes where x > 0 and is 0 elsewhere."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = as_float_array(x)
        self._cache = x > 0, x.dtype
        return F.relu(x)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        positive, dtype = self._saved()
        return self._dout(dout, positive.shape, dtype) * positive


class LeakyReLU(Layer):
    """x for x > 0, negative_slope * x otherwise, any shape: a small gradient survives for x < 0."""

    def __init__(self, negative_slope: float = 0.01) -> None:
        super().__init__()
        self.negative_slope = negative_slope

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = as_float_array(x)
        self._cache = x
        return F.leaky_relu(x, self.negative_slope)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        x = self._saved()
        dout = self._dout(dout, x.shape, x.dtype)
        return dout * np.where(x > 0, 1.0, self.negative_slope).astype(x.dtype)


class PReLU(Layer):
    """Leaky ReLU whose negative slope is learned (He et al. 2015): x if x >= 0 else alpha * x.

    num_parameters=1 shares one slope; num_parameters=C learns one slope per channel of
    x (N, C, ...). param: "alpha" (num_parameters,), every entry starting at `init`.
    """

    def __init__(self, num_parameters: int = 1, init: float = 0.25, dtype=np.float32) -> None:
        super().__init__()
        self.num_parameters = positive_int(num_parameters, "num_parameters")
        self._add_param("alpha", np.full(self.num_parameters, init, dtype=float_dtype(dtype)))

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = as_float_array(x)
        alpha = self._params["alpha"].astype(x.dtype, copy=False)
        if self.num_parameters > 1:
            if x.ndim < 2 or x.shape[1] != self.num_parameters:
                raise ValueError(f"PReLU with {self.num_parameters} slopes expected input (N, "
                                 f"{self.num_parameters}, ...), got shape {x.shape}")
            alpha = alpha.reshape((1, -1) + (1,) * (x.ndim - 2))
        self._cache = x, alpha
        return np.where(x >= 0, x, alpha * x)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        x, alpha = self._saved()
        dout = self._dout(dout, x.shape, x.dtype)
        negative = x < 0
        dalpha = dout * x * negative
        # A shared slope collects the gradient of every element, a per-channel slope of its channel.
        if self.num_parameters == 1:
            self._set_grad("alpha", dalpha.sum())
        else:
            self._set_grad("alpha", dalpha.sum(axis=tuple(i for i in range(x.ndim) if i != 1)))
        return np.where(negative, alpha * dout, dout)


class Sigmoid(Layer):
    """1 / (1 + exp(-x)), any shape; its derivative s * (1 - s) is at most 1/4."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        out = F.sigmoid(as_float_array(x))
        self._cache = out
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        s = self._saved()
        return self._dout(dout, s.shape, s.dtype) * s * (1 - s)


class Tanh(Layer):
    """tanh(x), any shape; derivative 1 - tanh(x)^2."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        out = F.tanh(as_float_array(x))
        self._cache = out
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        t = self._saved()
        return self._dout(dout, t.shape, t.dtype) * (1 - t * t)


class Swish(Layer):
    """x * sigmoid(beta * x) (Ramachandran et al. 2017), any shape; SiLU when beta = 1.

    Derivative: s + beta * x * s * (1 - s) with s = sigmoid(beta * x).
    """

    def __init__(self, beta: float = 1.0) -> None:
        super().__init__()
        self.beta = beta

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = as_float_array(x)
        self._cache = x, F.sigmoid(self.beta * x)
        return F.swish(x, self.beta)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        x, s = self._saved()
        dout = self._dout(dout, x.shape, x.dtype)
        return dout * (s + self.beta * x * s * (1 - s))


class ELU(Layer):
    """x for x > 0, alpha * (exp(x) - 1) otherwise (Clevert et al. 2016), any shape.

    Derivative: 1 for x > 0, alpha * exp(x) = out + alpha otherwise.
    """

    def __init__(self, alpha: float = 1.0) -> None:
        super().__init__()
        self.alpha = alpha

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = as_float_array(x)
        out = F.elu(x, self.alpha)
        self._cache = x, out
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        x, out = self._saved()
        dout = self._dout(dout, x.shape, x.dtype)
        return dout * np.where(x > 0, 1.0, out + self.alpha).astype(x.dtype)


class GELU(Layer):
    """x * Phi(x), Phi the standard normal CDF (Hendrycks & Gimpel 2016), any shape; torch's exact form.

    Derivative: Phi(x) + x * phi(x), phi(x) = exp(-x^2 / 2) / sqrt(2 pi) the normal density.
    """

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = as_float_array(x)
        self._cache = x
        return F.gelu(x)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        x = self._saved()
        dout = self._dout(dout, x.shape, x.dtype)
        cdf = 0.5 * (1.0 + erf(x / np.sqrt(2.0)))
        density = np.exp(-0.5 * x * x) / np.sqrt(2.0 * np.pi)
        return (dout * (cdf + x * density)).astype(x.dtype, copy=False)


# Layer for each name of cnncourse.activations.ACTIVATIONS (the list both halves and their tests share).
_ACTIVATION_LAYERS: dict[str, type[Layer]] = {
    "relu": ReLU,
    "leaky_relu": LeakyReLU,
    "prelu": PReLU,
    "elu": ELU,
    "gelu": GELU,
    "silu": Swish,
    "sigmoid": Sigmoid,
    "tanh": Tanh,
}


def make_activation(name: str, **kwargs) -> Layer:
    """A new activation layer by name: one of ``cnncourse.activations.ACTIVATIONS`` or an alias
    ("swish" is "silu"), case-insensitive, with torch's default settings (slope 0.01, PReLU 0.25, ...);
    keywords go to the layer's class (``make_activation("leaky_relu", negative_slope=0.2)``).

    Every call returns a fresh layer, so a learnable activation (PReLU) gets its own slope per layer.
    ``cnncourse.torch.models.make_activation`` takes the same names.
    """
    return _ACTIVATION_LAYERS[activation_spec(name).name](**kwargs)


# ----------------------------------------------------------------------------- regularisation and normalisation


class Dropout(Layer):
    """Inverted dropout (Srivastava et al. 2014), any shape.

    In training each unit is zeroed with probability p and the survivors are scaled by 1 / (1 - p),
    so the expected output equals the input and evaluation needs no rescaling: in eval mode the
    layer is the identity. Masks are drawn from `seed`.
    """

    def __init__(self, p: float = 0.5, seed: Seed = None) -> None:
        super().__init__()
        if not 0.0 <= p < 1.0:
            raise ValueError(f"p must be a probability in [0, 1), got {p}")
        self.p = p
        self.rng = np.random.default_rng(seed)

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = as_float_array(x)
        if not self.training:
            self._cache = x, None
            return x
        mask = (self.rng.random(x.shape) >= self.p).astype(x.dtype) / (1.0 - self.p)
        self._cache = x, mask
        return x * mask

    def backward(self, dout: np.ndarray) -> np.ndarray:
        x, mask = self._saved()
        dout = self._dout(dout, x.shape, x.dtype)
        return dout if mask is None else dout * mask


class _BatchNorm(Layer):
    """Batch normalization (Ioffe & Szegedy 2015) over every axis but the channel axis 1.

    Training: normalise with the batch mean and (biased) variance, then scale by gamma and shift by
    beta; update running_mean and running_var (with the unbiased variance) as
    running = (1 - momentum) * running + momentum * batch, exactly as torch.
    Evaluation (Algorithm 2 of the paper): normalise with the running statistics instead.
    params: "gamma" (C,) starting at 1, "beta" (C,) starting at 0.
    """

    input_ndim = 0  # set by the subclasses
    input_layout = ""

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1, dtype=np.float32) -> None:
        super().__init__()
        self.num_features = positive_int(num_features, "num_features")
        if not 0.0 <= momentum <= 1.0:
            raise ValueError(f"momentum must be in [0, 1], got {momentum}")
        self.eps = eps
        self.momentum = momentum
        dtype = float_dtype(dtype)
        self._add_param("gamma", np.ones(self.num_features, dtype=dtype))
        self._add_param("beta", np.zeros(self.num_features, dtype=dtype))
        self.running_mean = np.zeros(self.num_features, dtype=dtype)
        self.running_var = np.ones(self.num_features, dtype=dtype)

    def forward(self, x: np.ndarray) -> np.ndarray:
        name = type(self).__name__
        x = as_float_array(x)
        if x.ndim != self.input_ndim or x.shape[1] != self.num_features:
            raise ValueError(f"{name} expected input {self.input_layout} with C = {self.num_features} "
                             f"features, got shape {x.shape}")
        axes = (0,) + tuple(range(2, x.ndim))
        shape = (1, -1) + (1,) * (x.ndim - 2)
        if self.training:
            count = x.size // self.num_features
            if count < 2:
                raise ValueError(f"{name} needs more than 1 value per channel in training, got shape {x.shape}")
            mean, var = x.mean(axis=axes), x.var(axis=axes)
            self.running_mean[...] = (1 - self.momentum) * self.running_mean + self.momentum * mean
            self.running_var[...] = (1 - self.momentum) * self.running_var + self.momentum * var * count / (count - 1)
        else:
            mean, var = self.running_mean.astype(x.dtype), self.running_var.astype(x.dtype)
        inv_std = (1.0 / np.sqrt(var + self.eps)).reshape(shape)
        x_hat = (x - mean.reshape(shape)) * inv_std
        gamma = self._params["gamma"].astype(x.dtype, copy=False).reshape(shape)
        self._cache = x_hat, inv_std, gamma, axes, self.training
        return gamma * x_hat + self._params["beta"].astype(x.dtype, copy=False).reshape(shape)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        x_hat, inv_std, gamma, axes, used_batch_stats = self._saved()
        dout = self._dout(dout, x_hat.shape, x_hat.dtype)
        self._set_grad("gamma", np.sum(dout * x_hat, axis=axes))
        self._set_grad("beta", np.sum(dout, axis=axes))
        dx_hat = dout * gamma
        if not used_batch_stats:
            return dx_hat * inv_std
        # The batch mean and variance depend on every x too; their paths subtract the mean of
        # dx_hat and its projection on x_hat.
        return inv_std * (
            dx_hat - dx_hat.mean(axis=axes, keepdims=True) - x_hat * np.mean(dx_hat * x_hat, axis=axes, keepdims=True)
        )


class BatchNorm1d(_BatchNorm):
    """Batch normalization of features: x (N, D) -> (N, D), statistics per feature over the batch."""

    input_ndim = 2
    input_layout = "(N, C)"


class BatchNorm2d(_BatchNorm):
    """Batch normalization of feature maps: x (N, C, H, W) -> same shape, statistics per channel
    over the batch and all positions."""

    input_ndim = 4
    input_layout = "(N, C, H, W)"


def _channel_window_sum(a: np.ndarray, before: int, after: int) -> np.ndarray:
    """Sum over channels c - before .. c + after of a (N, C, ...), zeros beyond the edges."""
    pad = [(0, 0)] * a.ndim
    pad[1] = (before, after)
    padded = np.pad(a, pad)
    c = a.shape[1]
    return sum(padded[:, i : i + c] for i in range(before + after + 1))


class LocalResponseNorm(Layer):
    """Local response normalization across channels (Krizhevsky et al. 2012), as torch.nn.LocalResponseNorm.

    x: (N, C, ...) -> same shape, b_c = x_c / (k + alpha / size * sum of x_c'^2 over the `size`
    channels c' around c) ** beta. The window covers c - size//2 .. c + (size-1)//2; AlexNet used
    size=5, alpha=1e-4, beta=0.75, k=2.
    """

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0) -> None:
        super().__init__()
        self.size = positive_int(size, "size")
        self.alpha, self.beta, self.k = alpha, beta, k

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = as_float_array(x)
        if x.ndim < 3:
            raise ValueError(f"LocalResponseNorm expected input (N, C, ...) with at least 3 dimensions, "
                             f"got shape {x.shape}")
        denom = self.k + self.alpha / self.size * _channel_window_sum(x * x, self.size // 2, (self.size - 1) // 2)
        self._cache = x, denom
        return x * denom**-self.beta

    def backward(self, dout: np.ndarray) -> np.ndarray:
        x, denom = self._saved()
        dout = self._dout(dout, x.shape, x.dtype)
        # x_j appears in the denominators of every channel whose window contains j: the windows
        # reflected, c = j - (size-1)//2 .. j + size//2.
        through_denom = dout * x * -self.beta * denom ** (-self.beta - 1) * (self.alpha / self.size)
        reflected = _channel_window_sum(through_denom, (self.size - 1) // 2, self.size // 2)
        return dout * denom**-self.beta + 2 * x * reflected


# ----------------------------------------------------------------------------- residual connections


class Residual(Layer):
    """branch(x) + shortcut(x) (He et al. 2016); shortcut None is the identity, so x + branch(x).

    The branch and shortcut must give outputs of the same shape. The gradient reaches x along both
    paths and the two add: the identity path passes dout unchanged, which is why very deep
    residual networks still train. params are keyed "branch.<name>" and "shortcut.<name>".
    """

    def __init__(self, branch: Layer, shortcut: Layer | None = None) -> None:
        super().__init__()
        for name, layer in (("branch", branch), ("shortcut", shortcut)):
            if layer is not None and not isinstance(layer, Layer):
                raise TypeError(f"{name} must be a Layer, got {type(layer).__name__}")
        self.branch = branch
        self.shortcut = shortcut

    def named_children(self) -> list[tuple[str, Layer]]:
        children = [("branch", self.branch)]
        if self.shortcut is not None:
            children.append(("shortcut", self.shortcut))
        return children

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = as_float_array(x)
        out = self.branch.forward(x)
        skip = x if self.shortcut is None else self.shortcut.forward(x)
        if out.shape != skip.shape:
            raise ValueError(f"Residual branch gives shape {out.shape} but the shortcut gives {skip.shape}; "
                             "use a projection shortcut (e.g. a 1x1 Conv2d with the branch's stride)")
        return out + skip

    def backward(self, dout: np.ndarray) -> np.ndarray:
        dx = self.branch.backward(dout)
        return dx + (dout if self.shortcut is None else self.shortcut.backward(dout))

    @staticmethod
    def basic(
        in_channels: int, out_channels: int, stride: int = 1, seed: Seed = None, dtype=np.float32
    ) -> Sequential:
        """The basic block of ResNet-18/34: x (N, C_in, H, W) -> (N, C_out, H / stride, W / stride).

        Returns Sequential(Residual(branch, shortcut), ReLU()), so the final ReLU after the sum is
        inside. branch = conv3x3(stride) - BN - ReLU - conv3x3 - BN; the shortcut is the identity
        when the shape is unchanged and a 1x1 conv(stride) - BN projection otherwise (He et al.
        2016, option B). Convs have no bias: the BN after them adds one.
        """
        rng = np.random.default_rng(seed)
        branch = Sequential(
            Conv2d(in_channels, out_channels, 3, stride, 1, bias=False, seed=rng, dtype=dtype),
            BatchNorm2d(out_channels, dtype=dtype),
            ReLU(),
            Conv2d(out_channels, out_channels, 3, 1, 1, bias=False, seed=rng, dtype=dtype),
            BatchNorm2d(out_channels, dtype=dtype),
        )
        shortcut = None
        if stride != 1 or in_channels != out_channels:
            shortcut = Sequential(
                Conv2d(in_channels, out_channels, 1, stride, bias=False, seed=rng, dtype=dtype),
                BatchNorm2d(out_channels, dtype=dtype),
            )
        return Sequential(Residual(branch, shortcut), ReLU())
