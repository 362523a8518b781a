"""Small models trained once per test session, shared by the interpretation and attack tests."""

import pytest
import torch
from torch import nn

from cnncourse.data import load_digits, make_shapes
from cnncourse.torch.loaders import numpy_loader
from cnncourse.torch.train import fit


def _train(model: nn.Module, x, y, epochs: int, seed: int = 0) -> nn.Module:
    loader = numpy_loader(x, y, batch_size=32, shuffle=True, seed=seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    fit(model, loader, epochs=epochs, optimizer=optimizer, device="cpu", progress=False)
    return model.eval()


@pytest.fixture(scope="session")
def digits():
    return load_digits()


@pytest.fixture(scope="session")
def digits_cnn(digits):
    """Two convs on the 8x8 digits (about 97% test accuracy)."""
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(),
        nn.Flatten(), nn.Linear(32 * 4 * 4, 10),
    )  # fmt: skip
    return _train(model, digits.x_train, digits.y_train, epochs=10)


@pytest.fixture(scope="session")
def shapes_test():
    return make_shapes(90, size=28, seed=1)


@pytest.fixture(scope="session")
def shapes_cnn():
    """Three convs (the last two at 14x14) and global average pooling, trained on 600 28x28
    circles, squares and triangles (100% on ``shapes_test``)."""
    train = make_shapes(600, size=28, seed=0)
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(32, 3),
    )  # fmt: skip
    return _train(model, train.images, train.labels, epochs=15)
