"""The training loop for the NumPy layers: minibatches, forward, loss, backward, optimizer step.

>>> history = fit(model, x_train, y_train, epochs=10, optimizer=Adam(model, lr=1e-3),
...                 x_val=x_test, y_val=y_test)                                # doctest: +SKIP
>>> history.val_acc[-1]                                                   # doctest: +SKIP
"""

from __future__ import annotations

import time
from typing import Callable

import numpy as np
from tqdm.auto import tqdm

from ..history import History
from ._checks import Seed, check_batch, check_examples, positive_int
from .layers import Layer
from .losses import softmax_cross_entropy

# History is defined once, in cnncourse.history, for both fits; it is re-exported here.
__all__ = ["History", "fit", "evaluate", "predict"]

LossFn = Callable[[np.ndarray, np.ndarray], tuple[float, np.ndarray]]


def fit(model: Layer, x_train: np.ndarray, y_train: np.ndarray, *, epochs: int, batch_size: int = 64,
          optimizer, loss_fn: LossFn = softmax_cross_entropy, x_val: np.ndarray | None = None,
          y_val: np.ndarray | None = None, seed: Seed = 0, scheduler=None,
          progress: bool = True) -> History:
    """Train ``model`` in place with minibatch gradient descent and return its :class:`History`.

    Args:
        model: a Layer (e.g. a Sequential) whose ``params`` the ``optimizer`` updates.
        x_train: (N, ...) inputs; y_train: (N,) integer labels, or targets in the form ``loss_fn`` takes.
        epochs: passes over the training set (>= 1).
        batch_size: examples per step; the last batch of an epoch may be smaller.
        optimizer: e.g. ``SGD(model, lr=0.1)``; its ``step()`` is called after each backward pass.
        loss_fn: ``loss_fn(output, y) -> (loss, doutput)``.
        x_val, y_val: evaluated after every epoch when given (both or neither).
        seed: seeds the shuffle, a new order every epoch; the same seed gives the same run.
        scheduler: e.g. ``StepLR``; its ``step()`` is called after every epoch.
        progress: show a tqdm progress bar with the running loss.
    """
    x_train, y_train = check_examples(x_train, y_train, "x_train", "y_train")
    if (x_val is None) != (y_val is None):
        raise ValueError("x_val and y_val must be given together (or neither)")
    if x_val is not None:
        x_val, y_val = check_examples(x_val, y_val, "x_val", "y_val")
    positive_int(epochs, "epochs")
    positive_int(batch_size, "batch_size")
    if not callable(getattr(optimizer, "step", None)):
        raise TypeError(f"optimizer must have a step() method (e.g. SGD or Adam), got {type(optimizer).__name__}")

    rng = np.random.default_rng(seed)
    n = len(x_train)
    steps = -(-n // batch_size)
    history = History()
    with tqdm(total=epochs * steps, disable=not progress, unit="batch") as bar:
        for epoch in range(epochs):
            history.lr.append(float(optimizer.lr))
            model.train()
            # Visiting the examples in a new random order every epoch makes each minibatch
            # gradient an unbiased, independent estimate of the full gradient.
            order = rng.permutation(n)
            total_loss = total_correct = 0.0
            start_time = time.perf_counter()
            for start in range(0, n, batch_size):
                idx = order[start:start + batch_size]
                out = model.forward(x_train[idx])
                loss, dout = loss_fn(out, y_train[idx])
                model.backward(dout)
                optimizer.step()
                total_loss += loss * len(idx)
                total_correct += _num_correct(out, y_train[idx])
                bar.set_description(f"epoch {epoch + 1}/{epochs}", refresh=False)
                bar.set_postfix(loss=f"{loss:.4f}", refresh=False)
                bar.update()
            history.images_per_sec.append(n / (time.perf_counter() - start_time))
            history.train_loss.append(total_loss / n)
            history.train_acc.append(total_correct / n)
            if x_val is not None:
                val_loss, val_acc = evaluate(model, x_val, y_val, loss_fn=loss_fn)
            else:
                val_loss, val_acc = float("nan"), float("nan")
            history.val_loss.append(val_loss)
            history.val_acc.append(val_acc)
            if scheduler is not None:
                scheduler.step()
    return history


def evaluate(model: Layer, x: np.ndarray, y: np.ndarray, batch_size: int = 256,
             loss_fn: LossFn = softmax_cross_entropy) -> tuple[float, float]:
    """Mean loss and accuracy of ``model`` on (x, y), in evaluation mode (the model stays in it).

    x: (N, ...); y: (N,) labels. Batches only bound the memory; the result does not depend on them.
    """
    x, y = check_examples(x, y, "x", "y")
    positive_int(batch_size, "batch_size")
    model.eval()
    total_loss = total_correct = 0.0
    for start in range(0, len(x), batch_size):
        out = model.forward(x[start:start + batch_size])
        yb = y[start:start + batch_size]
        loss, _ = loss_fn(out, yb)
        total_loss += loss * len(yb)
        total_correct += _num_correct(out, yb)
    return total_loss / len(x), total_correct / len(x)


def predict(model: Layer, x: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """Predicted labels (N,) for x: (N, ...), in evaluation mode (the model stays in it).

    An output (N, C) with C >= 2 gives the class of the largest score; a single output per example
    is read as a probability (a model ending in Sigmoid) and gives 1 where it exceeds 0.5.
    """
    x = check_batch(x, "x")
    positive_int(batch_size, "batch_size")
    model.eval()
    return np.concatenate([_labels(model.forward(x[s:s + batch_size])) for s in range(0, len(x), batch_size)])


def _labels(out: np.ndarray) -> np.ndarray:
    if out.ndim == 2 and out.shape[1] >= 2:
        return out.argmax(axis=1)
    return (out.reshape(len(out)) > 0.5).astype(np.int64)


def _num_correct(out: np.ndarray, y: np.ndarray) -> int:
    return int((_labels(out) == y.reshape(len(y))).sum())
