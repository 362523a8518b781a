"""Public tests for question 1: the convolution output-size formula."""

import numpy as np

from autograder.testing import StudentError


def size(student, *args, **kwargs):
    result = student.conv_output_size(*args, **kwargs)
    assert isinstance(result, (int, np.integer)) and not isinstance(result, bool), (
        f"conv_output_size should return an int, got {result!r} ({type(result).__name__}): / always gives a "
        "float in Python 3, even when it divides exactly; use // (floor division) instead"
    )
    return int(result)


def test_lenet_first_layer(student):
    """A 32x32 image and a 5x5 kernel give 28x28 (LeNet-5)."""
    got = size(student, 32, 5)
    assert got != 27, "32 - 5 = 27 positions is one short: the kernel also fits at offset 0, so add 1"
    assert got == 28, f"expected (32 - 5) // 1 + 1 = 28, got {got}"


def test_stride_and_padding(student):
    """With stride 2 and padding 1 a 7x7 input and 3x3 kernel give 4x4."""
    got = size(student, 7, 3, stride=2, padding=1)
    assert got != 3, "with stride 2 and padding 1 a 7x7 input gives 4x4, not 3: pad both sides (n + 2p)"
    assert got == 4, f"with stride 2 and padding 1 a 7x7 input gives 4x4: check the floor in the formula, got {got}"


def test_floor_when_the_stride_does_not_divide(student):
    """7x7 with a 3x3 kernel and stride 3 gives 2x2 (the floor drops the last column)."""
    got = size(student, 7, 3, stride=3)
    assert got == 2, f"(7 - 3) / 3 = 1.33 is floored to 1, plus 1 gives 2; got {got}: use // rather than round"


def test_floor_not_round(student):
    """7x7 with a 2x2 kernel and stride 3 gives 2x2: (7 - 2) / 3 = 1.67 is floored to 1, not rounded to 2."""
    got = size(student, 7, 2, stride=3)
    assert got != 3, ("(7 - 2) / 3 = 1.67 was rounded up to 2, giving 3: a window that would stick out of the "
                      "image does not count, so take the floor with //, never round()")
    assert got == 2, f"expected (7 - 2) // 3 + 1 = 2, got {got}"


def test_alexnet_and_same_padding(student):
    """AlexNet's 227 -> 55 with an 11x11 kernel at stride 4, and 3x3 'same' padding keeps 5."""
    assert size(student, 227, 11, stride=4) == 55, "AlexNet's first layer: (227 - 11) // 4 + 1 = 55"
    assert size(student, 5, 3, stride=1, padding=1) == 5, "a 3x3 kernel with padding 1 keeps the size"


def test_kernel_larger_than_input(student):
    """A 7x7 kernel on a 3x3 input padded by 1 raises ValueError."""
    try:
        result = student.conv_output_size(3, 7, stride=1, padding=1)
    except StudentError as error:
        assert error.type_name == "ValueError", f"expected a ValueError, got {error.type_name}: {error.message}"
    else:
        raise AssertionError(f"the 7x7 kernel does not fit in the padded 5x5 input: raise ValueError, "
                             f"not return {result!r}")
