"""cnncourse.numpy.functional against torch.nn.functional (float64) and the course's worked examples."""

import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from cnncourse.numpy import functional as nf


def rel_error(a: np.ndarray, b) -> float:
    """max |a - b| relative to the size of b."""
    b = b.detach().numpy() if isinstance(b, torch.Tensor) else np.asarray(b)
    assert a.shape == b.shape, f"shape {a.shape} != {b.shape}"
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-12))


def tensor(a: np.ndarray) -> torch.Tensor:
    return torch.tensor(a, dtype=torch.float64, requires_grad=True)


@pytest.fixture
def rng():
    return np.random.default_rng(0)


# ----------------------------------------------------------------------------- activations

ACTIVATIONS = [
    (nf.sigmoid, torch.sigmoid),
    (nf.tanh, torch.tanh),
    (nf.relu, F.relu),
    (lambda x: nf.leaky_relu(x, 0.2), lambda t: F.leaky_relu(t, 0.2)),
    (nf.leaky_relu, F.leaky_relu),
    (lambda x: nf.elu(x, 0.7), lambda t: F.elu(t, 0.7)),
    (nf.gelu, F.gelu),
    (nf.swish, F.silu),
    (lambda x: nf.swish(x, 2.0), lambda t: t * torch.sigmoid(2.0 * t)),
]


@pytest.mark.parametrize("ours, reference", ACTIVATIONS)
@pytest.mark.parametrize("shape", [(7,), (3, 5), (2, 3, 4, 4)])
def test_activation_matches_torch(ours, reference, shape, rng):
    x = 3 * rng.standard_normal(shape)
    out = ours(x)
    assert out.shape == x.shape and out.dtype == np.float64
    assert rel_error(out, reference(torch.tensor(x))) < 1e-6


@pytest.mark.parametrize("ours, reference", ACTIVATIONS)
def test_activation_keeps_float32_and_survives_large_inputs(ours, reference):
    x = np.array([-1000.0, -50.0, -1e-3, 0.0, 1e-3, 50.0, 1000.0], dtype=np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an overflow in exp would be a RuntimeWarning
        out = ours(x)
    assert out.dtype == np.float32
    assert np.all(np.isfinite(out))
    np.testing.assert_allclose(out, reference(torch.tensor(x, dtype=torch.float64)).numpy(), rtol=1e-6, atol=1e-6)


def test_activation_converts_integer_input_to_float64():
    out = nf.relu(np.array([-2, 0, 3]))
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out, [0.0, 0.0, 3.0])


def test_sigmoid_saturates_exactly():
    np.testing.assert_array_equal(nf.sigmoid(np.array([-800.0, 0.0, 800.0])), [0.0, 0.5, 1.0])


@pytest.mark.parametrize("axis", [-1, 0, 1])
def test_softmax_and_log_softmax_match_torch(axis, rng):
    x = 5 * rng.standard_normal((4, 6, 3))
    assert rel_error(nf.softmax(x, axis=axis), F.softmax(torch.tensor(x), dim=axis)) < 1e-6
    assert rel_error(nf.log_softmax(x, axis=axis), F.log_softmax(torch.tensor(x), dim=axis)) < 1e-6
    np.testing.assert_allclose(nf.softmax(x, axis=axis).sum(axis=axis), 1.0)


