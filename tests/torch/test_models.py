"""The reference architectures: parameter counts and layouts against torchvision, outputs against
torchvision with the same weights, shapes of every model, dense evaluation of VGG, and bad input.

Full-size networks are built on the "meta" device, where tensors have shapes but no data: building
VGG-16 there takes no memory and no time, and a forward pass still runs every layer's shape logic.
"""

import re

import pytest
import torch
import torch.nn.functional as F
import torchvision.models as tvm
from torch import nn

from cnncourse.torch.models import (
    VGG,
    BasicBlock,
    Bottleneck,
    InceptionBlock,
    PadShortcut,
    alexnet,
    alexnet_small,
    count_parameters,
    densenet,
    googlenet_small,
    lenet5,
    make_activation,
    resnet,
    resnet_cifar,
    to_fully_convolutional,
    vgg,
    vgg_small,
)

META = torch.device("meta")


# (our constructor, torchvision's), each taking num_classes.
TORCHVISION_PAIRS = {
    "alexnet": (alexnet, tvm.alexnet),
    "vgg11": (lambda n: vgg("A", n), tvm.vgg11),
    "vgg13": (lambda n: vgg("B", n), tvm.vgg13),
    "vgg16": (lambda n: vgg("D", n), tvm.vgg16),
    "vgg19": (lambda n: vgg("E", n), tvm.vgg19),
    "vgg11_bn": (lambda n: vgg("A", n, batch_norm=True), tvm.vgg11_bn),
    "vgg13_bn": (lambda n: vgg("B", n, batch_norm=True), tvm.vgg13_bn),
    "vgg16_bn": (lambda n: vgg("D", n, batch_norm=True), tvm.vgg16_bn),
    "vgg19_bn": (lambda n: vgg("E", n, batch_norm=True), tvm.vgg19_bn),
    "resnet18": (lambda n: resnet(18, n), tvm.resnet18),
    "resnet34": (lambda n: resnet(34, n), tvm.resnet34),
    "resnet50": (lambda n: resnet(50, n), tvm.resnet50),
    "resnet101": (lambda n: resnet(101, n), tvm.resnet101),
    "resnet152": (lambda n: resnet(152, n), tvm.resnet152),
    "densenet121": (lambda n: densenet(121, n), tvm.densenet121),
    "densenet169": (lambda n: densenet(169, n), tvm.densenet169),
    "densenet201": (lambda n: densenet(201, n), tvm.densenet201),
}


def _shapes(model: nn.Module) -> dict[str, tuple[int, ...]]:
    return {name: tuple(t.shape) for name, t in model.state_dict().items()}


@pytest.mark.parametrize("name", TORCHVISION_PAIRS)
def test_parameters_and_layout_match_torchvision(name):
    ours, theirs = TORCHVISION_PAIRS[name]
    with META:
        model, reference = ours(1000), theirs(weights=None, num_classes=1000)
    assert count_parameters(model) == count_parameters(reference)
    # Same names and shapes, buffers included: torchvision's weights load into our models.
    assert _shapes(model) == _shapes(reference)


def test_parameter_counts_from_the_papers():
    with META:
        assert count_parameters(lenet5()) == 61_706
        assert count_parameters(alexnet()) == 61_100_840
        assert count_parameters(vgg("D")) == 138_357_544
        # LRN has no parameters; C is B plus three 1x1 convolutions (256->256, 512->512, 512->512).
        assert count_parameters(vgg("A-LRN")) == count_parameters(vgg("A"))
        one_by_one = (256 * 256 + 256) + 2 * (512 * 512 + 512)
        assert count_parameters(vgg("C")) == count_parameters(vgg("B")) + one_by_one


def test_lenet5_parameters_layer_by_layer():
    model = lenet5()
    per_layer = [(1 * 25 + 1) * 6, (6 * 25 + 1) * 16, (400 + 1) * 120, (120 + 1) * 84, (84 + 1) * 10]
    assert count_parameters(model) == sum(per_layer)
    model.c1.requires_grad_(False)
    assert count_parameters(model, trainable_only=True) == sum(per_layer) - per_layer[0]
    assert count_parameters(model) == sum(per_layer)


