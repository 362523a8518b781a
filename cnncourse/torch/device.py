"""Choosing where tensors live, and making runs repeatable."""

from __future__ import annotations

import random

import numpy as np
import torch

__all__ = ["pick_device", "seed_everything"]


def _available() -> dict[str, bool]:
    return {
        "cuda": torch.cuda.is_available(),
        "mps": torch.backends.mps.is_available(),
        "cpu": True,
    }


def pick_device(prefer: str = "auto") -> torch.device:
    """The device to train on: the best available (cuda > mps > cpu) for ``"auto"``.

    ``prefer`` may also be ``"cpu"``, ``"cuda"`` or ``"mps"``; asking for one that this machine
    lacks raises a ``RuntimeError`` rather than silently running somewhere else.
    """
    available = _available()
    if prefer == "auto":
        return torch.device(next(name for name in ("cuda", "mps", "cpu") if available[name]))
    if prefer not in available:
        raise ValueError(f"prefer must be 'auto', 'cuda', 'mps' or 'cpu', got {prefer!r}")
    if not available[prefer]:
        found = [name for name, ok in available.items() if ok]
        raise RuntimeError(f"device {prefer!r} is not available on this machine; available: {found}")
    return torch.device(prefer)


def seed_everything(seed: int) -> None:
    """Seed Python's, NumPy's and PyTorch's generators (all devices) with ``seed``.

    Also asks cuDNN for deterministic kernels, which costs little; bit-exact runs on a GPU may
    still need ``torch.use_deterministic_algorithms(True)``, which is slower and stricter.
    """
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # seeds CUDA and MPS generators too
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False
