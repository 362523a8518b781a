"""Optimizers and schedules follow exactly the same trajectories as torch.optim."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

from cnncourse.numpy import layers as L
from cnncourse.numpy.losses import softmax_cross_entropy
from cnncourse.numpy.optim import SGD, Adam, AdamW, CosineAnnealingLR, LinearLR, OneCycleLR, StepLR

A = np.array([[3.0, 0.5, 0.0], [0.5, 1.0, 0.2], [0.0, 0.2, 0.5]])
B = np.array([1.0, -2.0, 0.5])


class Quadratic:
    """f(w, v) = 1/2 w^T A w - b^T w + 1/2 |v|^2 with two named parameters, as a layer exposes them."""

    def __init__(self):
        self.params = {"w": np.array([2.0, -1.0, 3.0]), "v": np.array([[1.0, -0.5]])}
        self.grads = {name: np.zeros_like(p) for name, p in self.params.items()}

    def compute_grads(self):
        self.grads["w"][...] = A @ self.params["w"] - B
        self.grads["v"][...] = self.params["v"]


def torch_trajectory(make_optimizer, steps, make_scheduler=None):
    w = torch.tensor([2.0, -1.0, 3.0], dtype=torch.float64, requires_grad=True)
    v = torch.tensor([[1.0, -0.5]], dtype=torch.float64, requires_grad=True)
    opt = make_optimizer([w, v])
    scheduler = make_scheduler(opt) if make_scheduler else None
    trajectory = []
    for _ in range(steps):
        opt.zero_grad()
        loss = 0.5 * w @ torch.tensor(A) @ w - torch.tensor(B) @ w + 0.5 * (v**2).sum()
        loss.backward()
        opt.step()
        if scheduler:
            scheduler.step()
        trajectory.append(np.concatenate([w.detach().numpy().copy(), v.detach().numpy().ravel()]))
    return np.array(trajectory)


def our_trajectory(make_optimizer, steps, make_scheduler=None):
    model = Quadratic()
    opt = make_optimizer(model)
    scheduler = make_scheduler(opt) if make_scheduler else None
    trajectory = []
    for _ in range(steps):
        model.compute_grads()
        opt.step()
        if scheduler:
            scheduler.step()
        trajectory.append(np.concatenate([model.params["w"], model.params["v"].ravel()]))
    return np.array(trajectory)


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(lr=0.1),
        dict(lr=0.1, momentum=0.9),
        dict(lr=0.05, momentum=0.8, nesterov=True),
        dict(lr=0.1, momentum=0.5, weight_decay=0.1),
    ],
)
def test_sgd_matches_torch(kwargs):
    ours = our_trajectory(lambda m: SGD(m, **kwargs), 15)
    theirs = torch_trajectory(lambda p: torch.optim.SGD(p, **kwargs), 15)
    np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-12)
    assert not np.allclose(ours[0], ours[-1])


@pytest.mark.parametrize(
    "kwargs", [dict(), dict(lr=0.1), dict(lr=0.05, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.01)]
)
def test_adam_matches_torch(kwargs):
    ours = our_trajectory(lambda m: Adam(m, **kwargs), 15)
    theirs = torch_trajectory(lambda p: torch.optim.Adam(p, **kwargs), 15)
    np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-12)


@pytest.mark.parametrize(
    "ours, theirs",
    [
        (lambda o: StepLR(o, step_size=3, gamma=0.5), lambda o: torch.optim.lr_scheduler.StepLR(o, 3, 0.5)),
        (lambda o: CosineAnnealingLR(o, T_max=8, eta_min=0.01),
         lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=8, eta_min=0.01)),
    ],
)
def test_schedules_match_torch(ours, theirs):
    opt = SGD(Quadratic(), lr=0.2)
    ref_opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.2)
    scheduler, ref = ours(opt), theirs(ref_opt)
    lrs, ref_lrs = [opt.lr], [ref_opt.param_groups[0]["lr"]]
    for _ in range(20):  # past T_max, where the cosine comes back up
        ref_opt.step()
        scheduler.step()
        ref.step()
        lrs.append(scheduler.get_last_lr())
        ref_lrs.append(ref.get_last_lr()[0])
    np.testing.assert_allclose(lrs, ref_lrs, rtol=1e-9)
    assert len(set(np.round(lrs, 12))) > 3
    # The schedule drives the optimizer: the same trajectory as torch with its scheduler.
    np.testing.assert_allclose(
        our_trajectory(lambda m: SGD(m, lr=0.2, momentum=0.5), 12, ours),
        torch_trajectory(lambda p: torch.optim.SGD(p, lr=0.2, momentum=0.5), 12, theirs),
        rtol=1e-6,
        atol=1e-12,
    )


def test_sgd_on_a_tiny_conv_net_matches_torch():
    model = L.Sequential(
        L.Conv2d(1, 3, 3, padding=1, seed=0, dtype=np.float64),
        L.ReLU(),
        L.MaxPool2d(2),
        L.Flatten(),
        L.Linear(3 * 3 * 3, 4, seed=1, dtype=np.float64),
    )
    ref = torch.nn.Sequential(
        torch.nn.Conv2d(1, 3, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2), torch.nn.Flatten(),
        torch.nn.Linear(27, 4),
    ).double()
    with torch.no_grad():
        for name, tensor in ref.named_parameters():
            tensor.copy_(torch.tensor(model.params[name.replace("weight", "W").replace("bias", "b")]))
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((5, 1, 6, 6)), rng.integers(0, 4, size=5)
    opt = SGD(model, lr=0.1, momentum=0.9, weight_decay=1e-3)
    ref_opt = torch.optim.SGD(ref.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-3)
    for _ in range(4):
        loss, dlogits = softmax_cross_entropy(model(x), y)
        model.backward(dlogits)
        opt.step()
        ref_opt.zero_grad()
        ref_loss = TF.cross_entropy(ref(torch.tensor(x)), torch.tensor(y))
        ref_loss.backward()
        ref_opt.step()
        assert loss == pytest.approx(ref_loss.item(), rel=1e-9)
    for name, tensor in ref.named_parameters():
        ours = model.params[name.replace("weight", "W").replace("bias", "b")]
        np.testing.assert_allclose(ours, tensor.detach().numpy(), rtol=1e-6, atol=1e-12)


def test_float32_parameters_stay_float32_and_in_place():
    model = L.Linear(3, 2, seed=0)
    w = model.params["W"]
    model(np.ones((4, 3)))
    model.backward(np.ones((4, 2)))
    Adam(model, lr=0.1).step()
    assert model.params["W"] is w and w.dtype == np.float32


def test_optimizer_errors():
    with pytest.raises(ValueError, match="nesterov=True needs a momentum > 0"):
        SGD(Quadratic(), lr=0.1, nesterov=True)
    with pytest.raises(TypeError, match=r"model must have \.params and \.grads"):
        SGD([np.zeros(3)], lr=0.1)
    with pytest.raises(ValueError, match=r"betas must be two numbers in \[0, 1\)"):
        Adam(Quadratic(), betas=(0.9, 1.0))
    with pytest.raises(ValueError, match="T_max must be a positive integer"):
        CosineAnnealingLR(SGD(Quadratic(), lr=0.1), T_max=0)


@pytest.mark.parametrize("kwargs", [dict(), dict(lr=0.05, weight_decay=0.1), dict(lr=0.02, betas=(0.8, 0.95), weight_decay=0.5)])
def test_adamw_matches_torch(kwargs):
    ours = our_trajectory(lambda m: AdamW(m, **kwargs), 15)
    theirs = torch_trajectory(lambda p: torch.optim.AdamW(p, **kwargs), 15)
    np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-12)


def test_adamw_decay_is_not_adam_l2():
    """Decoupled decay and L2-in-the-gradient follow different paths once weight_decay > 0."""
    decoupled = our_trajectory(lambda m: AdamW(m, lr=0.05, weight_decay=0.5), 10)
    coupled = our_trajectory(lambda m: Adam(m, lr=0.05, weight_decay=0.5), 10)
    plain = our_trajectory(lambda m: Adam(m, lr=0.05), 10)
    assert np.abs(decoupled - coupled).max() > 1e-3
    np.testing.assert_allclose(our_trajectory(lambda m: AdamW(m, lr=0.05, weight_decay=0.0), 10), plain)


@pytest.mark.parametrize(
    "ours, theirs, steps",
    [
        (lambda o: LinearLR(o, start_factor=0.1, total_iters=4),
         lambda o: torch.optim.lr_scheduler.LinearLR(o, start_factor=0.1, total_iters=4), 9),
        (lambda o: LinearLR(o, start_factor=0.25, end_factor=0.5, total_iters=3),
         lambda o: torch.optim.lr_scheduler.LinearLR(o, start_factor=0.25, end_factor=0.5, total_iters=3), 6),
        (lambda o: OneCycleLR(o, max_lr=1.0, total_steps=20, cycle_momentum=False),
         lambda o: torch.optim.lr_scheduler.OneCycleLR(o, max_lr=1.0, total_steps=20, cycle_momentum=False), 20),
        (lambda o: OneCycleLR(o, max_lr=0.4, total_steps=13, pct_start=0.25, div_factor=10, final_div_factor=100,
                              cycle_momentum=False),
         lambda o: torch.optim.lr_scheduler.OneCycleLR(o, max_lr=0.4, total_steps=13, pct_start=0.25, div_factor=10,
                                                       final_div_factor=100, cycle_momentum=False), 13),
    ],
)
def test_warmup_and_one_cycle_match_torch(ours, theirs, steps):
    opt = SGD(Quadratic(), lr=0.2)
    ref_opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.2)
    scheduler, ref = ours(opt), theirs(ref_opt)
    lrs, ref_lrs = [opt.lr], [ref_opt.param_groups[0]["lr"]]
    for _ in range(steps - 1):
        ref_opt.step()
        scheduler.step()
        ref.step()
        lrs.append(opt.lr)
        ref_lrs.append(ref_opt.param_groups[0]["lr"])
    np.testing.assert_allclose(lrs, ref_lrs, rtol=1e-9)
    assert len(set(np.round(lrs, 12))) > 3


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_one_cycle_with_momentum_follows_torch(optimizer):
    """The lr and the momentum (SGD) or beta1 (Adam) cycle together: same trajectory as torch."""
    steps = 12
    if optimizer == "sgd":
        make_ours, make_theirs = (lambda m: SGD(m, lr=0.1, momentum=0.9, nesterov=True),
                                  lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True))
    else:
        make_ours, make_theirs = lambda m: Adam(m, lr=0.1), lambda p: torch.optim.Adam(p, lr=0.1)
    np.testing.assert_allclose(
        our_trajectory(make_ours, steps - 1, lambda o: OneCycleLR(o, max_lr=0.3, total_steps=steps)),
        torch_trajectory(make_theirs, steps - 1,
                         lambda o: torch.optim.lr_scheduler.OneCycleLR(o, max_lr=0.3, total_steps=steps)),
        rtol=1e-6,
        atol=1e-12,
    )


def test_one_cycle_shape_and_errors():
    opt = SGD(Quadratic(), lr=0.1, momentum=0.9)
    scheduler = OneCycleLR(opt, max_lr=1.0, total_steps=10, pct_start=0.3, div_factor=25, final_div_factor=1e4)
    lrs = [opt.lr] + [(scheduler.step(), opt.lr)[1] for _ in range(9)]
    assert lrs[0] == pytest.approx(1.0 / 25) and max(lrs) == pytest.approx(1.0) and int(np.argmax(lrs)) == 2
    assert lrs[-1] == pytest.approx(1.0 / 25 / 1e4)
    assert opt.momentum == pytest.approx(0.95)  # back at max_momentum when the lr is lowest
    with pytest.raises(ValueError, match="more than total_steps"):
        scheduler.step()
        scheduler.step()
    with pytest.raises(ValueError, match="cycle_momentum=True needs an optimizer with momentum"):
        OneCycleLR(SGD(Quadratic(), lr=0.1), max_lr=1.0, total_steps=10)
    with pytest.raises(ValueError, match="pct_start must be in"):
        OneCycleLR(opt, max_lr=1.0, total_steps=10, pct_start=1.0)
    with pytest.raises(ValueError, match="total_iters must be a positive integer"):
        LinearLR(opt, total_iters=0)
