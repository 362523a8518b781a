"""compare_architectures and training_curve on a tiny budget."""

import numpy as np
import pytest
import torch
from torch import nn

from cnncourse.data import Split
from cnncourse.torch import BOOK_NETWORKS, compare_architectures, count_parameters, training_curve


def tiny_split(n=96, size=28, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    x = rng.normal(0, 0.02, (n, 1, size, size)).astype(np.float32)
    x[y == 1, :, :, : size // 2] += 1.0  # class 1: bright left half, learnable in a few steps
    return Split(x[: n * 3 // 4], y[: n * 3 // 4], x[n * 3 // 4 :], y[n * 3 // 4 :], ("dark", "bright"))


def linear(c, s, k):
    return nn.Sequential(nn.Flatten(), nn.Linear(c * s * s, k))


def test_compare_reports_params_macs_times_and_accuracy_per_seed():
    split = tiny_split()
    table = compare_architectures({"linear": linear}, data=split, seeds=(0, 1, 2), epochs=3, batch_size=16,
                                  lr=1e-2, device="cpu")
    row = table["linear"]
    assert row.parameters == 28 * 28 * 2 + 2
    assert row.macs == 28 * 28 * 2
    assert len(row.test_accuracy) == len(row.cpu_seconds_per_epoch) == 3
    assert row.accuracy_mean > 0.9
    assert row.accuracy_std >= 0 and row.cpu_seconds > 0
    assert "| linear | 1,570 | 1,568 |" in table.to_markdown()
    assert table.train_size == 72 and table.test_size == 24


def test_seeds_change_the_run_and_repeat_exactly():
    split = tiny_split()
    args = dict(data=split, epochs=1, batch_size=16, device="cpu")
    a = compare_architectures({"linear": linear}, seeds=(0, 1), **args)["linear"]
    b = compare_architectures({"linear": linear}, seeds=(0, 1), **args)["linear"]
    assert a.histories[0].train_loss == b.histories[0].train_loss
    assert a.histories[0].train_loss != a.histories[1].train_loss


def test_book_networks_build_for_fashion_mnist_and_cifar():
    for name, factory in BOOK_NETWORKS.items():
        for channels, size in [(1, 28), (3, 32)]:
            if name == "LeNet-5" and channels == 3:
                with pytest.raises(ValueError, match="grey"):
                    factory(channels, size, 10)
                continue
            model = factory(channels, size, 10).eval()
            assert model(torch.zeros(2, channels, size, size)).shape == (2, 10), name
            assert count_parameters(model) > 0


def test_bad_arguments():
    split = tiny_split()
    with pytest.raises(ValueError, match="data"):
        compare_architectures({"linear": linear}, data="imagenet")
    with pytest.raises(ValueError, match="train_size"):
        compare_architectures({"linear": linear}, data=split, train_size=10_000)
    with pytest.raises(ValueError, match="epochs"):
        compare_architectures({"linear": linear}, data=split, epochs=0)
    with pytest.raises(TypeError, match="networks"):
        compare_architectures({}, data=split)


def test_training_curve_decreases():
    split = tiny_split(n=128)
    torch.manual_seed(0)
    curve = training_curve(linear(1, 28, 2), split.x_train, split.y_train, steps=30, batch_size=16, lr=1e-2,
                           device="cpu")
    assert curve.loss.shape == curve.error.shape == (30,)
    assert curve.loss[-5:].mean() < 0.5 * curve.loss[:3].mean()
    assert curve.epochs[-1] == pytest.approx(30 * 16 / 96)
    # the running error over 5 batches falls to 0.2 at some step, and that step is reported in epochs
    reached = curve.epochs_to(0.2, window=5)
    step = round(reached * 96 / 16) - 1
    assert curve.error[step - 4 : step + 1].mean() <= 0.2 < curve.error[:5].mean()
    assert curve.epochs_to(-1.0, window=5) == float("inf")
    with pytest.raises(ValueError, match="steps"):
        training_curve(linear(1, 28, 2), split.x_train, split.y_train, steps=0)
    with pytest.raises(ValueError, match="optimizer"):
        training_curve(linear(1, 28, 2), split.x_train, split.y_train, steps=1, optimizer="lbfgs")
