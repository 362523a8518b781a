"""How fast is the NumPy reference code next to PyTorch? Ratios measured in one run.

Times forward + backward of ``cnncourse.numpy.functional.conv2d`` against
``torch.nn.functional.conv2d`` on the CPU, in float32, on shapes a course network meets: batches
of 16-128, maps of 8-32 pixels, 1 to 64 channels (odd counts too), 3x3 and 5x5 kernels, stride 1
and 2, with and without padding. 2x2 max pooling is timed in a table of its own and does not
count towards the convolution's target. Target: the geometric mean of the convolution ratios
numpy/torch <= 2 and no convolution row above 3.

Both libraries run on one thread (threadpoolctl limits NumPy's BLAS, torch.set_num_threads(1)).
The clock is the process's CPU time, not the wall clock: the course machine is shared, and CPU
time does not count the moments another process holds the core (cache and memory-bus sharing
still add noise). NumPy and torch are measured in alternating blocks on the same arrays, and
each side's time is the median over all its calls; a ratio is only compared within one run.
Run it two or three times and look at the spread.

Run from the repository root:

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE .venv/bin/python benchmarks/bench_numpy_vs_torch.py

The ``env -u`` drops two OpenBLAS overrides that some course machines set to work around
old CPUs; they can make OpenBLAS pick slower kernels. They are removed only for this
benchmark, never for the tests.
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import torch
import torch.nn.functional as F
from threadpoolctl import threadpool_limits

from cnncourse.numpy import functional as nf


class ConvShape(NamedTuple):
    n: int  # batch
    c_in: int
    size: int  # H = W
    c_out: int
    k: int  # kernel k x k
    stride: int
    padding: int


CONV_SHAPES = [
    ConvShape(64, 3, 32, 32, 3, 1, 1),  # a CIFAR-10 first layer
    ConvShape(64, 32, 16, 64, 3, 1, 1),
    ConvShape(128, 1, 28, 6, 3, 1, 1),
    ConvShape(32, 1, 28, 6, 5, 1, 2),  # LeNet-5 on Fashion-MNIST, first layer
    ConvShape(32, 6, 14, 16, 5, 1, 0),  # and its second
    ConvShape(16, 3, 28, 17, 5, 1, 2),
    ConvShape(64, 17, 12, 33, 3, 1, 1),
    ConvShape(16, 7, 28, 13, 3, 2, 1),
    ConvShape(32, 16, 16, 32, 3, 2, 1),
    ConvShape(64, 24, 8, 48, 3, 1, 1),
    ConvShape(48, 5, 20, 11, 5, 2, 2),
    ConvShape(16, 32, 8, 64, 3, 1, 0),
    ConvShape(32, 33, 28, 17, 5, 1, 1),
    ConvShape(32, 64, 16, 6, 3, 1, 1),  # many input channels, few filters
    ConvShape(32, 32, 14, 6, 5, 1, 0),
    ConvShape(16, 64, 28, 17, 5, 1, 2),
    ConvShape(48, 32, 16, 11, 3, 2, 1),
    ConvShape(64, 24, 24, 16, 5, 2, 0),
    ConvShape(48, 64, 20, 17, 5, 2, 1),
]
POOL_SHAPES = [(64, 32, 32, 32), (128, 64, 14, 14)]  # (N, C, H, W)
ROUNDS = 5  # alternating blocks per library
REPEATS = 5  # calls per block
TARGET_GEOMEAN, TARGET_MAX = 2.0, 3.0


def cpu_times(fn: Callable[[], object]) -> list[float]:
    """CPU seconds of REPEATS calls of fn, one entry per call."""
    times = []
    for _ in range(REPEATS):
        start = time.process_time()
        fn()
        times.append(time.process_time() - start)
    return times


def median_times(run_numpy: Callable[[], object], run_torch: Callable[[], object]) -> tuple[float, float]:
    """Median CPU time per call of each function, measured in ROUNDS alternating blocks after a warm-up.

    Alternating blocks spread bursts of load from other processes over both libraries.
    """
    run_numpy(), run_torch()
    numpy_times, torch_times = [], []
    for _ in range(ROUNDS):
        numpy_times += cpu_times(run_numpy)
        torch_times += cpu_times(run_torch)
    return statistics.median(numpy_times), statistics.median(torch_times)


def check_same(grads_numpy, grads_torch) -> None:
    """A timing is only worth something if both sides compute the same gradients."""
    for ours, theirs in zip(grads_numpy, grads_torch, strict=True):
        np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-3, atol=1e-3 * np.abs(ours).max())


def conv_pair(shape: ConvShape, rng: np.random.Generator):
    """Two closures that run conv2d forward + backward, in NumPy and in torch."""
    n, c_in, size, c_out, k, stride, padding = shape
    x = rng.standard_normal((n, c_in, size, size), dtype=np.float32)
    weight = rng.standard_normal((c_out, c_in, k, k), dtype=np.float32)
    bias = rng.standard_normal(c_out, dtype=np.float32)
    out_size = nf.conv_output_size(size, k, stride, padding)
    dout = rng.standard_normal((n, c_out, out_size, out_size), dtype=np.float32)

    def run_numpy():
        out, cache = nf.conv2d_forward(x, weight, bias, stride=stride, padding=padding)
        return nf.conv2d_backward(dout, cache)

    xt, wt, bt = (torch.from_numpy(a).requires_grad_() for a in (x, weight, bias))
    dout_t = torch.from_numpy(dout)

    def run_torch():
        out = F.conv2d(xt, wt, bt, stride=stride, padding=padding)
        return torch.autograd.grad(out, (xt, wt, bt), dout_t)

    check_same(run_numpy(), run_torch())
    return run_numpy, run_torch


def pool_pair(shape: tuple[int, int, int, int], rng: np.random.Generator):
    """Two closures that run 2x2 max pooling forward + backward, in NumPy and in torch."""
    x = rng.standard_normal(shape, dtype=np.float32)
    n, c, h, w = shape
    dout = rng.standard_normal((n, c, h // 2, w // 2), dtype=np.float32)

    def run_numpy():
        out, cache = nf.max_pool2d_forward(x, 2)
        return nf.max_pool2d_backward(dout, cache)

    xt, dout_t = torch.from_numpy(x).requires_grad_(), torch.from_numpy(dout)

    def run_torch():
        return torch.autograd.grad(F.max_pool2d(xt, 2), xt, dout_t)

    check_same([run_numpy()], run_torch())
    return run_numpy, run_torch


def time_table(title: str, rows: list[tuple[str, Callable, Callable]]) -> list[float]:
    """Print one Markdown table of CPU times and ratios; return the ratios numpy/torch."""
    print(f"\n{title}\n")
    print(f"| {'case':<34} | numpy ms | torch ms | ratio |")
    print(f"| {'-' * 34} | -------: | -------: | ----: |")
    ratios = []
    for name, run_numpy, run_torch in rows:
        t_numpy, t_torch = median_times(run_numpy, run_torch)
        ratios.append(t_numpy / t_torch)
        print(f"| {name:<34} | {1e3 * t_numpy:8.2f} | {1e3 * t_torch:8.2f} | {ratios[-1]:5.2f} |", flush=True)
    return ratios


def geometric_mean(values: list[float]) -> float:
    return math.exp(sum(math.log(v) for v in values) / len(values))


def main() -> None:
    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    print(f"float32, forward + backward, 1 thread for NumPy's BLAS and for torch ({torch.__version__}, "
          f"NumPy {np.__version__}); median CPU time of {ROUNDS} alternating blocks x {REPEATS} calls")
    with threadpool_limits(limits=1, user_api="blas"):
        conv_rows = [
            (f"{s.n}x{s.c_in}x{s.size}x{s.size} -> {s.c_out}, {s.k}x{s.k} s{s.stride} p{s.padding}",
             *conv_pair(s, rng))
            for s in CONV_SHAPES
        ]
        conv = time_table("conv2d (N x C_in x H x W -> C_out, k x k, stride s, padding p)", conv_rows)
        pool_rows = [("{}x{}x{}x{}".format(*s), *pool_pair(s, rng)) for s in POOL_SHAPES]
        pool = time_table("max_pool2d 2x2 (N x C x H x W), not part of the convolution target", pool_rows)
    geomean = geometric_mean(conv)
    print(f"\nconv2d: geometric mean ratio numpy/torch {geomean:.2f}, largest {max(conv):.2f} "
          f"({conv_rows[conv.index(max(conv))][0]})")
    print(f"max_pool2d: geometric mean ratio {geometric_mean(pool):.2f}")
    met = geomean <= TARGET_GEOMEAN and max(conv) <= TARGET_MAX
    print(f"target (conv2d geometric mean <= {TARGET_GEOMEAN:g}, every conv2d row <= {TARGET_MAX:g}): "
          f"{'met' if met else 'NOT met'}")


if __name__ == "__main__":
    main()
