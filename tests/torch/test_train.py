"""The training loop, the device choice and the loaders, on the offline digits (CPU, seconds)."""

import math

import numpy as np
import pytest
import torch
from torch import nn

from cnncourse.data import DatasetUnavailable, load_digits
from cnncourse.torch.device import pick_device, seed_everything
from cnncourse.torch.loaders import cifar10_loaders, digits_loaders, mnist_loaders, numpy_loader, shapes_loaders
from cnncourse.torch.train import History, evaluate, fit


def small_cnn() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(64 * 2 * 2, 10),
    )  # fmt: skip


def tiny_model() -> nn.Module:
    return nn.Sequential(nn.Flatten(), nn.Linear(64, 10))


@pytest.fixture(scope="module")
def tiny_loaders():
    """200 training and 100 test digits: enough to see training happen, fast enough for every test."""
    s = load_digits()
    return (
        numpy_loader(s.x_train[:200], s.y_train[:200], batch_size=50, shuffle=True, seed=0),
        numpy_loader(s.x_test[:100], s.y_test[:100], batch_size=50),
    )


def test_fit_trains_a_small_cnn_on_the_digits_to_97_percent():
    seed_everything(0)
    train_loader, test_loader = digits_loaders(batch_size=32, seed=0)
    model = small_cnn()
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=4)
    history = fit(
        model, train_loader, test_loader,
        epochs=4, optimizer=optimizer, scheduler=scheduler, device="cpu", progress=False,
    )  # fmt: skip
    assert isinstance(history, History) and len(history) == 4
    assert history.val_acc[-1] >= 0.97
    assert history.train_loss[-1] < history.train_loss[0]
    # The recorded learning rate is the one each epoch trained with: cosine annealing from 3e-3.
    expected_lr = [1.5e-3 * (1 + math.cos(math.pi * e / 4)) for e in range(4)]
    np.testing.assert_allclose(history.lr, expected_lr, rtol=1e-6)
    assert all(ips > 0 for ips in history.images_per_sec)
    # The history's last validation numbers are what evaluate() measures on the trained model.
    loss, acc = evaluate(model, test_loader, device="cpu")
    assert acc == pytest.approx(history.val_acc[-1]) and loss == pytest.approx(history.val_loss[-1], rel=1e-5)


def test_fit_on_the_auto_device(tiny_loaders):
    train_loader, test_loader = tiny_loaders
    model = tiny_model()
    history = fit(model, train_loader, test_loader, epochs=3, optimizer=torch.optim.Adam(model.parameters(), 5e-2))
    assert next(model.parameters()).device.type == pick_device().type
    assert len(history) == 3 and history.val_acc[-1] > 0.5  # chance is 0.1


def test_fit_without_validation_records_nan(tiny_loaders):
    model = tiny_model()
    history = fit(model, tiny_loaders[0], epochs=1, optimizer=torch.optim.SGD(model.parameters(), 0.1), progress=False)
    assert math.isnan(history.val_loss[0]) and math.isnan(history.val_acc[0])
    assert 0.0 <= history.train_acc[0] <= 1.0


def test_evaluate_weights_batches_by_their_size():
    """Batches of 3 and 1 samples: the mean loss is over samples, not over batches."""
    torch.manual_seed(0)
    x, y = torch.randn(4, 5), torch.tensor([0, 1, 2, 1])
    model = nn.Linear(5, 3)
    loader = numpy_loader(x.numpy(), y.numpy(), batch_size=3)
    loss, acc = evaluate(model, loader, device="cpu")
    with torch.no_grad():
        logits = model(x)
    assert loss == pytest.approx(nn.functional.cross_entropy(logits, y).item(), rel=1e-6)
    assert acc == pytest.approx((logits.argmax(1) == y).float().mean().item())


class CountingLoader:
    """Wraps a loader and counts the epochs (passes) made over it."""

    def __init__(self, loader):
        self.loader, self.passes = loader, 0

    def __iter__(self):
        self.passes += 1
        return iter(self.loader)