def _cifar_resnet_parameters(depth: int, num_classes: int) -> int:
    """Option A: 3x3 convolutions without bias, 2 batch-norm parameters per channel, free shortcuts."""
    n = (depth - 2) // 6
    total = 3 * 16 * 9 + 2 * 16
    in_channels = 16
    for channels in (16, 32, 64):
        for _ in range(n):
            total += 9 * in_channels * channels + 9 * channels * channels + 2 * 2 * channels
            in_channels = channels
    return total + 64 * num_classes + num_classes


@pytest.mark.parametrize("depth", [20, 32, 44, 56])
def test_resnet_cifar_parameters_and_shapes(depth):
    model = resnet_cifar(depth)
    assert count_parameters(model) == _cifar_resnet_parameters(depth, 10)
    assert len([m for m in model.modules() if isinstance(m, nn.Conv2d | nn.Linear)]) == depth
    assert model(torch.randn(2, 3, 32, 32)).shape == (2, 10)


def test_resnet20_counts():
    # The paper quotes 0.27 million parameters for ResNet-20; option B adds two projection shortcuts.
    assert round(count_parameters(resnet_cifar(20)) / 1e6, 2) == 0.27
    projections = (16 * 32 + 2 * 32) + (32 * 64 + 2 * 64)
    assert count_parameters(resnet_cifar(20, shortcut="B")) == count_parameters(resnet_cifar(20)) + projections


def test_option_a_shortcut_subsamples_and_pads_with_zeros():
    x = torch.randn(2, 16, 8, 8)
    out = PadShortcut(16, stride=2)(x)
    assert out.shape == (2, 32, 4, 4)
    torch.testing.assert_close(out[:, :16], x[:, :, ::2, ::2])
    assert torch.all(out[:, 16:] == 0)
    block = BasicBlock(16, 32, stride=2, shortcut="A")
    assert isinstance(block.downsample, PadShortcut)
    assert block(x).shape == (2, 32, 4, 4)


@pytest.fixture(scope="module")
def same_weights():
    """Our ResNet-18 and DenseNet-121 with the weights of torchvision's (random, seeded)."""
    torch.manual_seed(0)
    pairs = []
    for ours, theirs in [
        (resnet(18, 10), tvm.resnet18(num_classes=10)),
        (densenet(121, 10), tvm.densenet121(num_classes=10)),
    ]:
        ours.load_state_dict(theirs.state_dict())
        pairs.append((ours.eval(), theirs.eval()))
    return pairs


def test_outputs_match_torchvision_with_the_same_weights(same_weights):
    x = torch.randn(2, 3, 32, 32, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        for ours, theirs in same_weights:
            torch.testing.assert_close(ours(x), theirs(x))


def test_bottleneck_matches_torchvision():
    # ResNet-50/101/152 are stacks of this block: check it once, in training mode (batch statistics).
    torch.manual_seed(0)
    ours = Bottleneck(64, 32, stride=2)
    downsample = nn.Sequential(nn.Conv2d(64, 128, 1, stride=2, bias=False), nn.BatchNorm2d(128))
    theirs = tvm.resnet.Bottleneck(64, 32, stride=2, downsample=downsample)
    ours.load_state_dict(theirs.state_dict())
    x = torch.randn(4, 64, 8, 8)
    torch.testing.assert_close(ours(x), theirs(x))


@pytest.mark.parametrize("config", ["A", "A-LRN", "B", "C", "D", "E"])
@pytest.mark.parametrize("batch_norm", [False, True])
def test_vgg_output_shape(config, batch_norm):
    with META:
        model = vgg(config, num_classes=10, batch_norm=batch_norm)
        assert model(torch.empty(2, 3, 224, 224)).shape == (2, 10)
    weight_layers = [m for m in model.modules() if isinstance(m, nn.Conv2d | nn.Linear)]
    assert len(weight_layers) == {"A": 11, "A-LRN": 11, "B": 13, "C": 16, "D": 16, "E": 19}[config]
    assert any(isinstance(m, nn.LocalResponseNorm) for m in model.features) == (config == "A-LRN")


@pytest.mark.parametrize("depth", [18, 50, 152])
def test_resnet_output_shape(depth):
    # One network per block type and the deepest; the other depths differ only in block counts, which
    # the layout test checks. AlexNet and DenseNet-121 run in test_minimum_input_size.
    with META:
        assert resnet(depth, num_classes=10).eval()(torch.empty(2, 3, 64, 64)).shape == (2, 10)


@pytest.mark.parametrize(
    "build, in_channels",
    [
        pytest.param(lambda: lenet5(), 1, id="lenet5"),
        pytest.param(lambda: lenet5(activation="relu"), 1, id="lenet5-relu"),
        pytest.param(lambda: alexnet_small(), 3, id="alexnet_small"),
        pytest.param(lambda: googlenet_small(), 3, id="googlenet_small"),
        *[pytest.param(lambda c=c: vgg_small(c), 3, id=f"vgg_small-{c}") for c in ("A", "A-LRN", "B", "C", "D", "E")],
        pytest.param(lambda: vgg_small("A", batch_norm=False, activation="gelu"), 3, id="vgg_small-gelu"),
        pytest.param(lambda: resnet_cifar(20, activation="prelu"), 3, id="resnet_cifar-prelu"),
    ],
)
def test_small_models_train_on_32x32(build, in_channels):
    torch.manual_seed(0)
    model = build()
    scores = model(torch.randn(2, in_channels, 32, 32))
    assert scores.shape == (2, 10)
    F.cross_entropy(scores, torch.tensor([1, 7])).backward()
    # Every layer takes part in the output: no parameter is left without a gradient.
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in model.parameters())


