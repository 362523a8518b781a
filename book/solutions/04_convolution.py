"""Instructor solutions, chapter 4: convolution.

Each function's docstring is the written answer; its body computes and asserts the numbers the
answer states.
"""

from __future__ import annotations

import time

import numpy as np
import torch
import torch.nn.functional as F_torch

from cnncourse.data import sample_image
from cnncourse.numpy import Conv2d, Linear, conv2d, conv2d_naive, conv2d_naive_backward, conv_output_size, num_parameters
from cnncourse.numpy.filters import KERNELS
from cnncourse.numpy.receptive_field import receptive_field


def exercise_1():
    """Channels 64 -> 128 and size 56 -> 28 with k = 3. Stride 1 would need
    floor((56 + 2p - 3)/1) + 1 = 28, i.e. p < 0, so s = 2. With s = 2:
    p = 0 gives floor(53/2) + 1 = 27; p = 1 gives floor(55/2) + 1 = 28. The smallest padding is p = 1.
    Parameters: weights 128 * 64 * 3 * 3 = 73,728; biases 128 (one per output channel);
    total 73,856.
    """
    assert conv_output_size(56, 3, 2, 0) == 27 and conv_output_size(56, 3, 2, 1) == 28
    layer = Conv2d(64, 128, kernel_size=3, stride=2, padding=1)
    assert layer.forward(np.zeros((1, 64, 56, 56), dtype=np.float32)).shape == (1, 128, 28, 28)
    assert layer.params["W"].size == 73_728 and layer.params["b"].size == 128 and num_parameters(layer) == 73_856


def exercise_2():
    """RF_l = RF_{l-1} + (k_l - 1) J_l with J_l the product of the strides below layer l:

    | layer | k | s | J | RF |
    | 5x5 conv | 5 | 1 | 1 | 1 + 4*1 = 5 |
    | 2x2 pool | 2 | 2 | 1 | 5 + 1*1 = 6 |
    | 5x5 conv | 5 | 1 | 2 | 6 + 4*2 = 14 |

    A unit of the second convolution sees 14 x 14 input pixels.
    """
    assert receptive_field([5, 2, 5], [1, 2, 1]) == [5, 6, 14]


def exercise_3():
    """For k = 1 the sums over u, v have one term: Y[o, r, c] = b[o] + sum_q W[o, q, 0, 0] X[q, r, c],
    which is (W' x_rc + b)[o] with the matrix W' = W[:, :, 0, 0] of shape (C_out, C_in) and x_rc the
    vector of the C_in channel values at pixel (r, c): the same linear layer at every pixel.
    From 256 to 64 channels: 64 * 256 = 16,384 weights + 64 biases = 16,448 parameters.
    """
    rng = np.random.default_rng(0)
    conv = Conv2d(256, 64, kernel_size=1, seed=0, dtype=np.float64)
    assert num_parameters(conv) == 16_448
    x = rng.normal(size=(2, 256, 3, 3))
    linear = Linear(256, 64, dtype=np.float64)
    linear.params["W"][...] = conv.params["W"][:, :, 0, 0]
    linear.params["b"][...] = conv.params["b"]
    per_pixel = linear.forward(x.transpose(0, 2, 3, 1).reshape(-1, 256)).reshape(2, 3, 3, 64).transpose(0, 3, 1, 2)
    assert np.allclose(conv.forward(x), per_pixel)


def exercise_4():
    """y[0] = w0 x0 + w1 x1 + w2 x2, y[1] = w0 x2 + w1 x3 + w2 x4, y[2] = w0 x4 + w1 x5 + w2 x6.
    dL/dx[m] = sum_i g[i] w[m - 2i] (w = 0 outside 0..2):
    dx0 = g0 w0, dx1 = g0 w1, dx2 = g0 w2 + g1 w0, dx3 = g1 w1, dx4 = g1 w2 + g2 w0, dx5 = g2 w1,
    dx6 = g2 w2. The even inputs x2, x4, shared by two windows, get two terms; the others one.
    Dilated gradient: g2 = (g0, 0, g1, 0, g2): the s - 1 = 1 zero goes *between* neighbouring
    entries of the upstream gradient (none at the ends), so that g[i] sits at position 2i, where
    window i starts. Full convolution: (g2 * w)[m] = sum_t g2[t] w[m - t] for m = 0..6
    (5 + 3 - 1 = 7 values), e.g. m = 2: g0 w2 + 0 * w1 + g1 w0, which is dx2; the zeros remove
    exactly the terms whose window does not exist.
    """
    rng = np.random.default_rng(0)
    x, w, g = rng.normal(size=7), rng.normal(size=3), rng.normal(size=3)
    dx, _, _ = conv2d_naive_backward(g[None, None, None], x[None, None, None], w[None, None, None], stride=(1, 2))
    by_hand = [g[0] * w[0], g[0] * w[1], g[0] * w[2] + g[1] * w[0], g[1] * w[1], g[1] * w[2] + g[2] * w[0],
               g[2] * w[1], g[2] * w[2]]
    g2 = np.array([g[0], 0, g[1], 0, g[2]])
    assert np.allclose(dx.ravel(), by_hand) and np.allclose(np.convolve(g2, w, mode="full"), by_hand)


