"""Hidden test for question 6: the trained SmallResNet on 2,000 other Fashion-MNIST test images."""

import numpy as np
import torch

from autograder.testing import accuracy_of, trained_model


def test_accuracy_on_held_out_images(student):
    """The trained SmallResNet classifies at least 90% of 2,000 further test images correctly."""
    from cnncourse.data import load_fashion_mnist

    data = load_fashion_mnist()
    chosen = np.sort(np.random.default_rng(2026).choice(np.arange(1000, len(data.x_test)), 2000, replace=False))
    student.SmallResNet()  # the class builds (the handed-in weights are loaded into a new one)
    model = trained_model(student, "SmallResNet", weights="resnet.npz")
    model.eval()
    # Batches of 100: the model runs with autograd on, and the notebook's process may hold torch and the whole of
    # Fashion-MNIST within its memory_mb.
    accuracy = accuracy_of(model, torch.from_numpy(data.x_test[chosen]), data.y_test[chosen], batch_size=100)
    assert accuracy >= 0.9, "the trained model classifies fewer than 90% of the held-out test images correctly"
