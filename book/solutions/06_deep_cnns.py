"""Worked solutions to the exercises of chapter 6 (deep CNNs: AlexNet and VGG), for instructors.

Each ``exercise_<n>()`` has the written answer as its docstring and computes and asserts its numbers.
"""

import numpy as np
import torch
from torch import nn

from cnncourse import torch as ct
from cnncourse.data import load_fashion_mnist
from cnncourse.torch.models import alexnet, to_fully_convolutional, vgg, vgg_small


def exercise_1():
    """AlexNet's conv2: H_out = (27 + 2*2 - 5)/1 + 1 = 27, so the output is 192 x 27 x 27.
    Parameters K (C_in k^2 + 1) = 192 (64 * 25 + 1) = 307,392.
    MACs K H_out W_out C_in k^2 = 192 * 27 * 27 * 64 * 25 = 223,948,800 per image.
    ``ct.summarize(alexnet(), (3, 224, 224))["features.3"]`` reports the same three numbers.
    """
    out = (27 + 2 * 2 - 5) // 1 + 1
    params, macs = 192 * (64 * 25 + 1), 192 * out * out * 64 * 25
    assert (out, params, macs) == (27, 307_392, 223_948_800)
    with torch.device("meta"):
        row = ct.summarize(alexnet(), (3, 224, 224))["features.3"]
    assert row.output_shape == (192, 27, 27) and row.parameters == params and row.macs == macs


def exercise_2():
    """Induction on n. One 3x3 layer (stride 1) sees 3 = 2*1 + 1 pixels in each direction. If n layers see
    2n + 1, a unit of layer n + 1 reads 3 neighbouring units of layer n, whose windows are shifted by one
    pixel each, so together they span (2n + 1) + 2 = 2(n + 1) + 1 pixels.
    The stack has 9nC^2 weights, the single layer (2n + 1)^2 C^2. The ratio 9n / (2n + 1)^2 is below 1/2
    when 4n^2 - 14n + 1 > 0, i.e. n > (14 + sqrt(180)) / 8 = 3.43: the smallest n is 4 (36/81 = 0.44;
    n = 3 gives 27/49 = 0.55).
    """
    ratios = {n: 9 * n / (2 * n + 1) ** 2 for n in range(1, 8)}
    assert min(n for n, r in ratios.items() if r < 0.5) == 4
    assert abs(ratios[3] - 27 / 49) < 1e-12 and abs(ratios[4] - 36 / 81) < 1e-12
    for n in (1, 2, 3, 4):  # the reach, measured by a gradient
        stack = nn.Sequential(*[nn.Conv2d(1, 1, 3, padding=1, bias=False) for _ in range(n)])
        for conv in stack:
            nn.init.constant_(conv.weight, 1.0)
        x = torch.zeros(1, 1, 21, 21, requires_grad=True)
        stack(x)[0, 0, 10, 10].backward()
        assert int((x.grad[0, 0, 10] != 0).sum()) == 2 * n + 1


