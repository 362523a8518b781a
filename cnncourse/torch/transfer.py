"""Transfer learning: reuse a trained network's features for a new task.

The recipe (Yosinski et al. 2014; Razavian et al. 2014): take a network trained on a large
data set, replace its last linear layer (the "head") by a fresh one with as many outputs as the
new task has classes, freeze everything else and train only the head. With more data, unfreeze
the rest afterwards and fine-tune it all with a small learning rate.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch
from torch import nn

from .train import History, fit

__all__ = ["fine_tune", "find_head", "freeze", "replace_head", "unfreeze"]


def freeze(module: nn.Module) -> nn.Module:
    """Stop gradients to every parameter of ``module``; returns it.

    Batch-norm layers still update their running statistics in train mode: call
    ``module.eval()`` as well to freeze those.
    """
    for p in module.parameters():
        p.requires_grad_(False)
    return module


def unfreeze(module: nn.Module) -> nn.Module:
    """Let gradients reach every parameter of ``module`` again; returns it."""
    for p in module.parameters():
        p.requires_grad_(True)
    return module


def find_head(model: nn.Module) -> tuple[nn.Module, str]:
    """The parent module and attribute name of ``model``'s final ``nn.Linear`` (its classifier).

    Looks at ``model.fc`` (ResNet, GoogLeNet), then ``model.classifier`` or its last element
    (AlexNet, VGG, DenseNet), and otherwise takes the last ``nn.Linear`` registered in the model.
    """
    if isinstance(getattr(model, "fc", None), nn.Linear):
        return model, "fc"
    classifier = getattr(model, "classifier", None)
    if isinstance(classifier, nn.Linear):
        return model, "classifier"
    if isinstance(classifier, nn.Sequential) and isinstance(classifier[-1], nn.Linear):
        return classifier, str(len(classifier) - 1)
    linears = [name for name, m in model.named_modules() if isinstance(m, nn.Linear)]
    if not linears:
        raise ValueError(f"model must contain an nn.Linear head; found none in {type(model).__name__}")
    parent_name, _, attr = linears[-1].rpartition(".")
    return model.get_submodule(parent_name), attr


def replace_head(model: nn.Module, num_classes: int) -> nn.Linear:
    """Replace ``model``'s final linear layer by a fresh trainable one with ``num_classes`` outputs.

    The new layer keeps the input size, bias, device and dtype of the old one. Returns it.
    """
    if not isinstance(num_classes, int) or num_classes < 1:
        raise ValueError(f"num_classes must be a positive integer, got {num_classes!r}")
    parent, attr = find_head(model)
    old = getattr(parent, attr)
    new = nn.Linear(
        old.in_features, num_classes, bias=old.bias is not None, device=old.weight.device, dtype=old.weight.dtype
    )
    setattr(parent, attr, new)
    return new


def fine_tune(
    model: nn.Module,
    train_loader: Iterable,
    val_loader: Iterable | None = None,
    *,
    num_classes: int,
    epochs: int,
    lr: float = 1e-3,
    freeze_features: bool = True,
    **fit_kwargs,
) -> History:
    """Transfer ``model`` to a new ``num_classes``-way task and train it with ``fit`` (Adam, ``lr``).

    With ``freeze_features`` only the new head trains (the pretrained network is a fixed
    feature extractor); otherwise every parameter trains. Other keyword arguments go to ``fit``.
    """
    head = replace_head(model, num_classes)
    if freeze_features:
        freeze(model)
        unfreeze(head)
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.Adam(trainable, lr=lr)
    return fit(model, train_loader, val_loader, epochs=epochs, optimizer=optimizer, **fit_kwargs)
