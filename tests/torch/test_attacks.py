"""Adversarial attacks: exact steps on linear models, and damage done to a trained CNN."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from sklearn.linear_model import LogisticRegression
from torch import nn

from cnncourse.torch.attacks import fgsm, fool_linear, one_pixel_attack, pgd



def accuracy(model, x, y):
    with torch.no_grad():
        return (model(x).argmax(dim=1) == y).float().mean().item()


def test_fool_linear_makes_logistic_regression_see_the_target(digits):
    x_train = digits.x_train.reshape(len(digits.x_train), -1)
    x_test = digits.x_test.reshape(len(digits.x_test), -1)
    clf = LogisticRegression(max_iter=2000).fit(x_train, digits.y_train)
    assert clf.score(x_test, digits.y_test) > 0.9
    target = (digits.y_test + 1) % 10
    fooled = fool_linear(clf.coef_, digits.x_test, target, alpha=0.5)
    assert fooled.shape == digits.x_test.shape
    torch.testing.assert_close(fooled[3], torch.as_tensor(digits.x_test[3] + 0.5 * clf.coef_[target[3]].reshape(1, 8, 8)))
    hit = (clf.predict(fooled.reshape(len(fooled), -1).numpy()) == target).mean()
    print(f"alpha=0.5 turns {hit:.0%} of the test digits into the next digit")
    assert hit > 0.95


def test_fool_linear_checks_its_arguments():
    w, x = np.ones((10, 64)), np.zeros((2, 1, 8, 8))
    with pytest.raises(ValueError, match=r"target must lie in \[0, 10\)"):
        fool_linear(w, x, 10, alpha=1.0)
    with pytest.raises(ValueError, match="D=64 values per example"):
        fool_linear(w, np.zeros((2, 1, 7, 7)), 0, alpha=1.0)


def test_fgsm_on_a_linear_model_steps_along_the_gradient_sign():
    # For softmax regression the input gradient of the loss is W^T (p - onehot(y)) / N.
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(12, 3))
    x, y = torch.rand(4, 3, 2, 2), torch.tensor([0, 1, 2, 1])
    with torch.no_grad():
        p = model(x).softmax(dim=1)
    grad = (p - F.one_hot(y, 3)) @ model[1].weight.detach()
    expected = x + 0.1 * grad.sign().reshape(x.shape)
    torch.testing.assert_close(fgsm(model, x, y, 0.1, clamp=None), expected)
    torch.testing.assert_close(fgsm(model, x, y, 0.1), expected.clamp(0, 1))


def test_fgsm_and_pgd_break_a_digits_cnn_within_the_budget(digits_cnn, digits):
    x, y = torch.as_tensor(digits.x_test), torch.as_tensor(digits.y_test)
    eps = 0.2
    clean = accuracy(digits_cnn, x, y)
    x_fgsm = fgsm(digits_cnn, x, y, eps)
    x_pgd = pgd(digits_cnn, x, y, eps, alpha=eps / 4, steps=10, seed=0)
    after_fgsm, after_pgd = accuracy(digits_cnn, x_fgsm, y), accuracy(digits_cnn, x_pgd, y)
    print(f"accuracy at eps={eps}: clean {clean:.3f}, FGSM {after_fgsm:.3f}, PGD {after_pgd:.3f}")
    assert clean > 0.9
    assert after_fgsm <= clean / 2
    assert after_pgd <= after_fgsm
    for x_adv in (x_fgsm, x_pgd):
        assert (x_adv - x).abs().max() <= eps + 1e-6
        assert x_adv.min() >= 0 and x_adv.max() <= 1


def test_pgd_is_reproducible_and_zero_budget_changes_nothing(digits_cnn, digits):
    x, y = torch.as_tensor(digits.x_test[:20]), torch.as_tensor(digits.y_test[:20])
    a = pgd(digits_cnn, x, y, 0.1, alpha=0.02, steps=3, seed=1)
    torch.testing.assert_close(a, pgd(digits_cnn, x, y, 0.1, alpha=0.02, steps=3, seed=1))
    assert not torch.equal(a, pgd(digits_cnn, x, y, 0.1, alpha=0.02, steps=3, seed=2))
    torch.testing.assert_close(pgd(digits_cnn, x, y, 0.0, alpha=0.02, steps=3), x)


def test_attacks_reject_negative_budgets(digits_cnn):
    x, y = torch.zeros(1, 1, 8, 8), torch.zeros(1, dtype=torch.long)
    with pytest.raises(ValueError, match="epsilon must be non-negative"):
        fgsm(digits_cnn, x, y, -0.1)
    with pytest.raises(ValueError, match="epsilon must be non-negative"):
        pgd(digits_cnn, x, y, -0.1, alpha=0.01, steps=1)
    with pytest.raises(ValueError, match="alpha .* must be positive"):
        pgd(digits_cnn, x, y, 0.1, alpha=0.0, steps=1)
    with pytest.raises(ValueError, match=r"y must hold one label per image, shape \(1,\)"):
        fgsm(digits_cnn, x, torch.zeros(2, dtype=torch.long), 0.1)


@pytest.mark.parametrize("training", [True, False])
def test_attacks_use_eval_mode_and_restore_the_mode(training):
    # With dropout active two gradients would differ; in eval mode the attack is deterministic.
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Dropout(0.5), nn.Linear(16, 3)).train(training)
    x, y = torch.rand(8, 1, 4, 4), torch.zeros(8, dtype=torch.long)
    torch.testing.assert_close(fgsm(model, x, y, 0.1), fgsm(model, x, y, 0.1))
    assert model.training is training
    pgd(model, x, y, 0.1, alpha=0.05, steps=2)
    assert model.training is training
    one_pixel_attack(model, x[0], 0, maxiter=2, popsize=5)
    assert model.training is training


def test_one_pixel_attack_returns_a_valid_image(digits_cnn, digits):
    x, y = torch.as_tensor(digits.x_test[0]), int(digits.y_test[0])
    adversarial, success = one_pixel_attack(digits_cnn, x, y, pixels=1, maxiter=5, popsize=10, seed=0)
    assert adversarial.shape == x.shape
    assert adversarial.min() >= 0 and adversarial.max() <= 1
    assert (adversarial != x).sum() <= 1
    with torch.no_grad():
        assert success == (digits_cnn(adversarial[None]).argmax().item() != y)


def test_two_pixel_attack_fools_the_cnn_on_some_digits(digits_cnn, digits):
    results = [
        one_pixel_attack(digits_cnn, digits.x_test[i], int(digits.y_test[i]), pixels=2, maxiter=30, popsize=30)
        for i in range(10)
    ]
    for (adversarial, success), x in zip(results, digits.x_test[:10]):
        assert (adversarial != torch.as_tensor(x)).sum() <= 2
    fooled = sum(success for _, success in results)
    print(f"two changed pixels fool the CNN on {fooled} of 10 test digits")
    assert fooled >= 3
