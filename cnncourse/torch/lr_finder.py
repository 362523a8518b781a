"""The learning-rate range test (Smith 2017): train briefly while the lr grows exponentially.

The loss first barely moves (lr too small), then falls fastest, then becomes noisy and blows up (lr
too large). A good maximum learning rate for a schedule lies somewhat below where the loss is
lowest, in the steep part of the curve. The test costs a few hundred steps, far less than a grid
search over learning rates.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

__all__ = ["LRRangeTest", "lr_range_test"]


@dataclass
class LRRangeTest:
    """What a range test saw: each step's ``lrs`` and ``losses`` ``(steps,)``, the ``smoothed`` losses
    (bias-corrected exponential average), the lr where the smoothed loss was lowest and the suggestion,
    a tenth of that."""

    lrs: np.ndarray
    losses: np.ndarray
    smoothed: np.ndarray
    lr_at_min: float
    suggested_lr: float


def lr_range_test(
    model: nn.Module,
    loader: Iterable,
    optimizer: torch.optim.Optimizer,
    *,
    start_lr: float = 1e-5,
    end_lr: float = 10.0,
    num_steps: int = 100,
    smoothing: float = 0.9,
    diverge_factor: float = 4.0,
    loss_fn: Callable | None = None,
) -> LRRangeTest:
    """Run ``num_steps`` training steps with the lr growing geometrically from ``start_lr`` to ``end_lr``.

    Batches ``(x: (N, ...), y: (N,))`` come from ``loader`` (cycled if it is shorter). The sweep
    stops early once the smoothed loss exceeds ``diverge_factor`` times its lowest value. The model's
    and the optimizer's states are restored afterwards, so the test leaves no trace.
    """
    if not 0 < start_lr < end_lr:
        raise ValueError(f"need 0 < start_lr < end_lr, got {start_lr} and {end_lr}")
    if not isinstance(num_steps, int) or num_steps < 2:
        raise ValueError(f"num_steps must be an integer >= 2, got {num_steps!r}")
    if not 0 <= smoothing < 1:
        raise ValueError(f"smoothing must be in [0, 1), got {smoothing}")
    loss_fn = loss_fn or nn.functional.cross_entropy
    saved_model, saved_optimizer = copy.deepcopy(model.state_dict()), copy.deepcopy(optimizer.state_dict())
    device = next(model.parameters()).device
    lrs = start_lr * (end_lr / start_lr) ** (np.arange(num_steps) / (num_steps - 1))
    losses, smoothed, average = [], [], 0.0
    batches = iter(())
    model.train()
    try:
        for step, lr in enumerate(lrs):
            try:
                x, y = next(batches)
            except StopIteration:
                batches = iter(loader)
                x, y = next(batches)
            for group in optimizer.param_groups:
                group["lr"] = float(lr)
            loss = loss_fn(model(x.to(device)), y.to(device))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            value = loss.item()
            average = smoothing * average + (1 - smoothing) * value
            losses.append(value)
            smoothed.append(average / (1 - smoothing ** (step + 1)))
            if not np.isfinite(value) or smoothed[-1] > diverge_factor * min(smoothed):
                break
    finally:
        model.load_state_dict(saved_model)
        optimizer.load_state_dict(saved_optimizer)
    smoothed_array = np.array(smoothed)
    lr_at_min = float(lrs[int(np.nanargmin(smoothed_array))])
    return LRRangeTest(lrs[: len(losses)], np.array(losses), smoothed_array, lr_at_min, lr_at_min / 10)
