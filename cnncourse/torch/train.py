"""A training loop for classifiers: ``fit`` and ``evaluate``.

One loop that every chapter reuses: it moves batches to the model's device, uses mixed
precision on CUDA, shows a progress bar, records a ``History`` and can checkpoint and resume.
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import torch
from torch import nn
from tqdm.auto import tqdm

from .device import pick_device

__all__ = ["History", "evaluate", "fit"]


@dataclass
class History:
    """Per-epoch metrics of a ``fit`` run; ``val_*`` are NaN when there was no validation loader."""

    train_loss: list[float] = field(default_factory=list)
    train_acc: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_acc: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)
    images_per_sec: list[float] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.train_loss)

    def as_dict(self) -> dict[str, list[float]]:
        return dataclasses.asdict(self)


def _as_device(device: str | torch.device) -> torch.device:
    """A ``torch.device`` as given, or a name ("auto", "cpu", "cuda", "mps") checked by ``pick_device``."""
    return device if isinstance(device, torch.device) else pick_device(device)


def _resolve_amp(amp: bool | str, device: torch.device) -> bool:
    if amp == "auto":
        return device.type == "cuda"
    if amp is True and device.type != "cuda":
        raise ValueError(f"amp=True needs a CUDA device, but the model is on {device}; use amp='auto'")
    if amp not in (True, False):
        raise ValueError(f"amp must be True, False or 'auto', got {amp!r}")
    return amp


@torch.no_grad()
def evaluate(
    model: nn.Module,
    loader: Iterable,
    device: str | torch.device = "auto",
    loss_fn: Callable | None = None,
) -> tuple[float, float]:
    """Mean loss and accuracy of ``model`` over ``loader`` (batches ``x: (N, ...)``, ``y: (N,)``).

    Puts the model in eval mode (dropout off, batch norm uses running statistics) and leaves
    it there; ``fit`` switches back to train mode itself.
    """
    loss_fn = loss_fn or nn.functional.cross_entropy
    device = _as_device(device)
    model.to(device).eval()
    total_loss, correct, seen = 0.0, 0, 0
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        logits = model(x)
        total_loss += loss_fn(logits, y).item() * len(y)
        correct += (logits.argmax(dim=1) == y).sum().item()
        seen += len(y)
    if seen == 0:
        raise ValueError("loader yielded no batches")
    return total_loss / seen, correct / seen


def fit(
    model: nn.Module,
    train_loader: Iterable,
    val_loader: Iterable | None = None,
    *,
    epochs: int,
    optimizer: torch.optim.Optimizer,
    loss_fn: Callable | None = None,
    scheduler: torch.optim.lr_scheduler.LRScheduler | torch.optim.lr_scheduler.ReduceLROnPlateau | None = None,
    device: str | torch.device = "auto",
    amp: bool | str = "auto",
    progress: bool = True,
    checkpoint: str | os.PathLike | None = None,
    resume: bool = False,
) -> History:
    """Train ``model`` for ``epochs`` epochs and return its ``History``.

    Batches are ``(x, y)`` with ``x: (N, ...)`` inputs and ``y: (N,)`` class indices; the loss
    defaults to cross-entropy on the logits ``(N, num_classes)``. The model moves to ``device``
    ("auto" picks cuda > mps > cpu) and every batch follows it. ``amp="auto"`` turns on mixed
    precision (float16 autocast with a gradient scaler) only on CUDA. The scheduler steps once
    per epoch (``ReduceLROnPlateau`` is given the validation loss, or the training loss).

    With ``checkpoint`` a path, the model, optimizer, scheduler, epoch and history are saved
    there after every epoch. With ``resume=True`` training restarts from that file when it
    exists (from scratch when it does not), and ``epochs`` is the total to reach, so running
    the same call again after an interruption finishes the job.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(f"optimizer must be a torch.optim.Optimizer, got {type(optimizer).__name__}")
    if not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"epochs must be a positive integer, got {epochs!r}")
    if resume and checkpoint is None:
        raise ValueError("resume=True needs a checkpoint path to resume from")
    loss_fn = loss_fn or nn.functional.cross_entropy
    device = _as_device(device)
    model.to(device)
    use_amp = _resolve_amp(amp, device)
    scaler = torch.amp.GradScaler(device.type, enabled=use_amp)

    history, start = History(), 0
    if resume and os.path.exists(checkpoint):
        state = torch.load(checkpoint, map_location=device, weights_only=True)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        if scheduler is not None:
            scheduler.load_state_dict(state["scheduler"])
        history, start = History(**state["history"]), state["epoch"]

    for epoch in range(start, epochs):
        model.train()
        lr = optimizer.param_groups[0]["lr"]
        total_loss, correct, seen, t0 = 0.0, 0, 0, time.perf_counter()
        # The bar is updated by hand: wrapping the loader would make tqdm.auto iterate it twice.
        total = len(train_loader) if hasattr(train_loader, "__len__") else None
        bar = tqdm(total=total, desc=f"epoch {epoch + 1}/{epochs}", disable=not progress, leave=False)
        for x, y in train_loader:
            x, y = x.to(device), y.to(device)
            with torch.autocast(device.type, enabled=use_amp):
                logits = model(x)
                loss = loss_fn(logits, y)
            optimizer.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
            total_loss += loss.item() * len(y)
            correct += (logits.argmax(dim=1) == y).sum().item()
            seen += len(y)
            bar.set_postfix(
                loss=f"{total_loss / seen:.3f}", img_s=f"{seen / (time.perf_counter() - t0):.0f}", refresh=False
            )
            bar.update()
        bar.close()
        if seen == 0:
            raise ValueError("train_loader yielded no batches")
        history.images_per_sec.append(seen / (time.perf_counter() - t0))
        history.train_loss.append(total_loss / seen)
        history.train_acc.append(correct / seen)
        history.lr.append(lr)
        if val_loader is not None:
            val_loss, val_acc = evaluate(model, val_loader, device, loss_fn)
        else:
            val_loss, val_acc = float("nan"), float("nan")
        history.val_loss.append(val_loss)
        history.val_acc.append(val_acc)
        if isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
            scheduler.step(val_loss if val_loader is not None else history.train_loss[-1])
        elif scheduler is not None:
            scheduler.step()
        if progress:
            tqdm.write(
                f"epoch {epoch + 1}/{epochs}: train loss {history.train_loss[-1]:.4f} "
                f"acc {history.train_acc[-1]:.4f} | val loss {val_loss:.4f} acc {val_acc:.4f} | "
                f"lr {lr:.3g} | {history.images_per_sec[-1]:.0f} img/s"
            )
        if checkpoint is not None:
            torch.save(
                {
                    "model": model.state_dict(),
                    "optimizer": optimizer.state_dict(),
                    "scheduler": scheduler.state_dict() if scheduler is not None else None,
                    "epoch": epoch + 1,
                    "history": history.as_dict(),
                },
                checkpoint,
            )
    return history
