"""Worked solutions to the exercises of chapter 10, What CNNs learn (for instructors).

Each ``exercise_<n>()`` has the written answer as its docstring and computes and asserts every number
that answer states. Networks are trained on small Fashion-MNIST subsets for one epoch (the answers
say so), so that each function runs in a few seconds on a CPU.
Run with ``.venv/bin/python book/solutions/10_inside_cnns.py``.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from functools import lru_cache

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from cnncourse import torch as ct
from cnncourse.data import load_fashion_mnist, make_shapes

SEEDS = (0, 1, 2)


def make_net(bias: bool = True) -> nn.Sequential:
    """The chapter's network (``bias=False`` drops every bias, for exercise 5)."""
    return nn.Sequential(OrderedDict(
        conv1=nn.Conv2d(1, 16, 5, padding=2, bias=bias), relu1=nn.ReLU(), pool1=nn.MaxPool2d(2),
        conv2=nn.Conv2d(16, 32, 3, padding=1, bias=bias), relu2=nn.ReLU(), pool2=nn.MaxPool2d(2),
        conv3=nn.Conv2d(32, 32, 3, padding=1, bias=bias), relu3=nn.ReLU(),
        flatten=nn.Flatten(), fc1=nn.Linear(32 * 7 * 7, 64, bias=bias), relu4=nn.ReLU(),
        fc2=nn.Linear(64, 10, bias=bias)))


def make_shapes_net() -> nn.Sequential:
    """The chapter's shapes network (global average pooling before the linear layer)."""
    return nn.Sequential(OrderedDict(
        conv1=nn.Conv2d(1, 8, 3, padding=1), relu1=nn.ReLU(), pool1=nn.MaxPool2d(2),
        conv2=nn.Conv2d(8, 16, 3, padding=1), relu2=nn.ReLU(),
        conv3=nn.Conv2d(16, 32, 3, padding=1), relu3=nn.ReLU(),
        gap=nn.AdaptiveAvgPool2d(1), flatten=nn.Flatten(), fc=nn.Linear(32, 3)))


@lru_cache(maxsize=1)
def fashion():
    return load_fashion_mnist()


@lru_cache(maxsize=None)
def trained_net(seed: int) -> nn.Module:
    """The chapter's network after one epoch on 3,000 training images (about 75% test accuracy)."""
    data = fashion()
    ct.seed_everything(seed)
    model = make_net()
    loader = ct.numpy_loader(data.x_train[:3000], data.y_train[:3000], batch_size=64, shuffle=True, seed=seed)
    ct.fit(model, loader, epochs=1, optimizer=torch.optim.Adam(model.parameters(), lr=2e-3), device="cpu",
           progress=False)
    return model.eval()


def exercise_1() -> None:
    """Start at the input with (size, jump, offset) = (1, 1, 0) and apply r' = r + (k - 1) j,
    j' = j s, o' = o - p j layer by layer (ReLUs change nothing):

    - conv1 (k 5, s 1, p 2): (1 + 4*1, 1*1, 0 - 2*1) = (5, 1, -2);
    - pool1 (k 2, s 2, p 0): (5 + 1*1, 1*2, -2 - 0) = (6, 2, -2);
    - conv2 (k 3, s 1, p 1): (6 + 2*2, 2*1, -2 - 1*2) = (10, 2, -4): conv2's answer;
    - pool2 (k 2, s 2, p 0): (10 + 1*2, 2*2, -4 - 0) = (12, 4, -4): pool2's answer.

    A conv2 unit sees a 10x10 window, neighbouring units 2 pixels apart; a pool2 unit 12x12, 4 apart.
    """
    model = make_net()
    assert ct.receptive_field_box(model, "conv2") == (10, 2, -4)
    assert ct.receptive_field_box(model, "pool2") == (12, 4, -4)


def exercise_2() -> None:
    """For S_c(x) = w_c . x + b_c the gradient is w_c at every point. Integrated gradients:
    IG_i = (x_i - x'_i) * integral_0^1 w_{c,i} da = (x_i - x'_i) w_{c,i}, and any quadrature rule whose
    weights sum to 1 (the trapezoid's do, for any number of steps) integrates a constant exactly.
    SmoothGrad averages |grad S_c(x + e_t)| = |w_c| over the noise draws: the average of n copies of
    |w_c| is |w_c|, whatever the noise. Checked on an nn.Linear over 2x4x4 inputs (2, 3 and 10 steps;
    noise 0 and 1).
    """
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(2 * 4 * 4, 3))
    x, baseline = torch.rand(5, 2, 4, 4), torch.rand(1, 2, 4, 4)
    w = model[1].weight.detach()[2].reshape(1, 2, 4, 4)
    for steps in (2, 3, 10):
        torch.testing.assert_close(ct.integrated_gradients(model, x, 2, baseline=baseline, steps=steps),
                                   (x - baseline) * w)
    for noise in (0.0, 1.0):
        torch.testing.assert_close(ct.smoothgrad(model, x, 2, samples=4, noise=noise), w.abs().amax(dim=1).expand(5, 4, 4))


