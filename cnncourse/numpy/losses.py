"""Loss functions that return the loss and its gradient with respect to the prediction.

Each loss is a mean over the batch (or over all elements), as PyTorch's default ``reduction="mean"``,
so the gradient carries the 1 / N factor and a training loop can pass it straight to ``backward``.
"""

from __future__ import annotations

import numpy as np

from ._checks import as_float_array

from . import functional as F

__all__ = [
    "softmax_cross_entropy",
    "mse_loss",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
]

# Probabilities are kept this far from 0 and 1 so that log never returns -inf.
_PROB_EPS = 1e-12


def _check_same_shape(pred: np.ndarray, target: np.ndarray, pred_name: str) -> None:
    if pred.shape != target.shape:
        raise ValueError(f"{pred_name} and target must have the same shape, got {pred.shape} and {target.shape}")


def softmax_cross_entropy(logits: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean cross-entropy of softmax(logits) against integer labels.

    logits: (N, C) unnormalised class scores; y: (N,) integer labels in [0, C).
    Returns (loss, dlogits) with dlogits: (N, C) = (softmax(logits) - onehot(y)) / N.
    """
    logits = as_float_array(logits, "logits")
    y = np.asarray(y)
    if logits.ndim != 2:
        raise ValueError(f"logits must have shape (N, C), got {logits.shape}")
    n, num_classes = logits.shape
    if not np.issubdtype(y.dtype, np.integer):
        raise TypeError(f"labels y must be integers, got dtype {y.dtype}")
    if y.shape != (n,):
        raise ValueError(f"labels y must have shape (N,) = ({n},) to match logits {logits.shape}, got {y.shape}")
    if n and (y.min() < 0 or y.max() >= num_classes):
        bad = y[(y < 0) | (y >= num_classes)][0]
        raise ValueError(f"labels y must be in [0, {num_classes}) for {num_classes} classes, got {bad}")
    log_probs = F.log_softmax(logits, axis=1)
    rows = np.arange(n)
    loss = -log_probs[rows, y].mean()
    dlogits = np.exp(log_probs)
    dlogits[rows, y] -= 1.0
    return float(loss), dlogits / n


def mse_loss(pred: np.ndarray, target: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean squared error over all elements. pred, target: same shape. Returns (loss, dpred)."""
    pred = as_float_array(pred, "pred")
    target = np.asarray(target, dtype=pred.dtype)
    _check_same_shape(pred, target, "pred")
    diff = pred - target
    return float(np.mean(diff**2)), 2.0 * diff / diff.size


def binary_cross_entropy(prob: np.ndarray, target: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean binary cross-entropy of probabilities against targets in [0, 1].

    prob, target: same shape. prob is clipped to [1e-12, 1 - 1e-12] so that log(0) never happens;
    prefer ``binary_cross_entropy_with_logits``, which needs no clipping. Returns (loss, dprob).
    """
    prob = as_float_array(prob, "prob")
    target = np.asarray(target, dtype=prob.dtype)
    _check_same_shape(prob, target, "prob")
    if np.any((prob < 0) | (prob > 1)):
        raise ValueError("prob must hold probabilities in [0, 1]; pass raw scores to binary_cross_entropy_with_logits")
    p = np.clip(prob, _PROB_EPS, 1.0 - _PROB_EPS)
    loss = -np.mean(target * np.log(p) + (1.0 - target) * np.log1p(-p))
    return float(loss), (p - target) / (p * (1.0 - p)) / p.size


def binary_cross_entropy_with_logits(logits: np.ndarray, target: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean binary cross-entropy of sigmoid(logits) against targets, computed stably.

    logits, target: same shape. Uses -log sigmoid(z) = max(z, 0) - z + log(1 + exp(-|z|)), which
    never overflows. Returns (loss, dlogits) with dlogits = (sigmoid(logits) - target) / size.
    """
    logits = as_float_array(logits, "logits")
    target = np.asarray(target, dtype=logits.dtype)
    _check_same_shape(logits, target, "logits")
    loss = np.mean(np.maximum(logits, 0) - logits * target + np.log1p(np.exp(-np.abs(logits))))
    return float(loss), (F.sigmoid(logits) - target) / logits.size
