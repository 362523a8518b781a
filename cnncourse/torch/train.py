"""A training loop for classifiers: ``fit``, one epoch of it, ``evaluate`` and checkpoints.

One loop that every chapter reuses: it moves batches to the model's device, uses mixed
precision on CUDA, shows a progress bar, records a ``History`` (the one ``cnncourse.numpy.fit``
returns too) and can checkpoint and resume.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from typing import NamedTuple

import torch
from torch import nn
from tqdm.auto import tqdm

from ..history import History
from .device import pick_device

# History is defined once, in cnncourse.history, for both fits; it is re-exported here.
__all__ = ["EpochResult", "History", "evaluate", "fit", "train_one_epoch", "save_checkpoint", "load_checkpoint"]

Scheduler = torch.optim.lr_scheduler.LRScheduler | torch.optim.lr_scheduler.ReduceLROnPlateau


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


class EpochResult(NamedTuple):
    """Mean loss and accuracy over an epoch's training batches, and its throughput."""

    loss: float
    acc: float
    images_per_sec: float


def train_one_epoch(
    model: nn.Module,
    loader: Iterable,
    optimizer: torch.optim.Optimizer,
    *,
    loss_fn: Callable | None = None,
    device: str | torch.device = "auto",
    scaler: torch.amp.GradScaler | None = None,
    progress: bool = False,
    description: str = "",
) -> EpochResult:
    """One pass over ``loader`` (batches ``x: (N, ...)``, ``y: (N,)``): forward, loss, backward, step.

    The model is put in train mode. With a ``scaler`` that is enabled (CUDA mixed precision, see
    ``fit``) the forward pass runs under float16 autocast and the loss is scaled before backward.
    Returns the epoch's mean loss and accuracy (over its batches, while the weights changed) and
    images per second.
    """
    loss_fn = loss_fn or nn.functional.cross_entropy
    device = _as_device(device)
    use_amp = scaler is not None and scaler.is_enabled()
    scaler = scaler or torch.amp.GradScaler(device.type, enabled=False)
    model.train()
    total_loss, correct, seen, t0 = 0.0, 0, 0, time.perf_counter()
    # The bar is updated by hand: wrapping the loader would make tqdm.auto iterate it twice.
    total = len(loader) if hasattr(loader, "__len__") else None
    bar = tqdm(total=total, desc=description, disable=not progress, leave=False)
    for x, y in loader:
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
        bar.set_postfix(loss=f"{total_loss / seen:.3f}", img_s=f"{seen / (time.perf_counter() - t0):.0f}", refresh=False)
        bar.update()
    bar.close()
    if seen == 0:
        raise ValueError("train_loader yielded no batches")
    return EpochResult(total_loss / seen, correct / seen, seen / (time.perf_counter() - t0))


def save_checkpoint(
    path: str | os.PathLike,
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    scheduler: Scheduler | None,
    history: History,
) -> None:
    """Save the model, optimizer and scheduler states and the ``history`` (its length is the epoch) to ``path``."""
    torch.save(
        {
            "model": model.state_dict(),
            "optimizer": optimizer.state_dict(),
            "scheduler": scheduler.state_dict() if scheduler is not None else None,
            "epoch": len(history),
            "history": history.as_dict(),
        },
        path,
    )


def load_checkpoint(
    path: str | os.PathLike,
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    scheduler: Scheduler | None = None,
    device: str | torch.device = "cpu",
) -> History:
    """Restore what ``save_checkpoint`` wrote into ``model``, ``optimizer`` (and ``scheduler``); returns the History."""
    state = torch.load(path, map_location=_as_device(device), weights_only=True)
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    if scheduler is not None and state["scheduler"] is not None:
        scheduler.load_state_dict(state["scheduler"])
    return History(**state["history"])


def fit(
    model: nn.Module,
    train_loader: Iterable,
    val_loader: Iterable | None = None,
    *,
    epochs: int,
    optimizer: torch.optim.Optimizer,
    loss_fn: Callable | None = None,
    scheduler: Scheduler | None = None,
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

    With ``checkpoint`` a path, the model, optimizer, scheduler and history are saved there after
    every epoch (``save_checkpoint``). With ``resume=True`` training restarts from that file when it
    exists (from scratch when it does not), and ``epochs`` is the total to reach, so running the same
    call again after an interruption finishes the job.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(f"optimizer must be a torch.optim.Optimizer, got {type(optimizer).__name__}")
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"epochs must be a positive integer, got {epochs!r}")
    if resume and checkpoint is None:
        raise ValueError("resume=True needs a checkpoint path to resume from")
    loss_fn = loss_fn or nn.functional.cross_entropy
    device = _as_device(device)
    model.to(device)
    scaler = torch.amp.GradScaler(device.type, enabled=_resolve_amp(amp, device))
    history = History()
    if resume and os.path.exists(checkpoint):
        history = load_checkpoint(checkpoint, model, optimizer, scheduler, device)

    for epoch in range(len(history), epochs):
        lr = optimizer.param_groups[0]["lr"]
        result = train_one_epoch(model, train_loader, optimizer, loss_fn=loss_fn, device=device, scaler=scaler,
                                 progress=progress, description=f"epoch {epoch + 1}/{epochs}")
        if val_loader is not None:
            val_loss, val_acc = evaluate(model, val_loader, device, loss_fn)
        else:
            val_loss, val_acc = float("nan"), float("nan")
        _record(history, result, val_loss, val_acc, lr)
        if isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
            scheduler.step(val_loss if val_loader is not None else result.loss)
        elif scheduler is not None:
            scheduler.step()
        if progress:
            tqdm.write(
                f"epoch {epoch + 1}/{epochs}: train loss {result.loss:.4f} acc {result.acc:.4f} | "
                f"val loss {val_loss:.4f} acc {val_acc:.4f} | lr {lr:.3g} | {result.images_per_sec:.0f} img/s"
            )
        if checkpoint is not None:
            save_checkpoint(checkpoint, model, optimizer, scheduler, history)
    return history


def _record(history: History, result: EpochResult, val_loss: float, val_acc: float, lr: float) -> None:
    history.train_loss.append(result.loss)
    history.train_acc.append(result.acc)
    history.val_loss.append(val_loss)
    history.val_acc.append(val_acc)
    history.lr.append(lr)
    history.images_per_sec.append(result.images_per_sec)
