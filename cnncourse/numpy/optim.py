"""Optimizers and learning-rate schedules with PyTorch's exact update rules.

An optimizer takes anything with ``params`` and ``grads`` dicts (a layer or a ``Sequential``) and
updates the parameter arrays in place, so the model sees the new values without being rebuilt.
It reads the dicts again at every ``step()``; per-parameter state (momentum, Adam moments) is keyed
by the parameter's name.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["Optimizer", "SGD", "Adam", "LRScheduler", "StepLR", "CosineAnnealingLR"]


class Optimizer:
    """Base class: holds the model, the learning rate ``lr`` and per-parameter ``state``."""

    def __init__(self, model, lr: float, weight_decay: float) -> None:
        if not (hasattr(model, "params") and hasattr(model, "grads")):
            raise TypeError(f"model must have .params and .grads dicts (a Layer), got {type(model).__name__}")
        if lr < 0:
            raise ValueError(f"lr must be >= 0, got {lr}")
        if weight_decay < 0:
            raise ValueError(f"weight_decay must be >= 0, got {weight_decay}")
        self.model = model
        self.lr = lr
        self.weight_decay = weight_decay
        self.state: dict[str, dict[str, np.ndarray]] = {}

    def step(self) -> None:
        """Update every parameter in place from its gradient."""
        grads = self.model.grads
        for name, p in self.model.params.items():
            g = grads[name]
            if self.weight_decay:
                # L2 regularisation folded into the gradient, as torch does (not decoupled AdamW).
                g = g + self.weight_decay * p
            self._update(name, p, g)

    def _update(self, name: str, p: np.ndarray, g: np.ndarray) -> None:
        raise NotImplementedError


class SGD(Optimizer):
    """Stochastic gradient descent with optional (Nesterov) momentum, as ``torch.optim.SGD``.

    With momentum mu the velocity is b <- mu * b + g (b = g on the first step) and the update is
    p <- p - lr * b, or p <- p - lr * (g + mu * b) with Nesterov's look-ahead.
    """

    def __init__(
        self, model, lr: float, momentum: float = 0.0, nesterov: bool = False, weight_decay: float = 0.0
    ) -> None:
        super().__init__(model, lr, weight_decay)
        if momentum < 0:
            raise ValueError(f"momentum must be >= 0, got {momentum}")
        if nesterov and momentum == 0:
            raise ValueError("nesterov=True needs a momentum > 0")
        self.momentum = momentum
        self.nesterov = nesterov

    def _update(self, name: str, p: np.ndarray, g: np.ndarray) -> None:
        if self.momentum:
            state = self.state.setdefault(name, {})
            if "velocity" not in state:
                state["velocity"] = np.array(g, copy=True)
            else:
                state["velocity"] *= self.momentum
                state["velocity"] += g
            v = state["velocity"]
            g = g + self.momentum * v if self.nesterov else v
        p -= self.lr * g


class Adam(Optimizer):
    """Adam (Kingma & Ba 2015) with bias-corrected moments, as ``torch.optim.Adam``.

    m <- b1 m + (1 - b1) g,  v <- b2 v + (1 - b2) g^2,
    p <- p - lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps).
    """

    def __init__(
        self,
        model,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(model, lr, weight_decay)
        if not all(0.0 <= b < 1.0 for b in betas) or len(betas) != 2:
            raise ValueError(f"betas must be two numbers in [0, 1), got {betas}")
        if eps < 0:
            raise ValueError(f"eps must be >= 0, got {eps}")
        self.betas = tuple(betas)
        self.eps = eps

    def _update(self, name: str, p: np.ndarray, g: np.ndarray) -> None:
        beta1, beta2 = self.betas
        state = self.state.setdefault(name, {"t": 0, "m": np.zeros_like(p), "v": np.zeros_like(p)})
        state["t"] += 1
        t, m, v = state["t"], state["m"], state["v"]
        m *= beta1
        m += (1 - beta1) * g
        v *= beta2
        v += (1 - beta2) * g * g
        # The moments start at zero, so early averages are too small; dividing by 1 - beta^t unbiases them.
        denom = np.sqrt(v) / math.sqrt(1 - beta2**t) + self.eps
        p -= (self.lr / (1 - beta1**t)) * m / denom


class LRScheduler:
    """Base class: sets ``optimizer.lr`` from the number of ``step()`` calls (epochs) so far."""

    def __init__(self, optimizer: Optimizer) -> None:
        self.optimizer = optimizer
        self.base_lr = optimizer.lr
        self.last_epoch = 0

    def step(self) -> None:
        """Advance one epoch and set the optimizer's learning rate for it."""
        self.last_epoch += 1
        self.optimizer.lr = self.lr_at(self.last_epoch)

    def get_last_lr(self) -> float:
        """The learning rate the optimizer uses now."""
        return self.optimizer.lr

    def lr_at(self, epoch: int) -> float:
        raise NotImplementedError


class StepLR(LRScheduler):
    """Multiply the learning rate by `gamma` every `step_size` epochs, as ``torch.optim.lr_scheduler.StepLR``."""

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1) -> None:
        if step_size < 1:
            raise ValueError(f"step_size must be a positive integer, got {step_size}")
        super().__init__(optimizer)
        self.step_size = step_size
        self.gamma = gamma

    def lr_at(self, epoch: int) -> float:
        return self.base_lr * self.gamma ** (epoch // self.step_size)


class CosineAnnealingLR(LRScheduler):
    """Cosine decay from the initial lr to `eta_min` over `T_max` epochs (Loshchilov & Hutter 2017).

    lr(t) = eta_min + (lr_0 - eta_min) * (1 + cos(pi * t / T_max)) / 2, as
    ``torch.optim.lr_scheduler.CosineAnnealingLR`` (after T_max the cosine rises again).
    """

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0) -> None:
        if T_max < 1:
            raise ValueError(f"T_max must be a positive integer, got {T_max}")
        super().__init__(optimizer)
        self.T_max = T_max
        self.eta_min = eta_min

    def lr_at(self, epoch: int) -> float:
        return self.eta_min + (self.base_lr - self.eta_min) * (1 + math.cos(math.pi * epoch / self.T_max)) / 2
