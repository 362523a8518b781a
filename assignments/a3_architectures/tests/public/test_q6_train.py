"""Public test for question 6: the trained SmallResNet on 1,000 Fashion-MNIST test images."""

import torch

from autograder.testing import accuracy_of, trained_model


def test_accuracy_on_test_images(student):
    """The trained SmallResNet classifies at least 90% of the first 1,000 test images correctly."""
    from cnncourse.data import load_fashion_mnist

    data = load_fashion_mnist()
    student.SmallResNet()  # the class builds (the handed-in weights are loaded into a new one)
    model = trained_model(student, "SmallResNet", weights="resnet.npz")
    model.eval()
    # Batches of 100: the model runs with autograd on, and the notebook's process may hold torch and the whole of
    # Fashion-MNIST within its memory_mb.
    accuracy = accuracy_of(model, torch.from_numpy(data.x_test[:1000]), data.y_test[:1000], batch_size=100)
    assert accuracy >= 0.9, (f"the trained model classifies {accuracy:.1%} of the first 1,000 test images correctly, "
                             "below 90%: train longer or with a better learning rate, and feed the images as "
                             "float32 in [0, 1] (normalise inside forward, if at all)")
