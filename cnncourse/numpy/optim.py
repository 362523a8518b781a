"""Optimizers and learning-rate schedules with PyTorch's exact update rules.

An optimizer takes anything with ``params`` and ``grads`` dicts (a layer or a ``Sequential``) and
updates the parameter arrays in place, so the model sees the new values without being rebuilt.
It reads the dicts again at every ``step()``; per-parameter state (momentum, Adam moments) is keyed
by the parameter's name.
"""

from __future__ import annotations

import math

import numpy as np

from ._checks import positive_int

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "LRScheduler", "StepLR", "CosineAnnealingLR", "LinearLR", "OneCycleLR"]


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


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter 2019), as ``torch.optim.AdamW``.

    Adam's L2 term ``weight_decay * p`` enters the gradient and is then divided by sqrt(v), so
    parameters with large gradients are barely decayed. AdamW shrinks every parameter by the same
    factor instead, p <- p - lr * weight_decay * p, and then takes the Adam step on the plain
    gradient. torch's default weight_decay for AdamW is 0.01.
    """

    def __init__(
        self,
        model,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
    ) -> None:
        super().__init__(model, lr, betas, eps, weight_decay)

    def step(self) -> None:
        grads = self.model.grads
        for name, p in self.model.params.items():
            if self.weight_decay:
                p *= 1 - self.lr * self.weight_decay
            self._update(name, p, grads[name])


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
        positive_int(step_size, "step_size")
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
        positive_int(T_max, "T_max")
        super().__init__(optimizer)
        self.T_max = T_max
        self.eta_min = eta_min

    def lr_at(self, epoch: int) -> float:
        return self.eta_min + (self.base_lr - self.eta_min) * (1 + math.cos(math.pi * epoch / self.T_max)) / 2


class LinearLR(LRScheduler):
    """Linear warm-up: the lr grows from ``start_factor * lr`` to ``end_factor * lr`` over ``total_iters``
    steps and stays there, as ``torch.optim.lr_scheduler.LinearLR``.

    Warm-up (Goyal et al. 2017) keeps the first steps small while the weights are still random and
    Adam's second moments are still poor estimates.
    """

    def __init__(
        self, optimizer: Optimizer, start_factor: float = 1 / 3, end_factor: float = 1.0, total_iters: int = 5
    ) -> None:
        if not 0 < start_factor <= 1 or not 0 <= end_factor <= 1:
            raise ValueError(f"start_factor must be in (0, 1] and end_factor in [0, 1], got {start_factor}, {end_factor}")
        positive_int(total_iters, "total_iters")
        super().__init__(optimizer)
        self.start_factor, self.end_factor, self.total_iters = start_factor, end_factor, total_iters
        optimizer.lr = self.lr_at(0)

    def lr_at(self, epoch: int) -> float:
        fraction = min(epoch, self.total_iters) / self.total_iters
        return self.base_lr * (self.start_factor + (self.end_factor - self.start_factor) * fraction)


def _cosine_between(start: float, end: float, fraction: float) -> float:
    """start at fraction 0, end at fraction 1, along half a cosine."""
    return end + (start - end) * (1 + math.cos(math.pi * fraction)) / 2


class OneCycleLR(LRScheduler):
    """The one-cycle policy (Smith & Topin 2019), as ``torch.optim.lr_scheduler.OneCycleLR`` (two phases).

    Step by step, not epoch by epoch: over the first ``pct_start * total_steps`` steps the lr rises
    along a cosine from ``max_lr / div_factor`` to ``max_lr``, then falls along a cosine to
    ``max_lr / div_factor / final_div_factor`` at step ``total_steps - 1``. With ``cycle_momentum``
    the momentum (SGD) or beta1 (Adam) moves the opposite way, from ``max_momentum`` down to
    ``base_momentum`` and back: a high lr is paired with less momentum.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        max_lr: float,
        total_steps: int,
        pct_start: float = 0.3,
        div_factor: float = 25.0,
        final_div_factor: float = 1e4,
        cycle_momentum: bool = True,
        base_momentum: float = 0.85,
        max_momentum: float = 0.95,
    ) -> None:
        if total_steps < 2:
            raise ValueError(f"total_steps must be an integer >= 2, got {total_steps}")
        if not 0 < pct_start < 1:
            raise ValueError(f"pct_start must be in (0, 1), got {pct_start}")
        if cycle_momentum and not (getattr(optimizer, "momentum", 0) or hasattr(optimizer, "betas")):
            raise ValueError("cycle_momentum=True needs an optimizer with momentum > 0 or betas (Adam)")
        super().__init__(optimizer)
        self.initial_lr = max_lr / div_factor
        self.max_lr, self.min_lr = max_lr, self.initial_lr / final_div_factor
        self.total_steps = total_steps
        self.peak_step = pct_start * total_steps - 1  # as torch: the rise ends one step early
        self.cycle_momentum = cycle_momentum
        self.base_momentum, self.max_momentum = base_momentum, max_momentum
        self._set(0)

    def step(self) -> None:
        self.last_epoch += 1
        if self.last_epoch > self.total_steps:
            raise ValueError(f"stepped {self.last_epoch} times, more than total_steps = {self.total_steps}")
        self._set(self.last_epoch)

    def _set(self, step: int) -> None:
        self.optimizer.lr = self.lr_at(step)
        if self.cycle_momentum:
            momentum = self.momentum_at(step)
            if hasattr(self.optimizer, "betas"):
                self.optimizer.betas = (momentum, self.optimizer.betas[1])
            else:
                self.optimizer.momentum = momentum

    def _phase(self, step: int) -> tuple[bool, float]:
        """(rising?, fraction of the phase done) at ``step``."""
        if step <= self.peak_step:
            return True, step / self.peak_step
        return False, (step - self.peak_step) / (self.total_steps - 1 - self.peak_step)

    def lr_at(self, epoch: int) -> float:
        rising, fraction = self._phase(epoch)
        if rising:
            return _cosine_between(self.initial_lr, self.max_lr, fraction)
        return _cosine_between(self.max_lr, self.min_lr, fraction)

    def momentum_at(self, step: int) -> float:
        """The momentum (or Adam's beta1) at ``step``: high when the lr is low."""
        rising, fraction = self._phase(step)
        if rising:
            return _cosine_between(self.max_momentum, self.base_momentum, fraction)
        return _cosine_between(self.base_momentum, self.max_momentum, fraction)
