"""Interactive ipywidgets demos used by the chapters.

Each demo is a row of controls above a picture that a figure from ``cnncourse.plot`` redraws when
a control moves. The picture is an ``ipywidgets.Image`` holding PNG bytes rather than an
``Output`` widget: its first drawing is saved with the notebook, so the web book shows it without
a kernel, and executing notebooks does not hit the output-capture race that makes nbclient hang on
``interact`` cells. The controls respond only with a running kernel; every chapter also shows a
static figure beside its demo.
"""

from __future__ import annotations

import io
from typing import Callable

import matplotlib.pyplot as plt
import numpy as np

from cnncourse.numpy.autograd import Value
from cnncourse.numpy.features import gradient_histograms
from cnncourse.numpy.filters import KERNELS
from cnncourse.numpy.functional import sigmoid
from cnncourse.plot import (draw_graph, plot_convolution, plot_decision_boundary, plot_orientation_histograms,
                            plot_pooling_shift)
from cnncourse.pooling import POOLING_MODES

__all__ = ["FigureDemo", "hog_explorer", "neuron_explorer", "graph_explorer", "conv_explorer", "pool_explorer"]


def _png(figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    plt.close(figure)
    return buffer.getvalue()


def _figure_of(drawn):
    """The Figure behind what a plot function returned (a Figure or an Axes)."""
    return drawn if isinstance(drawn, plt.Figure) else drawn.figure


class FigureDemo:
    """Controls (name -> ipywidget) and a picture that ``draw(**values)`` redraws on every change.

    ``widget`` is what a notebook displays (a cell ending in a FigureDemo displays it too);
    ``redraw()`` draws again with the controls' current values.
    """

    def __init__(self, draw: Callable[..., object], controls: dict) -> None:
        import ipywidgets as widgets

        self.draw = draw
        self.controls = controls
        self.image = widgets.Image(format="png")
        for control in controls.values():
            control.observe(lambda change: self.redraw(), names="value")
        row = widgets.HBox(list(controls.values()), layout=widgets.Layout(flex_flow="row wrap"))
        self.widget = widgets.VBox([row, self.image])
        self.redraw()

    def redraw(self) -> None:
        values = {name: control.value for name, control in self.controls.items()}
        self.image.value = _png(_figure_of(self.draw(**values)))

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)


def _divisors(n: int) -> list[int]:
    return [d for d in range(1, n + 1) if n % d == 0]


