"""Hand-crafted image features: the baseline that learned features beat.

Image gradients by central differences and a HOG-like descriptor (Dalal and Triggs, 2005): per cell,
a histogram of gradient orientations weighted by gradient magnitude, normalised per image.
"""

from __future__ import annotations

import numpy as np

__all__ = ["image_gradients", "gradient_histograms"]


def _as_images(images: np.ndarray) -> np.ndarray:
    """Accept (H, W), (N, H, W) or (N, 1, H, W) grayscale images; return float (N, H, W)."""
    x = np.asarray(images)
    if x.ndim == 4:
        if x.shape[1] != 1:
            raise ValueError(f"images must be grayscale (N, 1, H, W), got {x.shape[1]} channels in {x.shape}")
        x = x[:, 0]
    elif x.ndim == 2:
        x = x[None]
    elif x.ndim != 3:
        raise ValueError(f"images must be (H, W), (N, H, W) or (N, 1, H, W), got shape {x.shape}")
    return x.astype(np.float64 if x.dtype == np.float64 else np.float32, copy=False)


def image_gradients(images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Horizontal and vertical derivatives by central differences (one-sided at the border).

    images: (H, W), (N, H, W) or (N, 1, H, W). Returns (gx, gy), each (N, H, W): gx is the
    change from left to right, gy from top to bottom.
    """
    x = _as_images(images)
    gy, gx = np.gradient(x, axis=(1, 2))
    return gx, gy


def gradient_histograms(images: np.ndarray, cell_size: int = 4, bins: int = 9) -> np.ndarray:
    """A HOG-like descriptor: orientation histograms of the gradient over square cells.

    Orientations are unsigned (0 to 180 degrees, an edge and its reverse count alike), each pixel
    votes for its orientation bin with its gradient magnitude, and each image's descriptor is
    divided by its L2 norm so that contrast does not matter.

    images: (N, 1, H, W) (or (N, H, W)) with H and W multiples of ``cell_size``.
    Returns (N, (H // cell_size) * (W // cell_size) * bins).
    """
    if cell_size < 1 or bins < 1:
        raise ValueError(f"cell_size and bins must be positive, got cell_size={cell_size}, bins={bins}")
    gx, gy = image_gradients(images)
    n, h, w = gx.shape
    if h % cell_size or w % cell_size:
        raise ValueError(f"image size {h}x{w} is not a multiple of cell_size={cell_size}")
    magnitude = np.hypot(gx, gy)
    angle = np.rad2deg(np.arctan2(gy, gx)) % 180.0
    bin_index = np.minimum((angle / (180.0 / bins)).astype(int), bins - 1)
    votes = np.zeros((n, h, w, bins), dtype=magnitude.dtype)
    np.put_along_axis(votes, bin_index[..., None], magnitude[..., None], axis=-1)
    cells = votes.reshape(n, h // cell_size, cell_size, w // cell_size, cell_size, bins).sum(axis=(2, 4))
    features = cells.reshape(n, -1)
    norm = np.linalg.norm(features, axis=1, keepdims=True)
    return features / np.maximum(norm, 1e-8)