def test_softmax_is_stable_for_huge_logits():
    x = np.array([[1000.0, 1001.0, 1002.0], [-1000.0, 0.0, 1000.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert rel_error(nf.softmax(x), F.softmax(torch.tensor(x), dim=-1)) < 1e-6
        assert rel_error(nf.log_softmax(x), F.log_softmax(torch.tensor(x), dim=-1)) < 1e-6


def test_softmax_rejects_bad_axis():
    with pytest.raises(ValueError, match="axis 2 is out of range"):
        nf.softmax(np.zeros((2, 3)), axis=2)


def test_activation_rejects_non_numbers():
    with pytest.raises(TypeError, match="x must be an array of real numbers"):
        nf.relu(np.array(["a", "b"]))


# ----------------------------------------------------------------------------- output size and im2col


@pytest.mark.parametrize(
    "n, k, s, p, expected",
    [(7, 3, 1, 0, 5), (7, 3, 2, 0, 3), (7, 3, 3, 0, 2), (7, 3, 1, 1, 7), (32, 5, 1, 0, 28), (227, 11, 4, 0, 55)],
)
def test_conv_output_size(n, k, s, p, expected):
    assert nf.conv_output_size(n, k, s, p) == expected


@pytest.mark.parametrize(
    "args, message",
    [
        ((3, 5, 1, 0), r"kernel_size \(5, 5\) is larger than the padded input \(3, 3\)"),
        ((7, 3, 0, 0), "stride must be >= 1, got 0"),
        ((7, 3, 1, -1), "padding must be >= 0, got -1"),
        ((7, 3, 1.5, 0), "stride must be an integer, got 1.5"),
        ((7.0, 3, 1, 0), "n must be an integer"),
        ((7, True, 1, 0), "kernel_size must be an integer"),
    ],
)
def test_conv_output_size_rejects_bad_arguments(args, message):
    with pytest.raises(ValueError, match=message):
        nf.conv_output_size(*args)


def test_im2col_worked_example_4x4x3_with_2x2_kernel():
    # Channel c holds 16c+1 .. 16c+16 row by row; each column is one 2x2x3 window flattened
    # channel-major (R, then G, then B), each row one (channel, kernel row, kernel column).
    x = np.arange(1, 49, dtype=np.float64).reshape(1, 3, 4, 4)
    expected = np.array(
        [
            [1, 2, 3, 5, 6, 7, 9, 10, 11],
            [2, 3, 4, 6, 7, 8, 10, 11, 12],
            [5, 6, 7, 9, 10, 11, 13, 14, 15],
            [6, 7, 8, 10, 11, 12, 14, 15, 16],
            [17, 18, 19, 21, 22, 23, 25, 26, 27],
            [18, 19, 20, 22, 23, 24, 26, 27, 28],
            [21, 22, 23, 25, 26, 27, 29, 30, 31],
            [22, 23, 24, 26, 27, 28, 30, 31, 32],
            [33, 34, 35, 37, 38, 39, 41, 42, 43],
            [34, 35, 36, 38, 39, 40, 42, 43, 44],
            [37, 38, 39, 41, 42, 43, 45, 46, 47],
            [38, 39, 40, 42, 43, 44, 46, 47, 48],
        ]
    )
    cols = nf.im2col(x, 2)
    assert cols.shape == (12, 9)
    np.testing.assert_array_equal(cols, expected)


def test_im2col_column_order_runs_over_images_then_positions(rng):
    x = rng.standard_normal((3, 2, 5, 6))
    cols = nf.im2col(x, (2, 3), stride=(2, 1), padding=1)
    h_out, w_out = nf.conv_output_size(5, 2, 2, 1), nf.conv_output_size(6, 3, 1, 1)
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    n, i, j = 2, 1, 3
    window = xp[n, :, 2 * i : 2 * i + 2, j : j + 3]
    np.testing.assert_array_equal(cols[:, n * h_out * w_out + i * w_out + j], window.ravel())


@pytest.mark.parametrize("kernel, stride, padding", [(2, 1, 0), (3, 1, 1), (3, 2, 2), ((2, 3), (3, 1), (1, 0))])
def test_col2im_is_the_adjoint_of_im2col(kernel, stride, padding, rng):
    x = rng.standard_normal((2, 3, 7, 6))
    cols_shape = nf.im2col(x, kernel, stride, padding).shape
    c = rng.standard_normal(cols_shape)
    lhs = np.sum(nf.im2col(x, kernel, stride, padding) * c)
    rhs = np.sum(x * nf.col2im(c, x.shape, kernel, stride, padding))
    assert abs(lhs - rhs) < 1e-10 * abs(lhs)


def test_col2im_sums_overlapping_windows():
    # A 3x3 input under a 2x2 kernel at stride 1: the centre pixel sits in all 4 windows.
    counts = nf.col2im(np.ones((4, 4)), (1, 1, 3, 3), 2)
    np.testing.assert_array_equal(counts[0, 0], [[1, 2, 1], [2, 4, 2], [1, 2, 1]])


def test_col2im_rejects_wrong_cols_shape():
    with pytest.raises(ValueError, match=r"cols must have shape \(4, 4\)"):
        nf.col2im(np.ones((4, 5)), (1, 1, 3, 3), 2)


# ----------------------------------------------------------------------------- convolution

# (N, C_in, H, W, C_out, kernel_size, stride, padding)
CONV_CASES = [
    (2, 3, 7, 7, 4, 3, 1, 0),
    (2, 3, 7, 7, 4, 3, 1, 1),
    (1, 2, 8, 9, 3, 3, 2, 1),
    (2, 1, 9, 9, 2, 3, 3, 2),
    (3, 2, 6, 5, 3, (2, 3), (1, 2), (2, 0)),
    (1, 4, 5, 5, 2, 1, 1, 0),
    (2, 2, 5, 5, 3, 5, 2, 2),
    (2, 3, 6, 17, 5, 3, 1, 1),  # output rows of 17: conv2d works with the batch axis second
    (2, 2, 5, 6, 3, (3, 1), 1, (3, 1)),  # padding wider than kernel - 1: outer outputs see only zeros
    (2, 3, 11, 10, 4, 2, 3, 0),  # stride above the kernel size: some pixels meet no weight
    (2, 3, 12, 13, 4, (5, 2), (3, 2), (2, 1)),
]


def torch_conv(x, weight, bias, stride, padding, dout):
    """Output and gradients (dx, dweight, dbias) of torch's conv2d in float64."""
    xt, wt = tensor(x), tensor(weight)
    bt = None if bias is None else tensor(bias)
    out = F.conv2d(xt, wt, bt, stride=stride, padding=padding)
    out.backward(torch.tensor(dout))
    return out, xt.grad, wt.grad, None if bias is None else bt.grad


def conv_case(case, rng, with_bias=True):
    n, c_in, h, w, c_out, kernel, stride, padding = case
    kh, kw = (kernel, kernel) if isinstance(kernel, int) else kernel
    x = rng.standard_normal((n, c_in, h, w))
    weight = rng.standard_normal((c_out, c_in, kh, kw))
    bias = rng.standard_normal(c_out) if with_bias else None
    return x, weight, bias, stride, padding


@pytest.mark.parametrize("case", CONV_CASES)
@pytest.mark.parametrize("with_bias", [True, False])
def test_conv2d_fast_matches_torch(case, with_bias, rng):
    x, weight, bias, stride, padding = conv_case(case, rng, with_bias)
    out, cache = nf.conv2d_forward(x, weight, bias, stride, padding)
    dout = rng.standard_normal(out.shape)
    out_t, dx_t, dw_t, db_t = torch_conv(x, weight, bias, stride, padding, dout)
    dx, dweight, dbias = nf.conv2d_backward(dout, cache)
    assert rel_error(out, out_t) < 1e-6
    assert rel_error(nf.conv2d(x, weight, bias, stride, padding), out_t) < 1e-6
    assert rel_error(dx, dx_t) < 1e-6
    assert rel_error(dweight, dw_t) < 1e-6
    if with_bias:
        assert rel_error(dbias, db_t) < 1e-6
    else:
        assert dbias is None


# The fast conv2d picks its memory layout and its way to dx from the shapes; these settings of
# the module's thresholds force each combination, so that every path is checked on every case.
LAYOUTS = {"batch second (C, N, H, W)": 0, "batch last (C, H, W, N)": 10**9}  # _SHORT_ROW
DX_METHODS = {"scatter (col2im)": 0, "gather (phases of the stride)": 10**9}  # _SCATTER_COST and _STRIDED


@pytest.mark.parametrize("case", CONV_CASES)
@pytest.mark.parametrize("short_row", LAYOUTS.values(), ids=LAYOUTS.keys())
@pytest.mark.parametrize("scatter_cost", DX_METHODS.values(), ids=DX_METHODS.keys())
def test_conv2d_fast_every_layout_and_dx_method_matches_torch(case, short_row, scatter_cost, monkeypatch, rng):
    monkeypatch.setattr(nf, "_SHORT_ROW", short_row)
    monkeypatch.setattr(nf, "_SCATTER_COST", scatter_cost)
    monkeypatch.setattr(nf, "_SCATTER_COST_STRIDED", scatter_cost)
    x, weight, bias, stride, padding = conv_case(case, rng)
    out, cache = nf.conv2d_forward(x, weight, bias, stride, padding)
    dout = rng.standard_normal(out.shape)
    out_t, dx_t, dw_t, db_t = torch_conv(x, weight, bias, stride, padding, dout)
    dx, dweight, dbias = nf.conv2d_backward(dout, cache)
    assert rel_error(out, out_t) < 1e-6
    assert rel_error(dx, dx_t) < 1e-6
    assert rel_error(dweight, dw_t) < 1e-6
    assert rel_error(dbias, db_t) < 1e-6


def test_dx_is_gathered_when_there_are_fewer_filters_than_input_channels():
    # Few filters, many input channels: gathering C_out*kH*kW values per input pixel is cheaper,
    # with stride 1 and with stride 2.
    assert nf._gather_is_cheaper((8, 32, 10, 10), (4, 32, 3, 3), (1, 1), (10, 10))
    assert nf._gather_is_cheaper((8, 32, 10, 10), (4, 32, 3, 3), (2, 2), (5, 5))
    assert nf._gather_is_cheaper((8, 32, 10, 10), (4, 32, 3, 3), (1, 2), (10, 5))
    # One input channel, many filters: scattering C_in*kH*kW values per output position is cheaper.
    assert not nf._gather_is_cheaper((8, 1, 10, 10), (32, 1, 3, 3), (1, 1), (10, 10))
    assert not nf._gather_is_cheaper((8, 16, 10, 10), (32, 16, 3, 3), (2, 2), (5, 5))


@pytest.mark.parametrize("scatter_cost", DX_METHODS.values(), ids=DX_METHODS.keys())
def test_conv2d_backward_in_blocks_of_images_matches_torch(scatter_cost, monkeypatch, rng):
    # dx is computed a few images at a time in the (C, N, H, W) layout; force blocks of one image.
    monkeypatch.setattr(nf, "_CHUNK_BYTES", 1)
    monkeypatch.setattr(nf, "_SHORT_ROW", 0)
    monkeypatch.setattr(nf, "_SCATTER_COST", scatter_cost)
    monkeypatch.setattr(nf, "_SCATTER_COST_STRIDED", scatter_cost)
    for case in [(3, 2, 7, 6, 4, 3, 2, 1), (3, 2, 7, 6, 4, 3, 1, 1)]:
        x, weight, bias, stride, padding = conv_case(case, rng)
        out, cache = nf.conv2d_forward(x, weight, bias, stride, padding)
        dout = rng.standard_normal(out.shape)
        _, dx_t, dw_t, db_t = torch_conv(x, weight, bias, stride, padding, dout)
        dx, dweight, dbias = nf.conv2d_backward(dout, cache)
        assert rel_error(dx, dx_t) < 1e-6 and rel_error(dweight, dw_t) < 1e-6 and rel_error(dbias, db_t) < 1e-6


@pytest.mark.parametrize("width", [6, 20])  # output rows below and above _SHORT_ROW: both layouts
@pytest.mark.parametrize("c_in, c_out", [(6, 2), (2, 6)])  # gather, scatter
def test_conv2d_fast_float32_matches_torch_float32(width, c_in, c_out, rng):
    x = rng.standard_normal((3, c_in, 7, width), dtype=np.float32)
    weight = rng.standard_normal((c_out, c_in, 3, 3), dtype=np.float32)
    bias = rng.standard_normal(c_out, dtype=np.float32)
    out, cache = nf.conv2d_forward(x, weight, bias, padding=1)
    dout = rng.standard_normal(out.shape, dtype=np.float32)
    grads = nf.conv2d_backward(dout, cache)
    assert out.dtype == np.float32 and all(g.dtype == np.float32 for g in grads)
    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, weight, bias))
    out_t = F.conv2d(xt, wt, bt, padding=1)
    out_t.backward(torch.from_numpy(dout))
    assert rel_error(out, out_t) < 1e-5
    for ours, theirs in zip(grads, (xt.grad, wt.grad, bt.grad), strict=True):
        assert rel_error(ours, theirs) < 1e-5


@pytest.mark.parametrize("case", CONV_CASES)
def test_conv2d_naive_matches_torch(case, rng):
    x, weight, bias, stride, padding = conv_case(case, rng)
    out = nf.conv2d_naive(x, weight, bias, stride, padding)
    dout = rng.standard_normal(out.shape)
    out_t, dx_t, dw_t, db_t = torch_conv(x, weight, bias, stride, padding, dout)
    dx, dweight, dbias = nf.conv2d_naive_backward(dout, x, weight, stride, padding)
    assert rel_error(out, out_t) < 1e-6
    assert rel_error(dx, dx_t) < 1e-6
    assert rel_error(dweight, dw_t) < 1e-6
    assert rel_error(dbias, db_t) < 1e-6


IMAGE_5X5 = np.array(
    [[1, 1, 1, 0, 0], [0, 1, 1, 1, 0], [0, 0, 1, 1, 1], [0, 0, 1, 1, 0], [0, 1, 1, 0, 0]], dtype=np.float64
)
FILTER_3X3 = np.array([[1, 0, 1], [0, 1, 0], [1, 0, 1]], dtype=np.float64)


@pytest.mark.parametrize("conv", [nf.conv2d, nf.conv2d_naive])
def test_conv2d_worked_example_5x5_binary_image(conv):
    out = conv(IMAGE_5X5[None, None], FILTER_3X3[None, None])
    np.testing.assert_array_equal(out[0, 0], [[4, 3, 4], [2, 4, 3], [2, 3, 4]])


def test_conv2d_keeps_float32(rng):
    x = rng.standard_normal((2, 3, 6, 6), dtype=np.float32)
    weight = rng.standard_normal((4, 3, 3, 3), dtype=np.float32)
    bias = rng.standard_normal(4, dtype=np.float32)
    out, cache = nf.conv2d_forward(x, weight, bias, padding=1)
    grads = nf.conv2d_backward(np.ones_like(out), cache)
    assert out.dtype == np.float32 and all(g.dtype == np.float32 for g in grads)
    assert nf.conv2d_naive(x, weight, bias).dtype == np.float32
    assert nf.im2col(x, 3).dtype == np.float32


def test_conv2d_naive_backward_keeps_float32(rng):
    x = rng.standard_normal((1, 2, 5, 5), dtype=np.float32)
    weight = rng.standard_normal((3, 2, 3, 3), dtype=np.float32)
    grads = nf.conv2d_naive_backward(np.ones((1, 3, 3, 3), dtype=np.float32), x, weight)
    assert all(g.dtype == np.float32 for g in grads)


def test_conv2d_accepts_lists_as_pairs(rng):
    x, weight = rng.standard_normal((1, 2, 6, 7)), rng.standard_normal((3, 2, 2, 3))
    expected = F.conv2d(torch.tensor(x), torch.tensor(weight), stride=(2, 1), padding=(1, 0))
    assert rel_error(nf.conv2d(x, weight, stride=[2, 1], padding=[1, 0]), expected) < 1e-6


def test_conv2d_converts_integer_input_to_float64():
    out = nf.conv2d(IMAGE_5X5.astype(np.int64)[None, None], FILTER_3X3.astype(np.int64)[None, None])
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out[0, 0], [[4, 3, 4], [2, 4, 3], [2, 3, 4]])


