"""The record of a training run, shared by ``cnncourse.numpy.fit`` and ``cnncourse.torch.fit``.

It lives outside both halves (and imports neither NumPy layers nor torch), so a NumPy run and a
PyTorch run return the same type and ``cnncourse.plot.plot_history`` draws either.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

__all__ = ["History"]


@dataclass
class History:
    """What happened in each epoch of a ``fit`` run, one list entry per epoch.

    ``train_loss``/``train_acc`` average over the epoch's minibatches (in training mode, while the
    weights were still changing); ``val_loss``/``val_acc`` are measured after the epoch in evaluation
    mode, NaN without validation data; ``lr`` is the learning rate used during the epoch;
    ``images_per_sec`` the training throughput of the epoch (wall clock, including the backward pass).
    """

    train_loss: list[float] = field(default_factory=list)
    train_acc: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_acc: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)
    images_per_sec: list[float] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.train_loss)

    def as_dict(self) -> dict[str, list[float]]:
        """The lists by field name (plain Python, so it can be saved in a checkpoint or as JSON)."""
        return dataclasses.asdict(self)
