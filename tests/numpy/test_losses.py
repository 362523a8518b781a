"""Losses and their gradients against PyTorch (float64) and numerical gradients."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

from cnncourse.numpy.gradcheck import numerical_gradient, relative_error
from cnncourse.numpy.losses import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    mse_loss,
    softmax_cross_entropy,
)


def rand(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def torch_loss_and_grad(torch_fn, pred, *args):
    t = torch.tensor(pred, requires_grad=True)
    loss = torch_fn(t, *args)
    loss.backward()
    return loss.item(), t.grad.numpy()


def assert_matches(ours, theirs):
    (loss, grad), (ref_loss, ref_grad) = ours, theirs
    assert loss == pytest.approx(ref_loss, rel=1e-10)
    np.testing.assert_allclose(grad, ref_grad, rtol=1e-6, atol=1e-12)


@pytest.mark.parametrize("n, c", [(1, 2), (5, 3), (8, 10)])
def test_softmax_cross_entropy_matches_torch(n, c):
    logits = 3 * rand(n, c)
    y = np.random.default_rng(1).integers(0, c, size=n)
    ours = softmax_cross_entropy(logits, y)
    assert_matches(ours, torch_loss_and_grad(TF.cross_entropy, logits, torch.tensor(y)))
    num = numerical_gradient(lambda: softmax_cross_entropy(logits, y)[0], logits)
    assert relative_error(ours[1], num) < 1e-7


def test_softmax_cross_entropy_is_stable_and_hand_checked():
    # Uniform scores over 4 classes: loss log 4, gradient 1/4 everywhere but -3/4 at the label.
    loss, grad = softmax_cross_entropy(np.zeros((1, 4)), np.array([2]))
    assert loss == pytest.approx(np.log(4))
    np.testing.assert_allclose(grad, [[0.25, 0.25, -0.75, 0.25]])
    loss, grad = softmax_cross_entropy(np.array([[1000.0, -1000.0], [0.0, 1000.0]]), np.array([1, 1]))
    assert loss == pytest.approx(1000.0) and np.all(np.isfinite(grad))


def test_softmax_cross_entropy_errors():
    logits = np.zeros((3, 4))
    with pytest.raises(ValueError, match=r"labels y must be in \[0, 4\) for 4 classes, got 4"):
        softmax_cross_entropy(logits, np.array([0, 4, 1]))
    with pytest.raises(ValueError, match=r"labels y must be in \[0, 4\).*got -1"):
        softmax_cross_entropy(logits, np.array([0, -1, 1]))
    with pytest.raises(ValueError, match=r"labels y must have shape \(N,\) = \(3,\)"):
        softmax_cross_entropy(logits, np.array([0, 1]))
    with pytest.raises(TypeError, match="labels y must be integers"):
        softmax_cross_entropy(logits, np.array([0.0, 1.0, 2.0]))
    with pytest.raises(ValueError, match=r"logits must have shape \(N, C\)"):
        softmax_cross_entropy(np.zeros(4), np.array([1]))


@pytest.mark.parametrize("shape", [(6,), (3, 4), (2, 3, 2, 2)])
def test_mse_matches_torch(shape):
    pred, target = rand(*shape), rand(*shape, seed=1)
    assert_matches(mse_loss(pred, target), torch_loss_and_grad(TF.mse_loss, pred, torch.tensor(target)))


@pytest.mark.parametrize("shape", [(6,), (3, 4)])
def test_binary_cross_entropy_matches_torch(shape):
    rng = np.random.default_rng(0)
    prob, target = rng.uniform(0.02, 0.98, shape), rng.uniform(0, 1, shape)
    assert_matches(binary_cross_entropy(prob, target),
                   torch_loss_and_grad(TF.binary_cross_entropy, prob, torch.tensor(target)))
    logits = 4 * rand(*shape)
    assert_matches(binary_cross_entropy_with_logits(logits, target),
                   torch_loss_and_grad(TF.binary_cross_entropy_with_logits, logits, torch.tensor(target)))


def test_binary_losses_stay_finite_at_the_extremes():
    loss, grad = binary_cross_entropy(np.array([0.0, 1.0]), np.array([1.0, 0.0]))
    assert np.isfinite(loss) and loss > 20 and np.all(np.isfinite(grad))
    loss, grad = binary_cross_entropy_with_logits(np.array([-1000.0, 1000.0]), np.array([1.0, 0.0]))
    assert loss == pytest.approx(1000.0)
    np.testing.assert_allclose(grad, [-0.5, 0.5])


def test_regression_loss_errors():
    with pytest.raises(ValueError, match=r"pred and target must have the same shape, got \(3,\) and \(4,\)"):
        mse_loss(np.zeros(3), np.zeros(4))
    with pytest.raises(ValueError, match=r"prob must hold probabilities in \[0, 1\]"):
        binary_cross_entropy(np.array([1.5]), np.array([1.0]))
    with pytest.raises(ValueError, match="logits and target must have the same shape"):
        binary_cross_entropy_with_logits(np.zeros((2, 1)), np.zeros(2))
