"""Helpers shared by the modules that probe a trained model (interpret, attacks, attribution, ...).

Private: the public functions of those modules take their arguments through these, so every one of
them accepts the same inputs (NumPy or torch images, a class index or none) and restores the model's
train/eval mode.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence

import numpy as np
import torch
from torch import Tensor, nn

Images = Tensor | np.ndarray  # a batch (N, C, H, W), as a tensor or a NumPy array
Target = int | Sequence[int] | Tensor | None  # one class for all images, one per image, or None: the prediction
LayerRef = str | nn.Module  # a layer named as in model.named_modules(), or the module itself


@contextlib.contextmanager
def evaluating(model: nn.Module) -> Iterator[nn.Module]:
    """Run ``model`` in eval mode inside the block, then restore its train/eval mode."""
    was_training = model.training
    model.eval()
    try:
        yield model
    finally:
        model.train(was_training)


def model_device(model: nn.Module) -> torch.device:
    """The device of the model's first parameter (CPU for a model without parameters)."""
    param = next(model.parameters(), None)
    return param.device if param is not None else torch.device("cpu")


def as_images(x: Images, model: nn.Module, name: str = "x") -> Tensor:
    """``x: (N, C, H, W)`` as a float32 tensor on the model's device."""
    x = torch.as_tensor(x, dtype=torch.float32, device=model_device(model))
    if x.ndim != 4:
        raise ValueError(f"{name} must be a batch of images (N, C, H, W), got shape {tuple(x.shape)}")
    return x


def class_indices(target: Target, logits: Tensor) -> Tensor:
    """One class index per image: ``target`` broadcast to ``(N,)``, or the prediction if None."""
    n, num_classes = logits.shape
    if target is None:
        return logits.argmax(dim=1)
    target = torch.as_tensor(target, dtype=torch.long, device=logits.device)
    if target.ndim == 0:
        target = target.expand(n)
    if target.shape != (n,):
        raise ValueError(f"target must be an int or have shape ({n},), got shape {tuple(target.shape)}")
    if target.min() < 0 or target.max() >= num_classes:
        raise ValueError(f"target must lie in [0, {num_classes}), got {target.tolist()}")
    return target
