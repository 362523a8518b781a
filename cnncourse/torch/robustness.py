"""Attacks with a goal, attacks that travel, and a defence.

Targeted attacks push an image towards a chosen class instead of away from the true one; an
adversarial patch is one small picture that, pasted anywhere, makes the network see a target
class; ``accuracy`` measures how an attack (made on one network or another) hurts a model; and
``adversarial_fit`` trains on PGD examples, the defence of Madry et al.

References: Szegedy et al. (2014); Brown et al. (2017), Adversarial patch; Papernot, McDaniel and
Goodfellow (2016), Transferability in machine learning; Madry et al. (2018), Towards deep
learning models resistant to adversarial attacks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from cnncourse.torch.attacks import pgd
from cnncourse.torch._common import Images, as_images, evaluating
from cnncourse.torch.train import History

__all__ = ["accuracy", "adversarial_fit", "adversarial_patch", "apply_patch", "targeted_pgd"]

Clamp = tuple[float, float] | None


def _classes(y: Tensor | np.ndarray | int, x: Tensor, name: str) -> Tensor:
    y = torch.as_tensor(y, dtype=torch.long, device=x.device)
    if y.ndim == 0:
        y = y.expand(len(x))
    if y.shape != (len(x),):
        raise ValueError(f"{name} must be an int or hold one class per image, shape ({len(x)},), "
                         f"got shape {tuple(y.shape)}")
    return y


def targeted_pgd(
    model: nn.Module,
    x: Images,
    target: Tensor | np.ndarray | int,
    epsilon: float,
    alpha: float,
    steps: int,
    clamp: Clamp = (0.0, 1.0),
) -> Tensor:
    """Targeted PGD: make the model answer ``target``, within an L-infinity ball of radius ``epsilon``.

    Each step goes *down* the cross-entropy of the target class, ``x - alpha * sign(grad)``, then
    projects back into the ball around ``x`` and into the pixel range ``clamp``. With
    ``steps=1`` and ``alpha=epsilon`` this is the targeted FGSM. Starts at ``x`` (no random start).
    x: (N, C, H, W); target: int or (N,). Returns (N, C, H, W).
    """
    if epsilon < 0:
        raise ValueError(f"epsilon must be non-negative (an L-infinity budget), got {epsilon}")
    if alpha <= 0:
        raise ValueError(f"alpha (the step size) must be positive, got {alpha}")
    if not isinstance(steps, int) or steps < 1:
        raise ValueError(f"steps must be a positive integer, got {steps!r}")
    x = as_images(x, model)
    target = _classes(target, x, "target")
    x_adv = x.clone()
    with evaluating(model), torch.enable_grad():
        for _ in range(steps):
            x_adv.requires_grad_(True)
            (grad,) = torch.autograd.grad(F.cross_entropy(model(x_adv), target), x_adv)
            x_adv = x_adv.detach() - alpha * grad.sign()
            x_adv = torch.max(torch.min(x_adv, x + epsilon), x - epsilon)
            x_adv = x_adv if clamp is None else x_adv.clamp(*clamp)
    return x_adv.detach()


def apply_patch(images: Tensor, patch: Tensor, rows: Tensor | int, cols: Tensor | int) -> Tensor:
    """Paste ``patch: (C, h, w)`` into each image at its own top-left corner ``(rows[n], cols[n])``.

    images: (N, C, H, W); rows, cols: ints or (N,). Differentiable in ``patch``. Returns (N, C, H, W).
    """
    n, c, height, width = images.shape
    if patch.ndim != 3 or patch.shape[0] != c:
        raise ValueError(f"patch must be (C, h, w) with C={c}, got shape {tuple(patch.shape)}")
    h, w = patch.shape[1:]
    rows = torch.as_tensor(rows).expand(n)
    cols = torch.as_tensor(cols).expand(n)
    if rows.min() < 0 or cols.min() < 0 or rows.max() > height - h or cols.max() > width - w:
        raise ValueError(f"rows and cols must place the {h}x{w} patch inside the {height}x{width} image")
    out = images.clone()
    for i, (r, s) in enumerate(zip(rows.tolist(), cols.tolist())):
        out[i, :, r : r + h, s : s + w] = patch
    return out


def _random_corners(n: int, room: tuple[int, int], generator: torch.Generator) -> tuple[Tensor, Tensor]:
    rows = torch.randint(0, room[0] + 1, (n,), generator=generator)
    cols = torch.randint(0, room[1] + 1, (n,), generator=generator)
    return rows, cols


def adversarial_patch(
    model: nn.Module,
    images: Images,
    target: int,
    size: int,
    steps: int = 100,
    lr: float = 0.05,
    batch_size: int = 64,
    seed: int = 0,
) -> Tensor:
    """A ``size`` x ``size`` patch that makes ``model`` answer ``target`` wherever it is pasted (Brown et al. 2017).

    Gradient descent (Adam) on the patch's pixels to minimise the target's cross-entropy averaged
    over random images and random positions ("expectation over transformations", here only
    translation), so it does not depend on one image or one place. Pixels stay in [0, 1].
    images: (N, C, H, W) the images to train on. Returns the patch (C, size, size).
    """
    images = as_images(images, model, "images")
    height, width = images.shape[2:]
    if not 1 <= size <= min(height, width):
        raise ValueError(f"size must lie between 1 and {min(height, width)}, got {size}")
    if not isinstance(steps, int) or steps < 1:
        raise ValueError(f"steps must be a positive integer, got {steps!r}")
    generator = torch.Generator().manual_seed(seed)
    patch = torch.rand(images.shape[1], size, size, generator=generator).to(images.device).requires_grad_(True)
    optimizer = torch.optim.Adam([patch], lr=lr)
    with evaluating(model), torch.enable_grad():
        for _ in range(steps):
            pick = torch.randint(0, len(images), (min(batch_size, len(images)),), generator=generator)
            rows, cols = _random_corners(len(pick), (height - size, width - size), generator)
            logits = model(apply_patch(images[pick], patch, rows, cols))
            loss = F.cross_entropy(logits, torch.full((len(pick),), target, device=images.device))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            with torch.no_grad():
                patch.clamp_(0.0, 1.0)
    return patch.detach()


def accuracy(
    model: nn.Module,
    x: Images,
    y: Tensor | np.ndarray,
    attack: Callable[[nn.Module, Tensor, Tensor], Tensor] | None = None,
    batch_size: int = 500,
) -> float:
    """Fraction of ``x`` that ``model`` classifies as ``y``, after ``attack(model, x, y)`` if given.

    The attack sees the same model it is measured on (a white-box attack); to measure transfer,
    attack another network first and pass the adversarial images with ``attack=None``.
    x: (N, C, H, W); y: (N,).
    """
    x = as_images(x, model)
    y = _classes(y, x, "y")
    correct = 0
    for begin in range(0, len(x), batch_size):
        xb, yb = x[begin : begin + batch_size], y[begin : begin + batch_size]
        if attack is not None:
            xb = attack(model, xb, yb)
        with evaluating(model), torch.no_grad():
            correct += (model(xb).argmax(dim=1) == yb).sum().item()
    return correct / len(x)


def adversarial_fit(
    model: nn.Module,
    loader: Iterable,
    *,
    epochs: int,
    optimizer: torch.optim.Optimizer,
    epsilon: float,
    alpha: float,
    steps: int,
    seed: int = 0,
) -> History:
    """Adversarial training (Madry et al. 2018): train on PGD examples of each batch instead of the batch.

    The min-max problem min_W E[max_{||d||_inf <= epsilon} L(x + d, y; W)] is approached by
    solving the inner maximisation approximately with ``steps`` PGD steps of size ``alpha``
    (random start, a different seed per batch) and taking one optimizer step on the result.
    Each batch costs about ``steps + 1`` forward-backward passes instead of one. The model trains
    on its own device; ``History`` records the loss and accuracy on the adversarial batches.
    """
    if not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"epochs must be a positive integer, got {epochs!r}")
    device = next(model.parameters()).device
    history = History()
    batch = 0
    for _ in range(epochs):
        total_loss, correct, seen = 0.0, 0, 0
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            x_adv = pgd(model, x, y, epsilon, alpha, steps, random_start=True, seed=seed * 100_003 + batch)
            batch += 1
            model.train()
            logits = model(x_adv)
            loss = F.cross_entropy(logits, y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            total_loss += loss.item() * len(y)
            correct += (logits.argmax(dim=1) == y).sum().item()
            seen += len(y)
        history.train_loss.append(total_loss / seen)
        history.train_acc.append(correct / seen)
        history.lr.append(optimizer.param_groups[0]["lr"])
    return history
