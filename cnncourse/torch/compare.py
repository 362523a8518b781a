"""Train several architectures under one budget and tabulate their cost and accuracy over seeds.

``compare_architectures(BOOK_NETWORKS)`` regenerates the book's cross-chapter table: for every network
the parameters, the multiply-adds per image, the time per training epoch and the test accuracy (mean and
spread over the seeds). ``data="cifar10"``, more ``epochs`` or ``train_size=None`` (the whole training
set) regenerate it at full size on a GPU.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from .. import data as datasets
from .device import pick_device, seed_everything
from .loaders import numpy_loader
from .models import alexnet_small, densenet_small, googlenet_small, lenet5, resnet_cifar, vgg_small
from .summary import count_macs
from .train import History, evaluate, fit

__all__ = ["NetworkFactory", "BOOK_NETWORKS", "ArchitectureResult", "Comparison", "load_comparison_data",
           "compare_architectures", "TrainingCurve", "training_curve"]

# A factory builds a fresh network for images (in_channels, input_size, input_size) and num_classes classes.
NetworkFactory = Callable[[int, int, int], nn.Module]


def _lenet(in_channels: int, input_size: int, num_classes: int) -> nn.Module:
    if in_channels != 1:
        raise ValueError("LeNet-5 reads grey images (in_channels=1)")
    return lenet5(num_classes=num_classes, activation="relu", pooling="max", input_size=input_size)


# The networks chapters 5-7 train, in the sizes the book uses on a CPU.
BOOK_NETWORKS: dict[str, NetworkFactory] = {
    "LeNet-5": _lenet,
    "AlexNet (small)": lambda c, s, k: alexnet_small(num_classes=k, in_channels=c, input_size=s),
    "VGG-A (small, width 16)": lambda c, s, k: vgg_small("A", num_classes=k, in_channels=c, width=16),
    "ResNet-20 (width 8)": lambda c, s, k: resnet_cifar(20, num_classes=k, in_channels=c, width=8),
    "plain-20 (width 8)": lambda c, s, k: resnet_cifar(20, num_classes=k, in_channels=c, width=8, shortcut="none"),
    "DenseNet-BC (small)": lambda c, s, k: densenet_small(num_classes=k, growth_rate=8, block_layers=(3, 3, 3),
                                                          in_channels=c),
    "GoogLeNet (small)": lambda c, s, k: googlenet_small(num_classes=k, in_channels=c),
}


@dataclass
class ArchitectureResult:
    """One network's row: its size, cost and, per seed, the test accuracy, time per epoch and history."""

    name: str
    parameters: int
    macs: int
    test_accuracy: list[float] = field(default_factory=list)
    cpu_seconds_per_epoch: list[float] = field(default_factory=list)
    wall_seconds_per_epoch: list[float] = field(default_factory=list)
    histories: list[History] = field(default_factory=list)
    models: list[nn.Module] = field(default_factory=list, repr=False)  # the trained networks, one per seed

    @property
    def accuracy_mean(self) -> float:
        return statistics.fmean(self.test_accuracy)

    @property
    def accuracy_std(self) -> float:
        """Sample standard deviation over the seeds (0 for a single seed)."""
        return statistics.stdev(self.test_accuracy) if len(self.test_accuracy) > 1 else 0.0

    @property
    def cpu_seconds(self) -> float:
        """Mean CPU time (all threads of this process) per training epoch."""
        return statistics.fmean(self.cpu_seconds_per_epoch)

    @property
    def wall_seconds(self) -> float:
        return statistics.fmean(self.wall_seconds_per_epoch)