@pytest.mark.parametrize("conv", [nf.conv2d, nf.conv2d_naive])
@pytest.mark.parametrize(
    "x_shape, w_shape, kwargs, message",
    [
        ((3, 8, 8), (4, 3, 3, 3), {}, r"x must be 4-D \(N, C, H, W\), got shape \(3, 8, 8\)"),
        ((2, 3, 8, 8), (4, 3, 3), {}, r"weight must be 4-D \(C_out, C_in, kH, kW\)"),
        ((2, 3, 8, 8), (4, 2, 3, 3), {}, "x has 3 channels but weight expects C_in=2"),
        ((2, 3, 4, 4), (4, 3, 7, 7), {"padding": 1}, r"kernel_size \(7, 7\) is larger than the padded input \(6, 6\)"),
        ((2, 3, 8, 8), (4, 3, 3, 3), {"padding": -1}, "padding must be >= 0, got -1"),
        ((2, 3, 8, 8), (4, 3, 3, 3), {"stride": 0}, "stride must be >= 1, got 0"),
        ((2, 3, 8, 8), (4, 3, 3, 3), {"stride": (1, 2, 3)}, r"stride must be an int or a pair"),
        ((2, 3, 8, 8), (4, 3, 3, 3), {"bias": np.zeros(3)}, r"bias must have shape \(C_out,\) = \(4,\), got \(3,\)"),
    ],
)
def test_conv2d_rejects_bad_input(conv, x_shape, w_shape, kwargs, message):
    with pytest.raises(ValueError, match=message):
        conv(np.zeros(x_shape), np.zeros(w_shape), **kwargs)


