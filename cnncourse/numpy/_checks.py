"""Input checks shared by the NumPy modules, and the types of their common arguments.

Bad input gets a ValueError or TypeError that names the argument and says what was expected
(DESIGN.md), raised where the argument enters, never a broadcasting error from deep inside.
"""

from __future__ import annotations

import numpy as np

Seed = int | np.random.Generator | None  # what every ``seed=`` argument takes (np.random.default_rng's input)
Pair = tuple[int, int]
IntPair = int | Pair  # what kernel_size, stride and padding accept


def as_float_array(x: np.ndarray, name: str = "x") -> np.ndarray:
    """Return ``x`` as a floating array; integers and booleans become float64 explicitly."""
    x = np.asarray(x)
    if x.dtype.kind == "f":
        return x
    if x.dtype.kind in "iub":
        return x.astype(np.float64)
    raise TypeError(f"{name} must be an array of real numbers, got dtype {x.dtype}")


def check_4d(x: np.ndarray, name: str = "x") -> np.ndarray:
    """``x`` as a floating array of shape (N, C, H, W); ``name`` says whose input it is in the message."""
    x = as_float_array(x, name)
    if x.ndim != 4:
        raise ValueError(f"{name} must be 4-D (N, C, H, W), got shape {x.shape}")
    return x


def check_int(value: object, name: str, minimum: int) -> int:
    """``value`` as an int at least ``minimum``."""
    # bool is an int in Python, but stride=True is a bug, not a stride of 1.
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def positive_int(value: object, name: str) -> int:
    """``value`` as an int >= 1 (sizes, counts, fans)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def pair(value: IntPair, name: str, minimum: int) -> Pair:
    """Turn an int or an (h, w) pair into a checked (h, w) tuple."""
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"{name} must be an int or a pair (h, w), got {value!r}")
        return check_int(value[0], name, minimum), check_int(value[1], name, minimum)
    v = check_int(value, name, minimum)
    return v, v


def float_dtype(dtype) -> np.dtype:
    """``dtype`` as a NumPy floating dtype."""
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise TypeError(f"dtype must be a floating type such as np.float32, got {dtype}")
    return dtype


def check_batch(x, name: str = "x") -> np.ndarray:
    """``x: (N, ...)`` as an array holding N >= 1 examples."""
    x = np.asarray(x)
    if x.ndim < 1 or len(x) == 0:
        raise ValueError(f"{name} must hold at least one example (N, ...), got shape {x.shape}")
    return x


def check_examples(x, y, x_name: str = "x", y_name: str = "y") -> tuple[np.ndarray, np.ndarray]:
    """``x: (N, ...)`` and ``y: (N, ...)`` as arrays holding the same number N >= 1 of examples."""
    x, y = check_batch(x, x_name), np.asarray(y)
    if y.ndim < 1 or len(y) != len(x):
        raise ValueError(f"{x_name} and {y_name} must have the same length N, got {x_name} shape {x.shape} "
                         f"and {y_name} shape {y.shape}")
    return x, y
