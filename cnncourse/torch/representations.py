"""What a trained network's units and features respond to: the data set patches that excite a unit
most, and a 2-D map of the features the classifier reads.

References: Zeiler and Fergus (2014), Visualizing and understanding convolutional networks (top
activating patches); principal component analysis for the embedding.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from cnncourse.torch._common import Images, as_images
from cnncourse.torch.interpret import feature_maps

__all__ = ["Patches", "pca", "receptive_field_box", "top_activating_patches"]

# Modules that keep the spatial grid as it is (elementwise, or per-channel statistics).
_POINTWISE = (nn.ReLU, nn.LeakyReLU, nn.ELU, nn.GELU, nn.Sigmoid, nn.Tanh, nn.BatchNorm2d, nn.Dropout,
              nn.Dropout2d, nn.Identity)


def _pair(v) -> int:
    """A square kernel/stride/padding as one int; rectangular ones are not supported."""
    if isinstance(v, tuple):
        if len(set(v)) != 1:
            raise ValueError(f"only square kernels, strides and paddings are supported, got {v}")
        return v[0]
    return v


def receptive_field_box(model: nn.Sequential, layer: str) -> tuple[int, int, int]:
    """Where the units of ``layer`` look in the input of a sequential CNN: (size, jump, start).

    Unit (i, j) of the layer's output sees input rows ``start + i * jump`` to
    ``start + i * jump + size - 1`` (and the same for columns). Walking through the layers,
    a k x k window with stride s and padding p turns (size, jump, start) into
    (size + (k - 1) jump, jump * s, start - p * jump), starting from (1, 1, 0) at the input.
    model: an ``nn.Sequential`` of convolutions, pooling and pointwise layers; layer: its name.
    """
    if not isinstance(model, nn.Sequential):
        raise TypeError(f"model must be an nn.Sequential to trace its receptive field, got {type(model).__name__}")
    names = [name for name, _ in model.named_children()]
    if layer not in names:
        raise ValueError(f"layer: the model has no top-level module named {layer!r}; it has {names}")
    size, jump, start = 1, 1, 0
    for name, module in model.named_children():
        if isinstance(module, (nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d)):
            if getattr(module, "dilation", 1) not in (1, (1, 1)):
                raise ValueError(f"layer {name}: dilated windows are not supported")
            k, s, p = _pair(module.kernel_size), _pair(module.stride), _pair(module.padding)
            size, jump, start = size + (k - 1) * jump, jump * s, start - p * jump
        elif not isinstance(module, _POINTWISE):
            raise ValueError(f"layer {name}: cannot trace a receptive field through {type(module).__name__}")
        if name == layer:
            return size, jump, start
    raise AssertionError("unreachable: the layer is among the children")


class Patches(NamedTuple):
    """Result of ``top_activating_patches``, best first.

    patches (k, C, size, size) crops of the input (zero outside the image), activations (k,),
    image (k,) index into the images, position (k, 2) the unit's (row, col) in the layer's map.
    """

    patches: Tensor
    activations: Tensor
    image: Tensor
    position: Tensor


def top_activating_patches(
    model: nn.Sequential,
    images: Images,
    layer: str,
    unit: int,
    k: int = 9,
    batch_size: int = 512,
) -> Patches:
    """The ``k`` input patches that drive one channel (``unit``) of ``layer`` hardest.

    Each image contributes at most one patch, at its strongest position, so the result shows
    ``k`` different examples rather than one image's neighbouring pixels. A patch is the unit's
    receptive field (``receptive_field_box``) cut out of the image.
    images: (N, C, H, W). Returns ``Patches``.
    """
    images = as_images(images, model, "images")
    size, jump, start = receptive_field_box(model, layer)
    best_values, best_index = [], []
    for begin in range(0, len(images), batch_size):
        (acts,) = feature_maps(model, images[begin : begin + batch_size], layer).values()
        if not 0 <= unit < acts.shape[1]:
            raise ValueError(f"unit must lie in [0, {acts.shape[1]}) for layer {layer!r}, got {unit}")
        values, index = acts[:, unit].flatten(1).max(dim=1)
        best_values.append(values)
        best_index.append(index)
    values, index = torch.cat(best_values), torch.cat(best_index)
    if not 1 <= k <= len(images):
        raise ValueError(f"k must lie between 1 and the number of images {len(images)}, got {k}")
    width = acts.shape[-1]
    top = values.argsort(descending=True)[:k]
    rows, cols = index[top] // width, index[top] % width
    # Pad so that receptive fields hanging over the border (because of padding) can be cut out.
    margin = max(-start, 0) + size
    padded = F.pad(images[top], (margin,) * 4)
    patches = torch.stack([
        padded[n, :, margin + start + r * jump : margin + start + r * jump + size,
               margin + start + c * jump : margin + start + c * jump + size]
        for n, (r, c) in enumerate(zip(rows.tolist(), cols.tolist()))
    ])
    return Patches(patches.cpu(), values[top].cpu(), top.cpu(), torch.stack([rows, cols], dim=1).cpu())


def pca(features: Tensor, components: int = 2) -> tuple[Tensor, Tensor]:
    """Project ``features: (N, D)`` on their first principal directions.

    The data are centred and decomposed by SVD, X - mean = U S V^T; the projection is
    (X - mean) V[:, :components], and component i explains S_i^2 / sum S^2 of the variance.
    Each direction's sign is fixed so that its largest-magnitude coefficient is positive (SVD
    alone leaves it arbitrary). Returns (projection (N, components), explained variance ratio (components,)).
    """
    features = torch.as_tensor(features, dtype=torch.float64)
    if features.ndim != 2:
        raise ValueError(f"features must be a matrix (N, D), got shape {tuple(features.shape)}")
    if not 1 <= components <= min(features.shape):
        raise ValueError(f"components must lie between 1 and min(N, D) = {min(features.shape)}, got {components}")
    centred = features - features.mean(dim=0)
    _, s, vh = torch.linalg.svd(centred, full_matrices=False)
    directions = vh[:components]
    signs = directions.gather(1, directions.abs().argmax(dim=1, keepdim=True)).sign()
    directions = directions * signs
    ratio = s[:components] ** 2 / (s**2).sum()
    return (centred @ directions.T).float(), ratio.float()
