"""A per-layer summary of a network: output shape, parameters and multiply-adds of every layer.

The multiply-adds come from PyTorch's own ``torch.utils.flop_counter.FlopCounterMode``, which counts the
floating-point operations of convolutions and matrix products as 2 per multiply-add (one multiply, one
add); we report multiply-adds (MACs), half its count. Only those operations are counted: bias additions,
activations, pooling and normalisation are left out, as in the papers' figures. A convolution producing
a ``C_out x H_out x W_out`` map from ``C_in / groups`` channels with a ``k x k`` kernel costs
``C_out H_out W_out (C_in / groups) k^2`` MACs per image.

A model built on the ``meta`` device (``with torch.device("meta"): net = vgg("E")``) is summarised without
allocating its weights or computing anything, so even VGG-19 costs nothing to count.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

__all__ = ["LayerSummary", "ModelSummary", "summarize", "count_macs"]


@dataclass(frozen=True)
class LayerSummary:
    """One row: a module's dotted name, its class, its output shape without the batch axis, its
    parameters (including those of its children) and its multiply-adds per image."""

    name: str
    kind: str
    output_shape: tuple[int, ...]
    parameters: int
    macs: int


@dataclass(frozen=True)
class ModelSummary:
    """The rows of :func:`summarize` and the model's totals (the totals are the model's own, so they
    include parameters of modules that no row shows)."""

    input_shape: tuple[int, ...]
    rows: tuple[LayerSummary, ...]
    total_parameters: int
    total_macs: int

    def __getitem__(self, name: str) -> LayerSummary:
        for row in self.rows:
            if row.name == name:
                return row
        raise KeyError(f"no layer named {name!r}; layers: {', '.join(r.name for r in self.rows)}")

    def to_markdown(self) -> str:
        """The summary as a Markdown table with a total line (parameters and MACs with thousands separators)."""
        lines = [
            "| layer | type | output shape | parameters | multiply-adds |",
            "| --- | --- | --- | ---: | ---: |",
        ]
        for r in self.rows:
            shape = " x ".join(map(str, r.output_shape))
            lines.append(f"| {r.name} | {r.kind} | {shape} | {r.parameters:,} | {r.macs:,} |")
        lines.append(f"| **total** | | | **{self.total_parameters:,}** | **{self.total_macs:,}** |")
        return "\n".join(lines)

    def _repr_markdown_(self) -> str:
        return self.to_markdown()

    def __str__(self) -> str:
        width = max([len(r.name) for r in self.rows] + [5])
        lines = [f"{'layer':{width}}  {'type':18}  {'output shape':16}  {'parameters':>12}  {'multiply-adds':>15}"]
        for r in self.rows:
            shape = "x".join(map(str, r.output_shape))
            lines.append(f"{r.name:{width}}  {r.kind:18}  {shape:16}  {r.parameters:12,}  {r.macs:15,}")
        lines.append(f"{'total':{width}}  {'':18}  {'':16}  {self.total_parameters:12,}  {self.total_macs:15,}")
        return "\n".join(lines)


def _example_input(model: nn.Module, input_shape: Sequence[int] | torch.Tensor) -> torch.Tensor:
    if isinstance(input_shape, torch.Tensor):
        return input_shape
    shape = tuple(input_shape)
    if not all(isinstance(s, int) and s > 0 for s in shape) or len(shape) not in (3, 4):
        raise ValueError(f"input_shape must be (C, H, W) or (N, C, H, W) of positive integers, got {input_shape!r}")
    if len(shape) == 3:
        shape = (1, *shape)
    param = next(model.parameters(), None)
    device = param.device if param is not None else torch.device("cpu")
    dtype = param.dtype if param is not None and param.is_floating_point() else torch.float32
    return torch.zeros(shape, device=device, dtype=dtype)


def _rows_at_depth(model: nn.Module, depth: int | None) -> list[tuple[str, nn.Module]]:
    """Modules to report: the leaves (``depth=None``) or those ``depth`` levels below the model
    (leaves shallower than that are kept, so every layer appears once)."""
    chosen = []
    for name, module in model.named_modules():
        if not name:
            continue
        level = name.count(".") + 1
        is_leaf = next(module.children(), None) is None
        if (depth is None and is_leaf) or (depth is not None and (level == depth or (level < depth and is_leaf))):
            chosen.append((name, module))
    return chosen


@torch.no_grad()
def summarize(
    model: nn.Module, input_shape: Sequence[int] | torch.Tensor, depth: int | None = None
) -> ModelSummary:
    """Output shape, parameters and multiply-adds of each layer of ``model`` on one input.

    ``input_shape``: ``(C, H, W)`` (a batch of one zero image is made on the model's device) or
    ``(N, C, H, W)`` or an example tensor; MACs are per image. ``depth=None`` lists the leaf modules
    (convolutions, activations, pools, ...); ``depth=1`` lists the model's direct children (for a ResNet
    its stages), ``depth=2`` one level further. Only modules the forward pass calls are listed. The model
    runs in eval mode (dropout off) and is put back in the mode it was in.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if depth is not None and (not isinstance(depth, int) or depth < 1):
        raise ValueError(f"depth must be None (leaf modules) or a positive integer, got {depth!r}")
    x = _example_input(model, input_shape)
    modules = _rows_at_depth(model, depth)
    shapes: dict[str, tuple[int, ...]] = {}

    def record(name: str):
        def hook(module, inputs, output):
            out = output[0] if isinstance(output, (tuple, list)) else output
            shapes[name] = tuple(out.shape[1:])
        return hook

    handles = [m.register_forward_hook(record(n)) for n, m in modules]
    was_training = model.training
    model.eval()
    try:
        with FlopCounterMode(display=False) as counter:
            model(x)
    finally:
        for h in handles:
            h.remove()
        model.train(was_training)
    flops = counter.get_flop_counts()
    root = type(model).__name__
    batch = x.shape[0]
    rows = tuple(
        LayerSummary(
            name=name,
            kind=type(module).__name__,
            output_shape=shapes[name],
            parameters=sum(p.numel() for p in module.parameters()),
            macs=sum(flops.get(f"{root}.{name}", {}).values()) // (2 * batch),
        )
        for name, module in modules
        if name in shapes
    )
    total_macs = counter.get_total_flops() // (2 * batch)
    return ModelSummary(tuple(x.shape[1:]), rows, sum(p.numel() for p in model.parameters()), total_macs)


def count_macs(model: nn.Module, input_shape: Sequence[int] | torch.Tensor) -> int:
    """Multiply-adds of convolutions and matrix products for one image of ``input_shape`` ``(C, H, W)``."""
    return summarize(model, input_shape, depth=1).total_macs