def test_conv2d_backward_rejects_wrong_dout_shape(rng):
    _, cache = nf.conv2d_forward(rng.standard_normal((2, 3, 6, 6)), rng.standard_normal((4, 3, 3, 3)))
    with pytest.raises(ValueError, match=r"dout must have the output's shape \(2, 4, 4, 4\), got \(2, 4, 6, 6\)"):
        nf.conv2d_backward(np.zeros((2, 4, 6, 6)), cache)


# ----------------------------------------------------------------------------- pooling

# (shape, kernel_size, stride)
POOL_CASES = [
    ((2, 3, 8, 8), 2, None),
    ((2, 3, 7, 9), 2, None),
    ((2, 2, 7, 7), 3, 1),
    ((1, 3, 9, 8), 3, 2),
    ((2, 2, 10, 10), 2, 3),
    ((1, 2, 7, 8), (2, 3), (1, 2)),
]

POOLS = [
    (nf.max_pool2d_forward, nf.max_pool2d_backward, nf.max_pool2d, F.max_pool2d),
    (nf.avg_pool2d_forward, nf.avg_pool2d_backward, nf.avg_pool2d, F.avg_pool2d),
]


@pytest.mark.parametrize("forward, backward, pool, reference", POOLS)
@pytest.mark.parametrize("shape, kernel_size, stride", POOL_CASES)
def test_pooling_matches_torch(forward, backward, pool, reference, shape, kernel_size, stride, rng):
    x = rng.standard_normal(shape)
    out, cache = forward(x, kernel_size, stride)
    dout = rng.standard_normal(out.shape)
    xt = tensor(x)
    out_t = reference(xt, kernel_size, stride)
    out_t.backward(torch.tensor(dout))
    assert rel_error(out, out_t) < 1e-6
    assert rel_error(pool(x, kernel_size, stride), out_t) < 1e-6
    assert rel_error(backward(dout, cache), xt.grad) < 1e-6


