"""The chapters' interactive demos: each builds its controls, draws for every setting it offers,
and rejects input it cannot show."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

from cnncourse.widgets import conv_explorer, graph_explorer, hog_explorer, neuron_explorer, pool_explorer

RNG = np.random.default_rng(0)


def controls(demo) -> dict:
    return {c.description: c for c in demo.controls.values()}


@pytest.fixture(autouse=True)
def no_open_figures():
    """Start each test with no figures open (other test modules may leave some), so that the check below
    sees only what the demo itself left open."""
    plt.close("all")
    yield


def redraw(demo, **changes) -> None:
    """Move the controls as a reader would: every change must redraw the picture (a new PNG)."""
    for name, value in changes.items():
        before = demo.image.value
        assert controls(demo)[name].value != value, "move each control to a new value"
        controls(demo)[name].value = value
        assert demo.image.value != before, f"moving {name} to {value!r} did not redraw"
        assert demo.image.value[:8] == b"\x89PNG\r\n\x1a\n"
    assert not plt.get_fignums(), "the demo must close the figures it draws"


def test_demo_is_displayed_as_one_widget_with_its_first_drawing():
    demo = graph_explorer()
    bundle = demo._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == demo.widget.model_id
    assert len(demo.image.value) > 1000


def test_hog_explorer_offers_only_cell_sizes_that_divide_the_image():
    w = hog_explorer(RNG.random((5, 1, 8, 8)), np.arange(5))
    assert list(controls(w)["cell size"].options) == [2, 4, 8]
    redraw(w, **{"cell size": 2, "bins": 3, "image": 4})
    redraw(w, **{"cell size": 8})
    with pytest.raises(ValueError, match=r"\(N, 1, H, W\)"):
        hog_explorer(RNG.random((5, 8, 8)))


def test_neuron_explorer_draws_and_checks_shapes():
    X, y = RNG.normal(size=(20, 2)), RNG.integers(0, 2, 20)
    w = neuron_explorer(X, y)
    redraw(w, w1=-3.0, b=1.0)
    with pytest.raises(ValueError, match=r"X must be \(N, 2\)"):
        neuron_explorer(RNG.normal(size=(20, 3)), y)


def test_graph_explorer_runs_the_backward_pass():
    w = graph_explorer()
    redraw(w, x=1.0, y=2.0, z=3.0)
    assert set(controls(w)) == {"x", "y", "z"}


def test_conv_explorer_handles_every_stride_and_padding():
    w = conv_explorer({"noise": RNG.random((16, 16)).astype(np.float32)})
    for stride, padding in [(2, 1), (3, 2), (4, 3), (1, 0)]:
        redraw(w, stride=stride, padding=padding)
    with pytest.raises(ValueError, match="at least one"):
        conv_explorer({})


def test_pool_explorer_modes():
    w = pool_explorer(RNG.random((3, 8, 8)))
    redraw(w, pooling="avg", window=3, stride=1, shift=2)
    # One spelling of the pooling modes across the package (cnncourse.pooling).
    assert tuple(controls(w)["pooling"].options) == ("max", "avg")
    with pytest.raises(ValueError, match=r"\(N, H, W\)"):
        pool_explorer(RNG.random((3, 1, 8, 8)))
