"""Building blocks of the networks after ResNet: MobileNet's depthwise-separable convolution, the
squeeze-and-excitation gate, ConvNeXt's block and the pre-activation residual block.

Each is one ``nn.Module`` that keeps its input's layout ``(N, C, H, W)``, so it drops into any network.
"""

import torch
from torch import nn

from .utils import make_activation

__all__ = ["DepthwiseSeparableConv", "SqueezeExcitation", "ConvNeXtBlock", "PreActBlock"]


class DepthwiseSeparableConv(nn.Module):
    """MobileNet's factorised convolution (Howard et al. 2017): a ``k x k`` depthwise convolution that
    filters each channel on its own (``groups=in_channels``), then a 1x1 pointwise convolution that mixes
    channels, each followed by batch norm and the activation.

    Its multiply-adds per output position are ``C_in k^2 + C_in C_out`` instead of a full convolution's
    ``C_in C_out k^2``: a ratio of ``1 / C_out + 1 / k^2``.

    x: (N, in_channels, H, W) -> (N, out_channels, H / stride, W / stride)
    """

    def __init__(
        self, in_channels: int, out_channels: int, kernel_size: int = 3, stride: int = 1, activation: str = "relu"
    ):
        super().__init__()
        if kernel_size % 2 != 1:
            raise ValueError(f"kernel_size must be odd so that padding keeps the size, got {kernel_size}")
        self.depthwise = nn.Conv2d(
            in_channels, in_channels, kernel_size, stride, padding=kernel_size // 2, groups=in_channels, bias=False
        )
        self.bn1 = nn.BatchNorm2d(in_channels)
        self.act1 = make_activation(activation)
        self.pointwise = nn.Conv2d(in_channels, out_channels, kernel_size=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.act2 = make_activation(activation)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.act1(self.bn1(self.depthwise(x)))
        return self.act2(self.bn2(self.pointwise(x)))


class SqueezeExcitation(nn.Module):
    """Squeeze-and-excitation (Hu, Shen & Sun 2018): reweight each channel by a gate in (0, 1) computed
    from the whole image.

    Squeeze: global average pooling gives one number per channel, ``(N, C, 1, 1)``. Excite: a bottleneck
    of two 1x1 convolutions (``C -> C / reduction -> C``, ReLU between, sigmoid after) turns them into gates
    that multiply the channels. It adds ``2 C^2 / reduction + C / reduction + C`` parameters and almost no
    multiply-adds, since it works on a 1x1 map.

    x: (N, channels, H, W) -> (N, channels, H, W)
    """

    def __init__(self, channels: int, reduction: int = 16):
        super().__init__()
        if channels % reduction != 0:
            raise ValueError(f"channels ({channels}) must be divisible by reduction ({reduction})")
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Conv2d(channels, channels // reduction, kernel_size=1)
        self.act = nn.ReLU()
        self.fc2 = nn.Conv2d(channels // reduction, channels, kernel_size=1)
        self.gate = nn.Sigmoid()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.gate(self.fc2(self.act(self.fc1(self.pool(x)))))


class ConvNeXtBlock(nn.Module):
    """ConvNeXt's block (Liu et al. 2022), a ResNet block redesigned with transformer habits: a 7x7
    depthwise convolution, layer normalisation over channels, a 1x1 expansion to ``4 C`` with GELU, a 1x1
    projection back to ``C``, a learned per-channel scale (initialised to ``layer_scale``) and the shortcut.

    It has ``8 C^2 + 58 C`` parameters (for k = 7): the two 1x1 layers hold almost all of them, the
    depthwise convolution ``49 C + C``. Same parameters as torchvision's ``CNBlock``.

    x: (N, channels, H, W) -> (N, channels, H, W)
    """

    def __init__(self, channels: int, kernel_size: int = 7, layer_scale: float = 1e-6):
        super().__init__()
        self.dwconv = nn.Conv2d(channels, channels, kernel_size, padding=kernel_size // 2, groups=channels)
        self.norm = nn.LayerNorm(channels, eps=1e-6)
        # 1x1 convolutions on a channels-last tensor are linear layers applied at every pixel.
        self.pwconv1 = nn.Linear(channels, 4 * channels)
        self.act = nn.GELU()
        self.pwconv2 = nn.Linear(4 * channels, channels)
        self.gamma = nn.Parameter(torch.full((channels,), float(layer_scale)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.dwconv(x).permute(0, 2, 3, 1)  # (N, H, W, C): LayerNorm and Linear act on the last axis
        out = self.pwconv2(self.act(self.pwconv1(self.norm(out))))
        return x + (self.gamma * out).permute(0, 3, 1, 2)


class PreActBlock(nn.Module):
    """The pre-activation residual block (He, Zhang, Ren & Sun 2016b): BN-act-conv-BN-act-conv, added to
    the shortcut with nothing after the sum, so the identity path from input to output is untouched.

    Where the shape changes (``stride > 1`` or new channel count) the shortcut is a 1x1 projection.

    x: (N, in_channels, H, W) -> (N, channels, H / stride, W / stride)
    """

    def __init__(self, in_channels: int, channels: int, stride: int = 1, activation: str = "relu"):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(in_channels)
        self.act1 = make_activation(activation)
        self.conv1 = nn.Conv2d(in_channels, channels, kernel_size=3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)
        self.act2 = make_activation(activation)
        self.conv2 = nn.Conv2d(channels, channels, kernel_size=3, padding=1, bias=False)
        self.shortcut = (
            nn.Conv2d(in_channels, channels, kernel_size=1, stride=stride, bias=False)
            if stride != 1 or in_channels != channels
            else nn.Identity()
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.conv1(self.act1(self.bn1(x)))
        out = self.conv2(self.act2(self.bn2(out)))
        return self.shortcut(x) + out
