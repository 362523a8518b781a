"""Figures of the chapters on what CNNs learn and on adversarial examples: what each draws."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

from cnncourse.plot import plot_adversarial, plot_attributions, plot_embedding, plot_heatmap, plot_mean_spread


def test_plot_heatmap_overlays_the_map_with_a_symmetric_scale_when_signed():
    image, heat = np.zeros((4, 4)), np.arange(16.0).reshape(4, 4) - 5
    ax = plot_heatmap(image, heat, signed=True, title="t")
    (_, overlay) = ax.get_images()
    assert overlay.get_clim() == (-10.0, 10.0) and ax.get_title() == "t"
    ax = plot_heatmap(image, np.abs(heat))
    assert ax.get_images()[1].get_clim() == (0.0, 10.0)
    plt.close("all")
    with pytest.raises(ValueError, match="same shape"):
        plot_heatmap(image, heat[:3])


def test_plot_attributions_draws_one_row_per_image():
    images = np.random.default_rng(0).random((3, 1, 5, 5))
    maps = {"a": np.random.default_rng(1).random((3, 5, 5)), "b": np.zeros((3, 5, 5))}
    fig = plot_attributions(images, maps, titles=["x", "y", "z"], signed=("b",))
    assert len(fig.axes) == 9
    assert [ax.get_title() for ax in fig.axes[:3]] == ["x", "a", "b"]
    plt.close(fig)


def test_plot_embedding_one_scatter_per_class():
    points = np.random.default_rng(0).normal(size=(30, 2))
    labels = np.arange(30) % 3
    ax = plot_embedding(points, labels, ("p", "q", "r"), title="e")
    assert len(ax.collections) == 3
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["p", "q", "r"]
    plt.close("all")
    with pytest.raises(ValueError, match=r"points must be \(N, 2\)"):
        plot_embedding(points[:, :1], labels, ("p",))


def test_plot_mean_spread_draws_the_mean_of_the_seeds():
    ax = plot_mean_spread([0.0, 0.1, 0.2], {"acc": [[1.0, 0.5, 0.0], [0.8, 0.3, 0.2]]})
    (line,) = ax.get_lines()
    np.testing.assert_allclose(line.get_ydata(), [0.9, 0.4, 0.1])
    assert line.get_label() == "acc (2 seeds)"
    ax = plot_mean_spread(["fc", "conv"], {"m": [[0.5, 0.2]]})
    assert [t.get_text() for t in ax.get_xticklabels()] == ["fc", "conv"]
    plt.close("all")
    with pytest.raises(ValueError, match="has 2 points for 3 x values"):
        plot_mean_spread([1, 2, 3], {"m": [[0.5, 0.2]]})


def test_plot_adversarial_shows_the_difference():
    clean = np.zeros((4, 4))
    adversarial = clean.copy()
    adversarial[1, 2] = 0.25
    fig = plot_adversarial(clean, adversarial, "c", "a")
    delta = fig.axes[1].get_images()[0].get_array()
    assert delta[1, 2] == 0.25 and np.abs(delta).sum() == 0.25
    assert "0.250" in fig.axes[1].get_title()
    plt.close(fig)
    with pytest.raises(ValueError, match="same shape"):
        plot_adversarial(clean, adversarial[:2])