def test_checkpoint_resume_continues_from_the_saved_epoch(tiny_loaders, tmp_path):
    path = tmp_path / "ckpt.pt"
    torch.manual_seed(0)
    model = tiny_model()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    first = fit(model, tiny_loaders[0], tiny_loaders[1], epochs=2, optimizer=optimizer, checkpoint=path, progress=False)
    saved = {k: v.clone() for k, v in model.state_dict().items()}

    # A fresh model asked for 2 epochs again gets the saved weights and trains no further.
    fresh = tiny_model()
    loader = CountingLoader(tiny_loaders[0])
    again = fit(
        fresh, loader, epochs=2, optimizer=torch.optim.SGD(fresh.parameters(), lr=0.1, momentum=0.9),
        checkpoint=path, resume=True, progress=False,
    )  # fmt: skip
    assert loader.passes == 0 and again == first
    for k, v in fresh.state_dict().items():
        torch.testing.assert_close(v, saved[k])

    # Asked for 3, it trains one more epoch, with the optimizer's momentum restored.
    optimizer = torch.optim.SGD(fresh.parameters(), lr=0.1, momentum=0.9)
    resumed = fit(fresh, loader, epochs=3, optimizer=optimizer, checkpoint=path, resume=True, progress=False)
    assert loader.passes == 1 and len(resumed) == 3
    assert resumed.train_loss[:2] == first.train_loss
    assert all("momentum_buffer" in s for s in optimizer.state.values()) and optimizer.state
    assert torch.load(path, weights_only=True)["epoch"] == 3


def test_resume_without_a_checkpoint_file_starts_from_scratch(tiny_loaders, tmp_path):
    model = tiny_model()
    history = fit(
        model, tiny_loaders[0], epochs=1, optimizer=torch.optim.SGD(model.parameters(), 0.1),
        checkpoint=tmp_path / "none.pt", resume=True, progress=False,
    )  # fmt: skip
    assert len(history) == 1 and (tmp_path / "none.pt").exists()


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"epochs": 0}, ValueError, "epochs must be a positive integer"),
        ({"optimizer": "sgd"}, TypeError, "optimizer must be a torch.optim.Optimizer"),
        ({"resume": True}, ValueError, "resume=True needs a checkpoint"),
        ({"amp": True, "device": "cpu"}, ValueError, "amp=True needs a CUDA device"),
        ({"amp": "yes"}, ValueError, "amp must be True, False or 'auto'"),
    ],
)
def test_fit_bad_input(tiny_loaders, kwargs, error, match):
    model = tiny_model()
    args = {"epochs": 1, "optimizer": torch.optim.SGD(model.parameters(), 0.1), "progress": False} | kwargs
    with pytest.raises(error, match=match):
        fit(model, tiny_loaders[0], **args)


def test_fit_rejects_a_non_module_and_an_empty_loader():
    model = tiny_model()
    opt = torch.optim.SGD(model.parameters(), 0.1)
    with pytest.raises(TypeError, match="model must be a torch.nn.Module"):
        fit(lambda x: x, [], epochs=1, optimizer=opt)
    with pytest.raises(ValueError, match="train_loader yielded no batches"):
        fit(model, [], epochs=1, optimizer=opt, progress=False)


def test_pick_device_falls_back_to_the_cpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert pick_device() == torch.device("cpu")
    assert pick_device("cpu") == torch.device("cpu")
    with pytest.raises(RuntimeError, match="'cuda' is not available.*available: \\['cpu'\\]"):
        pick_device("cuda")
    with pytest.raises(RuntimeError, match="'mps' is not available"):
        pick_device("mps")
    with pytest.raises(ValueError, match="prefer must be"):
        pick_device("tpu")


