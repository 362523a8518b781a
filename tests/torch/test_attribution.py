"""SmoothGrad, integrated gradients, guided backpropagation and the deconvnet rule: hand-worked cases
and properties that must hold on trained networks (Captum comparisons: test_against_captum.py)."""

import pytest
import torch
from torch import nn

from cnncourse.torch.attribution import guided_backprop, integrated_gradients, smoothgrad
from cnncourse.torch.interpret import saliency


def linear_model(seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Flatten(), nn.Linear(1 * 4 * 4, 3))


def test_smoothgrad_without_noise_is_saliency_and_on_a_linear_model_ignores_noise(digits_cnn, digits):
    x = torch.as_tensor(digits.x_test[:5])
    torch.testing.assert_close(smoothgrad(digits_cnn, x, samples=3, noise=0.0), saliency(digits_cnn, x))
    # A linear score has the same gradient everywhere, so noise cannot change it.
    model, images = linear_model(), torch.rand(4, 1, 4, 4)
    torch.testing.assert_close(smoothgrad(model, images, 2, samples=5, noise=0.5), saliency(model, images, 2))


def test_smoothgrad_is_seeded_averages_over_noise_and_checks_arguments(digits_cnn, digits):
    x = torch.as_tensor(digits.x_test[:5])
    a = smoothgrad(digits_cnn, x, samples=4, seed=1)
    torch.testing.assert_close(a, smoothgrad(digits_cnn, x, samples=4, seed=1))
    assert not torch.allclose(a, smoothgrad(digits_cnn, x, samples=4, seed=2))
    assert a.shape == (5, 8, 8) and (a >= 0).all()
    with pytest.raises(ValueError, match="samples must be a positive integer"):
        smoothgrad(digits_cnn, x, samples=0)
    with pytest.raises(ValueError, match="noise must be non-negative"):
        smoothgrad(digits_cnn, x, noise=-0.1)


def test_integrated_gradients_of_a_linear_model_is_input_times_weight():
    # S(x) = w . x + b has a constant gradient w, so IG = (x - x') * w whatever the rule.
    model, x = linear_model(), torch.rand(4, 1, 4, 4)
    w = model[1].weight.detach()[1].reshape(1, 4, 4)
    torch.testing.assert_close(integrated_gradients(model, x, 1, steps=2), x * w)
    baseline = torch.full((1, 1, 4, 4), 0.5)
    torch.testing.assert_close(integrated_gradients(model, x, 1, baseline=baseline, steps=5), (x - 0.5) * w)


def test_integrated_gradients_is_complete_on_a_trained_cnn(digits_cnn, digits):
    # The attributions add up to S(x) - S(baseline); the trapezoid rule's error shrinks with steps.
    x = torch.as_tensor(digits.x_test[:10])
    with torch.no_grad():
        scores = digits_cnn(x)
        target = scores.argmax(dim=1)
        gap = scores.gather(1, target[:, None])[:, 0] - digits_cnn(torch.zeros_like(x))[0, target]
    errors = []
    for steps in (4, 64):
        total = integrated_gradients(digits_cnn, x, steps=steps).sum(dim=(1, 2, 3))
        errors.append((total - gap).abs().max().item())
    print(f"completeness error: {errors[0]:.4f} with 4 steps, {errors[1]:.5f} with 64")
    assert errors[1] < 0.02 * gap.abs().max().item()
    assert errors[1] < errors[0]


def test_integrated_gradients_checks_its_arguments(digits_cnn):
    x = torch.zeros(2, 1, 8, 8)
    with pytest.raises(ValueError, match="steps must be an integer >= 2"):
        integrated_gradients(digits_cnn, x, steps=1)
    with pytest.raises(ValueError, match=r"baseline must be a number or broadcast to x's shape \(2, 1, 8, 8\)"):
        integrated_gradients(digits_cnn, x, baseline=torch.zeros(3, 8, 8))


def tiny_relu_net(inplace=False):
    # x = (1, 2) -> pre-activations W1 x = (-1, 4) -> ReLU (0, 4) -> score 3 h1 - 2 h2 = -8.
    model = nn.Sequential(nn.Flatten(), nn.Linear(2, 2, bias=False), nn.ReLU(inplace=inplace),
                          nn.Linear(2, 1, bias=False))
    with torch.no_grad():
        model[1].weight.copy_(torch.tensor([[1.0, -1.0], [2.0, 1.0]]))
        model[3].weight.copy_(torch.tensor([[3.0, -2.0]]))
    return model


@pytest.mark.parametrize("inplace", [False, True])
def test_guided_backprop_and_deconvnet_by_hand(inplace):
    # Signal at the ReLU's output: g = (3, -2); its forward input was (-1, 4).
    # Chain rule: g * [input > 0] = (0, -2), so dS/dx = W1^T (0, -2) = (-4, -2).
    # Guided: also [g > 0]: (0, 0), so nothing comes back.
    # Deconvnet: [g > 0] * g only: (3, 0), so W1^T (3, 0) = (3, -3).
    model, x = tiny_relu_net(inplace), torch.tensor([[[[1.0, 2.0]]]])
    torch.testing.assert_close(saliency(model, x, 0), torch.tensor([[[4.0, 2.0]]]))
    torch.testing.assert_close(guided_backprop(model, x, 0), torch.zeros(1, 1, 1, 2))
    torch.testing.assert_close(guided_backprop(model, x, 0, rule="deconvnet"), torch.tensor([[[[3.0, -3.0]]]]))
    # The ReLUs are restored: same in-place flag, no hooks, ordinary gradients again.
    assert model[2].inplace is inplace and not model[2]._forward_hooks
    torch.testing.assert_close(saliency(model, x, 0), torch.tensor([[[4.0, 2.0]]]))


def test_guided_backprop_checks_its_arguments(digits_cnn):
    x = torch.zeros(1, 1, 8, 8)
    with pytest.raises(ValueError, match="rule must be one of"):
        guided_backprop(digits_cnn, x, rule="lrp")
    with pytest.raises(ValueError, match="model has no nn.ReLU module"):
        guided_backprop(nn.Sequential(nn.Flatten(), nn.Linear(64, 2)), x)


def test_guided_backprop_keeps_the_positive_evidence(digits_cnn, digits):
    # Guided backprop drops the negative signals the gradient carries, so the two differ, but
    # where both are non-zero they should mostly agree in sign; the parameters' .grad stays unset.
    digits_cnn.zero_grad(set_to_none=True)
    x = torch.as_tensor(digits.x_test[:20])
    guided = guided_backprop(digits_cnn, x)
    x_req = x.clone().requires_grad_(True)
    scores = digits_cnn(x_req)
    (grad,) = torch.autograd.grad(scores.gather(1, scores.argmax(1, keepdim=True)).sum(), x_req)
    both = (guided != 0) & (grad != 0)
    agree = ((guided > 0) == (grad > 0))[both].float().mean().item()
    print(f"guided backprop and gradient agree in sign on {agree:.0%} of pixels where both are non-zero")
    assert agree > 0.6
    assert all(p.grad is None for p in digits_cnn.parameters())


def test_attributions_leave_the_callers_tensor_alone(digits_cnn, digits):
    x = torch.as_tensor(digits.x_test[:3])
    guided_backprop(digits_cnn, x)
    smoothgrad(digits_cnn, x, samples=2)
    integrated_gradients(digits_cnn, x, steps=2)
    assert not x.requires_grad
