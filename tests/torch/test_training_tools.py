"""Batched augmentation, in-memory batches, schedules and the learning-rate range test."""

import numpy as np
import pytest
import torch
from torch import nn

from cnncourse.numpy.optim import SGD as NumpySGD
from cnncourse.numpy.optim import OneCycleLR as NumpyOneCycleLR
from cnncourse.torch.batch_augment import compose, mixup, random_crop, random_erasing, random_flip
from cnncourse.torch.lr_finder import lr_range_test
from cnncourse.torch.schedules import SCHEDULES, lr_curve, make_schedule, warmup_cosine
from cnncourse.torch.tensor_batches import TensorBatches


def images(n=6, h=5, w=7, seed=0):
    return torch.rand(n, 1, h, w, generator=torch.Generator().manual_seed(seed)) + 0.5  # no zeros inside


def test_random_crop_is_a_zero_filled_shift_of_each_image():
    x, y = images(), torch.arange(6)
    out, y2 = random_crop(2)(x, y, torch.Generator().manual_seed(1))
    assert out.shape == x.shape and torch.equal(y2, y)
    shifts = set()
    for a, b in zip(x[:, 0], out[:, 0]):
        padded = nn.functional.pad(a, (2, 2, 2, 2))
        found = [(dy, dx) for dy in range(5) for dx in range(5) if torch.equal(padded[dy : dy + 5, dx : dx + 7], b)]
        assert len(found) == 1
        shifts.add(found[0])
    assert len(shifts) > 1  # each image draws its own shift
    assert torch.equal(random_crop(0)(x, y, torch.Generator())[0], x)


def test_random_flip_mirrors_a_fraction_p():
    x = torch.rand(400, 1, 3, 4)
    out, _ = random_flip(0.5)(x, torch.zeros(400), torch.Generator().manual_seed(0))
    flipped = torch.tensor([torch.equal(o, a.flip(2)) for o, a in zip(out, x)])
    kept = torch.tensor([torch.equal(o, a) for o, a in zip(out, x)])
    assert bool((flipped | kept).all()) and 0.4 < flipped.float().mean() < 0.6
    assert torch.equal(random_flip(0.0)(x, None, torch.Generator())[0], x)


def test_random_erasing_zeroes_one_square_per_image():
    x = images(n=50, h=12, w=12)
    out, _ = random_erasing(size=4)(x, None, torch.Generator().manual_seed(0))
    zeros = (out == 0).sum(dim=(1, 2, 3))
    assert zeros.max() == 16 and zeros.min() >= 4  # a full 4x4 square, or part of it at an edge
    assert torch.equal(out[out != 0], x[out != 0])
    assert torch.equal(random_erasing(size=4, p=0.0)(x, None, torch.Generator())[0], x)


def test_mixup_blends_images_and_labels_alike():
    x, y = images(n=8), torch.arange(8)  # every image its own class: the soft label names the partner
    out, soft = mixup(alpha=0.4, num_classes=8)(x, y, torch.Generator().manual_seed(3))
    assert soft.shape == (8, 8)
    torch.testing.assert_close(soft.sum(1), torch.ones(8))
    lams = set()
    for i in range(8):
        lam = soft[i, i]
        partner = int(torch.argmax(soft[i] - lam * torch.eye(8)[i])) if lam < 1 else i
        torch.testing.assert_close(out[i], lam * x[i] + (1 - lam) * x[partner])
        if lam < 1:
            lams.add(round(float(lam), 6))
    assert len(lams) == 1  # one lam for the whole batch


def test_augmentations_repeat_with_the_seed_and_compose():
    x, y = images(n=10), torch.arange(10)
    t = compose(random_flip(), random_crop(1), random_erasing(2))
    a = t(x, y, torch.Generator().manual_seed(5))[0]
    assert torch.equal(a, t(x, y, torch.Generator().manual_seed(5))[0])
    assert not torch.equal(a, t(x, y, torch.Generator().manual_seed(6))[0])


def test_augmentation_errors():
    with pytest.raises(ValueError, match="padding must be a non-negative integer"):
        random_crop(-1)
    with pytest.raises(ValueError, match="p must be a probability"):
        random_flip(1.5)
    with pytest.raises(ValueError, match="alpha must be positive"):
        mixup(0.0)
    with pytest.raises(ValueError, match=r"x must be a batch of images \(N, C, H, W\)"):
        random_crop(2)(torch.zeros(3, 5, 5), None, torch.Generator())