def test_inception_block():
    block = InceptionBlock(192, 64, 96, 128, 16, 32, 32)
    assert block(torch.randn(2, 192, 8, 8)).shape == (2, 64 + 128 + 32 + 32, 8, 8)

    def conv(c_in, c_out, k):
        return c_in * c_out * k * k + c_out

    branch1 = conv(192, 64, 1)
    branch2 = conv(192, 96, 1) + conv(96, 128, 3)
    branch3 = conv(192, 16, 1) + conv(16, 32, 5)
    branch4 = conv(192, 32, 1)
    assert count_parameters(block) == branch1 + branch2 + branch3 + branch4


@pytest.mark.parametrize(
    "name, function",
    [
        ("relu", torch.relu),
        ("prelu", lambda x: torch.where(x > 0, x, 0.25 * x)),  # PReLU's slope starts at 0.25
        ("swish", lambda x: x * torch.sigmoid(x)),
        ("silu", lambda x: x * torch.sigmoid(x)),
        ("gelu", lambda x: 0.5 * x * (1 + torch.erf(x / 2**0.5))),
        ("elu", lambda x: torch.where(x > 0, x, torch.expm1(x))),
        ("tanh", torch.tanh),
        ("sigmoid", torch.sigmoid),
        ("ReLU", torch.relu),
    ],
)
def test_make_activation(name, function):
    x = torch.linspace(-3, 3, 13, dtype=torch.float64)
    torch.testing.assert_close(make_activation(name).double()(x), function(x))


def test_activation_argument_reaches_every_layer():
    model = resnet_cifar(20, activation="prelu")
    prelus = [m for m in model.modules() if isinstance(m, nn.PReLU)]
    assert len(prelus) == 1 + 2 * 9  # the stem, then two per block
    assert len({id(p.weight) for p in prelus}) == len(prelus)  # each layer learns its own slope
    assert not any(isinstance(m, nn.ReLU) for m in model.modules())
    assert any(isinstance(m, nn.ReLU) for m in lenet5(activation="relu").modules())
    assert not any(isinstance(m, nn.Tanh) for m in lenet5(activation="relu").modules())


def test_fully_convolutional_vgg_gives_the_same_scores_at_224():
    # Configuration A with the paper's geometry (224x224 input, C x 7 x 7 features, three linear layers)
    # but a quarter of its channels, so the test runs in a fraction of a second.
    torch.manual_seed(0)
    model = VGG("A", num_classes=10, width=16, hidden=256).eval()
    dense = to_fully_convolutional(model)
    assert dense.head[0].kernel_size == (7, 7)
    assert not any(isinstance(m, nn.Linear | nn.AdaptiveAvgPool2d) for m in dense.modules())
    x = torch.randn(2, 3, 224, 224)
    with torch.no_grad():
        scores, score_map = model(x), dense(x)
        assert dense(torch.randn(1, 3, 256, 256)).shape == (1, 10, 2, 2)
    assert score_map.shape == (2, 10, 1, 1)
    torch.testing.assert_close(score_map[:, :, 0, 0], scores, rtol=1e-4, atol=1e-5)


