"""Receptive fields, top-activating patches and the PCA embedding."""

import numpy as np
import pytest
import torch
from sklearn.decomposition import PCA
from torch import nn

from cnncourse.numpy.receptive_field import receptive_field
from cnncourse.torch.representations import pca, receptive_field_box, top_activating_patches


def test_receptive_field_box_by_hand(digits_cnn):
    # conv 3x3 pad 1: (3, 1, -1); max pool 2x2: (4, 2, -1); conv 3x3 pad 1: (4 + 2*2, 2, -1 - 2) = (8, 2, -3).
    assert receptive_field_box(digits_cnn, "0") == (3, 1, -1)
    assert receptive_field_box(digits_cnn, "2") == (4, 2, -1)
    assert receptive_field_box(digits_cnn, "4") == (8, 2, -3)
    assert receptive_field_box(digits_cnn, "3")[0] == receptive_field([3, 2, 3], [1, 2, 1])[-1]
    with pytest.raises(ValueError, match="cannot trace a receptive field through Flatten"):
        receptive_field_box(digits_cnn, "6")
    with pytest.raises(ValueError, match="no top-level module named 'conv'"):
        receptive_field_box(digits_cnn, "conv")
    with pytest.raises(TypeError, match="must be an nn.Sequential"):
        receptive_field_box(nn.Conv2d(1, 1, 3), "0")


def test_receptive_field_box_contains_the_units_input_gradient():
    # A unit's output can only depend on input pixels inside its box.
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.Tanh(), nn.MaxPool2d(2),
                          nn.Conv2d(2, 2, 3, stride=2), nn.Tanh())
    size, jump, start = receptive_field_box(model, "4")
    x = torch.rand(1, 1, 20, 20, requires_grad=True)
    out = model(x)
    i, j = 1, 2
    (grad,) = torch.autograd.grad(out[0, 0, i, j], x)
    rows, cols = grad[0, 0].nonzero(as_tuple=True)
    assert rows.min() >= start + i * jump and rows.max() <= start + i * jump + size - 1
    assert cols.min() >= start + j * jump and cols.max() <= start + j * jump + size - 1
    assert size == rows.max() - rows.min() + 1  # and the box is tight for this unit


def centre_weighted_unit():
    conv = nn.Conv2d(1, 1, 3, padding=1, bias=False)
    with torch.no_grad():
        conv.weight.fill_(0.1)
        conv.weight[0, 0, 1, 1] = 1.0
    return nn.Sequential(conv)


def test_top_activating_patches_find_the_brightest_dots():
    # The unit weighs a 3x3 window's centre by 1 and the rest by 0.1, so on images of one bright
    # dot it peaks on the dot, with the dot's brightness; its receptive field is the window there.
    images = torch.zeros(5, 1, 6, 6)
    spots = [(2, 3, 0.2), (0, 0, 0.9), (4, 1, 0.5), (3, 3, 0.7), (5, 5, 0.1)]
    for n, (r, c, v) in enumerate(spots):
        images[n, 0, r, c] = v
    result = top_activating_patches(centre_weighted_unit(), images, "0", unit=0, k=3)
    assert result.image.tolist() == [1, 3, 2]
    torch.testing.assert_close(result.activations, torch.tensor([0.9, 0.7, 0.5]))
    assert result.patches.shape == (3, 1, 3, 3)
    # Each patch holds its dot at the centre; the corner dot's window hangs over the border (zeros).
    torch.testing.assert_close(result.patches[:, 0, 1, 1], torch.tensor([0.9, 0.7, 0.5]))
    assert result.patches.sum().item() == pytest.approx(2.1)
    assert result.position.tolist() == [[0, 0], [3, 3], [4, 1]]


def test_top_activating_patches_check_arguments(digits_cnn):
    x = torch.zeros(4, 1, 8, 8)
    with pytest.raises(ValueError, match=r"unit must lie in \[0, 16\)"):
        top_activating_patches(digits_cnn, x, "1", unit=16)
    with pytest.raises(ValueError, match="k must lie between 1 and the number of images 4"):
        top_activating_patches(digits_cnn, x, "1", unit=0, k=5)


def test_top_patches_of_a_trained_unit_come_from_the_right_place(digits_cnn, digits):
    x = torch.as_tensor(digits.x_test)
    result = top_activating_patches(digits_cnn, x, "4", unit=3, k=6, batch_size=100)
    with torch.no_grad():
        maps = digits_cnn[:5](x[result.image])[:, 3]
    rows, cols = result.position.T
    torch.testing.assert_close(maps[torch.arange(6), rows, cols], result.activations)
    assert (result.activations[:-1] >= result.activations[1:]).all()
    assert len(set(result.image.tolist())) == 6


def test_pca_matches_scikit_learn():
    rng = np.random.default_rng(0)
    features = rng.normal(size=(200, 5)) @ rng.normal(size=(5, 5)) + 3.0
    projection, ratio = pca(torch.as_tensor(features), components=2)
    reference = PCA(n_components=2).fit(features)
    np.testing.assert_allclose(ratio.numpy(), reference.explained_variance_ratio_, rtol=1e-5)
    # Directions are defined up to sign; ours fixes it, so compare absolute values.
    np.testing.assert_allclose(np.abs(projection.numpy()), np.abs(reference.transform(features)), atol=1e-4)
    assert projection[:, 0].var() >= projection[:, 1].var()
    with pytest.raises(ValueError, match=r"features must be a matrix \(N, D\)"):
        pca(torch.zeros(3, 2, 2))
    with pytest.raises(ValueError, match="components must lie between 1 and min"):
        pca(torch.zeros(10, 3), components=4)