def exercise_3() -> None:
    """Let A^k (H x W) be the layer's maps, followed by global average pooling and a linear layer:
    S_c = sum_k w_ck (1 / HW) sum_ij A^k_ij + b_c. Then dS_c / dA^k_ij = w_ck / HW at every position,
    so alpha_k^c = (1 / HW) sum_ij w_ck / HW = w_ck / HW, and
    ReLU(sum_k alpha_k^c A^k) = ReLU(sum_k w_ck A^k) / HW: the class activation map times the positive
    factor 1 / HW, which the rescaling to a maximum of 1 removes. Checked on the shapes network at
    conv3's ReLU for all three classes (the identity holds for any weights; a trained network is not needed).
    """
    torch.manual_seed(0)
    model = make_shapes_net().eval()
    x = torch.as_tensor(make_shapes(6, seed=3).images)
    with torch.no_grad():
        maps = model[:7](x)                                    # relu3's output, (6, 32, 14, 14)
    for c in range(3):
        cam = F.relu((model.fc.weight[c][None, :, None, None] * maps).sum(dim=1, keepdim=True)).detach()
        cam = F.interpolate(cam, size=(28, 28), mode="bilinear", align_corners=False)[:, 0]
        cam = cam / cam.amax(dim=(1, 2), keepdim=True).clamp_min(1e-12)
        torch.testing.assert_close(ct.grad_cam(model, x, c, layer="relu3"), cam)


def exercise_4() -> None:
    """With a black square, hiding background changes nothing (the background is already 0), so the
    map is exactly 0 wherever the square covered only background, and occlusion cannot reveal whether
    the network uses the garment's outline (the gap between trouser legs, the shape of a sleeve). A
    grey (0.5) square does change the background, and the map then puts a clear share of its absolute
    mass on background pixels (< 0.1). On 20 test images, 6x6 squares with stride 2, and the chapter's
    network trained for one epoch on 3,000 images (seed 0): the fraction of |map| on the background is
    about 0.3 for black (not 0: a square that covers part of the garment spreads its drop over the
    background pixels it also covers) and about 0.8 for grey, more than twice as much.
    """
    data = fashion()
    model = trained_net(0)
    x = torch.as_tensor(data.x_test[:20])
    background = x[:, 0] < 0.1
    fractions = []
    for baseline in (0.0, 0.5):
        drop = ct.occlusion(model, x, patch=6, stride=2, baseline=baseline).abs()
        fractions.append(((drop * background).sum() / drop.sum()).item())
    black, grey = fractions
    print(f"fraction of |occlusion map| on the background: black {black:.2f}, grey {grey:.2f}")
    assert black < 0.4 and grey > 0.6 and grey > 2 * black


def exercise_5() -> None:
    """A network of bias-free convolutions and linear layers, ReLUs and max pooling is positively
    homogeneous: each of these maps satisfies f(t z) = t f(z) for t > 0 (ReLU(t z) = t ReLU(z), the
    maximum of t z is t times the maximum), and so does their composition: S_c(t x) = t S_c(x).
    Differentiate both sides with respect to t at t = 1: by the chain rule the left side gives
    sum_i x_i dS_c/dx_i (x), the right side S_c(x). So input times gradient adds up exactly to the score
    (completeness with a zero baseline, as integrated gradients; for such a network the two are equal,
    since the gradient is the same all along the ray t x). A bias adds a term that does not scale with t,
    and the identity fails. Checked on the chapter's architecture without biases (random weights) to
    float32 round-off, and shown to fail by more than 1% with biases.
    """
    x = torch.as_tensor(fashion().x_test[:8])

    def input_times_gradient(model):
        xr = x.clone().requires_grad_(True)
        scores = model(xr)
        target = scores.argmax(dim=1)
        (grad,) = torch.autograd.grad(scores.gather(1, target[:, None]).sum(), xr)
        return (xr * grad).sum(dim=(1, 2, 3)).detach(), scores.gather(1, target[:, None])[:, 0].detach()

    torch.manual_seed(0)
    total, score = input_times_gradient(make_net(bias=False).eval())
    torch.testing.assert_close(total, score, rtol=1e-4, atol=1e-5)
    torch.manual_seed(0)
    model = make_net(bias=True).eval()
    with torch.no_grad():
        for module in model.modules():
            if getattr(module, "bias", None) is not None:
                module.bias.uniform_(-0.1, 0.1)
    total, score = input_times_gradient(model)
    assert ((total - score).abs() / score.abs()).max() > 0.01


