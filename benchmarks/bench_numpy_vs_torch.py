"""How fast is the NumPy reference code next to PyTorch? Ratios measured in one run.

Times forward + backward of ``cnncourse.numpy.functional.conv2d`` (3x3 kernels, padding 1)
and of 2x2 max pooling against ``torch.nn.functional`` on the CPU, in float32, with both
libraries on the same number of threads (the BLAS threads NumPy uses, read with threadpoolctl).
Each row is the best of several repeats after a warm-up; the table ends with the geometric
mean of the ratios numpy/torch. Target: geometric mean <= 2 and no row above 3.

Run from the repository root:

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench_numpy_vs_torch.py

The ``env -u`` drops two OpenBLAS overrides that some course machines set to work around
old CPUs; they can make OpenBLAS pick slower kernels. They are removed only for this
benchmark, never for the tests. The machine may be shared, so timings are noisy: run it
a few times and look at the trend rather than one number.

Where the NumPy time goes (conv2d, 64x32x16x16 -> 64 channels): the three matrix products
take about half; the rest is copying (im2col, col2im, layout changes), which NumPy does on
one thread, and first touches of freshly allocated memory (page faults), which torch avoids.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F
from threadpoolctl import threadpool_info

from cnncourse.numpy import functional as nf

CONV_SHAPES = [(64, 3, 32, 32), (64, 32, 16, 64), (128, 1, 28, 6)]  # (N, C_in, H = W, C_out)
POOL_SHAPES = [(64, 32, 32, 32), (128, 64, 14, 14)]  # (N, C, H, W)
REPEATS = 5
ROUNDS = 4


def best_time(fn: Callable[[], object]) -> float:
    """Best wall-clock time of fn in seconds over REPEATS calls, after one warm-up call."""
    fn()
    best = math.inf
    for _ in range(REPEATS):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def best_times(run_numpy: Callable[[], object], run_torch: Callable[[], object]) -> tuple[float, float]:
    """Best times of the two functions over ROUNDS alternating blocks of repeats.

    Blocks rather than alternating single calls: the thread pools of OpenBLAS and of torch
    keep spinning for a moment after their work, and would slow each other's next call. Several
    rounds spread bursts of load from other processes over both libraries.
    """
    best_numpy = best_torch = math.inf
    for _ in range(ROUNDS):
        best_numpy = min(best_numpy, best_time(run_numpy))
        best_torch = min(best_torch, best_time(run_torch))
    return best_numpy, best_torch


def check_same(grads_numpy, grads_torch) -> None:
    """A timing is only worth something if both sides compute the same gradients."""
    for ours, theirs in zip(grads_numpy, grads_torch, strict=True):
        np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-3, atol=1e-3 * np.abs(ours).max())


def conv_pair(n: int, c_in: int, size: int, c_out: int, rng: np.random.Generator):
    """Two closures that run conv2d forward + backward, in NumPy and in torch."""
    x = rng.standard_normal((n, c_in, size, size), dtype=np.float32)
    weight = rng.standard_normal((c_out, c_in, 3, 3), dtype=np.float32)
    bias = rng.standard_normal(c_out, dtype=np.float32)
    dout = rng.standard_normal((n, c_out, size, size), dtype=np.float32)

    def run_numpy():
        out, cache = nf.conv2d_forward(x, weight, bias, stride=1, padding=1)
        return nf.conv2d_backward(dout, cache)

    xt, wt, bt = (torch.from_numpy(a).requires_grad_() for a in (x, weight, bias))
    dout_t = torch.from_numpy(dout)

    def run_torch():
        out = F.conv2d(xt, wt, bt, stride=1, padding=1)
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


def blas_threads() -> int:
    """Threads of the BLAS library NumPy is linked against (1 if threadpoolctl finds none)."""
    return max((pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"), default=1)


def main() -> None:
    threads = blas_threads()
    torch.set_num_threads(threads)
    rng = np.random.default_rng(0)
    rows = [(f"conv2d 3x3 p1 N,C,H,K={s}", *conv_pair(*s, rng)) for s in CONV_SHAPES]
    rows += [(f"max_pool2d 2x2 N,C,H,W={s}", *pool_pair(s, rng)) for s in POOL_SHAPES]

    print(f"float32, forward + backward, {threads} thread(s) for NumPy's BLAS and for torch,")
    print(f"best of {ROUNDS} rounds x {REPEATS} repeats")
    print(f"{'case':<44} {'numpy ms':>9} {'torch ms':>9} {'ratio':>6}")
    ratios = []
    for name, run_numpy, run_torch in rows:
        t_numpy, t_torch = best_times(run_numpy, run_torch)
        ratios.append(t_numpy / t_torch)
        print(f"{name:<44} {1e3 * t_numpy:9.2f} {1e3 * t_torch:9.2f} {ratios[-1]:6.2f}")
    geomean = math.exp(sum(math.log(r) for r in ratios) / len(ratios))
    print(f"{'geometric mean ratio numpy/torch':<64} {geomean:6.2f}")
    verdict = "met" if geomean <= 2 and max(ratios) <= 3 else "NOT met"
    print(f"target (geometric mean <= 2, every row <= 3): {verdict}")


if __name__ == "__main__":
    main()
