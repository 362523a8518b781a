"""Learning-rate schedules by name, and the curve a schedule traces (for plotting and checking).

All are ``torch.optim.lr_scheduler`` objects stepped once per *minibatch* (``total_steps`` counts
optimizer steps): step decay (Krizhevsky et al. 2012; He et al. 2016), cosine decay (Loshchilov &
Hutter 2017), linear warm-up followed by cosine decay (Goyal et al. 2017) and one-cycle (Smith &
Topin 2019). ``cnncourse.numpy.optim`` has the same rules in NumPy, tested against these.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import torch
from torch.optim.lr_scheduler import LambdaLR, LRScheduler

__all__ = ["SCHEDULES", "lr_curve", "make_schedule", "warmup_cosine"]

SCHEDULES = ("constant", "step", "cosine", "warmup_cosine", "onecycle")


def warmup_cosine(optimizer: torch.optim.Optimizer, warmup_steps: int, total_steps: int) -> LambdaLR:
    """Rise linearly to the optimizer's lr over ``warmup_steps`` steps, then decay to 0 along a cosine.

    lr(t) = lr (t + 1) / warmup for t < warmup, else lr (1 + cos(pi (t - warmup) / (total - warmup))) / 2,
    for step t = 0, 1, ...: the first step already uses lr / warmup (a step at lr 0 would be wasted), and
    step warmup - 1 reaches the full lr.
    """
    if not 0 <= warmup_steps < total_steps:
        raise ValueError(f"warmup_steps must be in [0, total_steps), got {warmup_steps} and {total_steps}")

    def factor(step: int) -> float:
        if step < warmup_steps:
            return (step + 1) / warmup_steps
        done = min(1.0, (step - warmup_steps) / (total_steps - warmup_steps))
        return (1 + math.cos(math.pi * done)) / 2

    return LambdaLR(optimizer, factor)


def make_schedule(name: str, optimizer: torch.optim.Optimizer, total_steps: int) -> LRScheduler | None:
    """The schedule ``name`` (one of ``SCHEDULES``) over ``total_steps`` minibatch steps; its peak
    learning rate is the optimizer's lr. "constant" gives None (no scheduler).

    "step" divides the lr by 10 at 50% and 75% of training; "warmup_cosine" warms up over the first
    5%; "onecycle" rises for the first 25% from lr/25 and ends at lr/25/10^4 (momentum cycles too
    when the optimizer has one).
    """
    if name not in SCHEDULES:
        raise ValueError(f"schedule must be one of {SCHEDULES}, got {name!r}")
    if not isinstance(total_steps, int) or total_steps < 2:
        raise ValueError(f"total_steps must be an integer >= 2, got {total_steps!r}")
    lr = optimizer.param_groups[0]["lr"]
    if name == "constant":
        return None
    if name == "step":
        return torch.optim.lr_scheduler.MultiStepLR(optimizer, [total_steps // 2, 3 * total_steps // 4], gamma=0.1)
    if name == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=total_steps)
    if name == "warmup_cosine":
        return warmup_cosine(optimizer, max(1, total_steps // 20), total_steps)
    group = optimizer.param_groups[0]
    cycle_momentum = bool(group.get("momentum", 0)) or "betas" in group
    # torch needs at least two rising steps; only very short runs (< 8 steps) rise for longer than 25%.
    pct_start = max(0.25, 2 / total_steps)
    return torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=lr, total_steps=total_steps, pct_start=pct_start, cycle_momentum=cycle_momentum
    )


def lr_curve(make_scheduler: Callable[[torch.optim.Optimizer], LRScheduler | None], steps: int, lr: float = 1.0) -> np.ndarray:
    """The learning rate at each of ``steps`` optimizer steps, ``(steps,)``, of the scheduler that
    ``make_scheduler`` builds on a one-parameter SGD optimizer with learning rate ``lr``."""
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=lr, momentum=0.9)
    scheduler = make_scheduler(optimizer)
    lrs = []
    for _ in range(steps):
        lrs.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
    return np.array(lrs)
