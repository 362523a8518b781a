"""Attribution beyond the plain gradient: SmoothGrad, integrated gradients, guided backpropagation
and the deconvnet rule.

Each method answers "which input pixels does the class score depend on?" in its own way; the
chapter on what CNNs learn compares them, and the sanity checks in ``cnncourse.torch.sanity``
test whether they depend on the trained weights at all. As in ``interpret``, every function
runs the model in evaluation mode and restores its mode, and never touches parameter gradients.

References: Smilkov et al. (2017), SmoothGrad; Sundararajan, Taly and Yan (2017), Axiomatic
attribution for deep networks; Springenberg et al. (2015), Striving for simplicity; Zeiler and
Fergus (2014), Visualizing and understanding convolutional networks.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch
from torch import Tensor, nn

from cnncourse.torch._common import Images, Target, as_images, class_indices, evaluating
from cnncourse.torch.interpret import saliency

__all__ = ["guided_backprop", "integrated_gradients", "smoothgrad"]

RULES = ("guided", "deconvnet")


def smoothgrad(
    model: nn.Module,
    x: Images,
    target: Target = None,
    samples: int = 25,
    noise: float = 0.15,
    seed: int = 0,
) -> Tensor:
    """SmoothGrad (Smilkov et al. 2017): vanilla saliency averaged over noisy copies of the image.

    Each copy is ``x + e`` with Gaussian ``e`` of standard deviation ``noise * (max(x) - min(x))``
    (per image); averaging ``samples`` saliency maps cancels the gradient's pixel-to-pixel jitter
    and keeps what is stable in a neighbourhood of the image. The target class is fixed on the
    clean image, so every copy explains the same class.
    x: (N, C, H, W); target: int, (N,) or None for the predicted class. Returns (N, H, W) >= 0.
    """
    if not isinstance(samples, int) or samples < 1:
        raise ValueError(f"samples must be a positive integer, got {samples!r}")
    if noise < 0:
        raise ValueError(f"noise must be non-negative (a fraction of the pixel range), got {noise}")
    x = as_images(x, model)
    with evaluating(model), torch.no_grad():
        target = class_indices(target, model(x))
    spread = (x.amax(dim=(1, 2, 3)) - x.amin(dim=(1, 2, 3)))[:, None, None, None]
    generator = torch.Generator().manual_seed(seed)
    total = torch.zeros(x.shape[0], *x.shape[2:], device=x.device)
    for _ in range(samples):
        e = torch.randn(x.shape, generator=generator).to(x.device)
        total += saliency(model, x + noise * spread * e, target)
    return total / samples


def integrated_gradients(
    model: nn.Module,
    x: Images,
    target: Target = None,
    baseline: float | Tensor = 0.0,
    steps: int = 32,
) -> Tensor:
    """Integrated gradients (Sundararajan et al. 2017), signed, one value per input element.

    IG_i = (x_i - x'_i) * integral over a in [0, 1] of dS/dx_i at x' + a (x - x'), for the class
    score S and a baseline image x' (black by default). The integral is approximated by the
    trapezoidal rule on ``steps`` equally spaced points (both ends included). By the fundamental
    theorem of calculus along the path, the attributions add up to S(x) - S(x') ("completeness"),
    up to the error of the rule, which shrinks as ``steps`` grows.
    x: (N, C, H, W); baseline: a number or a tensor broadcastable to x; target: int, (N,) or None
    for the predicted class. Returns (N, C, H, W).
    """
    if not isinstance(steps, int) or steps < 2:
        raise ValueError(f"steps must be an integer >= 2 (the trapezoidal rule needs both ends), got {steps!r}")
    x = as_images(x, model)
    baseline = torch.as_tensor(baseline, dtype=x.dtype, device=x.device)
    try:
        baseline = baseline.expand_as(x)
    except RuntimeError:
        raise ValueError(f"baseline must be a number or broadcast to x's shape {tuple(x.shape)}, "
                         f"got shape {tuple(baseline.shape)}") from None
    alphas = torch.linspace(0.0, 1.0, steps, device=x.device)
    weights = torch.full((steps,), 1.0 / (steps - 1), device=x.device)
    weights[[0, -1]] /= 2  # trapezoid: each end point counts half
    total = torch.zeros_like(x)
    with evaluating(model), torch.enable_grad():
        target = class_indices(target, model(x).detach())[:, None]
        for alpha, weight in zip(alphas, weights):
            point = (baseline + alpha * (x - baseline)).requires_grad_(True)
            (grad,) = torch.autograd.grad(model(point).gather(1, target).sum(), point)
            total += weight * grad
    return (x - baseline) * total


class _ReLURule(torch.autograd.Function):
    """ReLU forward; backward by the guided or the deconvnet rule instead of the chain rule.

    Chain rule: g * [x > 0]. Deconvnet: ReLU of the signal coming back, [g > 0] * g, whatever the
    forward input was. Guided backpropagation: both masks, [x > 0] * [g > 0] * g.
    """

    @staticmethod
    def forward(ctx, x: Tensor, guided: bool) -> Tensor:
        ctx.save_for_backward(x)
        ctx.guided = guided
        return x.clamp_min(0)

    @staticmethod
    def backward(ctx, grad: Tensor):
        (x,) = ctx.saved_tensors
        grad = grad.clamp_min(0)
        if ctx.guided:
            grad = grad * (x > 0)
        return grad, None


@contextlib.contextmanager
def _relu_rule(model: nn.Module, rule: str) -> Iterator[None]:
    """Inside the block, every ``nn.ReLU`` of ``model`` back-propagates by ``rule``.

    A forward hook replaces each ReLU's output by ``_ReLURule`` applied to its input, so the
    module's own backward (which would mask by [x > 0] again) is cut out of the graph. In-place
    ReLUs are made out-of-place for the block, since their input is overwritten by their output.
    ReLUs called as functions (``F.relu`` inside ``forward``) are not modules and keep the chain rule.
    """
    relus = [m for m in model.modules() if isinstance(m, nn.ReLU)]
    if not relus:
        raise ValueError("model has no nn.ReLU module: guided backprop and deconvnet rewrite ReLU modules' "
                         "backward pass (a ReLU called as F.relu cannot be reached)")
    in_place = [m.inplace for m in relus]
    handles = []
    try:
        for relu in relus:
            relu.inplace = False
            handles.append(relu.register_forward_hook(
                lambda module, inputs, output: _ReLURule.apply(inputs[0], rule == "guided")))
        yield
    finally:
        for handle in handles:
            handle.remove()
        for relu, flag in zip(relus, in_place):
            relu.inplace = flag


def guided_backprop(model: nn.Module, x: Images, target: Target = None, rule: str = "guided") -> Tensor:
    """Signed input "gradient" with the ReLUs' backward pass replaced (Springenberg et al. 2015).

    ``rule="guided"``: guided backpropagation, which passes back only positive signals through
    units that were active. ``rule="deconvnet"``: Zeiler and Fergus's deconvnet, which passes back
    the positive part of the signal whatever the forward pass did (max pooling still routes to
    the recorded argmax, the deconvnet's "switches"). Both are no longer gradients of the score;
    they tend to give crisp, edge-like pictures of the input.
    x: (N, C, H, W); target: int, (N,) or None for the predicted class. Returns (N, C, H, W).
    """
    if rule not in RULES:
        raise ValueError(f"rule must be one of {RULES}, got {rule!r}")
    # detach: as_images may return the caller's own tensor, whose requires_grad must stay as it was.
    x = as_images(x, model).detach().requires_grad_(True)
    with evaluating(model), torch.enable_grad(), _relu_rule(model, rule):
        scores = model(x)
        target = class_indices(target, scores)
        (grad,) = torch.autograd.grad(scores.gather(1, target[:, None]).sum(), x)
    return grad
