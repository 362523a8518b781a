"""Stateless building blocks of a CNN in NumPy: activations, im2col, convolution and pooling.

Every array is NCHW and every conv weight is (C_out, C_in, kH, kW), as in PyTorch, so each
function here can be checked against ``torch.nn.functional``. Layers (``layers.py``) keep the
state; the functions here only compute.

Convolution comes twice: ``conv2d_naive`` with loops a reader can follow, and ``conv2d`` that
unrolls the windows into columns (im2col) and turns the whole batch into one matrix product,
fast enough to train on; its backward pass gets dx either by col2im or as convolutions of the
output gradient with the flipped kernel (one per phase of the stride), whichever moves less memory.
Loops that remain (col2im, pooling) run over the kH*kW kernel offsets, each step working on
whole arrays, never over pixels.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from scipy.special import erf

# The input checks are shared by every NumPy module (_checks); private names here, as before.
from ._checks import IntPair, Pair
from ._checks import as_float_array as _as_float_array
from ._checks import check_4d as _check_4d
from ._checks import check_int as _check_int
from ._checks import pair as _pair

__all__ = [
    "sigmoid",
    "tanh",
    "relu",
    "leaky_relu",
    "elu",
    "gelu",
    "swish",
    "softmax",
    "log_softmax",
    "conv_output_size",
    "im2col",
    "col2im",
    "conv2d_naive",
    "conv2d_naive_backward",
    "conv2d_forward",
    "conv2d_backward",
    "conv2d",
    "max_pool2d_forward",
    "max_pool2d_backward",
    "max_pool2d",
    "avg_pool2d_forward",
    "avg_pool2d_backward",
    "avg_pool2d",
]

# Size of the block of columns conv2d_backward works on at a time (see _images_per_chunk).
_CHUNK_BYTES = 4 * 2**20


# ----------------------------------------------------------------------------- input checks


def _geometry(kernel_size: IntPair, stride: IntPair, padding: IntPair) -> tuple[Pair, ...]:
    """Checked (kH, kW), (sH, sW), (pH, pW) from ints or pairs."""
    return _pair(kernel_size, "kernel_size", 1), _pair(stride, "stride", 1), _pair(padding, "padding", 0)


def _output_hw(
    hw: Pair, kernel: Pair, stride: Pair, padding: Pair
) -> Pair:
    padded = (hw[0] + 2 * padding[0], hw[1] + 2 * padding[1])
    if kernel[0] > padded[0] or kernel[1] > padded[1]:
        raise ValueError(
            f"kernel_size {kernel} is larger than the padded input {padded} "
            f"(input {hw}, padding {padding})"
        )
    return (padded[0] - kernel[0]) // stride[0] + 1, (padded[1] - kernel[1]) // stride[1] + 1


def _check_dout(dout: np.ndarray, expected: tuple[int, ...]) -> np.ndarray:
    dout = _as_float_array(dout, "dout")
    if dout.shape != tuple(expected):
        raise ValueError(f"dout must have the output's shape {tuple(expected)}, got {dout.shape}")
    return dout


def _check_conv_args(
    x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Check x, weight and bias of a convolution; weight and bias take x's dtype."""
    x = _check_4d(x, "x")
    weight = _as_float_array(weight, "weight")
    if weight.ndim != 4:
        raise ValueError(f"weight must be 4-D (C_out, C_in, kH, kW), got shape {weight.shape}")
    if weight.shape[1] != x.shape[1]:
        raise ValueError(
            f"x has {x.shape[1]} channels but weight expects C_in={weight.shape[1]} "
            f"(weight shape {weight.shape})"
        )
    weight = weight.astype(x.dtype, copy=False)
    if bias is not None:
        bias = _as_float_array(bias, "bias")
        if bias.shape != (weight.shape[0],):
            raise ValueError(f"bias must have shape (C_out,) = ({weight.shape[0]},), got {bias.shape}")
        bias = bias.astype(x.dtype, copy=False)
    return x, weight, bias


def _pad(x: np.ndarray, padding: Pair, hw_axes: Pair = (2, 3)) -> np.ndarray:
    """Zero-pad the spatial axes ``hw_axes`` of a 4-D x (by default (A, B, H, W) -> a new contiguous
    (A, B, H + 2pH, W + 2pW))."""
    (ph, pw), (ah, aw) = padding, hw_axes
    shape = list(x.shape)
    shape[ah] += 2 * ph
    shape[aw] += 2 * pw
    xp = np.zeros(shape, dtype=x.dtype)
    xp[_hw_index(slice(ph, ph + x.shape[ah]), slice(pw, pw + x.shape[aw]), hw_axes)] = x
    return xp


