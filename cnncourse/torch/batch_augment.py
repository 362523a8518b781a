"""Data augmentation applied to a whole minibatch at once, each image drawing its own randomness.

Each function returns a ``BatchTransform`` for ``TensorBatches``: it takes ``x: (N, C, H, W)``,
``y: (N,)`` (or soft labels ``(N, K)``) and a ``torch.Generator`` and returns the new ``(x, y)``.
The per-image versions in ``torchvision.transforms.v2`` do the same one image at a time; on a CPU with
small images the batched form is many times faster (no Python loop over images).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from .tensor_batches import BatchTransform

__all__ = ["compose", "mixup", "random_crop", "random_erasing", "random_flip"]


def _check_images(x: torch.Tensor) -> None:
    if x.ndim != 4:
        raise ValueError(f"x must be a batch of images (N, C, H, W), got shape {tuple(x.shape)}")


def random_flip(p: float = 0.5) -> BatchTransform:
    """Mirror each image left-right with probability ``p`` (the label is kept: a mirrored shoe is a shoe)."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"p must be a probability in [0, 1], got {p}")

    def flip(x: torch.Tensor, y: torch.Tensor, generator: torch.Generator):
        _check_images(x)
        chosen = torch.rand(len(x), generator=generator) < p
        return torch.where(chosen[:, None, None, None], x.flip(3), x), y

    return flip


def random_crop(padding: int = 2) -> BatchTransform:
    """Pad each image with ``padding`` zeros on every side and cut a random H x W window back out.

    The result is the image translated by up to ``padding`` pixels in each direction, the gap filled
    with zeros (the background of Fashion-MNIST and MNIST); each image draws its own shift.
    """
    if not isinstance(padding, int) or padding < 0:
        raise ValueError(f"padding must be a non-negative integer, got {padding!r}")

    def crop(x: torch.Tensor, y: torch.Tensor, generator: torch.Generator):
        _check_images(x)
        if padding == 0:
            return x, y
        n, _, h, w = x.shape
        padded = F.pad(x, (padding,) * 4)
        dy = torch.randint(0, 2 * padding + 1, (n,), generator=generator)
        dx = torch.randint(0, 2 * padding + 1, (n,), generator=generator)
        rows = (dy[:, None] + torch.arange(h))[:, :, None]  # (N, H, 1)
        cols = (dx[:, None] + torch.arange(w))[:, None, :]  # (N, 1, W)
        # Advanced indexing on axes 0, 2, 3 puts them first: (N, H, W, C), hence the permute.
        return padded[torch.arange(n)[:, None, None], :, rows, cols].permute(0, 3, 1, 2).contiguous(), y

    return crop


def random_erasing(size: int = 8, p: float = 1.0) -> BatchTransform:
    """Cutout (DeVries & Taylor 2017): with probability ``p`` set a ``size x size`` square of each image to 0.

    The square's centre is uniform over the image, so it may hang over an edge (then less is erased).
    The network can no longer rely on any single part of the object.
    """
    if not isinstance(size, int) or size < 1:
        raise ValueError(f"size must be a positive integer, got {size!r}")
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"p must be a probability in [0, 1], got {p}")

    def erase(x: torch.Tensor, y: torch.Tensor, generator: torch.Generator):
        _check_images(x)
        n, _, h, w = x.shape
        top = torch.randint(0, h, (n,), generator=generator)[:, None, None] - size // 2
        left = torch.randint(0, w, (n,), generator=generator)[:, None, None] - size // 2
        rows, cols = torch.arange(h)[None, :, None], torch.arange(w)[None, None, :]
        inside = (rows >= top) & (rows < top + size) & (cols >= left) & (cols < left + size)  # (N, H, W)
        inside &= (torch.rand(n, generator=generator) < p)[:, None, None]
        return x.masked_fill(inside[:, None], 0.0), y

    return erase


def mixup(alpha: float = 0.2, num_classes: int = 10) -> BatchTransform:
    """Mixup (Zhang et al. 2018): blend the batch with a shuffled copy of itself, labels alike.

    x' = lam x + (1 - lam) x[perm], y' = lam onehot(y) + (1 - lam) onehot(y[perm]), with one
    lam ~ Beta(alpha, alpha) per batch. Returns soft labels ``(N, num_classes)``, which
    ``torch.nn.functional.cross_entropy`` accepts as target probabilities.
    """
    if alpha <= 0:
        raise ValueError(f"alpha must be positive, got {alpha}")

    def mix(x: torch.Tensor, y: torch.Tensor, generator: torch.Generator):
        _check_images(x)
        soft = F.one_hot(y, num_classes).to(x.dtype) if y.ndim == 1 else y
        # torch's Beta sampler takes no generator; a NumPy one seeded from ours keeps runs repeatable.
        lam = float(np.random.default_rng(int(torch.randint(2**31, (1,), generator=generator))).beta(alpha, alpha))
        perm = torch.randperm(len(x), generator=generator)
        return lam * x + (1 - lam) * x[perm], lam * soft + (1 - lam) * soft[perm]

    return mix


def compose(*transforms: BatchTransform) -> BatchTransform:
    """Apply ``transforms`` in order, each to what the previous one returned."""

    def composed(x: torch.Tensor, y: torch.Tensor, generator: torch.Generator):
        for transform in transforms:
            x, y = transform(x, y, generator)
        return x, y

    return composed
