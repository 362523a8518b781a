"""Training throughput of LeNet-5 in NumPy against the same network in PyTorch, on the CPU.

Trains ``cnncourse.numpy.models.LeNet5`` on the 8x8 digits with the NumPy SGD optimizer, and
its PyTorch twin (``cnncourse.torch.models.lenet5(input_size=8)``, the same layers, starting
from the same weights) with ``torch.optim.SGD``, for the same number of epochs with the same batches. Prints
images per second of both, and the ratio torch/numpy: how many times faster PyTorch trains.
Both libraries run on one thread (see THREADS). Run from the repository root:

    python benchmarks/bench_lenet_training.py

The machine may be shared, so timings are noisy: each side reports its best epoch.
"""

from __future__ import annotations

import time

import numpy as np
import torch
from threadpoolctl import threadpool_limits
from torch import nn

from cnncourse.data import load_digits
from cnncourse.numpy.losses import softmax_cross_entropy
from cnncourse.numpy.models import LeNet5
from cnncourse.numpy.optim import SGD
from cnncourse.torch.models import lenet5

EPOCHS = 3
BATCH_SIZE = 64
LR = 0.05
# One thread for both: a LeNet on 8x8 images is too small to gain from splitting each operation
# across cores, and on a shared machine threads waiting for each other dominate the timings.
THREADS = 1


def torch_twin(model: LeNet5) -> nn.Module:
    """``cnncourse.torch``'s LeNet-5 for 8x8 digits with the NumPy model's weights copied in."""
    twin = lenet5(num_classes=10, input_size=8)
    torch_layers = [m for m in twin.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    numpy_layers = [layer for layer in model if "W" in layer.params]
    with torch.no_grad():
        for t, n in zip(torch_layers, numpy_layers, strict=True):
            t.weight.copy_(torch.from_numpy(n.params["W"]))
            t.bias.copy_(torch.from_numpy(n.params["b"]))
    return twin


def batches(n: int, epoch: int) -> list[np.ndarray]:
    """The same shuffled mini-batch indices for both libraries."""
    order = np.random.default_rng(epoch).permutation(n)
    return [order[i : i + BATCH_SIZE] for i in range(0, n, BATCH_SIZE)]


def train_numpy(model: LeNet5, x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Best images per second over the epochs, and the last epoch's mean loss."""
    optimizer = SGD(model, lr=LR, momentum=0.9)
    model.train()
    best = 0.0
    for epoch in range(EPOCHS):
        start, losses = time.perf_counter(), []
        for idx in batches(len(x), epoch):
            loss, dlogits = softmax_cross_entropy(model.forward(x[idx]), y[idx])
            model.backward(dlogits)
            optimizer.step()
            losses.append(loss)
        best = max(best, len(x) / (time.perf_counter() - start))
    return best, float(np.mean(losses))


def train_torch(model: nn.Module, x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Best images per second over the epochs, and the last epoch's mean loss."""
    optimizer = torch.optim.SGD(model.parameters(), lr=LR, momentum=0.9)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    model.train()
    best = 0.0
    for epoch in range(EPOCHS):
        start, losses = time.perf_counter(), []
        for idx in batches(len(x), epoch):
            idx = torch.from_numpy(idx)
            loss = nn.functional.cross_entropy(model(xt[idx]), yt[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        best = max(best, len(x) / (time.perf_counter() - start))
    return best, float(np.mean(losses))


def main() -> None:
    torch.set_num_threads(THREADS)
    digits = load_digits()
    x, y = digits.x_train, digits.y_train
    numpy_model = LeNet5(num_classes=10, in_channels=1, input_size=8, seed=0)
    twin = torch_twin(numpy_model)
    # Same network, same weights: the outputs must agree before the timings mean anything.
    numpy_model.eval()
    twin.eval()
    with torch.no_grad():
        expected = numpy_model.forward(x[:8])
        np.testing.assert_allclose(twin(torch.from_numpy(x[:8])).numpy(), expected, rtol=1e-4, atol=1e-5)

    with threadpool_limits(THREADS):
        numpy_ips, numpy_loss = train_numpy(numpy_model, x, y)
    torch_ips, torch_loss = train_torch(twin, x, y)
    print(f"LeNet-5, {len(x)} 8x8 digits, batch {BATCH_SIZE}, {EPOCHS} epochs of SGD, {THREADS} thread, best epoch")
    print(f"{'library':<8} {'images/s':>10} {'last-epoch loss':>16}")
    print(f"{'numpy':<8} {numpy_ips:10.0f} {numpy_loss:16.4f}")
    print(f"{'torch':<8} {torch_ips:10.0f} {torch_loss:16.4f}")
    print(f"ratio torch/numpy images per second: {torch_ips / numpy_ips:.2f}")


if __name__ == "__main__":
    main()
