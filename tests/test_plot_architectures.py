"""The architecture chapters' figures: what each draws, and errors for bad input."""

from types import SimpleNamespace

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

from cnncourse.plot import plot_accuracy_vs_cost, plot_error_by_year, plot_layer_costs, plot_score_map  # noqa: E402
from cnncourse.torch import summarize  # noqa: E402


def test_error_by_year_spreads_same_year_points():
    ax = plot_error_by_year([(2013, 11.7, "a"), (2014, 7.3, "b"), (2014, 6.7, "c")])
    x, y = ax.get_lines()[0].get_data()
    assert list(y) == [11.7, 7.3, 6.7] and x[2] > x[1] == 2014
    assert len(ax.texts) == 3
    plt.close("all")
    with pytest.raises(ValueError, match="entries"):
        plot_error_by_year([])


def test_layer_costs_bars_are_shares_of_the_totals():
    net = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 4 * 4, 2))
    s = summarize(net, (1, 6, 6))
    ax = plot_layer_costs(s)
    heights = [p.get_height() for p in ax.patches]
    # two layers with costs (conv, linear) -> 2 parameter bars then 2 MAC bars, each pair summing to 100%
    assert len(heights) == 4
    assert sum(heights[:2]) == pytest.approx(100) and sum(heights[2:]) == pytest.approx(100)
    assert heights[0] == pytest.approx(100 * 40 / s.total_parameters)
    plt.close("all")
    empty = summarize(nn.Sequential(nn.ReLU()), (1, 2, 2))
    with pytest.raises(ValueError, match="no layer"):
        plot_layer_costs(empty)


def test_accuracy_vs_cost_uses_a_log_axis_and_the_chosen_cost():
    rows = [SimpleNamespace(name="a", parameters=10, macs=1000, accuracy_mean=0.8, accuracy_std=0.01),
            SimpleNamespace(name="b", parameters=1000, macs=10, accuracy_mean=0.9, accuracy_std=0.02)]
    ax = plot_accuracy_vs_cost(rows, "macs")
    assert ax.get_xscale() == "log" and "multiply-adds" in ax.get_xlabel()
    assert [t.get_text() for t in ax.texts] == ["a", "b"]
    plt.close("all")
    with pytest.raises(ValueError, match="cost"):
        plot_accuracy_vs_cost(rows, "time")


def test_score_map_names_the_winning_class_of_each_window():
    scores = np.zeros((3, 1, 2))
    scores[2, 0, 0] = scores[0, 0, 1] = 1.0
    ax = plot_score_map(np.zeros((28, 60)), scores, ("zero", "one", "two"))
    assert [t.get_text() for t in ax.texts] == ["two", "zero"]
    plt.close("all")
    with pytest.raises(ValueError, match="scores"):
        plot_score_map(np.zeros((28, 60)), np.zeros((3, 2)), ("a", "b", "c"))