@pytest.mark.parametrize("stride", [1, 2])
def test_max_pool_ties_go_to_the_first_max_as_in_torch(stride, rng):
    # Integers in a tiny range give ties in most windows, zeros give ties everywhere.
    x = np.concatenate([rng.integers(0, 2, (1, 1, 6, 6)), np.zeros((1, 1, 6, 6))], axis=1).astype(np.float64)
    out, cache = nf.max_pool2d_forward(x, 3, stride)
    dout = rng.standard_normal(out.shape)
    xt = tensor(x)
    F.max_pool2d(xt, 3, stride).backward(torch.tensor(dout))
    np.testing.assert_allclose(nf.max_pool2d_backward(dout, cache), xt.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_max_pool_overlapping_windows_add_gradients():
    # With stride 1 the 9 at the centre is the max of all four 2x2 windows.
    x = np.array([[[[1.0, 2.0, 1.0], [2.0, 9.0, 2.0], [1.0, 2.0, 1.0]]]])
    out, cache = nf.max_pool2d_forward(x, 2, 1)
    np.testing.assert_array_equal(out[0, 0], [[9, 9], [9, 9]])
    dx = nf.max_pool2d_backward(np.ones_like(out), cache)
    np.testing.assert_array_equal(dx[0, 0], [[0, 0, 0], [0, 4, 0], [0, 0, 0]])


@pytest.mark.parametrize("forward, backward", [pool[:2] for pool in POOLS])
def test_pooling_keeps_float32(forward, backward, rng):
    out, cache = forward(rng.standard_normal((2, 3, 8, 8), dtype=np.float32), 2)
    assert out.dtype == np.float32
    assert backward(np.ones(out.shape, dtype=np.float32), cache).dtype == np.float32


@pytest.mark.parametrize("forward", [nf.max_pool2d_forward, nf.avg_pool2d_forward])
@pytest.mark.parametrize(
    "shape, kernel_size, stride, message",
    [
        ((3, 8, 8), 2, None, r"x must be 4-D \(N, C, H, W\), got shape \(3, 8, 8\)"),
        ((1, 1, 3, 3), 4, None, r"kernel_size \(4, 4\) is larger than the padded input \(3, 3\)"),
        ((1, 1, 8, 8), 2, 0, "stride must be >= 1, got 0"),
        ((1, 1, 8, 8), 0, None, "kernel_size must be >= 1, got 0"),
        ((1, 1, 8, 8), 2.5, None, "kernel_size must be an integer, got 2.5"),
    ],
)
def test_pooling_rejects_bad_input(forward, shape, kernel_size, stride, message):
    with pytest.raises(ValueError, match=message):
        forward(np.zeros(shape), kernel_size, stride)


@pytest.mark.parametrize("forward, backward", [pool[:2] for pool in POOLS])
def test_pooling_backward_rejects_wrong_dout_shape(forward, backward):
    _, cache = forward(np.zeros((2, 3, 8, 8)), 2)
    with pytest.raises(ValueError, match=r"dout must have the output's shape \(2, 3, 4, 4\)"):
        backward(np.zeros((2, 3, 8, 8)), cache)