@dataclass
class Comparison:
    """The results of :func:`compare_architectures`, one per network, with the budget they were trained on."""

    data: str
    device: str
    seeds: tuple[int, ...]
    epochs: int
    train_size: int
    test_size: int
    results: list[ArchitectureResult]

    def __getitem__(self, name: str) -> ArchitectureResult:
        for result in self.results:
            if result.name == name:
                return result
        raise KeyError(f"no network named {name!r}; networks: {', '.join(r.name for r in self.results)}")

    def to_markdown(self) -> str:
        """One row per network: parameters, MACs, CPU and wall seconds per epoch, accuracy mean +- std."""
        lines = [
            f"| network | parameters | multiply-adds per image | CPU s / epoch | wall s / epoch | "
            f"test accuracy (mean +- std, {len(self.seeds)} seeds) |",
            "| --- | ---: | ---: | ---: | ---: | ---: |",
        ]
        for r in self.results:
            lines.append(
                f"| {r.name} | {r.parameters:,} | {r.macs:,} | {r.cpu_seconds:.2f} | {r.wall_seconds:.2f} | "
                f"{r.accuracy_mean:.3f} +- {r.accuracy_std:.3f} |"
            )
        return "\n".join(lines)

    def _repr_markdown_(self) -> str:
        caption = (
            f"{self.data}: {self.train_size:,} training and {self.test_size:,} test images, "
            f"{self.epochs} epoch(s), device {self.device}\n\n"
        )
        return caption + self.to_markdown()


def load_comparison_data(data: str | datasets.Split) -> tuple[str, datasets.Split]:
    """The data set by name ("fashion_mnist" or "cifar10", both returning a ``Split``) or a ``Split`` as given."""
    if isinstance(data, datasets.Split):
        return "custom", data
    loaders = {"fashion_mnist": datasets.load_fashion_mnist, "cifar10": datasets.load_cifar10}
    if data not in loaders:
        raise ValueError(f"data must be a Split or one of {', '.join(loaders)}, got {data!r}")
    return data, loaders[data]()


def _subset(x: np.ndarray, y: np.ndarray, size: int | None, name: str) -> tuple[np.ndarray, np.ndarray]:
    """The first ``size`` images of a fixed shuffle (the same for every seed and network), or all of them."""
    if size is None:
        return x, y
    if not isinstance(size, int) or not 1 <= size <= len(x):
        raise ValueError(f"{name} must be None or an integer in 1..{len(x)}, got {size!r}")
    order = np.random.default_rng(0).permutation(len(x))[:size]
    return x[order], y[order]


def compare_architectures(
    networks: Mapping[str, NetworkFactory] | None = None,
    data: str | datasets.Split = "fashion_mnist",
    seeds: Sequence[int] = (0, 1, 2),
    epochs: int = 1,
    train_size: int | None = None,
    test_size: int | None = None,
    batch_size: int = 128,
    lr: float = 1e-3,
    device: str | torch.device | None = None,
    progress: bool = False,
) -> Comparison:
    """Train every network of ``networks`` (name -> factory, default :data:`BOOK_NETWORKS`) once per seed
    with Adam (learning rate ``lr``) for ``epochs`` epochs and measure it.

    Each seed fixes the initial weights and the batch order; all networks see the same ``train_size``
    training images and are tested on the same ``test_size`` test images (``None``: the whole split).
    Times are per epoch of training only: CPU time of this process (``time.process_time``, summed over
    its threads) and wall-clock time. MACs are per image, counted by :func:`~cnncourse.torch.count_macs`.
    ``device=None`` picks CUDA, then MPS, then the CPU.
    """
    networks = BOOK_NETWORKS if networks is None else networks
    if not isinstance(networks, Mapping) or not networks:
        raise TypeError("networks must be a non-empty mapping of name -> factory(in_channels, input_size, num_classes)")
    seeds = tuple(seeds)
    if not seeds or not all(isinstance(s, int) for s in seeds):
        raise ValueError(f"seeds must be a non-empty sequence of integers, got {seeds!r}")
    if not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"epochs must be a positive integer, got {epochs!r}")
    device = pick_device() if device is None else (device if isinstance(device, torch.device) else pick_device(device))
    name, split = load_comparison_data(data)
    x_train, y_train = _subset(split.x_train, split.y_train, train_size, "train_size")
    x_test, y_test = _subset(split.x_test, split.y_test, test_size, "test_size")
    in_channels, input_size = x_train.shape[1], x_train.shape[2]
    num_classes = int(max(y_train.max(), y_test.max())) + 1
    test_loader = numpy_loader(x_test, y_test, batch_size=512)

    results = []
    for net_name, factory in networks.items():
        probe = factory(in_channels, input_size, num_classes)
        result = ArchitectureResult(
            net_name, sum(p.numel() for p in probe.parameters()), count_macs(probe, (in_channels, input_size, input_size))
        )
        for seed in seeds:
            seed_everything(seed)
            model = factory(in_channels, input_size, num_classes)
            loader = numpy_loader(x_train, y_train, batch_size, shuffle=True, seed=seed)
            optimizer = torch.optim.Adam(model.parameters(), lr=lr)
            cpu0, wall0 = time.process_time(), time.perf_counter()
            history = fit(model, loader, epochs=epochs, optimizer=optimizer, device=device, progress=progress)
            if device.type == "cuda":
                torch.cuda.synchronize()
            result.cpu_seconds_per_epoch.append((time.process_time() - cpu0) / epochs)
            result.wall_seconds_per_epoch.append((time.perf_counter() - wall0) / epochs)
            result.test_accuracy.append(evaluate(model, test_loader, device)[1])
            result.histories.append(history)
            result.models.append(model)
        results.append(result)
    return Comparison(name, str(device), seeds, epochs, len(x_train), len(x_test), results)


