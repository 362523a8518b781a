"""Worked solutions to the exercises of chapter 7 (very deep networks), for instructors.

Each ``exercise_<n>()`` has the written answer as its docstring and computes and asserts its numbers.
"""

import numpy as np
import torch
from torch import nn

from cnncourse import torch as ct
from cnncourse.data import load_fashion_mnist
from cnncourse.torch.models import DenseLayer, SqueezeExcitation, resnet_cifar


def exercise_1():
    """With the reduction: 1x1 192 -> 96 has 192 * 96 + 96 = 18,528 parameters, the 3x3 96 -> 128 has
    96 * 128 * 9 + 128 = 110,720: 129,248 in all; multiply-adds 28 * 28 * (192 * 96 + 96 * 128 * 9) =
    101,154,816. Without: a 3x3 192 -> 128 has 192 * 128 * 9 + 128 = 221,312 parameters and
    28 * 28 * 192 * 128 * 9 = 173,408,256 multiply-adds. The reduction keeps 58.4% of the parameters and
    58.3% of the multiply-adds (the 5x5 branch gains far more, tenfold, because 16 << 192).
    """
    reduced = nn.Sequential(nn.Conv2d(192, 96, 1), nn.Conv2d(96, 128, 3, padding=1))
    direct = nn.Sequential(nn.Conv2d(192, 128, 3, padding=1))
    r, d = ct.summarize(reduced, (192, 28, 28)), ct.summarize(direct, (192, 28, 28))
    assert (r.total_parameters, r.total_macs) == (129_248, 101_154_816)
    assert (d.total_parameters, d.total_macs) == (221_312, 173_408_256)
    assert round(r.total_parameters / d.total_parameters, 3) == 0.584
    assert round(r.total_macs / d.total_macs, 3) == 0.583


def exercise_2():
    """With J_1 = dF_1/dx_1 (at x_1) and J_2 = dF_2/dx_2 (at x_2):
    dx_3/dx_1 = dx_3/dx_2 * dx_2/dx_1 = (I + J_2)(I + J_1) = I + J_1 + J_2 + J_2 J_1.
    If both Jacobians are zero the identity I survives: the gradient passes both blocks unchanged. A plain
    stack x_3 = F_2(F_1(x_1)) has only the last term, J_2 J_1, which is zero then.
    """
    torch.manual_seed(0)
    f1, f2 = nn.Linear(4, 4), nn.Linear(4, 4)
    x1 = torch.randn(4)

    def residual(x):
        x2 = x + torch.tanh(f1(x))
        return x2 + torch.tanh(f2(x2))

    jac = torch.autograd.functional.jacobian(residual, x1)
    x2 = x1 + torch.tanh(f1(x1))
    j1 = torch.autograd.functional.jacobian(lambda x: torch.tanh(f1(x)), x1)
    j2 = torch.autograd.functional.jacobian(lambda x: torch.tanh(f2(x)), x2)
    eye = torch.eye(4)
    assert torch.allclose(jac, eye + j1 + j2 + j2 @ j1, atol=1e-6)
    for layer in (f1, f2):
        nn.init.zeros_(layer.weight)
    assert torch.allclose(torch.autograd.functional.jacobian(residual, x1), eye)


def exercise_3():
    """Per output position a depthwise k x k convolution costs C_in k^2 multiply-adds (one k x k filter per
    channel) and the pointwise 1x1 convolution C_in C_out; a standard convolution costs C_in C_out k^2. The
    ratio is (C_in k^2 + C_in C_out) / (C_in C_out k^2) = 1 / C_out + 1 / k^2. For C_out = 32 and k = 5:
    1/32 + 1/25 = 0.07125.
    """
    ratio = 1 / 32 + 1 / 25
    assert abs(ratio - 0.07125) < 1e-12
    sep = ct.count_macs(ct.models.DepthwiseSeparableConv(16, 32, 5), (16, 10, 10))
    std = ct.count_macs(nn.Sequential(nn.Conv2d(16, 32, 5, padding=2, bias=False)), (16, 10, 10))
    assert abs(sep / std - ratio) < 1e-12


