"""Saliency sanity checks: rank correlation, cascading randomisation and the randomisation curve."""

import numpy as np
import pytest
import torch
from scipy.stats import spearmanr
from torch import nn

from cnncourse.torch.interpret import saliency
from cnncourse.torch.sanity import cascading_randomization, heatmap, randomization_curve, spearman


def test_spearman_matches_scipy_with_ties():
    rng = np.random.default_rng(0)
    a = rng.integers(0, 4, size=(5, 3, 3)).astype(float)  # many ties
    b = a + rng.normal(scale=1.0, size=a.shape)
    rho = spearman(torch.as_tensor(a), torch.as_tensor(b))
    expected = [spearmanr(a[i].ravel(), b[i].ravel()).statistic for i in range(5)]
    np.testing.assert_allclose(rho.numpy(), expected, rtol=1e-5)
    x = torch.rand(2, 4, 4)
    torch.testing.assert_close(spearman(x, x**3), torch.ones(2))  # any increasing function: 1
    torch.testing.assert_close(spearman(x, -x), -torch.ones(2))
    assert torch.isnan(spearman(torch.ones(1, 4, 4), x[:1])).all()
    with pytest.raises(ValueError, match="same shape"):
        spearman(x, x[:1])


def test_heatmap_sums_absolute_values_over_channels():
    a = torch.tensor([[[[1.0, -2.0]], [[-3.0, 0.5]]]])
    torch.testing.assert_close(heatmap(a), torch.tensor([[[4.0, 2.5]]]))
    torch.testing.assert_close(heatmap(-a[:, 0]), a[:, 0].abs())
    with pytest.raises(ValueError, match=r"\(N, H, W\) or \(N, C, H, W\)"):
        heatmap(torch.zeros(3, 3))


def test_cascading_randomization_replaces_layers_top_down_and_leaves_the_model_alone(digits_cnn):
    before = {k: v.clone() for k, v in digits_cnn.state_dict().items()}
    copies = cascading_randomization(digits_cnn, seed=0)
    assert [name for name, _ in copies] == ["6", "3", "0"]
    for k, v in digits_cnn.state_dict().items():
        torch.testing.assert_close(v, before[k])
    randomized = {name: i for i, (name, _) in enumerate(copies)}
    for i, (_, model) in enumerate(copies):
        for layer in ("0", "3", "6"):
            same = torch.equal(model.get_submodule(layer).weight, digits_cnn.get_submodule(layer).weight)
            assert same == (randomized[layer] > i), (i, layer)
    # Nested: a layer gets the same fresh weights in every copy that randomises it; reproducible.
    torch.testing.assert_close(copies[0][1][6].weight, copies[2][1][6].weight)
    torch.testing.assert_close(cascading_randomization(digits_cnn, seed=0)[2][1][0].weight, copies[2][1][0].weight)
    assert not torch.equal(cascading_randomization(digits_cnn, seed=1)[0][1][6].weight, copies[0][1][6].weight)
    with pytest.raises(ValueError, match="no Conv2d, Linear or BatchNorm"):
        cascading_randomization(nn.Sequential(nn.ReLU()))


def test_randomization_curve_separates_model_blind_maps_from_saliency(digits_cnn, digits):
    # A "method" that returns the image itself ignores the model: its map never changes (rho = 1).
    # The gradient depends on every weight: fully randomised, it is unrelated to the trained one.
    x = torch.as_tensor(digits.x_test[:30])
    with torch.no_grad():
        target = digits_cnn(x).argmax(dim=1)
    methods = {"image": lambda m, x, t: x, "gradient": saliency}
    layers, curves = randomization_curve(digits_cnn, x, methods, target, seed=0)
    assert layers == ["6", "3", "0"]
    torch.testing.assert_close(curves["image"], torch.ones(3))
    print("gradient rank correlation as layers are randomised:", [round(v, 2) for v in curves["gradient"].tolist()])
    assert curves["gradient"][-1] < 0.5
