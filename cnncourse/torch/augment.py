"""Data augmentation: the usual CIFAR recipe and AlexNet's PCA colour noise.

Augmentation creates "virtual" training images (flips, crops, colour casts) that keep the
label, so the network sees more variety than the data set holds.
"""

from __future__ import annotations

import torch
from torch import nn
from torchvision.transforms import v2

__all__ = ["PCALighting", "cifar_augmentation", "pca_lighting_params"]


def cifar_augmentation(
    size: int = 32, padding: int = 4, brightness: float = 0.2, contrast: float = 0.2, saturation: float = 0.2
) -> v2.Compose:
    """Random crop of a zero-padded image, horizontal flip and colour jitter, for ``(C, H, W)`` tensors.

    The crop-with-padding and flip are the augmentation of the CIFAR-10 ResNets (He et al.
    2016): 4 pixels of padding then a random ``size x size`` crop shifts the image by up to 4
    pixels. Set the jitter strengths to 0 to leave colours alone.
    """
    return v2.Compose(
        [
            v2.RandomCrop(size, padding=padding),
            v2.RandomHorizontalFlip(),
            v2.ColorJitter(brightness=brightness, contrast=contrast, saturation=saturation),
        ]
    )


def pca_lighting_params(images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Eigenvalues ``(3,)`` (descending) and eigenvectors ``(3, 3)`` (columns) of the RGB covariance.

    ``images: (N, 3, H, W)``: every pixel of every image is one sample of an RGB colour.
    """
    if images.ndim != 4 or images.shape[1] != 3:
        raise ValueError(f"images must have shape (N, 3, H, W), got {tuple(images.shape)}")
    pixels = images.permute(1, 0, 2, 3).reshape(3, -1).double()
    eigval, eigvec = torch.linalg.eigh(torch.cov(pixels))
    # eigh sorts ascending; the first principal component is the one with the largest variance.
    return eigval.flip(0).clamp_min(0).float(), eigvec.flip(1).float()


class PCALighting(nn.Module):
    """AlexNet's colour augmentation (Krizhevsky et al. 2012): shift each image's colour along
    the principal components of the RGB pixel values.

    Each image gets ``eigvec @ (alpha * eigval)`` added to every pixel, with
    ``alpha ~ N(0, alphastd^2)`` drawn per image and per component (``alphastd = 0.1`` in the
    paper). Natural images keep their identity under such changes of illumination intensity and
    colour. The result is not clipped (AlexNet applied it to mean-subtracted images). Works on
    ``(3, H, W)`` or ``(N, 3, H, W)``; uses torch's global generator like the torchvision
    transforms, so ``torch.manual_seed`` makes it reproducible.
    """

    def __init__(
        self, alphastd: float = 0.1, eigval: torch.Tensor | None = None, eigvec: torch.Tensor | None = None
    ):
        super().__init__()
        if alphastd < 0:
            raise ValueError(f"alphastd must be non-negative, got {alphastd}")
        if eigval is None or eigvec is None:
            raise ValueError("eigval (3,) and eigvec (3, 3) are required; compute them with pca_lighting_params")
        eigval, eigvec = torch.as_tensor(eigval, dtype=torch.float32), torch.as_tensor(eigvec, dtype=torch.float32)
        if eigval.shape != (3,) or eigvec.shape != (3, 3):
            raise ValueError(
                f"eigval must have shape (3,) and eigvec (3, 3), got {tuple(eigval.shape)} and {tuple(eigvec.shape)}"
            )
        self.alphastd = alphastd
        self.register_buffer("eigval", eigval)
        self.register_buffer("eigvec", eigvec)

    def forward(self, img: torch.Tensor) -> torch.Tensor:
        if img.ndim not in (3, 4) or img.shape[-3] != 3:
            raise ValueError(f"img must have shape (3, H, W) or (N, 3, H, W), got {tuple(img.shape)}")
        if self.alphastd == 0:
            return img
        batch = img.shape[:-3]
        alpha = torch.randn(*batch, 3, device=self.eigval.device) * self.alphastd
        shift = (alpha * self.eigval) @ self.eigvec.T  # (..., 3): sum_i alpha_i lambda_i p_i
        return img + shift.to(img)[..., :, None, None]