@dataclass
class TrainingCurve:
    """Per-step training loss and error (fraction of the minibatch misclassified), both ``(steps,)``,
    measured on each minibatch just before the step that learns from it."""

    loss: np.ndarray
    error: np.ndarray
    batch_size: int
    train_size: int

    @property
    def epochs(self) -> np.ndarray:
        """The training time of each step in epochs (passes over the training images): ``(steps,)``."""
        return np.arange(1, len(self.loss) + 1) * self.batch_size / self.train_size

    def epochs_to(self, threshold: float, window: int = 20) -> float:
        """Epochs until the error averaged over the last ``window`` minibatches first falls to ``threshold``
        or below; ``inf`` if it never does."""
        if len(self.error) < window:
            raise ValueError(f"window ({window}) is longer than the curve ({len(self.error)} steps)")
        running = np.convolve(self.error, np.ones(window) / window, mode="valid")
        below = np.flatnonzero(running <= threshold)
        return float(self.epochs[below[0] + window - 1]) if below.size else float("inf")


def training_curve(
    model: nn.Module,
    x: np.ndarray,
    y: np.ndarray,
    steps: int,
    batch_size: int = 64,
    lr: float = 1e-3,
    seed: int = 0,
    optimizer: str = "adam",
    device: str | torch.device | None = None,
) -> TrainingCurve:
    """Train ``model`` for ``steps`` steps on shuffled minibatches of ``x: (N, C, H, W)``, ``y: (N,)`` (cycling
    through the data as often as needed) and record the loss and error of every minibatch.

    ``optimizer``: "adam", or "sgd" (with momentum 0.9, as AlexNet was trained). ``seed`` fixes the batch
    order only: seed the model's initial weights before building it. Curves per step, not per epoch, show
    the first moments of training that a short budget allows.
    """
    if not isinstance(steps, int) or steps < 1:
        raise ValueError(f"steps must be a positive integer, got {steps!r}")
    if optimizer not in ("adam", "sgd"):
        raise ValueError(f"optimizer must be 'adam' or 'sgd', got {optimizer!r}")
    device = pick_device() if device is None else (device if isinstance(device, torch.device) else pick_device(device))
    model.to(device).train()
    params = model.parameters()
    opt = torch.optim.Adam(params, lr=lr) if optimizer == "adam" else torch.optim.SGD(params, lr=lr, momentum=0.9)
    loader = numpy_loader(x, y, batch_size, shuffle=True, seed=seed)
    losses: list[float] = []
    errors: list[float] = []
    while len(losses) < steps:
        for xb, yb in loader:
            xb, yb = xb.to(device), yb.to(device)
            logits = model(xb)
            loss = nn.functional.cross_entropy(logits, yb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            losses.append(loss.item())
            errors.append((logits.argmax(1) != yb).float().mean().item())
            if len(losses) == steps:
                break
    return TrainingCurve(np.array(losses), np.array(errors), batch_size, len(x))
