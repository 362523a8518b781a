"""Sanity checks for saliency maps (Adebayo et al. 2018): does a map depend on what the network learned?

Cascading randomisation re-initialises the trained layers one by one, from the output down to
the input. A method whose map explains the *model* must change as the weights are destroyed; a
method whose map stays the same is showing something about the *image* (edges, say) that it
would show for any network. The change is measured by the Spearman rank correlation between the
map of the trained network and the map of each randomised copy.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

import numpy as np
import torch
from scipy.stats import rankdata
from torch import Tensor, nn

__all__ = ["cascading_randomization", "heatmap", "randomization_curve", "spearman"]

# Layers whose weights a network learns; BatchNorm's affine and running statistics count too.
_LEARNED = (nn.Conv2d, nn.Linear, nn.BatchNorm2d, nn.BatchNorm1d)


def cascading_randomization(model: nn.Module, seed: int = 0) -> list[tuple[str, nn.Module]]:
    """Copies of ``model`` with more and more of its learned layers re-initialised, top first.

    The i-th copy has the last i + 1 learned layers (Conv2d, Linear, BatchNorm) re-initialised by
    their own ``reset_parameters`` (PyTorch's default initialisation), drawn from a generator
    seeded with ``seed``, so that the copies are reproducible and nested (a layer gets the same
    random weights in every copy that randomises it). The model itself is not modified.
    Returns [(name of the deepest randomised layer, copy), ...], output layer first.
    """
    learned = [name for name, m in model.named_modules() if isinstance(m, _LEARNED)]
    if not learned:
        raise ValueError("model has no Conv2d, Linear or BatchNorm layer to randomise")
    fresh = {}
    for i, name in enumerate(reversed(learned)):
        module = copy.deepcopy(model.get_submodule(name))
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed * 1000 + i)
            module.reset_parameters()
            if isinstance(module, (nn.BatchNorm2d, nn.BatchNorm1d)):
                module.reset_running_stats()
        fresh[name] = module.state_dict()
    copies = []
    current = copy.deepcopy(model)
    for name in reversed(learned):
        current = copy.deepcopy(current)
        current.get_submodule(name).load_state_dict(fresh[name])
        copies.append((name, current))
    return copies


def heatmap(attribution: Tensor) -> Tensor:
    """One non-negative map per image: ``(N, H, W)`` kept, ``(N, C, H, W)`` summed |.| over channels."""
    attribution = torch.as_tensor(attribution)
    if attribution.ndim == 4:
        return attribution.abs().sum(dim=1)
    if attribution.ndim != 3:
        raise ValueError(f"attribution must be (N, H, W) or (N, C, H, W), got shape {tuple(attribution.shape)}")
    return attribution.abs()


def spearman(a: Tensor, b: Tensor) -> Tensor:
    """Spearman rank correlation between paired maps, one value per image.

    Both maps are flattened and replaced by their ranks (ties share their mean rank); the result
    is the Pearson correlation of the ranks, in [-1, 1]: 1 when one map is any increasing function
    of the other. A constant map has no ranking, and gets NaN.
    a, b: (N, ...) with the same shape. Returns (N,).
    """
    a, b = torch.as_tensor(a), torch.as_tensor(b)
    if a.shape != b.shape or a.ndim < 2:
        raise ValueError(f"a and b must be batches (N, ...) of the same shape, got {tuple(a.shape)} and {tuple(b.shape)}")
    ra = rankdata(a.detach().cpu().flatten(1).double().numpy(), axis=1)
    rb = rankdata(b.detach().cpu().flatten(1).double().numpy(), axis=1)
    ra -= ra.mean(axis=1, keepdims=True)
    rb -= rb.mean(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        rho = (ra * rb).sum(axis=1) / np.sqrt((ra**2).sum(axis=1) * (rb**2).sum(axis=1))
    return torch.as_tensor(rho, dtype=torch.float32)


def randomization_curve(
    model: nn.Module,
    x: Tensor,
    methods: dict[str, Callable[[nn.Module, Tensor, Tensor], Tensor]],
    target: Tensor,
    seed: int = 0,
) -> tuple[list[str], dict[str, Tensor]]:
    """Mean Spearman correlation between each method's map on ``model`` and on its randomised copies.

    ``methods`` maps a name to ``f(model, x, target) -> attribution``; the maps are compared as
    ``heatmap``s. The target class is held fixed (the trained model's), as in Adebayo et al.
    x: (N, C, H, W); target: (N,). Returns (names of the deepest randomised layer, in order,
    {method: (L,) mean correlation over the images after randomising down to each layer}).
    """
    copies = cascading_randomization(model, seed)
    reference = {name: heatmap(f(model, x, target)) for name, f in methods.items()}
    curves = {name: [] for name in methods}
    for _, randomized in copies:
        for name, f in methods.items():
            rho = spearman(reference[name], heatmap(f(randomized, x, target)))
            curves[name].append(float(np.nanmean(rho.numpy())))
    return [layer for layer, _ in copies], {name: torch.tensor(v) for name, v in curves.items()}
