"""Minibatches cut from tensors held in memory, augmented a whole batch at a time.

A ``DataLoader`` over an ``ArrayDataset`` fetches and transforms one image at a time and then stacks
them: on a CPU, with 28x28 images and small networks, that Python overhead costs as much as the
training step. Fashion-MNIST fits in memory (60,000 x 784 floats, 188 MB), so ``TensorBatches``
indexes a shuffled permutation of the whole tensor and applies a batch transform to ``(N, C, H, W)``
at once. It yields the same ``(x, y)`` pairs, so ``fit``, ``evaluate`` and ``train_one_epoch`` take it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
import torch

__all__ = ["BatchTransform", "TensorBatches"]

# A batch transform takes x: (N, C, H, W) and y: (N,) and the generator to draw from; returns new (x, y).
BatchTransform = Callable[[torch.Tensor, torch.Tensor, torch.Generator], tuple[torch.Tensor, torch.Tensor]]


class TensorBatches:
    """Iterate over ``(x[idx], y[idx])`` minibatches of ``batch_size``; reshuffled every epoch when ``shuffle``.

    ``x: (N, C, H, W)`` and ``y: (N,)`` (NumPy arrays or tensors) are converted once to float32 and
    int64 tensors. The permutation and every random draw of ``transform`` come from one generator
    seeded with ``seed``, so two iterators with the same seed give the same batches, whatever the
    global torch seed. ``channels_last`` returns each ``x`` in that memory layout (faster convolutions
    on CPUs with oneDNN when the model is channels-last too).
    """

    def __init__(
        self,
        x: np.ndarray | torch.Tensor,
        y: np.ndarray | torch.Tensor,
        batch_size: int = 256,
        shuffle: bool = False,
        seed: int = 0,
        transform: BatchTransform | None = None,
        channels_last: bool = False,
    ) -> None:
        x = torch.as_tensor(np.asarray(x, dtype=np.float32) if isinstance(x, np.ndarray) else x, dtype=torch.float32)
        y = torch.as_tensor(np.asarray(y) if isinstance(y, np.ndarray) else y, dtype=torch.int64)
        if x.ndim != 4:
            raise ValueError(f"x must be images (N, C, H, W), got shape {tuple(x.shape)}")
        if y.shape != (len(x),):
            raise ValueError(f"y must be labels (N,) with N = {len(x)}, got shape {tuple(y.shape)}")
        if not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
        self.x, self.y = x, y
        self.batch_size, self.shuffle, self.transform, self.channels_last = batch_size, shuffle, transform, channels_last
        self.generator = torch.Generator().manual_seed(seed)

    def __len__(self) -> int:
        return -(-len(self.x) // self.batch_size)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        n = len(self.x)
        order = torch.randperm(n, generator=self.generator) if self.shuffle else torch.arange(n)
        for start in range(0, n, self.batch_size):
            idx = order[start : start + self.batch_size]
            x, y = self.x[idx], self.y[idx]
            if self.transform is not None:
                x, y = self.transform(x, y, self.generator)
            if self.channels_last:
                x = x.contiguous(memory_format=torch.channels_last)
            yield x, y