def exercise_6() -> None:
    """Independent randomisation re-initialises one layer at a time, the others keeping their trained
    weights. Measured with the Spearman correlation of |map| on 16 test images, three networks trained
    for one epoch on 3,000 images (seeds 0-2): the gradient's map changes whichever layer is
    randomised (correlation below 0.6 for every layer), because the gradient is a product of every
    layer's Jacobian (about 0.5 for fc2, 0.3-0.4 for the others). Guided backpropagation barely
    notices fc2 or fc1 (about 0.84) and changes most when conv2 or conv1 is randomised (0.6 and 0.5):
    it depends mostly on the first layers, which is why it looks like an edge map of the image. (The plot: one line per method, correlation against the
    randomised layer, mean and spread over the 3 seeds.)
    """
    import copy

    x = torch.as_tensor(fashion().x_test[:16])
    layers = ["fc2", "fc1", "conv3", "conv2", "conv1"]
    methods = {"gradient": ct.saliency, "guided backprop": ct.guided_backprop}
    rho = {name: [] for name in methods}
    for seed in SEEDS:
        model = trained_net(seed)
        target = model(x).argmax(dim=1)
        for name, method in methods.items():
            reference = ct.heatmap(method(model, x, target))
            row = []
            for i, layer in enumerate(layers):
                randomized = copy.deepcopy(model)
                torch.manual_seed(100 * seed + i)
                randomized.get_submodule(layer).reset_parameters()
                row.append(np.nanmean(ct.spearman(reference, ct.heatmap(method(randomized, x, target))).numpy()))
            rho[name].append(row)
    rho = {name: np.array(v) for name, v in rho.items()}
    for name, v in rho.items():
        print(name, dict(zip(layers, v.mean(axis=0).round(2))))
    assert (rho["gradient"].mean(axis=0) < 0.6).all()
    guided = rho["guided backprop"].mean(axis=0)
    assert guided[0] > 0.75 and guided[-1] < guided[0] - 0.2


def exercise_7() -> None:
    """The threshold T_k is the q-quantile of a unit's activations, so a unit "fires" on about 1 - q of
    the positions; the IoU with a concept can only be high if that fraction is close to the fraction of
    pixels the concept covers. Shapes cover about 0.19 of each image (make_shapes' radii). Quantile 0.7
    lets a unit fire on 30% of the image, more than any shape, so the union grows; 0.95 keeps only 5%, the
    intersection shrinks. The best "any shape" IoU (three shapes networks, each trained for 8 epochs on
    400 images) is highest at quantile 0.8, where 1 - q = 0.2 matches the coverage: about 0.67, 0.79,
    0.51 and 0.24 for 0.7, 0.8, 0.9 and 0.95 (spreads 0.06 or less; the code prints the table).
    """
    train, test = make_shapes(400, seed=0), make_shapes(150, seed=1)
    x, masks = torch.as_tensor(test.images), torch.as_tensor(test.masks)
    coverage = masks.float().mean().item()
    quantiles = (0.7, 0.8, 0.9, 0.95)
    best = []
    for seed in SEEDS:
        ct.seed_everything(seed)
        model = make_shapes_net()
        loader = ct.numpy_loader(train.images, train.labels, batch_size=32, shuffle=True, seed=seed)
        ct.fit(model, loader, epochs=8, optimizer=torch.optim.Adam(model.parameters(), lr=3e-3), device="cpu",
               progress=False)
        best.append([ct.dissection_iou(model.eval(), "relu3", x, masks, quantile=q).iou.max().item() for q in quantiles])
    best = np.array(best)
    print(f"shapes cover {coverage:.2f} of the pixels")
    for q, v in zip(quantiles, best.T):
        print(f"quantile {q}: best any-shape IoU {v.mean():.2f} +- {v.std():.2f}")
    assert abs(coverage - 0.19) < 0.03
    mean = best.mean(axis=0)
    assert mean.argmax() == 1 and mean[3] < mean[2] < mean[1]


if __name__ == "__main__":
    for name, func in sorted(globals().items()):
        if name.startswith("exercise_"):
            start = time.process_time()
            func()
            print(name, f"ok ({time.process_time() - start:.1f} s CPU)")