def exercise_4():
    """Layer l (1..6) reads c_l = 64 + 32 (l - 1) channels: 64, 96, 128, 160, 192, 224 (sum 864). It has
    a batch norm (2 c_l), a 1x1 conv c_l -> 128 (128 c_l), a batch norm (2 * 128) and a 3x3 conv 128 -> 32
    (128 * 32 * 9 = 36,864), no biases. Total: 130 * 864 + 6 * (256 + 36,864) = 112,320 + 222,720 = 335,040,
    which the package's DenseLayers count too. The block outputs 64 + 6 * 32 = 256 channels.
    """
    reads = [64 + 32 * (l - 1) for l in range(1, 7)]
    by_hand = sum(130 * c for c in reads) + 6 * (2 * 128 + 128 * 32 * 9)
    layers = [DenseLayer(c, 32, bn_size=4) for c in reads]
    assert sum(reads) == 864 and by_hand == 335_040
    assert sum(ct.count_parameters(layer) for layer in layers) == by_hand
    x = torch.zeros(1, 64, 4, 4)
    for layer in layers:
        x = layer(x)
    assert x.shape[1] == 256


def exercise_5():
    """Between 8 and 20 layers the degradation is weaker than between 8 and 32: the two plain networks'
    final training losses lie closer, and on a budget of a few dozen steps the gap may fall inside the
    spread over 3 seeds; the residual networks again do not get worse with depth. (This solution runs a
    smaller version, 25 steps of 16 images at width 4, and reports the four means and spreads.)
    """
    fashion = load_fashion_mnist()
    x, y = fashion.x_train[:2000], fashion.y_train[:2000]
    final = {}
    for depth in (8, 20):
        for shortcut in ("none", "A"):
            losses = []
            for seed in (0, 1, 2):
                torch.manual_seed(seed)
                net = resnet_cifar(depth, in_channels=1, width=4, shortcut=shortcut)
                curve = ct.training_curve(net, x, y, 25, batch_size=16, lr=2e-3, seed=seed, device="cpu")
                losses.append(curve.loss[-10:].mean())
            final[shortcut, depth] = np.array(losses)
    assert all(np.isfinite(v).all() and v.shape == (3,) for v in final.values())
    assert final["A", 20].mean() < final["none", 20].mean() + final["none", 20].std(ddof=1) * 3


def exercise_6():
    """At initialisation on 64 Fashion-MNIST images (width 8, 56 layers), the largest/smallest ratio of
    layer gradient norms is in the hundreds or more for the plain network, and small (single digits) for
    both residual variants: projections where the shape changes (B) keep the identity paths elsewhere, so
    they behave like option A.
    """
    fashion = load_fashion_mnist()
    x, y = torch.tensor(fashion.x_train[:64]), torch.tensor(fashion.y_train[:64])
    spread = {}
    for shortcut in ("none", "A", "B"):
        ratios = []
        for seed in (0, 1, 2):
            torch.manual_seed(seed)
            norms = ct.weight_gradient_norms(resnet_cifar(56, in_channels=1, width=8, shortcut=shortcut), x, y)
            ratios.append(norms.max() / norms.min())
        spread[shortcut] = float(np.exp(np.log(ratios).mean()))
    assert spread["none"] > 100 and spread["A"] < 20 and spread["B"] < 20


def exercise_7():
    """SqueezeExcitation(64, 16) has two 1x1 convolutions, 64 -> 4 and 4 -> 64, with biases:
    2 * 64 * 4 + 4 + 64 = 580 parameters (2 C^2 / r + C / r + C), and on the 1x1 squeezed map
    64 * 4 + 4 * 64 = 512 multiply-adds, against about 31 million for the whole network.
    """
    base = resnet_cifar(20, in_channels=1)
    with_se = resnet_cifar(20, in_channels=1)
    with_se.layer3.add_module("se", SqueezeExcitation(64, 16))
    a, b = ct.summarize(base, (1, 28, 28)), ct.summarize(with_se, (1, 28, 28))
    assert b.total_parameters - a.total_parameters == 2 * 64 * 64 // 16 + 64 // 16 + 64 == 580
    assert b.total_macs - a.total_macs == 512 and round(a.total_macs / 1e6) == 31


if __name__ == "__main__":
    for name, func in sorted(globals().items()):
        if name.startswith("exercise_"):
            func()
            print(name, "ok")
