"""Public tests for question 6: the accuracy against epsilon."""

import numpy as np
import torch
from cnncourse.data import load_fashion_mnist

from autograder.testing import StudentError, accuracy_of, changed_arguments

DATA = {}


def probe(student, n=8):
    """A fresh copy of the provided network in your notebook's process, and the first n test images and labels."""
    if not DATA:
        split = load_fashion_mnist()
        DATA["x"], DATA["y"] = torch.from_numpy(split.x_test[:16]), torch.from_numpy(split.y_test[:16])
    return student.load_weights(student.FashionCNN()), DATA["x"][:n].clone(), DATA["y"][:n].clone()

# accuracy_vs_epsilon(model, x[:16], y[:16], [0.0, 0.05, 0.1]) of the provided network, with FGSM and with PGD (5 steps).
EXPECTED_FGSM = [0.9375, 0.5, 0.3125]
EXPECTED_PGD = [0.9375, 0.375, 0.125]


def call(student, model, x, y, epsilons, attack, steps=10):
    """The student's accuracies as a float array, one per epsilon."""
    out = np.asarray(student.accuracy_vs_epsilon(model, x, y, epsilons, attack, steps), dtype=np.float64)
    assert out.shape == (len(epsilons),), f"expected one accuracy per epsilon, {len(epsilons)} values, got {out.shape}"
    assert np.all((out >= 0) & (out <= 1)), (f"accuracies should be fractions between 0 and 1, got {out}: divide the "
                                              "number of correct images by N")
    return out


def test_eps_zero_is_the_clean_accuracy_and_the_curve_falls(student):
    """At eps = 0 the accuracy is the clean one (15 of 16); with FGSM at eps = 0.1 it is far lower."""
    model, x, y = probe(student, 16)
    out = call(student, model, x, y, [0.0, 0.05, 0.1], "fgsm")
    clean = accuracy_of(model, x, y)
    assert np.isclose(out[0], clean), f"at eps = 0 the accuracy should be the clean accuracy {clean}, got {out[0]}"
    assert out[2] < clean, ("the accuracy did not fall as eps grew: measure it on the adversarial images, not on "
                            "the clean images")


def test_fgsm_curve_of_the_provided_network(student):
    """The FGSM curve on 16 test images matches the reference values."""
    model, x, y = probe(student, 16)
    out = call(student, model, x, y, [0.0, 0.05, 0.1], "fgsm")
    np.testing.assert_allclose(out, EXPECTED_FGSM, atol=1e-6, err_msg=(
        "the FGSM accuracies differ from the reference (they also depend on your fgsm, question 4)"))


def test_pgd_curve_of_the_provided_network(student):
    """The PGD curve (5 steps of 2.5 eps / 5) on 16 test images matches the reference values."""
    model, x, y = probe(student, 16)
    out = call(student, model, x, y, [0.0, 0.05, 0.1], "pgd", steps=5)
    if np.allclose(out, EXPECTED_FGSM) and not np.allclose(EXPECTED_FGSM, EXPECTED_PGD):
        raise AssertionError("with attack='pgd' the accuracies are FGSM's: use your pgd with alpha = 2.5 * eps / steps")
    np.testing.assert_allclose(out, EXPECTED_PGD, atol=1e-6, err_msg=(
        "the PGD accuracies differ from the reference: pgd(model, x, y, eps, 2.5 * eps / steps, steps) without a "
        "random start (they also depend on your pgd, question 5)"))


def test_an_unknown_attack_is_refused(student):
    """attack='cw' raises a ValueError."""
    model, x, y = probe(student, 2)
    try:
        student.accuracy_vs_epsilon(model, x, y, [0.1], "cw")
    except StudentError as error:
        assert error.type_name == "ValueError", f"expected a ValueError, got {error}"
    else:
        raise AssertionError("attack='cw' should raise a ValueError: only 'fgsm' and 'pgd' are known")
