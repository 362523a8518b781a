"""Breaking CNNs: adversarial examples for linear classifiers and for trained networks.

Every attack runs the model in evaluation mode and puts it back in the mode it found it in;
tensors go to the model's device. Gradients are taken with respect to the input only.

References: Szegedy et al. (2014), Intriguing properties of neural networks; Goodfellow, Shlens
and Szegedy (2015), Explaining and harnessing adversarial examples; Madry et al. (2018), Towards
deep learning models resistant to adversarial attacks; Su, Vargas and Sakurai (2019), One pixel
attack for fooling deep neural networks.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from scipy.optimize import differential_evolution
from torch import Tensor, nn

from ._common import Images, as_images, evaluating

__all__ = ["fgsm", "fool_linear", "one_pixel_attack", "pgd"]

Clamp = tuple[float, float] | None


def fool_linear(
    weight: Tensor | np.ndarray,
    x: Tensor | np.ndarray,
    target: int | Tensor | np.ndarray,
    alpha: float,
) -> Tensor:
    """Fool a linear classifier ``scores = W x + b`` by adding a multiple of a class's weights.

    ``x + alpha * W[target]`` raises the target's score by ``alpha * ||W[target]||^2``, more than
    it raises any class whose weights point elsewhere: the template of the target class is
    painted faintly over the image. Pixels are not clipped, so the step is exactly ``alpha * W[target]``.
    weight: (K, D); x: (N, ...) with D values per example; target: int or (N,). Returns x's shape.
    """
    weight = torch.as_tensor(weight, dtype=torch.float32)
    x = torch.as_tensor(x, dtype=torch.float32, device=weight.device)
    if weight.ndim != 2:
        raise ValueError(f"weight must be a (K, D) matrix, got shape {tuple(weight.shape)}")
    if x.ndim < 2 or x[0].numel() != weight.shape[1]:
        raise ValueError(
            f"x must be (N, ...) with D={weight.shape[1]} values per example, got shape {tuple(x.shape)}"
        )
    target = torch.as_tensor(target, dtype=torch.long, device=weight.device)
    if target.shape not in ((), (len(x),)):
        raise ValueError(f"target must be an int or have shape ({len(x)},), got shape {tuple(target.shape)}")
    if target.min() < 0 or target.max() >= weight.shape[0]:
        raise ValueError(f"target must lie in [0, {weight.shape[0]}), got {target.tolist()}")
    return x + alpha * weight[target.expand(len(x))].reshape(x.shape)


def _check_epsilon(epsilon: float) -> None:
    if epsilon < 0:
        raise ValueError(f"epsilon must be non-negative (an L-infinity budget), got {epsilon}")


def _labels(y: Tensor | np.ndarray, x: Tensor) -> Tensor:
    y = torch.as_tensor(y, dtype=torch.long, device=x.device)
    if y.shape != (len(x),):
        raise ValueError(f"y must hold one label per image, shape ({len(x)},), got shape {tuple(y.shape)}")
    return y


def _input_gradient(model: nn.Module, x: Tensor, y: Tensor) -> Tensor:
    """Gradient of the cross-entropy loss with respect to the input (N, C, H, W)."""
    x = x.detach().requires_grad_(True)
    with torch.enable_grad():
        loss = F.cross_entropy(model(x), y)
        (grad,) = torch.autograd.grad(loss, x)
    return grad


def _clip(x: Tensor, clamp: Clamp) -> Tensor:
    return x if clamp is None else x.clamp(*clamp)


def fgsm(
    model: nn.Module,
    x: Images,
    y: Tensor | np.ndarray,
    epsilon: float,
    clamp: Clamp = (0.0, 1.0),
) -> Tensor:
    """Fast gradient sign method (Goodfellow et al. 2015).

    One step ``x + epsilon * sign(grad_x loss)``: under an L-infinity budget the sign of the
    gradient is the direction that raises a linearised loss the most. The result is clipped to
    the valid pixel range ``clamp`` (None: no clipping), so no pixel moves by more than epsilon.
    x: (N, C, H, W); y: (N,) true labels. Returns (N, C, H, W).
    """
    _check_epsilon(epsilon)
    x = as_images(x, model)
    y = _labels(y, x)
    with evaluating(model):
        grad = _input_gradient(model, x, y)
    return _clip(x + epsilon * grad.sign(), clamp).detach()


def pgd(
    model: nn.Module,
    x: Images,
    y: Tensor | np.ndarray,
    epsilon: float,
    alpha: float,
    steps: int,
    random_start: bool = True,
    seed: int = 0,
    clamp: Clamp = (0.0, 1.0),
) -> Tensor:
    """Projected gradient descent on the loss, i.e. iterated FGSM (Madry et al. 2018).

    ``steps`` sign steps of size ``alpha``, each followed by a projection back into the
    L-infinity ball of radius ``epsilon`` around ``x`` and into the pixel range ``clamp``.
    A random start inside the ball (seeded) avoids starting exactly where the gradient may be
    uninformative. x: (N, C, H, W); y: (N,) true labels. Returns (N, C, H, W).
    """
    _check_epsilon(epsilon)
    if alpha <= 0:
        raise ValueError(f"alpha (the step size) must be positive, got {alpha}")
    if steps < 1:
        raise ValueError(f"steps must be a positive integer, got {steps}")
    x = as_images(x, model)
    y = _labels(y, x)
    x_adv = x.clone()
    if random_start:
        generator = torch.Generator().manual_seed(seed)
        noise = torch.rand(x.shape, generator=generator) * 2 - 1
        x_adv = _clip(x + epsilon * noise.to(x.device), clamp)
    with evaluating(model):
        for _ in range(steps):
            x_adv = x_adv + alpha * _input_gradient(model, x_adv, y).sign()
            x_adv = _clip(torch.max(torch.min(x_adv, x + epsilon), x - epsilon), clamp)
    return x_adv.detach()


def one_pixel_attack(
    model: nn.Module,
    x: Images,
    y: int,
    pixels: int = 1,
    maxiter: int = 100,
    popsize: int = 50,
    seed: int = 0,
    clamp: tuple[float, float] = (0.0, 1.0),
) -> tuple[Tensor, bool]:
    """Change ``pixels`` pixels of one image to make the model misclassify it (Su et al. 2019).

    Each candidate is ``pixels`` tuples (row, col, value per channel), evolved by differential
    evolution to minimise the probability of the true class ``y``. No gradient is needed: the
    attack only queries the model's outputs. It stops as soon as the best candidate is misclassified.
    As in scipy, the population holds ``popsize`` candidates per gene (``pixels * (2 + C)`` genes).
    x: (C, H, W) or (1, C, H, W). Returns the perturbed image (C, H, W) and whether the model's
    prediction on it differs from ``y``.
    """
    if pixels < 1:
        raise ValueError(f"pixels must be a positive integer, got {pixels}")
    x = torch.as_tensor(x)
    x = as_images(x[None] if x.ndim == 3 else x, model)
    if x.shape[0] != 1:
        raise ValueError(f"x must be a single image (C, H, W), got shape {tuple(x.shape)}")
    image = x[0]
    channels, height, width = image.shape
    bounds = [(0, height), (0, width)] + [clamp] * channels

    def perturb(candidates: np.ndarray) -> Tensor:
        """(pixels * (2 + C), S) candidates -> (S, C, H, W) images."""
        genes = torch.as_tensor(candidates.T, dtype=torch.float32, device=image.device)
        genes = genes.reshape(-1, pixels, 2 + channels)
        batch = image.repeat(genes.shape[0], 1, 1, 1)
        index = torch.arange(genes.shape[0], device=image.device)
        for p in range(pixels):
            rows = genes[:, p, 0].long().clamp(max=height - 1)
            cols = genes[:, p, 1].long().clamp(max=width - 1)
            batch[index, :, rows, cols] = genes[:, p, 2:]
        return batch

    def true_class_probability(candidates: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            probs = model(perturb(candidates)).softmax(dim=1)
        return probs[:, y].cpu().numpy()

    def fooled(intermediate_result) -> bool:
        with torch.no_grad():
            return model(perturb(intermediate_result.x[:, None])).argmax(dim=1).item() != y

    with evaluating(model):
        # recombination=1 keeps the whole mutant (no crossover), as in Su et al.; the population
        # is scored in one batch per generation (vectorized, deferred updating).
        result = differential_evolution(
            true_class_probability,
            bounds * pixels,
            maxiter=maxiter,
            popsize=popsize,
            mutation=0.5,
            recombination=1.0,
            rng=seed,
            polish=False,
            vectorized=True,
            updating="deferred",
            callback=fooled,
        )
        adversarial = perturb(result.x[:, None])[0]
        with torch.no_grad():
            success = model(adversarial[None]).argmax(dim=1).item() != y
    return adversarial, success
