"""The activation functions the course compares, named once for both halves.

``cnncourse.numpy.make_activation`` and ``cnncourse.torch.models.make_activation`` accept exactly
these names (and the aliases), and both test suites are generated from this one list, so a name added
here is built and tested by NumPy and PyTorch at once. Each entry also says which initialisation
keeps the signal's scale for it: He (variance 2 / fan_in) for the rectifier family, which zeroes or
shrinks about half of its inputs, Xavier (variance 2 / (fan_in + fan_out)) for the squashing ones,
which are close to the identity near zero (Glorot & Bengio 2010; He et al. 2015).
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["ACTIVATIONS", "ACTIVATION_ALIASES", "ActivationSpec", "activation_spec"]


class ActivationSpec(NamedTuple):
    """One activation: its canonical ``name``, the ``init`` ("he" or "xavier") that suits it and the formula."""

    name: str
    init: str
    formula: str


ACTIVATIONS: dict[str, ActivationSpec] = {
    spec.name: spec
    for spec in (
        ActivationSpec("relu", "he", "max(x, 0)"),
        ActivationSpec("leaky_relu", "he", "x if x > 0 else 0.01 x"),
        ActivationSpec("prelu", "he", "x if x >= 0 else a x, a learned (starts at 0.25)"),
        ActivationSpec("elu", "he", "x if x > 0 else exp(x) - 1"),
        ActivationSpec("gelu", "he", "x Phi(x), Phi the standard normal CDF"),
        ActivationSpec("silu", "he", "x sigmoid(x)"),
        ActivationSpec("sigmoid", "xavier", "1 / (1 + exp(-x))"),
        ActivationSpec("tanh", "xavier", "tanh(x)"),
    )
}

# Other names for the same functions: Ramachandran et al. (2017) called x sigmoid(x) "swish".
ACTIVATION_ALIASES: dict[str, str] = {"swish": "silu"}


def activation_spec(name: str) -> ActivationSpec:
    """The entry of ``name`` (case-insensitive, aliases allowed); a ValueError lists the choices."""
    if not isinstance(name, str):
        raise TypeError(f"activation must be a string such as 'relu', got {type(name).__name__}")
    key = name.lower()
    key = ACTIVATION_ALIASES.get(key, key)
    if key not in ACTIVATIONS:
        choices = ", ".join([*ACTIVATIONS, *ACTIVATION_ALIASES])
        raise ValueError(f"unknown activation {name!r}; choose one of {choices}")
    return ACTIVATIONS[key]
