"""Hand-designed 3x3 filters, the kind that image processing used before filters were learned."""

from __future__ import annotations

import numpy as np

__all__ = ["KERNELS", "kernel"]

KERNELS: dict[str, np.ndarray] = {
    "identity": np.array([[0, 0, 0], [0, 1, 0], [0, 0, 0]], dtype=np.float32),
    # Sobel: a central difference across the edge, smoothed along it with weights 1, 2, 1.
    "edge (vertical)": np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=np.float32),
    "edge (horizontal)": np.array([[-1, -2, -1], [0, 0, 0], [1, 2, 1]], dtype=np.float32),
    # The negative Laplacian responds to edges of every orientation and is zero on flat and linear regions.
    "edge (all directions)": np.array([[0, -1, 0], [-1, 4, -1], [0, -1, 0]], dtype=np.float32),
    # Sharpen = identity minus the Laplacian: the image plus its edges.
    "sharpen": np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], dtype=np.float32),
    "box blur": np.full((3, 3), 1 / 9, dtype=np.float32),
    "gaussian blur": np.array([[1, 2, 1], [2, 4, 2], [1, 2, 1]], dtype=np.float32) / 16,
}


def kernel(name: str) -> np.ndarray:
    """A copy of one of ``KERNELS`` as a (3, 3) float32 array."""
    if name not in KERNELS:
        raise ValueError(f"unknown kernel {name!r}; choose one of {', '.join(KERNELS)}")
    return KERNELS[name].copy()
