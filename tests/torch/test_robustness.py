"""Targeted PGD, adversarial patches, accuracy under attack and adversarial training."""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from cnncourse.torch.attacks import pgd
from cnncourse.torch.loaders import numpy_loader
from cnncourse.torch.robustness import accuracy, adversarial_fit, adversarial_patch, apply_patch, targeted_pgd


def test_targeted_pgd_step_on_a_linear_model_descends_the_targets_loss():
    # Softmax regression: the input gradient of CE(target) is W^T (p - onehot(target)) / N.
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(12, 3))
    x, target = torch.rand(4, 3, 2, 2), torch.tensor([2, 0, 1, 2])
    with torch.no_grad():
        p = model(x).softmax(dim=1)
    grad = (p - F.one_hot(target, 3)) @ model[1].weight.detach()
    expected = x - 0.1 * grad.sign().reshape(x.shape)
    torch.testing.assert_close(targeted_pgd(model, x, target, 0.1, alpha=0.1, steps=1, clamp=None), expected)
    torch.testing.assert_close(targeted_pgd(model, x, target, 0.1, alpha=0.1, steps=1), expected.clamp(0, 1))


def test_targeted_pgd_stays_in_budget_and_reaches_targets(digits_cnn, digits):
    x = torch.as_tensor(digits.x_test[:100])
    target = torch.full((100,), 3)
    x_adv = targeted_pgd(digits_cnn, x, 3, 0.25, alpha=0.05, steps=10)
    assert (x_adv - x).abs().max() <= 0.25 + 1e-6 and x_adv.min() >= 0 and x_adv.max() <= 1
    before, after = accuracy(digits_cnn, x, target), accuracy(digits_cnn, x_adv, target)
    print(f"fraction classified as 3: {before:.2f} clean, {after:.2f} after targeted PGD")
    assert after > 0.8 > before
    with pytest.raises(ValueError, match="epsilon must be non-negative"):
        targeted_pgd(digits_cnn, x, 3, -1.0, alpha=0.1, steps=1)
    with pytest.raises(ValueError, match="steps must be a positive integer"):
        targeted_pgd(digits_cnn, x, 3, 0.1, alpha=0.1, steps=0)
    with pytest.raises(ValueError, match=r"target must be an int or hold one class per image, shape \(100,\)"):
        targeted_pgd(digits_cnn, x, torch.zeros(3, dtype=torch.long), 0.1, alpha=0.1, steps=1)


def test_apply_patch_by_hand_and_its_gradient():
    images = torch.zeros(2, 1, 4, 4)
    patch = torch.tensor([[[1.0, 2.0], [3.0, 4.0]]], requires_grad=True)
    out = apply_patch(images, patch, torch.tensor([0, 2]), torch.tensor([1, 0]))
    expected = torch.zeros(2, 1, 4, 4)
    expected[0, 0, 0:2, 1:3] = patch.detach()[0]
    expected[1, 0, 2:4, 0:2] = patch.detach()[0]
    torch.testing.assert_close(out, expected)
    assert images.abs().sum() == 0  # the originals are untouched
    (grad,) = torch.autograd.grad((out * torch.arange(32.0).reshape(2, 1, 4, 4)).sum(), patch)
    # Each patch pixel collects the weights of the two places it was pasted.
    torch.testing.assert_close(grad, torch.tensor([[[1.0 + 24, 2.0 + 25], [5.0 + 28, 6.0 + 29]]]))
    with pytest.raises(ValueError, match="inside the 4x4 image"):
        apply_patch(images, patch.detach(), 3, 0)
    with pytest.raises(ValueError, match=r"patch must be \(C, h, w\) with C=1"):
        apply_patch(images, torch.zeros(2, 2, 2), 0, 0)


def test_adversarial_patch_beats_a_random_patch(shapes_cnn, shapes_test):
    # Train a patch to make the shapes CNN say "circle" (class 0), then paste it at random places
    # on held-out squares and triangles: far more of them should turn into circles than with noise.
    train = torch.as_tensor(shapes_test.images[:45])
    patch = adversarial_patch(shapes_cnn, train, target=0, size=8, steps=40, lr=0.1, seed=0)
    assert patch.shape == (1, 8, 8) and patch.min() >= 0 and patch.max() <= 1
    others = shapes_test.labels[45:] != 0
    test = torch.as_tensor(shapes_test.images[45:][others])
    circles = torch.zeros(len(test), dtype=torch.long)
    rows = torch.randint(0, 21, (len(test),), generator=torch.Generator().manual_seed(1))
    cols = torch.randint(0, 21, (len(test),), generator=torch.Generator().manual_seed(2))
    hit = accuracy(shapes_cnn, apply_patch(test, patch, rows, cols), circles)
    random_patch = torch.rand(1, 8, 8, generator=torch.Generator().manual_seed(3))
    baseline = accuracy(shapes_cnn, apply_patch(test, random_patch, rows, cols), circles)
    print(f"an 8x8 patch turns {hit:.0%} of {len(test)} squares and triangles into circles (noise: {baseline:.0%})")
    assert hit > baseline + 0.3
    with pytest.raises(ValueError, match="size must lie between 1 and 28"):
        adversarial_patch(shapes_cnn, train, target=0, size=29)


def test_accuracy_with_and_without_an_attack(digits_cnn, digits):
    x, y = torch.as_tensor(digits.x_test), torch.as_tensor(digits.y_test)
    with torch.no_grad():
        expected = (digits_cnn(x).argmax(dim=1) == y).float().mean().item()
    assert accuracy(digits_cnn, x, y, batch_size=50) == pytest.approx(expected)
    attack = lambda m, xb, yb: pgd(m, xb, yb, 0.0, alpha=0.1, steps=1)  # zero budget: nothing changes
    assert accuracy(digits_cnn, x, y, attack, batch_size=64) == pytest.approx(expected)
    with pytest.raises(ValueError, match="y must be an int or hold one class per image"):
        accuracy(digits_cnn, x, y[:5])


def small_cnn(seed):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(8 * 4 * 4, 10))


def test_adversarial_training_buys_robustness(digits):
    x_test, y_test = torch.as_tensor(digits.x_test), torch.as_tensor(digits.y_test)
    eps = 0.15
    attack = lambda m, xb, yb: pgd(m, xb, yb, eps, alpha=eps / 3, steps=5, seed=9)
    results = {}
    for name in ("standard", "adversarial"):
        model = small_cnn(0)
        loader = numpy_loader(digits.x_train, digits.y_train, batch_size=32, shuffle=True, seed=0)
        optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
        if name == "standard":
            adversarial_fit(model, loader, epochs=8, optimizer=optimizer, epsilon=0.0, alpha=0.01, steps=1)
        else:
            history = adversarial_fit(model, loader, epochs=8, optimizer=optimizer, epsilon=eps, alpha=eps / 2, steps=3)
            assert len(history) == 8 and history.train_loss[-1] < history.train_loss[0]
        results[name] = accuracy(model, x_test, y_test), accuracy(model, x_test, y_test, attack)
    print("clean and PGD accuracy:", results)
    assert results["adversarial"][1] > results["standard"][1] + 0.2
    assert results["adversarial"][0] > 0.7
    with pytest.raises(ValueError, match="epochs must be a positive integer"):
        adversarial_fit(small_cnn(0), [], epochs=0, optimizer=optimizer, epsilon=0.1, alpha=0.1, steps=1)