def test_fully_convolutional_map_slides_the_classifier_over_the_features():
    torch.manual_seed(0)
    model = vgg_small("B").eval()
    dense = to_fully_convolutional(model)
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        torch.testing.assert_close(dense(x)[:, :, 0, 0], model(x), rtol=1e-4, atol=1e-5)
        x = torch.randn(2, 3, 96, 64)
        score_map, features = dense(x), model.features(x)
    assert score_map.shape == (2, 10, 3, 2)
    # The score at (i, j) is the classifier applied to the feature column at (i, j) (1x1 for vgg_small).
    for i in range(3):
        for j in range(2):
            with torch.no_grad():
                expected = model.classifier(features[:, :, i, j])
            torch.testing.assert_close(score_map[:, :, i, j], expected, rtol=1e-4, atol=1e-5)


def test_fully_convolutional_keeps_training_mode_and_copies_weights():
    model = vgg_small("A")
    dense = to_fully_convolutional(model)
    assert dense.training
    with torch.no_grad():
        dense.head[0].weight.zero_()
    assert model.classifier[0].weight.abs().sum() > 0


BAD_INPUTS = [
    (lambda: vgg("F"), ValueError, "unknown VGG configuration 'F'; choose one of A, A-LRN, B, C, D, E"),
    (lambda: vgg_small("a"), ValueError, "unknown VGG configuration 'a'"),
    (lambda: resnet(19), ValueError, "unsupported ResNet depth 19; choose one of 18, 34, 50, 101, 152"),
    (lambda: resnet_cifar(21), ValueError, "unsupported CIFAR ResNet depth 21; it must be 6n + 2"),
    (lambda: resnet_cifar(20, shortcut="C"), ValueError, "shortcut must be 'A'"),
    (lambda: densenet(100), ValueError, "unsupported DenseNet depth 100; choose one of 121, 169, 201"),
    (lambda: make_activation("softplus"), ValueError, "unknown activation 'softplus'; choose one of relu, leaky_relu, prelu, elu, gelu, silu, sigmoid, tanh, swish"),
    (lambda: make_activation(None), TypeError, "activation must be a string such as 'relu', got NoneType"),
    (lambda: lenet5(activation="tanhh"), ValueError, "unknown activation 'tanhh'"),
    (lambda: lenet5()(torch.zeros(1, 1, 28, 28)), ValueError, "lenet5 expects 32x32 inputs, got 28x28"),
    (lambda: lenet5()(torch.zeros(1, 3, 32, 32)), ValueError, "lenet5 expects 1 input channels, got 3"),
    (
        lambda: lenet5()(torch.zeros(1, 32, 32)),
        ValueError,
        "lenet5 expects a 4-D input (N, C, H, W), got shape (1, 32, 32)",
    ),
    (lambda: lenet5()(torch.zeros(1, 1, 32, 32).numpy()), TypeError, "lenet5 expects a torch.Tensor, got ndarray"),
    (lambda: alexnet_small()(torch.zeros(1, 3, 64, 64)), ValueError, "alexnet_small expects 32x32 inputs, got 64x64"),
    (lambda: to_fully_convolutional(resnet_cifar(20)), TypeError, "vgg_model must be a VGG"),
]


@pytest.mark.parametrize("call, error, message", BAD_INPUTS)
def test_bad_input_raises_a_clear_error(call, error, message):
    with pytest.raises(error, match=re.escape(message)):
        call()


@pytest.mark.parametrize(
    "build, min_size, name",
    [
        pytest.param(lambda: alexnet(10), 63, "alexnet", id="alexnet"),
        pytest.param(lambda: vgg("A", 10), 32, "vgg", id="vgg"),
        pytest.param(lambda: densenet(121, 10), 29, "densenet", id="densenet121"),
    ],
)
def test_minimum_input_size(build, min_size, name):
    with META:
        model = build().eval()
        assert model(torch.empty(1, 3, min_size, min_size + 5)).shape == (1, 10)
        x = torch.empty(1, 3, min_size - 1, min_size + 5)
        message = f"{name} needs inputs of at least {min_size}x{min_size}, got {min_size - 1}x{min_size + 5}"
        with pytest.raises(ValueError, match=re.escape(message)):
            model(x)
        # Without the check the layers fail by themselves, less clearly: the minimum is not arbitrary.
        with pytest.raises(RuntimeError):
            model.classifier(model.avgpool(model.features(x)).flatten(1))


