"""Hidden tests for question 6: LeNet-5's layers checked one by one, and VGG-16."""

import copy

from autograder.testing import changed_arguments


def reference_count(layers):
    total = 0
    for layer in layers:
        bias = 1 if layer.get("bias", True) else 0
        if layer["type"] == "conv2d":
            k = layer["kernel_size"]
            kh, kw = (k, k) if isinstance(k, int) else k
            total += layer["out_channels"] * (layer["in_channels"] * kh * kw + bias)
        elif layer["type"] == "linear":
            total += layer["out_features"] * (layer["in_features"] + bias)
    return total


def vgg16():
    layers, channels = [], 3
    for width, repeat in [(64, 2), (128, 2), (256, 3), (512, 3), (512, 3)]:
        for _ in range(repeat):
            layers += [{"type": "conv2d", "in_channels": channels, "out_channels": width, "kernel_size": 3},
                       {"type": "relu"}]
            channels = width
        layers.append({"type": "max_pool2d", "kernel_size": 2})
    layers.append({"type": "flatten"})
    for n_in, n_out in [(512 * 7 * 7, 4096), (4096, 4096), (4096, 1000)]:
        layers += [{"type": "linear", "in_features": n_in, "out_features": n_out}, {"type": "relu"}]
    return layers[:-1]


def test_vgg16(student):
    """VGG-16 has 138,357,544 parameters."""
    layers = vgg16()
    assert reference_count(layers) == 138_357_544
    got = int(student.count_params(layers))
    assert got == 138_357_544, f"VGG-16 has 138,357,544 parameters, got {got:,}"


def test_lenet5_layer_by_layer(student):
    """lenet5_layers() has two convs (156, 2,416) and three linears (48,120, 10,164, 850) in order."""
    layers = student.lenet5_layers()
    counts = [reference_count([layer]) for layer in layers if layer["type"] in ("conv2d", "linear")]
    assert counts == [156, 2416, 48120, 10164, 850], f"per-layer parameter counts {counts}"
    first_linear = next(layer for layer in layers if layer["type"] == "linear")
    assert first_linear["in_features"] == 400, "after the second pooling the features are 16 x 5 x 5 = 400"


def test_mixed_bias_flags(student):
    """A network mixing layers with and without bias."""
    layers = [{"type": "conv2d", "in_channels": 4, "out_channels": 4, "kernel_size": 1, "bias": False},
              {"type": "conv2d", "in_channels": 4, "out_channels": 2, "kernel_size": [2, 1]},
              {"type": "linear", "in_features": 10, "out_features": 3, "bias": False}]
    got = int(student.count_params(layers))
    assert got == reference_count(layers) == 16 + 18 + 30, f"expected 16 + 18 + 30 = 64, got {got}"


def test_layers_are_left_unchanged(student):
    """count_params leaves the list of layers and each layer's dict unchanged."""
    layers = [{"type": "conv2d", "in_channels": 2, "out_channels": 3, "kernel_size": 3, "bias": False},
              {"type": "relu"}, {"type": "flatten"}, {"type": "linear", "in_features": 12, "out_features": 2}]
    called = student.count_params.returning_args(layers=copy.deepcopy(layers))
    assert int(called.result) == reference_count(layers), "the count is wrong for a conv without bias and a linear"
    changed = changed_arguments(called, layers=layers)
    assert changed == [], "count_params changed the layers it was given (for example with layer.pop): read them only"