def exercise_5():
    """5x5 kernel: (1, 4, 6, 4, 1)^T (1, 4, 6, 4, 1) / 256. In 1-D, [1, 2, 1] convolved with itself is
    [1, 4, 6, 4, 1], and (1/16 outer(a, a)) * (1/16 outer(a, a)) = 1/256 outer(a*a, a*a), so the full
    convolution of the 3x3 kernel with itself is exactly the 5x5 one. Convolution is associative,
    (x * g) * g = x * (g * g): blurring twice equals blurring once with the combined kernel; in
    probability terms the variances add, 1/2 + 1/2 = 1 per axis. On the 128x128 camera image the
    largest difference is about 2e-7 (float32 rounding) everywhere except the outermost ring of
    pixels, where it reaches 0.064 (508 = 4 * 127 pixels differ). The border differs because the
    two-step version pads the *blurred* image with zeros, while the one-step version effectively uses
    the blur of the padded image, which is not zero one pixel outside the image.
    """
    a = np.array([1, 2, 1])
    g3 = np.outer(a, a) / 16
    g5 = np.outer([1, 4, 6, 4, 1], [1, 4, 6, 4, 1]) / 256
    assert np.allclose(g3, KERNELS["gaussian blur"])
    full = conv2d(np.pad(g3, 2)[None, None], g3[::-1, ::-1][None, None])[0, 0]   # full convolution
    assert np.allclose(full, g5)
    camera = sample_image("camera", size=128, gray=True)
    k3, k5 = g3[None, None].astype(np.float32), g5[None, None].astype(np.float32)
    twice = conv2d(conv2d(camera[None, None], k3, padding=1), k3, padding=1)[0, 0]
    once = conv2d(camera[None, None], k5, padding=2)[0, 0]
    diff = np.abs(twice - once)
    assert diff[1:-1, 1:-1].max() < 1e-6
    assert abs(diff.max() - 0.064) < 0.005 and int((diff > 1e-5).sum()) == 508


def _median_time(fn, repeat):
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def exercise_6():
    """(Timings vary by machine; a student's plot should show the following shape.) Per image,
    the loops cost the same at every N and are orders of magnitude slower than the other two. PyTorch
    gets cheaper per image as N grows (its kernels use the CPU's vector units and threads better on
    larger work). The im2col time per image first falls (fixed overheads shared by more images), then
    rises once the column matrix, 27 x 1024 N float32 numbers = 108 KiB * N (1.7 MiB at N = 16,
    6.75 MiB at N = 64), no longer fits in the L2 cache (1 MiB per core on this book's machine,
    L3 32 MiB): each pass over it then goes to slower memory. So the im2col/PyTorch ratio grows with
    N. One single-threaded run on this book's 2-core CPU (timings are not asserted: they vary between
    runs) gave per image im2col 120, 100, 958, 543 us and PyTorch 66, 54, 21, 26 us for
    N = 1, 4, 16, 64: ratios 1.8, 1.9, 45, 21, with the jump between N = 4 (0.4 MiB of columns) and
    N = 16 (1.7 MiB). The body checks that the methods agree and that the loops are more than 10
    times slower per image than im2col.
    """
    w = np.random.default_rng(1).random((16, 3, 3, 3)).astype(np.float32)
    assert 27 * 1024 * 4 == 110_592 and 27 * 1024 * 64 * 4 / 2**20 == 6.75
    naive_per_image = _median_time(lambda: conv2d_naive(np.ones((1, 3, 32, 32), np.float32), w, padding=1), 1)
    for n in (1, 4, 16):
        x = np.random.default_rng(0).random((n, 3, 32, 32)).astype(np.float32)
        ours = _median_time(lambda: conv2d(x, w, padding=1), 5) / n
        _median_time(lambda: F_torch.conv2d(torch.from_numpy(x), torch.from_numpy(w), padding=1), 5)
        assert np.allclose(conv2d(x, w, padding=1),
                           F_torch.conv2d(torch.from_numpy(x), torch.from_numpy(w), padding=1).numpy(), atol=1e-4)
        assert naive_per_image > 10 * ours


if __name__ == "__main__":
    for name, func in sorted(globals().items()):
        if name.startswith("exercise_"):
            func()
            print(name, "ok")