def test_pick_device_prefers_cuda_then_mps(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    assert pick_device() == torch.device("mps")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert pick_device() == torch.device("cuda")


def test_seed_everything_repeats_random_draws():
    seed_everything(7)
    first = (np.random.rand(3), torch.rand(3))
    seed_everything(7)
    np.testing.assert_array_equal(np.random.rand(3), first[0])
    torch.testing.assert_close(torch.rand(3), first[1])


def test_numpy_loader_order_depends_on_the_seed_only():
    x, y = np.arange(20, dtype=np.float32).reshape(20, 1, 1, 1), np.arange(20)
    order = lambda seed: torch.cat([b for _, b in numpy_loader(x, y, batch_size=8, shuffle=True, seed=seed)])
    torch.manual_seed(1)
    a = order(3)
    torch.manual_seed(2)  # the global seed does not matter
    assert torch.equal(a, order(3)) and not torch.equal(a, order(4))
    assert sorted(a.tolist()) == list(range(20))


def test_numpy_loader_applies_the_transform_and_checks_lengths():
    x, y = np.zeros((4, 1, 2, 2), np.float32), np.arange(4)
    xb, yb = next(iter(numpy_loader(x, y, batch_size=4, transform=lambda img: img + 1)))
    assert xb.shape == (4, 1, 2, 2) and torch.all(xb == 1) and yb.dtype == torch.int64
    with pytest.raises(ValueError, match="same length"):
        numpy_loader(x, y[:3])
    with pytest.raises(ValueError, match="batch_size must be"):
        numpy_loader(x, y, batch_size=0)


def test_offline_loaders_have_the_expected_shapes():
    train, test = digits_loaders(batch_size=16)
    assert next(iter(train))[0].shape == (16, 1, 8, 8) and len(train.dataset) + len(test.dataset) == 1797
    train, test = shapes_loaders(n_train=30, n_test=12, size=20, batch_size=10)
    xb, yb = next(iter(test))
    assert xb.shape == (10, 1, 20, 20) and len(train.dataset) == 30 and len(test.dataset) == 12


def test_fit_on_a_missing_device_says_so(tiny_loaders, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    model = tiny_model()
    with pytest.raises(RuntimeError, match="device 'cuda' is not available"):
        fit(model, tiny_loaders[0], epochs=1, optimizer=torch.optim.SGD(model.parameters(), 0.1), device="cuda")


@pytest.mark.parametrize("make_loaders", [mnist_loaders, cifar10_loaders])
def test_real_data_loaders_raise_dataset_unavailable_offline(make_loaders, monkeypatch, tmp_path):
    import urllib.error

    import torchvision.datasets.utils as tv_utils

    def no_network(url, *args, **kwargs):
        raise urllib.error.URLError("network is unreachable")

    monkeypatch.setattr(tv_utils, "download_url", no_network)
    with pytest.raises(DatasetUnavailable, match="load_digits"):
        make_loaders(root=tmp_path)


# ----------------------------------------------------------------------------- fit in pieces, one History


def test_train_one_epoch_is_one_pass_of_fit(tiny_loaders):
    from cnncourse.torch.train import train_one_epoch

    torch.manual_seed(0)
    a = tiny_model()
    b = tiny_model()
    b.load_state_dict(a.state_dict())
    s = load_digits()

    def loader():  # a new loader with the same seed gives the same batch order
        return numpy_loader(s.x_train[:200], s.y_train[:200], batch_size=50, shuffle=True, seed=3)

    history = fit(a, loader(), epochs=1, optimizer=torch.optim.SGD(a.parameters(), lr=0.1), progress=False)
    result = train_one_epoch(b, loader(), torch.optim.SGD(b.parameters(), lr=0.1), device="cpu")
    assert (result.loss, result.acc) == (history.train_loss[0], history.train_acc[0])
    assert result.images_per_sec > 0 and b.training
    for k, v in a.state_dict().items():
        torch.testing.assert_close(b.state_dict()[k], v)


def test_save_and_load_checkpoint_round_trip(tiny_loaders, tmp_path):
    from cnncourse.torch.train import load_checkpoint, save_checkpoint

    torch.manual_seed(0)
    model = tiny_model()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    history = fit(model, *tiny_loaders, epochs=2, optimizer=optimizer, scheduler=scheduler, progress=False)
    save_checkpoint(tmp_path / "c.pt", model, optimizer, scheduler, history)

    fresh = tiny_model()
    fresh_optimizer = torch.optim.SGD(fresh.parameters(), lr=0.1, momentum=0.9)
    fresh_scheduler = torch.optim.lr_scheduler.StepLR(fresh_optimizer, step_size=1, gamma=0.5)
    restored = load_checkpoint(tmp_path / "c.pt", fresh, fresh_optimizer, fresh_scheduler)
    assert restored == history and len(restored) == 2
    assert fresh_optimizer.param_groups[0]["lr"] == pytest.approx(0.025) and fresh_scheduler.last_epoch == 2
    for k, v in model.state_dict().items():
        torch.testing.assert_close(fresh.state_dict()[k], v)


def test_both_fits_return_the_one_torch_free_history():
    import subprocess
    import sys

    import cnncourse.history
    import cnncourse.numpy

    assert History is cnncourse.numpy.History is cnncourse.history.History
    code = "import sys, cnncourse.history, cnncourse.numpy; assert 'torch' not in sys.modules, 'torch imported'"
    subprocess.run([sys.executable, "-c", code], check=True)
