"""Train the network that assignment 5 explains and attacks, and save its weights as plain arrays.

    cd assignments/a5_understanding_breaking && python make_network.py

writes ``fashion_cnn.npz``: one array per entry of the model's ``state_dict()`` (``np.savez``, no pickles; read it
back with ``np.load(path, allow_pickle=False)``). The network is small on purpose (20,586 parameters, two conv
blocks): it trains in under a minute of CPU time (52 s on one core of the course's 2-core machine), and every attack
in the assignment runs on it in a fraction of a second.

What is fixed, so that running the script again gives the same file on the same machine and library versions: the
seed (weights, dropout and the order of the minibatches), the optimiser (Adam; the learning rate rises to 3e-3 and
decays along a one-cycle schedule), the batch size (128) and the number of epochs (2). The test set is used once, at
the end, to print and check the accuracy (0.8984 with torch 2.14.1); nothing is tuned on it. ``FashionCNN`` is
copied verbatim into the notebook's provided cell; tests/test_a5_network.py checks that the two are the same and
that the file reaches ``MIN_TEST_ACCURACY``. The assignment ships this script too (``files`` in assignment.toml): the
hidden tests build the grader's own copy of the network from it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import nn

WEIGHTS = Path(__file__).resolve().parent / "fashion_cnn.npz"
SEED, EPOCHS, BATCH_SIZE, LEARNING_RATE = 0, 2, 128, 3e-3
MIN_TEST_ACCURACY = 0.89  # the file is refused below this: the attacks should break a network that works


class FashionCNN(nn.Module):
    """Two conv blocks and a linear layer: x (N, C, 28, 28) in [0, 1] -> class scores (N, 10).

    Every step is a named module, so a layer can be picked by name (``dict(model.named_modules())["conv2"]``).
    Batch normalisation and dropout make the training and evaluation modes differ."""

    def __init__(self, in_channels=1, num_classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, 16, kernel_size=3, padding=1)  # (N, 16, 28, 28)
        self.bn1 = nn.BatchNorm2d(16)
        self.relu1 = nn.ReLU()
        self.pool1 = nn.MaxPool2d(2)  # (N, 16, 14, 14)
        self.conv2 = nn.Conv2d(16, 32, kernel_size=3, padding=1)  # (N, 32, 14, 14)
        self.bn2 = nn.BatchNorm2d(32)
        self.relu2 = nn.ReLU()
        self.pool2 = nn.MaxPool2d(2)  # (N, 32, 7, 7)
        self.dropout = nn.Dropout(0.3)
        self.fc = nn.Linear(32 * 7 * 7, num_classes)

    def forward(self, x):
        x = self.pool1(self.relu1(self.bn1(self.conv1(x))))
        x = self.pool2(self.relu2(self.bn2(self.conv2(x))))
        return self.fc(self.dropout(x.flatten(1)))


def train() -> tuple[FashionCNN, float]:
    """Train a FashionCNN on the 60,000 training images; return it (in evaluation mode) and its test accuracy."""
    from cnncourse.data import load_fashion_mnist
    from cnncourse.torch.device import seed_everything
    from cnncourse.torch.loaders import numpy_loader
    from cnncourse.torch.train import evaluate, train_one_epoch

    seed_everything(SEED)
    data = load_fashion_mnist()
    train_loader = numpy_loader(data.x_train, data.y_train, BATCH_SIZE, shuffle=True, seed=SEED)
    model = FashionCNN()
    optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    # The rate changes at every step (not every epoch): the last steps are small, which helps a 2-epoch run.
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, LEARNING_RATE, total_steps=EPOCHS * len(train_loader),
                                                   pct_start=0.15)
    for epoch in range(EPOCHS):
        model.train()
        for x, y in train_loader:
            loss = nn.functional.cross_entropy(model(x), y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
        print(f"epoch {epoch + 1}: last training loss {loss.item():.3f}")
    _, accuracy = evaluate(model, numpy_loader(data.x_test, data.y_test, 1000), device="cpu")
    return model.eval(), accuracy


def save(model: nn.Module, path: Path = WEIGHTS) -> None:
    """The state_dict as named float arrays (buffers too: batch norm's running statistics)."""
    np.savez(path, **{name: value.numpy() for name, value in model.state_dict().items()})


if __name__ == "__main__":
    model, accuracy = train()
    print(f"test accuracy: {accuracy:.4f}")
    if accuracy < MIN_TEST_ACCURACY:
        raise SystemExit(f"the network reached {accuracy:.4f} < {MIN_TEST_ACCURACY}: not saved")
    save(model)
    print(f"wrote {WEIGHTS}")
