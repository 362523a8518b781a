"""Looking inside a trained CNN: feature maps, filters, saliency, occlusion, class models,
Grad-CAM and network dissection.

Every function runs the model in evaluation mode (dropout off, batch norm on its running
statistics) and puts it back in the mode it found it in. Tensors go to the model's device.
Gradients are taken with ``torch.autograd.grad`` with respect to the input or a feature map
only, so the ``.grad`` of the model's parameters is never touched.

References: Zeiler and Fergus (2014), Visualizing and understanding convolutional networks;
Simonyan, Vedaldi and Zisserman (2014), Deep inside convolutional networks; Bau et al. (2017),
Network dissection; Selvaraju et al. (2017), Grad-CAM.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator, Sequence
from typing import NamedTuple

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

# Shared with attacks and the other probing modules; imported here too, so `from .interpret import as_images` works.
from ._common import Images, LayerRef, Target, as_images, class_indices, evaluating, model_device

__all__ = [
    "Dissection",
    "class_model",
    "dissection_iou",
    "feature_maps",
    "first_layer_filters",
    "grad_cam",
    "occlusion",
    "saliency",
]

def _named_layers(
    model: nn.Module, layers: LayerRef | Sequence[LayerRef], arg: str = "layers"
) -> dict[str, nn.Module]:
    """Resolve layers given by name (as in ``model.named_modules()``) or by module object."""
    if isinstance(layers, (str, nn.Module)):
        layers = [layers]
    modules = dict(model.named_modules())
    names = {id(module): name for name, module in modules.items()}
    resolved = {}
    for layer in layers:
        if isinstance(layer, str):
            if layer not in modules:
                known = ", ".join(repr(n) for n in modules if n)
                raise ValueError(f"{arg}: the model has no module named {layer!r}; it has {known}")
            resolved[layer] = modules[layer]
        elif isinstance(layer, nn.Module):
            if id(layer) not in names:
                raise ValueError(f"{arg}: {type(layer).__name__} module is not part of the model")
            resolved[names[id(layer)]] = layer
        else:
            raise TypeError(f"{arg} must be module names or nn.Module objects, got {type(layer).__name__}")
    return resolved


def _last_conv(model: nn.Module) -> nn.Module:
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    if not convs:
        raise ValueError("model has no nn.Conv2d layer; pass layer= explicitly")
    return convs[-1]


@contextlib.contextmanager
def _recording(layers: dict[str, nn.Module]) -> Iterator[dict[str, Tensor]]:
    """Record each layer's output during forward passes in the block.

    The hooks are removed when the block ends, even on an exception: a forgotten hook
    would keep recording (and holding memory) on every later forward pass.
    """
    outputs: dict[str, Tensor] = {}
    handles = []
    try:
        for name, module in layers.items():

            def hook(module, inputs, output, name=name):
                outputs[name] = output

            handles.append(module.register_forward_hook(hook))
        yield outputs
    finally:
        for handle in handles:
            handle.remove()


def feature_maps(model: nn.Module, x: Images, layers: LayerRef | Sequence[LayerRef]) -> dict[str, Tensor]:
    """The activations of the given layers for a batch of images.

    x: (N, C, H, W). ``layers``: names as in ``model.named_modules()`` or module objects.
    Returns {name: output of that layer}, e.g. (N, C_out, H', W') for a conv layer, detached.
    """
    named = _named_layers(model, layers)
    x = as_images(x, model)
    with evaluating(model), torch.no_grad(), _recording(named) as outputs:
        model(x)
    return {name: outputs[name].detach() for name in named}


def first_layer_filters(model: nn.Module) -> Tensor:
    """The first Conv2d's weights (C_out, C_in, kH, kW), each filter rescaled to [0, 1] for display.

    Each filter is rescaled on its own (min to 0, max to 1): the picture shows the pattern a
    filter looks for, not how large its weights are compared with its neighbours'.
    """
    conv = next((m for m in model.modules() if isinstance(m, nn.Conv2d)), None)
    if conv is None:
        raise ValueError("model has no nn.Conv2d layer")
    w = conv.weight.detach().cpu()
    low = w.amin(dim=(1, 2, 3), keepdim=True)
    high = w.amax(dim=(1, 2, 3), keepdim=True)
    return (w - low) / (high - low).clamp_min(1e-12)


def saliency(model: nn.Module, x: Images, target: Target = None) -> Tensor:
    """Vanilla gradient saliency (Simonyan et al. 2014).

    The magnitude of the gradient of the (unnormalised) class score with respect to each pixel,
    maximised over channels: the pixels whose change would move the score most.
    x: (N, C, H, W); target: int, (N,) or None for the predicted class. Returns (N, H, W).
    """
    # detach: as_images may return the caller's own tensor, whose requires_grad must stay as it was.
    x = as_images(x, model).detach().requires_grad_(True)
    with evaluating(model), torch.enable_grad():
        scores = model(x)
        target = class_indices(target, scores)
        (grad,) = torch.autograd.grad(scores.gather(1, target[:, None]).sum(), x)
    return grad.abs().amax(dim=1)


def occlusion(
    model: nn.Module,
    x: Images,
    target: Target = None,
    patch: int = 3,
    stride: int = 1,
    baseline: float = 0.0,
) -> Tensor:
    """Occlusion sensitivity (Zeiler and Fergus 2014).

    Slide a ``patch`` x ``patch`` square of value ``baseline`` over the image with ``stride``;
    each pixel gets the drop in the target's softmax probability, averaged over the patches that
    cover it. Large values: hiding this region hurts the prediction.
    x: (N, C, H, W); target: int, (N,) or None for the predicted class. Returns (N, H, W).
    """
    x = as_images(x, model)
    n, _, height, width = x.shape
    if not 1 <= patch <= min(height, width):
        raise ValueError(f"patch must be between 1 and {min(height, width)}, got {patch}")
    if not 1 <= stride <= patch:
        raise ValueError(f"stride must be between 1 and patch={patch} (to cover every pixel), got {stride}")
    # The last offset is always included so that the bottom and right borders are covered too.
    rows = sorted(set(range(0, height - patch + 1, stride)) | {height - patch})
    cols = sorted(set(range(0, width - patch + 1, stride)) | {width - patch})
    drop = torch.zeros(n, height, width, device=x.device)
    count = torch.zeros(height, width, device=x.device)
    with evaluating(model), torch.no_grad():
        logits = model(x)
        target = class_indices(target, logits)[:, None]
        base_prob = logits.softmax(dim=1).gather(1, target)[:, 0]
        for i in rows:
            for j in cols:
                hidden = x.clone()
                hidden[:, :, i : i + patch, j : j + patch] = baseline
                prob = model(hidden).softmax(dim=1).gather(1, target)[:, 0]
                drop[:, i : i + patch, j : j + patch] += (base_prob - prob)[:, None, None]
                count[i : i + patch, j : j + patch] += 1
    return drop / count


def class_model(
    model: nn.Module,
    target: int,
    shape: Sequence[int],
    steps: int = 200,
    lr: float = 0.1,
    weight_decay: float = 1.0,
    seed: int = 0,
) -> Tensor:
    """An image that maximises one class score (Simonyan et al. 2014).

    Gradient ascent on the input of ``S_target(x) - weight_decay * ||x||^2``, starting from small
    random noise. A ReLU network's score grows about linearly with the image's scale, so without
    the L2 penalty the pixels would grow without bound; with it, the ascent settles where the
    score's gradient equals ``2 * weight_decay * x``, and a larger ``weight_decay`` gives a fainter
    image (with the default, a small CNN on the 8x8 digits draws pixels within about [-1, 1]).
    shape: (C, H, W) of one input image. Returns (C, H, W).
    """
    if steps < 1:
        raise ValueError(f"steps must be a positive integer, got {steps}")
    if len(shape) != 3:
        raise ValueError(f"shape must be (C, H, W), got {tuple(shape)}")
    generator = torch.Generator().manual_seed(seed)
    x = (0.01 * torch.randn(1, *shape, generator=generator)).to(model_device(model))
    with evaluating(model), torch.enable_grad():
        target = class_indices(target, model(x).detach())
        for _ in range(steps):
            x.requires_grad_(True)
            score = model(x)[0, target[0]]
            objective = score - weight_decay * (x**2).sum()
            (grad,) = torch.autograd.grad(objective, x)
            x = (x + lr * grad).detach()
    return x[0]


def grad_cam(
    model: nn.Module,
    x: Images,
    target: Target = None,
    layer: LayerRef | None = None,
) -> Tensor:
    """Grad-CAM heatmaps (Selvaraju et al. 2017).

    With A^k the k-th feature map of ``layer`` and y^c the class score, each map gets the weight
    alpha_k = mean over positions of dy^c/dA^k; the heatmap is ReLU(sum_k alpha_k A^k), upsampled
    bilinearly to the input size and divided by its maximum. The ReLU keeps only the evidence
    *for* the class. ``layer`` defaults to the last Conv2d (the one with the most semantic but
    still spatial features). If an ``nn.ReLU(inplace=True)`` follows the layer, it overwrites the
    recorded maps, and the heatmap is the one of the ReLU's output.
    x: (N, C, H, W); target: int, (N,) or None for the predicted class. Returns (N, H, W) in [0, 1].
    """
    named = _named_layers(model, _last_conv(model) if layer is None else layer, "layer")
    (name,) = named
    x = as_images(x, model)
    with evaluating(model), torch.enable_grad(), _recording(named) as outputs:
        scores = model(x)
        target = class_indices(target, scores)
        maps = outputs[name]
        (grads,) = torch.autograd.grad(scores.gather(1, target[:, None]).sum(), maps)
    weights = grads.mean(dim=(2, 3), keepdim=True)
    cam = F.relu((weights * maps.detach()).sum(dim=1, keepdim=True))
    cam = F.interpolate(cam, size=x.shape[-2:], mode="bilinear", align_corners=False)[:, 0]
    return cam / cam.amax(dim=(1, 2), keepdim=True).clamp_min(1e-12)


class Dissection(NamedTuple):
    """Result of ``dissection_iou``: IoU (K,) and threshold (K,) per unit, units ranked best first."""

    iou: Tensor
    threshold: Tensor
    best: Tensor


def dissection_iou(
    model: nn.Module,
    layer: LayerRef,
    images: Images,
    masks: Tensor | np.ndarray,
    quantile: float = 0.995,
) -> Dissection:
    """Network dissection (Bau et al. 2017): how well each unit of ``layer`` segments a concept.

    For unit k, the threshold T_k is the ``quantile`` of its activations over every position of
    every image; its map is upsampled bilinearly to the mask size and kept where it exceeds T_k, and
    IoU_k = |map AND mask| / |map OR mask| summed over the data set. A unit with a high IoU fires
    exactly where the concept is.
    images: (N, C, H, W); masks: (N, H, W) bool, the concept's pixels.
    """
    if not 0.0 < quantile < 1.0:
        raise ValueError(f"quantile must lie strictly between 0 and 1, got {quantile}")
    images = as_images(images, model, "images")
    masks = torch.as_tensor(masks, device=images.device).bool()
    if masks.shape != (images.shape[0], *images.shape[2:]):
        raise ValueError(f"masks must have shape (N, H, W) = {(images.shape[0], *images.shape[2:])}, "
                         f"got {tuple(masks.shape)}")
    (acts,) = feature_maps(model, images, layer).values()
    if acts.ndim != 4:
        raise ValueError(f"layer must output feature maps (N, K, H', W'), got shape {tuple(acts.shape)}")
    # The threshold comes from the activations at their own resolution, as in the paper; it is the
    # order statistic at the quantile's rank (kthvalue, unlike torch.quantile, has no size limit).
    per_unit = acts.transpose(0, 1).flatten(1)
    threshold = per_unit.kthvalue(math.ceil(quantile * per_unit.shape[1]), dim=1).values
    upsampled = F.interpolate(acts, size=masks.shape[-2:], mode="bilinear", align_corners=False)
    # A strict ">" keeps a ReLU unit that is zero on most positions (threshold 0) from firing everywhere.
    fired = upsampled > threshold[None, :, None, None]
    concept = masks[:, None]
    intersection = (fired & concept).sum(dim=(0, 2, 3))
    union = (fired | concept).sum(dim=(0, 2, 3))
    iou = intersection / union.clamp_min(1)
    return Dissection(iou=iou, threshold=threshold, best=iou.argsort(descending=True))
