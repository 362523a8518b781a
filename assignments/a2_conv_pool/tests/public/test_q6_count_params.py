"""Public tests for question 6: counting parameters."""


def count(student, layers):
    result = student.count_params(layers)
    assert float(result) == int(result), f"count_params should return an integer, got {result!r}"
    return int(result)


def test_single_conv(student):
    """LeNet-5's first conv (1 -> 6 channels, 5x5) has 6 * 25 + 6 = 156 parameters."""
    got = count(student, [{"type": "conv2d", "in_channels": 1, "out_channels": 6, "kernel_size": 5}])
    assert got != 150, "150 is the weights only: add one bias per output channel"
    assert got == 156, f"expected 6 * (1 * 5 * 5) + 6 = 156, got {got}"


def test_single_linear(student):
    """A linear layer 84 -> 10 has 84 * 10 + 10 = 850 parameters."""
    got = count(student, [{"type": "linear", "in_features": 84, "out_features": 10}])
    assert got == 850, f"expected 84 * 10 + 10 = 850, got {got}"


def test_layers_without_parameters(student):
    """Pooling, activations and flattening have no parameters."""
    layers = [{"type": "max_pool2d", "kernel_size": 2}, {"type": "relu"}, {"type": "tanh"}, {"type": "flatten"}]
    assert count(student, layers) == 0, "max_pool2d, relu, tanh and flatten learn nothing"


def test_conv_without_bias_and_rectangular_kernel(student):
    """A 3 -> 8 conv with a [3, 5] kernel and bias False has 8 * 3 * 15 = 360 parameters."""
    layer = {"type": "conv2d", "in_channels": 3, "out_channels": 8, "kernel_size": [3, 5], "bias": False}
    got = count(student, [layer])
    assert got == 360, f"expected 8 * 3 * 3 * 5 = 360 (no bias), got {got}"


def test_lenet5_total(student):
    """lenet5_layers() has 61,706 parameters in total."""
    got = count(student, student.lenet5_layers())
    assert got == 61706, f"LeNet-5 has 61,706 parameters, your layers give {got:,}"
