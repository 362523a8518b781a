"""Reference CNN architectures in PyTorch, one module per family, from LeNet-5 to DenseNet.

Full-size networks follow the papers (and torchvision's layouts and parameter names where it has them);
the ``*_small`` variants and ``resnet_cifar`` take 32x32 images and train on a CPU.
"""

from .alexnet import AlexNet, AlexNetSmall, alexnet, alexnet_small
from .densenet import DENSENET_DEPTHS, DenseLayer, DenseNet, densenet
from .googlenet import GoogLeNetSmall, InceptionBlock, googlenet_small
from .lenet import LeNet5, lenet5
from .resnet import RESNET_DEPTHS, BasicBlock, Bottleneck, PadShortcut, ResNet, ResNetCifar, resnet, resnet_cifar
from .utils import ACTIVATIONS, count_parameters, make_activation
from .vgg import VGG, VGG_CONFIGS, FullyConvolutionalVGG, to_fully_convolutional, vgg, vgg_small

__all__ = [
    "ACTIVATIONS",
    "make_activation",
    "count_parameters",
    "LeNet5",
    "lenet5",
    "AlexNet",
    "alexnet",
    "AlexNetSmall",
    "alexnet_small",
    "VGG_CONFIGS",
    "VGG",
    "vgg",
    "vgg_small",
    "FullyConvolutionalVGG",
    "to_fully_convolutional",
    "RESNET_DEPTHS",
    "PadShortcut",
    "BasicBlock",
    "Bottleneck",
    "ResNet",
    "resnet",
    "ResNetCifar",
    "resnet_cifar",
    "DENSENET_DEPTHS",
    "DenseLayer",
    "DenseNet",
    "densenet",
    "InceptionBlock",
    "GoogLeNetSmall",
    "googlenet_small",
]
