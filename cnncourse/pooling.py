"""The names of the pooling modes, one spelling for the whole package: ``"max"`` and ``"avg"``.

``"avg"`` is the spelling of ``torch.nn.AvgPool2d`` and of ``cnncourse.numpy.avg_pool2d``; LeNet's
``pooling=``, the figure helpers and the demos all take these two strings.
"""

from __future__ import annotations

__all__ = ["POOLING_MODES", "check_pooling"]

POOLING_MODES = ("max", "avg")


def check_pooling(mode: str, argument: str = "pooling") -> str:
    """Return ``mode`` if it is one of ``POOLING_MODES``, else raise a ValueError naming ``argument``."""
    if mode not in POOLING_MODES:
        hint = " (write 'avg' for average pooling)" if mode in ("average", "mean") else ""
        raise ValueError(f"{argument} must be 'max' or 'avg', got {mode!r}{hint}")
    return mode