def test_tensor_batches_cover_the_data_once_per_epoch_and_follow_the_seed():
    x = np.arange(10, dtype=np.float32).reshape(10, 1, 1, 1)
    y = np.arange(10)
    batches = TensorBatches(x, y, batch_size=4, shuffle=True, seed=0)
    assert len(batches) == 3
    epoch1 = [b for b in batches]
    assert [len(yb) for _, yb in epoch1] == [4, 4, 2]
    seen = torch.cat([yb for _, yb in epoch1])
    assert sorted(seen.tolist()) == list(range(10))
    assert all(torch.equal(xb[:, 0, 0, 0].long(), yb) for xb, yb in epoch1)  # pairs stay together
    assert not torch.equal(seen, torch.cat([yb for _, yb in batches]))  # reshuffled next epoch
    again = torch.cat([yb for _, yb in TensorBatches(x, y, 4, shuffle=True, seed=0)])
    assert torch.equal(seen, again)
    assert torch.cat([yb for _, yb in TensorBatches(x, y, 4)]).tolist() == list(range(10))
    with pytest.raises(ValueError, match=r"y must be labels \(N,\) with N = 10"):
        TensorBatches(x, y[:5])
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        TensorBatches(x, y, batch_size=0)


def test_schedules_by_name_have_their_shapes():
    steps = 100
    curves = {name: lr_curve(lambda o, n=name: make_schedule(n, o, steps), steps, lr=0.5) for name in SCHEDULES}
    assert np.all(curves["constant"] == 0.5)
    assert curves["step"][0] == 0.5 and curves["step"][60] == pytest.approx(0.05) and curves["step"][80] == pytest.approx(0.005)
    assert curves["cosine"][0] == 0.5 and curves["cosine"][50] == pytest.approx(0.25) and curves["cosine"][-1] < 1e-3
    assert curves["warmup_cosine"][0] == pytest.approx(0.1) and curves["warmup_cosine"].max() == pytest.approx(0.5)
    assert int(np.argmax(curves["warmup_cosine"])) == 4
    one = curves["onecycle"]
    assert one[0] == pytest.approx(0.5 / 25) and one.max() == pytest.approx(0.5, rel=1e-3) and one[-1] < 1e-4
    with pytest.raises(ValueError, match="schedule must be one of"):
        make_schedule("linear", torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1), 10)
    with pytest.raises(ValueError, match="warmup_steps must be in"):
        warmup_cosine(torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1), 10, 10)


def test_torch_one_cycle_and_numpy_one_cycle_agree():
    steps = 40
    ours = NumpySGD(type("M", (), {"params": {}, "grads": {}})(), lr=0.3, momentum=0.9)
    numpy_schedule = NumpyOneCycleLR(ours, max_lr=0.3, total_steps=steps, pct_start=0.25)
    numpy_lrs = [ours.lr] + [(numpy_schedule.step(), ours.lr)[1] for _ in range(steps - 1)]
    torch_lrs = lr_curve(lambda o: make_schedule("onecycle", o, steps), steps, lr=0.3)
    np.testing.assert_allclose(numpy_lrs, torch_lrs, rtol=1e-9)


def test_lr_range_test_finds_the_divergence_and_restores_the_model():
    torch.manual_seed(0)
    x = torch.randn(256, 5)
    y = (x[:, 0] + x[:, 1] > 0).long()
    model = nn.Sequential(nn.Linear(5, 16), nn.ReLU(), nn.Linear(16, 2))
    before = [p.detach().clone() for p in model.parameters()]
    optimizer = torch.optim.SGD(model.parameters(), lr=0.123)
    batches = TensorBatches(x[:, :, None, None], y, batch_size=32, shuffle=True)
    flat = nn.Sequential(nn.Flatten(), model)
    result = lr_range_test(flat, batches, optimizer, start_lr=1e-4, end_lr=100.0, num_steps=80)
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))
    assert optimizer.param_groups[0]["lr"] == 0.123
    assert len(result.lrs) == len(result.losses) == len(result.smoothed) < 80  # stopped at divergence
    assert np.all(np.diff(result.lrs) > 0)
    assert result.smoothed.min() < 0.8 * result.smoothed[0]  # the loss fell somewhere in the sweep
    assert 1e-3 < result.lr_at_min < 100 and result.suggested_lr == pytest.approx(result.lr_at_min / 10)
    with pytest.raises(ValueError, match="need 0 < start_lr < end_lr"):
        lr_range_test(flat, batches, optimizer, start_lr=1.0, end_lr=0.1)


def test_dead_unit_fraction_counts_units_silent_on_every_input():
    from cnncourse.torch.dead_units import dead_unit_fraction

    layer = nn.Linear(3, 4)
    with torch.no_grad():
        layer.weight.copy_(torch.tensor([[1.0, 0, 0], [-1.0, 0, 0], [0, 0, 0], [0, 1.0, 0]]))
        layer.bias.copy_(torch.tensor([0.0, 0.0, -1.0, 5.0]))
    model = nn.Sequential(layer, nn.ReLU())
    x = torch.tensor([[1.0, 0, 0], [-1.0, 0, 0]])
    # unit 0 fires on the first input, unit 1 on the second, unit 2 never (bias -1), unit 3 always.
    assert dead_unit_fraction(model, x) == {"1": 0.25}
    with pytest.raises(ValueError, match="model has no ReLU module"):
        dead_unit_fraction(nn.Sequential(nn.Linear(3, 4)), x)
