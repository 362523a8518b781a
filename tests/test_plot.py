"""The book's figure helpers: they draw what they say, on the axes they are given, and check input."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

from cnncourse.numpy.autograd import Value
from cnncourse.numpy.features import gradient_histograms
from cnncourse.plot import (draw_graph, plot_convolution, plot_decision_boundary, plot_history,
                            plot_orientation_histograms, show_images, show_matrix)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_show_images_grid_and_titles():
    fig = show_images(np.zeros((10, 1, 8, 8)), titles=list("abcdefghij"), ncols=4, suptitle="s")
    axes = fig.axes
    assert len(axes) == 12  # 3 rows of 4, the last two empty
    assert [ax.get_title() for ax in axes[:3]] == ["a", "b", "c"]
    assert sum(bool(ax.images) for ax in axes) == 10


def test_show_matrix_writes_every_entry():
    ax = show_matrix(np.array([[1, 2], [3, 4]]), title="m")
    assert sorted(t.get_text() for t in ax.texts) == ["1", "2", "3", "4"]
    assert ax.get_title() == "m"


def test_orientation_histograms_draw_one_line_per_cell_and_bin():
    img = np.random.default_rng(0).random((1, 1, 8, 8))
    ax = plot_orientation_histograms(img[0], gradient_histograms(img, 4, 6)[0], cell_size=4, bins=6)
    assert len(ax.lines) == 4 * 6


def test_history_plots_train_and_val_curves():
    class H:
        train_loss, val_loss = [1.0, 0.5], [1.1, 0.6]
        train_acc, val_acc = [0.5, 0.8], [0.4, 0.7]

    axes = plot_history(H())
    assert [len(ax.lines) for ax in axes] == [2, 2]
    np.testing.assert_array_equal(axes[1].lines[1].get_ydata(), [0.4, 0.7])


def test_decision_boundary_colours_by_the_classifier():
    X = np.array([[-1.0, 0.0], [1.0, 0.0]])
    ax = plot_decision_boundary(lambda P: (P[:, 0] > 0).astype(int), X, np.array([0, 1]), resolution=20)
    assert ax.collections, "the plane and the points must be drawn"


def test_convolution_figure_reports_the_output_size():
    fig = plot_convolution(np.zeros((16, 16)), np.ones((3, 3)), stride=2, padding=1)
    assert "output 8x8" in fig.axes[2].get_title()


def test_draw_graph_has_a_box_per_value():
    x, y = Value(2.0, label="x"), Value(3.0, label="y")
    f = x * y + x
    f.backward()
    ax = draw_graph(f)
    labels = " ".join(t.get_text() for t in ax.texts)
    assert "x" in labels and "y" in labels


def test_orientation_histograms_mark_every_cell():
    img = np.random.default_rng(0).random((1, 1, 8, 8))
    ax = plot_orientation_histograms(img[0], gradient_histograms(img, 2, 4)[0], cell_size=2, bins=4)
    assert len(ax.patches) == 16  # one dashed square per 2x2 cell of an 8x8 image


def test_hidden_space_draws_points_and_the_output_boundary():
    from cnncourse.plot import plot_hidden_space

    hidden = np.array([[0.0, 1.0], [1.0, 1.0], [1.0, 0.0]])
    ax = plot_hidden_space(hidden, np.array([0, 1, 0]), np.array([1.0, 1.0]), -1.5)
    np.testing.assert_allclose(ax.collections[0].get_offsets(), hidden)
    x, y = ax.lines[0].get_data()
    np.testing.assert_allclose(x + y, 1.5)  # the line h1 + h2 - 1.5 = 0
    with pytest.raises(ValueError, match="hidden"):
        plot_hidden_space(np.zeros((3, 3)), np.zeros(3), np.ones(2), 0.0)


def test_filter_bank_shares_scales_between_comparable_kernels():
    from cnncourse.plot import plot_filter_bank

    image = np.random.default_rng(0).random((16, 16))
    kernels = {"id": np.array([[0, 0, 0], [0, 1, 0], [0, 0, 0]]), "sharp": np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]]),
               "dx": np.array([[-1, 0, 1]] * 3), "dy": np.array([[-1, 0, 1]] * 3).T}
    fig = plot_filter_bank(image, kernels)
    images = [ax.images[0] for ax in fig.axes if ax.images]
    assert len(images) == 5  # four responses and the original
    assert images[1].get_clim() == (0, 1) and images[1].get_array().max() <= 1  # sharpened output clipped
    assert images[2].get_clim() == images[3].get_clim()  # both edge maps on one symmetric scale
    lo, hi = images[2].get_clim()
    assert lo == -hi


def test_receptive_field_box_has_the_given_size():
    from cnncourse.plot import plot_receptive_field

    g = np.zeros((11, 11))
    g[3:8, 3:8] = 1.0
    ax = plot_receptive_field(g, 5)
    box = ax.patches[0]
    assert (box.get_width(), box.get_height(), box.get_xy()) == (5, 5, (2.5, 2.5))
    with pytest.raises(ValueError, match="grad"):
        plot_receptive_field(np.zeros((4, 4)), 3)


# ----------------------------------------------------------------------------- the ax rule, one spelling of pooling


def _filter_bank_call(ax=None):
    from cnncourse.plot import plot_filter_bank

    kernels = {"identity": np.pad([[1.0]], 1), "edge": np.array([[1.0, 0, -1.0]] * 3)}
    return plot_filter_bank(np.random.default_rng(0).random((8, 8)), kernels, ax=ax)


def _pooling_shift_call(ax=None):
    from cnncourse.plot import plot_pooling_shift

    return plot_pooling_shift(np.random.default_rng(0).random((8, 8)), mode="avg", ax=ax)


MULTI_PANEL = {  # name -> (call taking ax, number of panels)
    "show_images": (lambda ax=None: show_images(np.zeros((4, 1, 8, 8)), ncols=4, ax=ax), 4),
    "plot_convolution": (lambda ax=None: plot_convolution(np.zeros((8, 8)), np.ones((3, 3)), ax=ax), 3),
    "plot_pooling_shift": (_pooling_shift_call, 3),
    "plot_filter_bank": (_filter_bank_call, 3),
}


@pytest.mark.parametrize("name", MULTI_PANEL)
def test_multi_panel_figures_draw_on_the_axes_they_are_given(name):
    call, panels = MULTI_PANEL[name]
    fig, axes = plt.subplots(2, panels)
    returned = call(ax=axes[1])
    assert returned is fig  # the Figure, as the docstrings say
    assert all(ax.images for ax in axes[1]) and not any(ax.images for ax in axes[0])


@pytest.mark.parametrize("name", MULTI_PANEL)
def test_multi_panel_figures_refuse_too_few_axes(name):
    call, panels = MULTI_PANEL[name]
    _, axes = plt.subplots(1, panels - 1) if panels > 2 else plt.subplots(1, 1)
    with pytest.raises(ValueError, match=f"ax must be a sequence of at least {panels} matplotlib Axes"):
        call(ax=axes)


def test_history_draws_on_given_axes_and_accepts_the_old_keyword():
    from cnncourse.history import History

    history = History(train_loss=[1.0, 0.5], val_loss=[1.1, 0.6], train_acc=[0.5, 0.8], val_acc=[0.4, 0.7])
    _, axes = plt.subplots(1, 2)
    assert list(plot_history(history, ax=axes, label="a")) == list(axes)
    with pytest.warns(DeprecationWarning, match="plot_history\\(ax=...\\)"):
        plot_history(history, axes=axes, label="b")
    assert [len(ax.lines) for ax in axes] == [4, 4]


def test_pooling_shift_speaks_the_package_spelling():
    from cnncourse.plot import plot_pooling_shift

    fig = plot_pooling_shift(np.eye(6), mode="avg")
    assert fig.axes[1].get_title().startswith("avg pool 2x2")
    with pytest.raises(ValueError, match="mode must be 'max' or 'avg', got 'average' \\(write 'avg'"):
        plot_pooling_shift(np.eye(6), mode="average")


def test_every_figure_function_takes_ax():
    """The module's rule, checked for every public function (new ones included)."""
    import inspect

    import cnncourse.plot as plot

    missing = [name for name in plot.__all__ if "ax" not in inspect.signature(getattr(plot, name)).parameters]
    assert not missing, f"these plot functions take no ax: {missing}"


def test_pooling_shift_title_reports_relative_l2_change():
    """One bright pixel: a shift inside its 2x2 window changes nothing; a shift of 2 moves it to the next
    window, so the pooled map loses a 1 and gains a 1: ||diff|| / ||before|| = sqrt(2)."""
    from cnncourse.plot import plot_pooling_shift

    image = np.zeros((4, 4))
    image[0, 0] = 1.0  # at (2, 2) after the 2-pixel padding: window (1, 1), column offset 0
    inside = plot_pooling_shift(image, mode="max", shift=1)
    assert inside.axes[2].get_title().endswith("relative L2 0.00")
    across = plot_pooling_shift(image, mode="max", shift=2)
    assert across.axes[2].get_title().endswith(f"relative L2 {np.sqrt(2):.2f}")
    plt.close("all")