def exercise_3():
    """A layer with K filters of k x k over C_in channels in g groups has K (C_in / g k^2 + 1) parameters.
    conv2 (256 filters 5x5 over 96): 614,656 in one group, 307,456 in two.
    conv4 (384 filters 3x3 over 384): 1,327,488 in one group, 663,936 in two.
    conv5 (256 filters 3x3 over 384): 884,992 in one group, 442,624 in two.
    The split removes 1,413,120 of 2,827,136 weights and biases of these layers: 49.98% (only the biases
    are not halved).
    """
    def params(k_out, c_in, k, groups):
        return k_out * (c_in // groups * k * k + 1)

    layers = [(256, 96, 5), (384, 384, 3), (256, 384, 3)]
    one = [params(*layer, 1) for layer in layers]
    two = [params(*layer, 2) for layer in layers]
    assert one == [614_656, 1_327_488, 884_992] and two == [307_456, 663_936, 442_624]
    for (k_out, c_in, k), count in zip(layers, two):
        assert ct.count_parameters(nn.Conv2d(c_in, k_out, k, groups=2)) == count
    removed = (sum(one) - sum(two)) / sum(one)
    assert sum(one) - sum(two) == 1_413_120 and abs(removed - 0.4998) < 1e-4


def exercise_4():
    """VGG-16 at 224x224: the layers with the most multiply-adds are the 3x3 convolutions that keep the
    channel count at full resolution of their stage: features.2 (64 -> 64 on 224x224) and the convolutions
    of the later stages tie at 1,849,688,064 MACs; summarize lists features.2 first. The layer with the most
    parameters is classifier.0 (25,088 -> 4,096): 102,764,544. The fully connected layers hold
    123,642,856 of 138,357,544 parameters: 89.4%.
    """
    with torch.device("meta"):
        s = ct.summarize(vgg("D"), (3, 224, 224))
    most_macs = max(s.rows, key=lambda r: r.macs)
    most_params = max(s.rows, key=lambda r: r.parameters)
    assert most_macs.name == "features.2" and most_macs.macs == 64 * 224 * 224 * 64 * 9 == 1_849_688_064
    assert most_params.name == "classifier.0" and most_params.parameters == 102_764_544
    fc = sum(r.parameters for r in s.rows if r.kind == "Linear")
    assert fc == 123_642_856 and round(fc / s.total_parameters, 3) == 0.894


def exercise_5():
    """With a lower threshold the comparison measures later training, where saturated tanh units matter
    more; with a larger learning rate pre-activations grow and tanh saturates sooner. Both push the ratio
    tanh / ReLU upwards, but for LeNet-5 on Fashion-MNIST it stays far below the paper's six: the network is
    shallow and Xavier initialisation keeps tanh near its linear range. (The solution runs a small version:
    2,000 images, 100 SGD steps of 32 images, threshold 40% at learning rate 0.05; both activations reach
    it, and the ratio stays below 3.)
    """
    fashion = load_fashion_mnist()
    x, y = fashion.x_train[:2000], fashion.y_train[:2000]
    epochs = {}
    for act in ("relu", "tanh"):
        epochs[act] = []
        for seed in (0, 1, 2):
            torch.manual_seed(seed)
            net = ct.models.lenet5(input_size=28, activation=act, pooling="max")
            curve = ct.training_curve(net, x, y, 100, batch_size=32, lr=0.05, seed=seed, optimizer="sgd", device="cpu")
            epochs[act].append(curve.epochs_to(0.40, window=20))
    ratio = np.array(epochs["tanh"]) / np.array(epochs["relu"])
    assert np.isfinite(ratio).all() and ratio.mean() < 3


def exercise_6():
    """On the chapter's tiny budget batch normalisation lets VGG-A small learn within one pass at Adam's
    learning rate; without it the network learns more slowly. The solution's version (300 training images,
    300 test images, one epoch, 3 seeds) reports both means with standard deviations; the difference counts
    only if it exceeds the two spreads together.
    """
    nets = {"with BN": lambda c, s, k: vgg_small("A", num_classes=k, in_channels=c, width=16),
            "without BN": lambda c, s, k: vgg_small("A", num_classes=k, in_channels=c, width=16, batch_norm=False)}
    table = ct.compare_architectures(nets, train_size=300, test_size=300, epochs=1, batch_size=32, device="cpu")
    assert table["with BN"].parameters > table["without BN"].parameters  # BN adds a scale and shift per channel
    assert all(len(r.test_accuracy) == 3 for r in table.results)
    assert "without BN" in table.to_markdown()


def exercise_7():
    """A 56x56 image holds four 28x28 garments. The fully convolutional VGG (total stride 32, pools rounding
    up: 56 -> 28 -> 14 -> 7 -> 4 -> 2) returns a 10 x 2 x 2 score map: one window per quadrant. The
    predicted class of each window is the argmax over its 10 scores; with a network trained briefly some
    windows may be wrong, since the windows do not sit exactly on the quadrants' garments.
    """
    fashion = load_fashion_mnist()
    table = ct.compare_architectures({"vgg": lambda c, s, k: vgg_small("A", num_classes=k, in_channels=c, width=16)},
                                     seeds=(0,), train_size=1000, test_size=200, epochs=1, batch_size=32, device="cpu")
    dense = to_fully_convolutional(table["vgg"].models[0].cpu().eval())
    canvas = np.zeros((56, 56), dtype=np.float32)
    for i, (r, c) in enumerate([(0, 0), (0, 28), (28, 0), (28, 28)]):
        canvas[r : r + 28, c : c + 28] = fashion.x_test[i, 0]
    with torch.no_grad():
        scores = dense(torch.tensor(canvas)[None, None])[0]
    assert scores.shape == (10, 2, 2)
    predicted = scores.argmax(0).flatten().tolist()
    assert len(predicted) == 4 and all(0 <= p < 10 for p in predicted)


if __name__ == "__main__":
    for name, func in sorted(globals().items()):
        if name.startswith("exercise_"):
            func()
            print(name, "ok")