def test_fully_convolutional_vgg_needs_the_training_size():
    with META:
        dense = to_fully_convolutional(vgg("A", 10))
        with pytest.raises(ValueError, match="fully convolutional vgg needs inputs of at least 224x224, got 223x300"):
            dense(torch.empty(1, 3, 223, 300))


# ----------------------------------------------------------------------------- one name, one thing


def test_models_package_exports_exactly_what_its_modules_list():
    import importlib
    import pkgutil

    import cnncourse.torch.models as package

    modules = [importlib.import_module(f"{package.__name__}.{m.name}") for m in pkgutil.iter_modules(package.__path__)]
    listed = [name for module in modules for name in module.__all__]
    assert sorted(package.__all__) == sorted(listed), "a module of models/ is missing from _FAMILIES"
    assert len(set(listed)) == len(listed), "two families export the same name"
    for module in modules:
        for name in module.__all__:
            assert getattr(package, name) is getattr(module, name), f"{name} of {module.__name__} is shadowed"


def _public_names(package_name):
    """(module, name, object) for every name in the __all__ of the package's imported submodules."""
    import importlib
    import types

    package = importlib.import_module(package_name)
    for module in list(vars(package).values()):
        if isinstance(module, types.ModuleType) and module.__name__.startswith(package_name + "."):
            for name in getattr(module, "__all__", ()):
                yield package, module, name, getattr(module, name)


@pytest.mark.parametrize("package_name", ["cnncourse.numpy", "cnncourse.torch"])
def test_no_two_different_things_share_a_public_name(package_name):
    """A public name means one object in a package, whichever of its modules lists it, and the package's
    attribute of that name is that object (no star-import shadows another module's name)."""
    owners: dict[str, object] = {}
    for package, module, name, obj in _public_names(package_name):
        assert owners.setdefault(name, obj) is obj, f"{name} means two things in {package_name}"
        shadow = getattr(package, name, obj)
        assert shadow is obj, f"{package_name}.{name} is not {module.__name__}.{name}"


@pytest.mark.parametrize("package_name", ["cnncourse.numpy", "cnncourse.torch"])
def test_every_public_name_is_re_exported_by_its_package(package_name):
    """COMMON's rule: public names live in each module's __all__ and the package __init__ re-exports them."""
    missing = sorted(f"{module.__name__}.{name}" for package, module, name, _ in _public_names(package_name)
                     if not hasattr(package, name))
    assert not missing, f"add `from .<module> import *` to {package_name}/__init__.py for: {', '.join(missing)}"


def test_factories_pass_every_keyword_to_their_class():
    assert densenet(121, 10, growth_rate=16).features.conv0.out_channels == 32
    assert vgg_small(width=8).features[0].out_channels == 8
    assert resnet_cifar(8, shortcut="B", width=4).layer1[0].conv1.out_channels == 4
    with pytest.raises(TypeError, match="unexpected keyword argument 'depth_multiplier'"):
        vgg("A", depth_multiplier=2)


def test_both_alexnets_start_from_the_same_initialisation():
    """He-normal with fan_in in every convolution and linear layer, zero biases, for the full and the small AlexNet."""
    torch.manual_seed(0)
    for model in (alexnet(num_classes=10), alexnet_small()):
        for module in model.modules():
            if isinstance(module, (nn.Conv2d, nn.Linear)) and module.weight[0].numel() >= 200:
                fan_in = module.weight[0].numel()
                assert module.weight.std().item() == pytest.approx((2 / fan_in) ** 0.5, rel=0.1), module
                assert module.bias.abs().max().item() == 0


def test_lenet_has_one_signature_in_both_halves():
    import inspect

    import cnncourse.numpy as cn
    from cnncourse.torch.models import LeNet5

    def keyword_only(cls):
        params = inspect.signature(cls.__init__).parameters.values()
        return [p.name for p in params if p.kind is inspect.Parameter.KEYWORD_ONLY]

    shared = ["in_channels", "num_classes", "input_size", "activation", "pooling"]
    assert keyword_only(LeNet5) == shared
    assert keyword_only(cn.LeNet5)[:5] == shared  # then seed and dtype, which only NumPy weights need
    with pytest.raises(TypeError):
        LeNet5(10)