def hog_explorer(images: np.ndarray, labels: np.ndarray | None = None) -> FigureDemo:
    """Pick an image, a cell size and a number of bins; see its orientation histograms.

    images: (N, 1, H, W) grayscale with H == W.
    """
    import ipywidgets as widgets

    images = np.asarray(images)
    if images.ndim != 4 or images.shape[1] != 1:
        raise ValueError(f"images must be (N, 1, H, W) grayscale, got shape {images.shape}")
    cell_sizes = _divisors(images.shape[2])[1:]  # a 1-pixel cell has one orientation: useless

    def draw(index: int, cell_size: int, bins: int):
        feature = gradient_histograms(images[index : index + 1], cell_size=cell_size, bins=bins)[0]
        title = f"image {index}" + ("" if labels is None else f" (label {labels[index]})")
        _, ax = plt.subplots(figsize=(4, 4))
        return plot_orientation_histograms(images[index], feature, cell_size, bins, ax=ax,
                                           title=f"{title}: {feature.size} numbers")

    return FigureDemo(draw, {
        "index": widgets.IntSlider(value=0, min=0, max=len(images) - 1, description="image"),
        "cell_size": widgets.Dropdown(options=cell_sizes, value=cell_sizes[len(cell_sizes) // 2],
                                      description="cell size"),
        "bins": widgets.IntSlider(value=9, min=2, max=18, description="bins"),
    })


def neuron_explorer(X: np.ndarray, y: np.ndarray) -> FigureDemo:
    """Move a sigmoid neuron's two weights and bias; see its probabilities and decision line.

    X: (N, 2) points, y: (N,) labels in {0, 1}. The title reports accuracy and squared error.
    """
    import ipywidgets as widgets

    X, y = np.asarray(X, dtype=float), np.asarray(y)
    if X.ndim != 2 or X.shape[1] != 2 or y.shape != (len(X),):
        raise ValueError(f"X must be (N, 2) and y (N,), got {X.shape} and {y.shape}")

    def draw(w1: float, w2: float, b: float):
        w = np.array([w1, w2])
        a = sigmoid(X @ w + b)
        _, ax = plt.subplots(figsize=(5, 4))
        return plot_decision_boundary(lambda P: sigmoid(P @ w + b), X, y, ax=ax, proba=True,
                                      title=f"accuracy {np.mean((a > 0.5) == y):.2f}, "
                                            f"squared error {np.mean((a - y) ** 2):.3f}")

    def slider(value: float, name: str):
        return widgets.FloatSlider(value=value, min=-5, max=5, step=0.1, description=name)

    return FigureDemo(draw, {"w1": slider(1.0, "w1"), "w2": slider(2.0, "w2"), "b": slider(-0.5, "b")})


def graph_explorer() -> FigureDemo:
    """Sliders for x, y and z of f = (x + y) z; draws the graph with every value and gradient."""
    import ipywidgets as widgets

    def draw(x: float, y: float, z: float):
        vx, vy, vz = Value(x, label="x"), Value(y, label="y"), Value(z, label="z")
        q = vx + vy
        q.label = "q"
        f = q * vz
        f.label = "f"
        f.backward()
        ax = draw_graph(f)
        ax.set_title(f"f = (x + y) z = {f.data:g}")
        return ax

    def slider(value: float, name: str):
        return widgets.FloatSlider(value=value, min=-6, max=6, step=0.5, description=name)

    return FigureDemo(draw, {"x": slider(-2.0, "x"), "y": slider(5.0, "y"), "z": slider(-4.0, "z")})


def conv_explorer(images: dict[str, np.ndarray]) -> FigureDemo:
    """Pick an image and a hand-designed kernel, set stride and padding, see the output.

    images: name -> (H, W) grayscale image.
    """
    import ipywidgets as widgets

    if not images:
        raise ValueError("images must name at least one (H, W) image")

    def draw(image: str, kernel: str, stride: int, padding: int):
        return plot_convolution(images[image], KERNELS[kernel], stride, padding, title=f"{kernel} on {image}")

    return FigureDemo(draw, {
        "image": widgets.Dropdown(options=list(images), description="image"),
        "kernel": widgets.Dropdown(options=list(KERNELS), value="edge (vertical)", description="kernel"),
        "stride": widgets.IntSlider(value=1, min=1, max=4, description="stride"),
        "padding": widgets.IntSlider(value=0, min=0, max=3, description="padding"),
    })


def pool_explorer(images: np.ndarray) -> FigureDemo:
    """Pool an image with a chosen window and stride, before and after shifting it.

    images: (N, H, W) grayscale. The third panel marks which pooled values changed with the shift.
    """
    import ipywidgets as widgets

    images = np.asarray(images, dtype=np.float32)
    if images.ndim != 3:
        raise ValueError(f"images must be (N, H, W), got shape {images.shape}")

    def draw(index: int, mode: str, kernel_size: int, stride: int, shift: int):
        return plot_pooling_shift(images[index], mode, kernel_size, stride, shift)

    return FigureDemo(draw, {
        "index": widgets.IntSlider(value=0, min=0, max=len(images) - 1, description="image"),
        "mode": widgets.ToggleButtons(options=list(POOLING_MODES), description="pooling"),
        "kernel_size": widgets.IntSlider(value=2, min=1, max=4, description="window"),
        "stride": widgets.IntSlider(value=2, min=1, max=4, description="stride"),
        "shift": widgets.IntSlider(value=1, min=0, max=4, description="shift"),
    })
