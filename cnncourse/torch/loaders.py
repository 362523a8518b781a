"""DataLoaders over NumPy arrays: the offline data sets, and MNIST/CIFAR-10 when downloadable."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from .. import data

__all__ = [
    "ArrayDataset",
    "cifar10_loaders",
    "digits_loaders",
    "fashion_mnist_loaders",
    "mnist_loaders",
    "numpy_loader",
    "shapes_loaders",
]


class ArrayDataset(Dataset):
    """Pairs ``(x[i], y[i])`` as tensors, with an optional ``transform`` applied to each image ``(C, H, W)``."""

    def __init__(self, x: np.ndarray, y: np.ndarray, transform: Callable | None = None):
        if len(x) != len(y):
            raise ValueError(f"x and y must have the same length, got {len(x)} and {len(y)}")
        self.x = torch.as_tensor(np.asarray(x, dtype=np.float32))
        self.y = torch.as_tensor(np.asarray(y, dtype=np.int64))
        self.transform = transform

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.x[i]
        return (self.transform(x) if self.transform is not None else x), self.y[i]


def numpy_loader(
    x: np.ndarray,
    y: np.ndarray,
    batch_size: int = 64,
    shuffle: bool = False,
    seed: int = 0,
    transform: Callable | None = None,
) -> DataLoader:
    """A DataLoader over images ``x: (N, C, H, W)`` and labels ``y: (N,)``.

    Shuffling uses its own generator seeded with ``seed``, so the batch order is the same on
    every run and does not depend on (or disturb) the global torch seed.
    """
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    generator = torch.Generator().manual_seed(seed)
    return DataLoader(ArrayDataset(x, y, transform), batch_size=batch_size, shuffle=shuffle, generator=generator)


def _split_loaders(
    split: data.Split, batch_size: int, seed: int, transform: Callable | None
) -> tuple[DataLoader, DataLoader]:
    """Shuffled (and augmented, if ``transform``) training loader and a plain test loader."""
    train = numpy_loader(split.x_train, split.y_train, batch_size, shuffle=True, seed=seed, transform=transform)
    test = numpy_loader(split.x_test, split.y_test, batch_size, shuffle=False)
    return train, test


def digits_loaders(
    batch_size: int = 64, seed: int = 0, transform: Callable | None = None
) -> tuple[DataLoader, DataLoader]:
    """Train and test loaders over scikit-learn's 8x8 digits, ``x: (B, 1, 8, 8)``; ``transform`` only on train."""
    return _split_loaders(data.load_digits(seed=seed), batch_size, seed, transform)


def shapes_loaders(
    n_train: int = 2000, n_test: int = 500, size: int = 28, batch_size: int = 64, seed: int = 0
) -> tuple[DataLoader, DataLoader]:
    """Train and test loaders over generated shapes (``data.load_shapes``), ``x: (B, 1, size, size)``.

    The two sets come from different seeds, so no test image repeats a training image.
    """
    return _split_loaders(data.load_shapes(n_train, n_test, size, seed), batch_size, seed, None)


def mnist_loaders(
    batch_size: int = 64, seed: int = 0, transform: Callable | None = None, root: str | None = None
) -> tuple[DataLoader, DataLoader]:
    """Train and test loaders over MNIST ``x: (B, 1, 28, 28)``; raises ``DatasetUnavailable`` offline."""
    split = data.load_mnist(root)
    return _split_loaders(split, batch_size, seed, transform)


def cifar10_loaders(
    batch_size: int = 128, seed: int = 0, transform: Callable | None = None, root: str | None = None
) -> tuple[DataLoader, DataLoader]:
    """Train and test loaders over CIFAR-10 ``x: (B, 3, 32, 32)``; raises ``DatasetUnavailable`` offline.

    Pass ``transform=cifar_augmentation()`` for the usual crop-and-flip training augmentation.
    """
    split = data.load_cifar10(root)
    return _split_loaders(split, batch_size, seed, transform)


def fashion_mnist_loaders(
    batch_size: int = 128, seed: int = 0, transform: Callable | None = None, root: str | None = None
) -> tuple[DataLoader, DataLoader]:
    """Train and test loaders over Fashion-MNIST ``x: (B, 1, 28, 28)``, read offline (``data.load_fashion_mnist``)."""
    return _split_loaders(data.load_fashion_mnist(root), batch_size, seed, transform)
