"""Hidden tests for question 1: a table of sizes against the formula."""

import numpy as np

from autograder.testing import StudentError


def test_table_of_sizes(student):
    """Sizes for many (n, kernel, stride, padding) match floor((n + 2p - k) / s) + 1."""
    cases = [(28, 3, 1, 0), (28, 3, 1, 1), (224, 7, 2, 3), (13, 3, 2, 0), (10, 4, 3, 2), (1, 1, 1, 0), (6, 6, 5, 0)]
    for n, k, s, p in cases:
        got = student.conv_output_size(n, k, stride=s, padding=p)
        assert isinstance(got, (int, np.integer)), f"conv_output_size returned a {type(got).__name__}, not an int"
        assert got == (n + 2 * p - k) // s + 1, f"conv_output_size({n}, {k}, stride={s}, padding={p}) gave {got}"


def test_kernel_fits_only_with_padding(student):
    """A 5x5 kernel on a 3x3 input fits with padding 1 (one position) and not without."""
    got = int(student.conv_output_size(3, 5, stride=1, padding=1))
    assert got == 1, f"a 5x5 kernel fits a 3x3 input padded by 1 exactly once, got {got}"
    try:
        student.conv_output_size(3, 5)
    except StudentError as error:
        assert error.type_name == "ValueError", f"expected a ValueError, got {error.type_name}"
    else:
        raise AssertionError("a 5x5 kernel does not fit a 3x3 input without padding: raise ValueError")