# ----------------------------------------------------------------------------- activations


def sigmoid(x: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-x)), any shape; exp only ever sees -|x| so it never overflows."""
    x = _as_float_array(x)
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(x.dtype, copy=False)


def tanh(x: np.ndarray) -> np.ndarray:
    """Hyperbolic tangent, any shape."""
    return np.tanh(_as_float_array(x))


def relu(x: np.ndarray) -> np.ndarray:
    """max(x, 0), any shape."""
    x = _as_float_array(x)
    return np.maximum(x, 0).astype(x.dtype, copy=False)


def leaky_relu(x: np.ndarray, negative_slope: float = 0.01) -> np.ndarray:
    """x for x > 0, negative_slope * x otherwise; any shape."""
    x = _as_float_array(x)
    return np.where(x > 0, x, negative_slope * x).astype(x.dtype, copy=False)


def elu(x: np.ndarray, alpha: float = 1.0) -> np.ndarray:
    """x for x > 0, alpha * (exp(x) - 1) otherwise; any shape."""
    x = _as_float_array(x)
    # expm1 of min(x, 0): exact near 0 and never overflows for the large x that the branch discards.
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0))).astype(x.dtype, copy=False)


def gelu(x: np.ndarray) -> np.ndarray:
    """Exact GELU, x * Phi(x) with the normal CDF written with erf (torch's default); any shape."""
    x = _as_float_array(x)
    return (0.5 * x * (1.0 + erf(x / np.sqrt(2.0)))).astype(x.dtype, copy=False)


def swish(x: np.ndarray, beta: float = 1.0) -> np.ndarray:
    """x * sigmoid(beta * x) (SiLU when beta = 1); any shape."""
    x = _as_float_array(x)
    return (x * sigmoid(beta * x)).astype(x.dtype, copy=False)


def _check_axis(x: np.ndarray, axis: int) -> None:
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
        raise TypeError(f"axis must be an integer, got {axis!r}")
    if not -x.ndim <= axis < max(x.ndim, 1):
        raise ValueError(f"axis {axis} is out of range for an array of shape {x.shape}")


def softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """exp(x) / sum(exp(x)) along ``axis``; same shape as x, every slice sums to 1."""
    x = _as_float_array(x)
    _check_axis(x, axis)
    # Subtracting the max changes nothing mathematically and keeps exp from overflowing.
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def log_softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """log(softmax(x)) along ``axis``, computed without taking the log of a tiny number."""
    x = _as_float_array(x)
    _check_axis(x, axis)
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


# ----------------------------------------------------------------------------- im2col


def conv_output_size(n: int, kernel_size: int, stride: int = 1, padding: int = 0) -> int:
    """Output length of a convolution or pooling along one axis: floor((n + 2p - k) / s) + 1."""
    n = _check_int(n, "n", 1)
    kernel_size = _check_int(kernel_size, "kernel_size", 1)
    stride = _check_int(stride, "stride", 1)
    padding = _check_int(padding, "padding", 0)
    return _output_hw((n, n), (kernel_size,) * 2, (stride,) * 2, (padding,) * 2)[0]


def _hw_index(rows: slice, cols: slice, hw_axes: Pair = (2, 3)) -> tuple[slice, ...]:
    """Index of a 4-D array taking ``rows`` and ``cols`` of its two spatial axes, all of the others."""
    index = [slice(None)] * 4
    index[hw_axes[0]], index[hw_axes[1]] = rows, cols
    return tuple(index)


def _offset_view(
    xp: np.ndarray, p: int, q: int, stride: Pair, out_hw: Pair, hw_axes: Pair = (2, 3)
) -> np.ndarray:
    """Strided view of xp[..., i*sH + p, j*sW + q] over all output positions (i, j), (H_out, W_out) in
    the place of xp's spatial axes ``hw_axes``: (A, B, H_out, W_out) for the default (A, B, H, W).

    Kernel offset (p, q) sees these pixels across all windows; looping over the kH*kW offsets
    and working on whole views is much faster than looping over the H_out*W_out windows.
    """
    (sh, sw), (h_out, w_out) = stride, out_hw
    return xp[_hw_index(slice(p, p + sh * (h_out - 1) + 1, sh), slice(q, q + sw * (w_out - 1) + 1, sw), hw_axes)]


# conv2d works channel-major, (C, N, H, W), so that one matrix product covers the whole batch.
# NumPy copies and adds a strided array row by row along its last axis, at a fixed cost per
# row: when the output rows are short (W_out < _SHORT_ROW) that cost dominates im2col and
# col2im, and conv2d works in (C, H, W, N) instead, where a row holds the whole batch. The
# threshold was measured on this course's machine, on shapes like benchmarks/bench_numpy_vs_torch.py's.
_SHORT_ROW = 16


def _batch_last(out_hw: Pair) -> bool:
    """Whether conv2d works in (C, H, W, N) (batch last) rather than (C, N, H, W)."""
    return out_hw[1] < _SHORT_ROW


def _hw_axes(batch_last: bool) -> Pair:
    """Spatial axes of a channel-major array: (C, H, W, N) or (C, N, H, W)."""
    return (1, 2) if batch_last else (2, 3)


def _channel_major(x: np.ndarray, batch_last: bool) -> np.ndarray:
    """x (N, C, H, W) as (C, H, W, N) when batch_last (a view of a copy), else as (C, N, H, W) (a view)."""
    xc = x.transpose(1, 0, 2, 3)
    # Batch last via a (C, N, H, W) copy: a direct transpose reads x with a stride of a whole
    # image, often a multiple of 4 KiB, and such reads compete for a few cache sets. Going
    # through the copy was 2-3 times faster, measured on this course's machine.
    return np.ascontiguousarray(xc).transpose(0, 2, 3, 1) if batch_last else xc


def _nchw(xc: np.ndarray, batch_last: bool) -> np.ndarray:
    """A channel-major xc as (N, C, H, W), the inverse of ``_channel_major``: a view, or a view of
    a (C, N, H, W) copy when batch_last (for the same reason as there)."""
    if batch_last:
        xc = np.ascontiguousarray(xc.transpose(0, 3, 1, 2))
    return xc.transpose(1, 0, 2, 3)


def _channel_major_shape(c: int, n: int, hw: Pair, batch_last: bool) -> tuple[int, int, int, int]:
    """(C, H, W, N) when batch_last, else (C, N, H, W)."""
    return (c, *hw, n) if batch_last else (c, n, *hw)


def _images(xc: np.ndarray, start: int, stop: int, batch_last: bool) -> np.ndarray:
    """Images start:stop of a channel-major xc (a view)."""
    return xc[..., start:stop] if batch_last else xc[:, start:stop]


def _im2col(x: np.ndarray, kernel: Pair, stride: Pair, padding: Pair, out_hw: Pair) -> np.ndarray:
    """im2col on checked arguments: x (N, C, H, W) -> cols (C*kH*kW, N*H_out*W_out)."""
    return _im2col_channel_major(_channel_major(x, False), kernel, stride, padding, False)


def _im2col_channel_major(
    xc: np.ndarray, kernel: Pair, stride: Pair, padding: Pair, batch_last: bool
) -> np.ndarray:
    """im2col of a channel-major xc (any strides): (C, N, H, W) -> cols (C*kH*kW, N*H_out*W_out),
    or with batch_last (C, H, W, N) -> cols (C*kH*kW, H_out*W_out*N)."""
    hw_axes = _hw_axes(batch_last)
    # Channel-major, so that every row block of cols is gathered from one contiguous channel
    # plane; the windows themselves are a view, and the final reshape is the only copy of the
    # (large) column matrix.
    windows = sliding_window_view(_pad(xc, padding, hw_axes), kernel, axis=hw_axes)
    windows = windows[_hw_index(slice(None, None, stride[0]), slice(None, None, stride[1]), hw_axes)]
    # windows: (C, <three column axes>, kH, kW) -> rows (C, kH, kW), columns in xc's order
    return windows.transpose(0, 4, 5, 1, 2, 3).reshape(xc.shape[0] * kernel[0] * kernel[1], -1)


def _col2im(
    cols: np.ndarray,
    x_shape: tuple[int, int, int, int],
    kernel: Pair,
    stride: Pair,
    padding: Pair,
    out_hw: Pair,
    batch_last: bool = False,
) -> np.ndarray:
    """col2im on checked arguments: cols (C*kH*kW, N*H_out*W_out) -> x (N, C, H, W), a strided view.

    With batch_last the columns are ordered (H_out, W_out, N), as ``_im2col_channel_major`` makes them.
    """
    n, c, h, w = x_shape
    (kh, kw), (ph, pw) = kernel, padding
    hw_axes = _hw_axes(batch_last)
    xc = np.zeros(_channel_major_shape(c, n, (h + 2 * ph, w + 2 * pw), batch_last), dtype=cols.dtype)
    per_offset = cols.reshape(c, kh, kw, *_channel_major_shape(c, n, out_hw, batch_last)[1:])
    # One vectorised add per kernel offset instead of one per window: where windows overlap,
    # their contributions add up, which is what the chain rule asks for.
    for p in range(kh):
        for q in range(kw):
            view = _offset_view(xc, p, q, stride, out_hw, hw_axes)
            view += per_offset[:, p, q]
    return _nchw(xc[_hw_index(slice(ph, ph + h), slice(pw, pw + w), hw_axes)], batch_last)


def im2col(x: np.ndarray, kernel_size: IntPair, stride: IntPair = 1, padding: IntPair = 0) -> np.ndarray:
    """Unroll every kernel window of x into a column.

    x: (N, C, H, W) -> cols: (C*kH*kW, N*H_out*W_out). Rows run over channel, then kernel
    row, then kernel column; column n*H_out*W_out + i*W_out + j is the window of image n at
    output position (i, j). A convolution is then ``weight.reshape(C_out, -1) @ cols``.
    """
    x = _check_4d(x)
    kernel, stride, padding = _geometry(kernel_size, stride, padding)
    return _im2col(x, kernel, stride, padding, _output_hw(x.shape[2:], kernel, stride, padding))


def col2im(
    cols: np.ndarray,
    x_shape: tuple[int, int, int, int],
    kernel_size: IntPair,
    stride: IntPair = 1,
    padding: IntPair = 0,
) -> np.ndarray:
    """Adjoint of ``im2col``: cols (C*kH*kW, N*H_out*W_out) -> x (N, C, H, W).

    Entries that came from the same pixel (overlapping windows) are summed, so that
    <im2col(x), cols> == <x, col2im(cols)>; this is the gradient im2col needs in the backward pass.
    x_shape is the unpadded (N, C, H, W).
    """
    if len(x_shape) != 4:
        raise ValueError(f"x_shape must be (N, C, H, W), got {tuple(x_shape)}")
    x_shape = tuple(_check_int(s, "x_shape", 1) for s in x_shape)
    kernel, stride, padding = _geometry(kernel_size, stride, padding)
    out_hw = _output_hw(x_shape[2:], kernel, stride, padding)
    cols = _as_float_array(cols, "cols")
    expected = (x_shape[1] * kernel[0] * kernel[1], x_shape[0] * out_hw[0] * out_hw[1])
    if cols.shape != expected:
        raise ValueError(f"cols must have shape {expected} for x_shape {x_shape}, got {cols.shape}")
    return np.ascontiguousarray(_col2im(cols, x_shape, kernel, stride, padding, out_hw))


# ----------------------------------------------------------------------------- convolution, teaching version


def conv2d_naive(
    x: np.ndarray,
    weight: np.ndarray,
    bias: np.ndarray | None = None,
    stride: IntPair = 1,
    padding: IntPair = 0,
) -> np.ndarray:
    """2-D convolution with explicit loops (cross-correlation, as in every DL library).

    x: (N, C_in, H, W), weight: (C_out, C_in, kH, kW), bias: (C_out,) or None
    -> out: (N, C_out, H_out, W_out).
    """
    x, weight, bias = _check_conv_args(x, weight, bias)
    (kh, kw), (sh, sw), padding = _geometry(weight.shape[2:], stride, padding)
    c_out = weight.shape[0]
    h_out, w_out = _output_hw(x.shape[2:], (kh, kw), (sh, sw), padding)
    xp = _pad(x, padding)
    out = np.zeros((x.shape[0], c_out, h_out, w_out), dtype=x.dtype)
    for n in range(x.shape[0]):
        for k in range(c_out):
            for i in range(h_out):
                for j in range(w_out):
                    window = xp[n, :, i * sh : i * sh + kh, j * sw : j * sw + kw]
                    out[n, k, i, j] = np.sum(window * weight[k])
            if bias is not None:
                out[n, k] += bias[k]
    return out


def conv2d_naive_backward(
    dout: np.ndarray,
    x: np.ndarray,
    weight: np.ndarray,
    stride: IntPair = 1,
    padding: IntPair = 0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of ``conv2d_naive`` with the same loops.

    dout: (N, C_out, H_out, W_out) -> dx: (N, C_in, H, W), dweight: (C_out, C_in, kH, kW),
    dbias: (C_out,). Each output entry out[n, k, i, j] used one window of x and the whole
    filter weight[k], so it sends dout[n, k, i, j] * weight[k] back to that window and
    dout[n, k, i, j] * window to weight[k].
    """
    x, weight, _ = _check_conv_args(x, weight, None)
    (kh, kw), (sh, sw), padding = _geometry(weight.shape[2:], stride, padding)
    c_out = weight.shape[0]
    h_out, w_out = _output_hw(x.shape[2:], (kh, kw), (sh, sw), padding)
    dout = _check_dout(dout, (x.shape[0], c_out, h_out, w_out))
    xp = _pad(x, padding)
    dxp = np.zeros_like(xp)
    dweight = np.zeros_like(weight)
    for n in range(x.shape[0]):
        for k in range(c_out):
            for i in range(h_out):
                for j in range(w_out):
                    rows, cols = slice(i * sh, i * sh + kh), slice(j * sw, j * sw + kw)
                    dweight[k] += dout[n, k, i, j] * xp[n, :, rows, cols]
                    dxp[n, :, rows, cols] += dout[n, k, i, j] * weight[k]
    dx = dxp[:, :, padding[0] : padding[0] + x.shape[2], padding[1] : padding[1] + x.shape[3]]
    dbias = dout.sum(axis=(0, 2, 3))
    return dx, dweight, dbias.astype(x.dtype, copy=False)


# ----------------------------------------------------------------------------- convolution, fast version


def conv2d_forward(
    x: np.ndarray,
    weight: np.ndarray,
    bias: np.ndarray | None = None,
    stride: IntPair = 1,
    padding: IntPair = 0,
) -> tuple[np.ndarray, tuple]:
    """Fast 2-D convolution: im2col, then a single matrix product.

    x: (N, C_in, H, W), weight: (C_out, C_in, kH, kW), bias: (C_out,) or None
    -> out: (N, C_out, H_out, W_out) and a cache for ``conv2d_backward``.
    """
    x, weight, bias = _check_conv_args(x, weight, bias)
    kernel, stride, padding = _geometry(weight.shape[2:], stride, padding)
    c_out = weight.shape[0]
    out_hw = _output_hw(x.shape[2:], kernel, stride, padding)
    batch_last = _batch_last(out_hw)
    cols = _im2col_channel_major(_channel_major(x, batch_last), kernel, stride, padding, batch_last)
    # One large product rather than one per image: BLAS runs it at full speed on all threads.
    out2 = weight.reshape(c_out, -1) @ cols  # (C_out, N*H_out*W_out), columns ordered as in cols
    out_cm = out2.reshape(_channel_major_shape(c_out, x.shape[0], out_hw, batch_last))
    # Back to NCHW in one copy, adding the bias on the way rather than in a pass of its own.
    out = np.empty((x.shape[0], c_out, *out_hw), dtype=x.dtype)
    if bias is None:
        out[...] = _nchw(out_cm, batch_last)
    else:
        np.add(_nchw(out_cm, batch_last), bias[:, None, None], out=out)
    cache = (x.shape, cols, weight, bias is not None, stride, padding, out_hw)
    return out, cache


def conv2d_backward(dout: np.ndarray, cache: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Gradients of ``conv2d_forward``.

    dout: (N, C_out, H_out, W_out) -> dx: (N, C_in, H, W), dweight: (C_out, C_in, kH, kW),
    dbias: (C_out,), or None when the forward pass had no bias.
    """
    x_shape, cols, weight, has_bias, stride, padding, out_hw = cache
    c_out = weight.shape[0]
    dout = _check_dout(dout, (x_shape[0], c_out, *out_hw)).astype(weight.dtype, copy=False)
    # The forward product was (C_out, C_in*kH*kW) @ cols -> (C_out, N*H_out*W_out); dout in
    # that layout, channel-major with the columns ordered as in cols:
    batch_last = _batch_last(out_hw)
    dout_cm = np.ascontiguousarray(_channel_major(dout, batch_last))
    dout2 = dout_cm.reshape(c_out, -1)
    dbias = dout2.sum(axis=1) if has_bias else None
    dweight = (dout2 @ cols.T).reshape(weight.shape)
    if _gather_is_cheaper(x_shape, weight.shape, stride, out_hw):
        dx = _input_grad_gather(dout_cm, weight, stride, padding, x_shape, batch_last)
    else:
        dx = _input_grad_scatter(dout_cm, weight, stride, padding, out_hw, x_shape, batch_last)
    return dx, dweight, dbias


# dx can be had in two ways. Scatter: the column gradient weight2.T @ dout2 (C_in*kH*kW values
# per output position) added back window by window (col2im). Gather: im2col of dout (about
# C_out*kH*kW / (sH*sW) values per input pixel) and matrix products, see _input_grad_gather.
# Break-even points measured on this course's machine: with stride 1 the gather pays while it
# moves up to 1.25 times as many values as the scatter (adding into a strided view costs more
# than copying); with a larger stride it splits into sH*sW small products, one per phase, and
# pays only while it moves at most half as many.
_SCATTER_COST = 1.25
_SCATTER_COST_STRIDED = 0.5


def _gather_is_cheaper(x_shape: tuple[int, ...], weight_shape: tuple[int, ...], stride: Pair, out_hw: Pair) -> bool:
    """Whether conv2d_backward should compute dx by gather rather than by scatter (col2im)."""
    c_out, c_in = weight_shape[:2]
    gathered = c_out * x_shape[2] * x_shape[3] / (stride[0] * stride[1])
    scattered = c_in * out_hw[0] * out_hw[1]
    return gathered <= (_SCATTER_COST if stride == (1, 1) else _SCATTER_COST_STRIDED) * scattered


def _images_per_chunk(bytes_per_image: int, n: int, batch_last: bool) -> int:
    """How many of the n images' columns to process at once: a small, reused buffer is faster
    than fresh memory the size of all the columns (first touches of new memory are slow). With
    the batch last the images make the rows, which chunks would shorten: all n at once."""
    return n if batch_last else max(1, _CHUNK_BYTES // bytes_per_image)


def _input_grad_scatter(
    dout_cm: np.ndarray,
    weight: np.ndarray,
    stride: Pair,
    padding: Pair,
    out_hw: Pair,
    x_shape: tuple[int, int, int, int],
    batch_last: bool,
) -> np.ndarray:
    """dx = col2im(weight2.T @ dout2), in chunks of images (_images_per_chunk); dout_cm: dout channel-major."""
    c_out = weight.shape[0]
    weight2 = weight.reshape(c_out, -1)
    bytes_per_image = weight2.shape[1] * out_hw[0] * out_hw[1] * weight.itemsize  # of dcols
    step = _images_per_chunk(bytes_per_image, x_shape[0], batch_last)
    dx = np.empty(x_shape, dtype=weight.dtype)
    for start in range(0, x_shape[0], step):
        block = _images(dout_cm, start, start + step, batch_last)
        dcols = weight2.T @ block.reshape(c_out, -1)  # (C_in*kH*kW, images*H_out*W_out)
        block_shape = (min(step, x_shape[0] - start), *x_shape[1:])
        block_dx = _col2im(dcols, block_shape, weight.shape[2:], stride, padding, out_hw, batch_last)
        dx[start : start + step] = block_dx
    return dx


def _input_grad_gather(
    dout_cm: np.ndarray,
    weight: np.ndarray,
    stride: Pair,
    padding: Pair,
    x_shape: tuple[int, int, int, int],
    batch_last: bool,
) -> np.ndarray:
    """dx as convolutions of dout, one per phase of the stride; dout_cm: dout channel-major.

    Padded pixel (sH*u + a, sW*v + b), with 0 <= a < sH and 0 <= b < sW (its phase), met
    weight[k, c, p, q] in out[n, k, i, j] where sH*i + p = sH*u + a: p = a + sH*m and i = u - m
    (likewise q = b + sW*l, j = v - l). So there dx = sum over k, m, l of
    dout[n, k, u - m, v - l] * weight[k, c, a + sH*m, b + sW*l]: a stride-1 cross-correlation of
    dout, zero-padded, with the sub-kernel weight[:, :, a::sH, b::sW] flipped in both axes and its
    channel axes swapped. Each phase runs like the forward pass: im2col of dout (one column per
    pixel of the phase) and one matrix product. With stride 1 there is one phase, the whole kernel.
    """
    c_out, c_in, kh, kw = weight.shape
    h, w = x_shape[2:]
    (sh, sw), (ph, pw), hw_axes = stride, padding, _hw_axes(batch_last)
    h_out, w_out = dout_cm.shape[hw_axes[0]], dout_cm.shape[hw_axes[1]]
    step = _images_per_chunk(c_out * kh * kw * h * w // (sh * sw) * weight.itemsize, x_shape[0], batch_last)
    dx = np.empty(x_shape, dtype=weight.dtype)
    for start in range(0, x_shape[0], step):
        block = _images(dout_cm, start, start + step, batch_last)
        images = min(step, x_shape[0] - start)
        # zeros: with a stride above the kernel size, some pixels meet no weight at all
        dx_cm = np.zeros(_channel_major_shape(c_in, images, (h, w), batch_last), dtype=weight.dtype)
        for a in range(min(sh, kh)):
            for b in range(min(sw, kw)):
                sub = weight[:, :, a::sh, b::sw]
                mh, mw = sub.shape[2:]
                # The phase's pixels inside x: padded rows sH*u + a in [pH, pH + H), u in [u0, u1).
                u0, u1 = _ceil_div(ph - a, sh), _ceil_div(ph + h - a, sh)
                v0, v1 = _ceil_div(pw - b, sw), _ceil_div(pw + w - b, sw)
                if u1 <= u0 or v1 <= v0:
                    continue
                # dout rows u0 - (mh-1) .. u1 - 1 (zeros outside dout) make the windows of rows u0 .. u1-1.
                padded = _pad_or_crop(block, (mh - 1 - u0, mw - 1 - v0), (u1 - h_out, v1 - w_out), hw_axes)
                dcols = _im2col_channel_major(padded, (mh, mw), (1, 1), (0, 0), batch_last)
                flipped = sub[:, :, ::-1, ::-1].transpose(1, 0, 2, 3).reshape(c_in, -1)  # (C_in, C_out*mh*mw)
                phase_shape = _channel_major_shape(c_in, images, (u1 - u0, v1 - v0), batch_last)
                rows, cols = slice(sh * u0 + a - ph, None, sh), slice(sw * v0 + b - pw, None, sw)
                dx_cm[_hw_index(rows, cols, hw_axes)] = (flipped @ dcols).reshape(phase_shape)
        dx[start : start + step] = _nchw(dx_cm, batch_last)
    return dx


def _ceil_div(a: int, b: int) -> int:
    """ceil(a / b) for integers, b > 0, without floating point."""
    return -(-a // b)


def _pad_or_crop(x: np.ndarray, before: Pair, after: Pair, hw_axes: Pair) -> np.ndarray:
    """Zero-pad the spatial axes of x by ``before`` (rows, columns) at the start and ``after`` at the
    end; a negative amount crops instead. Returns a new array."""
    h, w = x.shape[hw_axes[0]], x.shape[hw_axes[1]]
    rows = slice(max(-before[0], 0), h - max(-after[0], 0))
    cols = slice(max(-before[1], 0), w - max(-after[1], 0))
    x = x[_hw_index(rows, cols, hw_axes)]
    widths = [(0, 0)] * 4
    widths[hw_axes[0]] = (max(before[0], 0), max(after[0], 0))
    widths[hw_axes[1]] = (max(before[1], 0), max(after[1], 0))
    return np.pad(x, widths)


def conv2d(
    x: np.ndarray,
    weight: np.ndarray,
    bias: np.ndarray | None = None,
    stride: IntPair = 1,
    padding: IntPair = 0,
) -> np.ndarray:
    """Fast 2-D convolution: x (N, C_in, H, W) -> (N, C_out, H_out, W_out); see ``conv2d_forward``."""
    return conv2d_forward(x, weight, bias, stride, padding)[0]


# ----------------------------------------------------------------------------- pooling


def _pool_args(x: np.ndarray, kernel_size: IntPair, stride: IntPair | None):
    x = _check_4d(x)
    kernel = _pair(kernel_size, "kernel_size", 1)
    stride = kernel if stride is None else _pair(stride, "stride", 1)
    return x, kernel, stride, _output_hw(x.shape[2:], kernel, stride, (0, 0))


def _offsets(kernel: Pair) -> list[Pair]:
    """Kernel offsets (p, q) in row-major window order."""
    return [(p, q) for p in range(kernel[0]) for q in range(kernel[1])]


def _windows_overlap(kernel: Pair, stride: Pair) -> bool:
    return stride[0] < kernel[0] or stride[1] < kernel[1]


def max_pool2d_forward(
    x: np.ndarray, kernel_size: IntPair, stride: IntPair | None = None
) -> tuple[np.ndarray, tuple]:
    """Max pooling: x (N, C, H, W) -> out (N, C, H_out, W_out) and a cache for the backward pass.

    stride None means stride = kernel_size (windows side by side, as in torch).
    """
    x, kernel, stride, out_hw = _pool_args(x, kernel_size, stride)
    views = [_offset_view(x, p, q, stride, out_hw) for p, q in _offsets(kernel)]
    out = views[0].copy()
    for view in views[1:]:
        np.maximum(out, view, out=out)
    # argmax = the first offset (row-major, as torch breaks ties) whose value is the max, from the
    # recursion first(o) = o if views[o] == out else first(o + 1), run backwards on whole arrays.
    argmax = np.zeros(out.shape, dtype=np.min_scalar_type(len(views)))
    for view in reversed(views[:-1]):
        argmax += 1
        argmax *= view != out
    return out, (x.shape, x.dtype, argmax, kernel, stride)


def max_pool2d_backward(dout: np.ndarray, cache: tuple) -> np.ndarray:
    """Gradient of max pooling: dout (N, C, H_out, W_out) -> dx (N, C, H, W).

    Only the max of each window gets its gradient; a pixel that is the max of several
    overlapping windows collects the sum.
    """
    x_shape, dtype, argmax, kernel, stride = cache
    dout = _check_dout(dout, argmax.shape).astype(dtype, copy=False)
    dx = np.zeros(x_shape, dtype=dtype)
    for o, (p, q) in enumerate(_offsets(kernel)):
        view = _offset_view(dx, p, q, stride, argmax.shape[2:])
        if _windows_overlap(kernel, stride):
            view += dout * (argmax == o)
        else:  # every pixel is in at most one window: write instead of add, about twice as fast
            np.multiply(dout, argmax == o, out=view)
    return dx


def max_pool2d(x: np.ndarray, kernel_size: IntPair, stride: IntPair | None = None) -> np.ndarray:
    """Max pooling: x (N, C, H, W) -> (N, C, H_out, W_out)."""
    return max_pool2d_forward(x, kernel_size, stride)[0]


def avg_pool2d_forward(
    x: np.ndarray, kernel_size: IntPair, stride: IntPair | None = None
) -> tuple[np.ndarray, tuple]:
    """Average pooling: x (N, C, H, W) -> out (N, C, H_out, W_out) and a cache."""
    x, kernel, stride, out_hw = _pool_args(x, kernel_size, stride)
    out = np.zeros(x.shape[:2] + out_hw, dtype=x.dtype)
    for p, q in _offsets(kernel):
        out += _offset_view(x, p, q, stride, out_hw)
    out /= kernel[0] * kernel[1]
    return out, (x.shape, x.dtype, kernel, stride, out_hw)


def avg_pool2d_backward(dout: np.ndarray, cache: tuple) -> np.ndarray:
    """Gradient of average pooling: dout (N, C, H_out, W_out) -> dx (N, C, H, W).

    Every pixel of a window gets an equal share 1 / (kH * kW) of the window's gradient.
    """
    x_shape, dtype, kernel, stride, out_hw = cache
    dout = _check_dout(dout, x_shape[:2] + out_hw).astype(dtype, copy=False)
    share = dout / (kernel[0] * kernel[1])
    dx = np.zeros(x_shape, dtype=dtype)
    for p, q in _offsets(kernel):
        view = _offset_view(dx, p, q, stride, out_hw)
        if _windows_overlap(kernel, stride):
            view += share
        else:
            view[...] = share
    return dx


def avg_pool2d(x: np.ndarray, kernel_size: IntPair, stride: IntPair | None = None) -> np.ndarray:
    """Average pooling: x (N, C, H, W) -> (N, C, H_out, W_out)."""
    return avg_pool2d_forward(x, kernel_size, stride)[0]
