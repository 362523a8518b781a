"""Interactive ipywidgets demos used by the chapters.

Each demo returns a widget that redraws a figure from ``cnncourse.plot`` when a control moves.
The controls respond only with a running kernel; every chapter shows a static figure beside
its demo for readers of the web book.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from cnncourse.numpy.features import gradient_histograms
from cnncourse.numpy.functional import sigmoid
from cnncourse.plot import plot_decision_boundary, plot_orientation_histograms

__all__ = ["hog_explorer", "neuron_explorer", "graph_explorer", "conv_explorer", "pool_explorer"]


def _divisors(n: int) -> list[int]:
    return [d for d in range(1, n + 1) if n % d == 0]


def hog_explorer(images: np.ndarray, labels: np.ndarray | None = None):
    """Pick an image, a cell size and a number of bins; see its orientation histograms.

    images: (N, 1, H, W) grayscale with H == W.
    """
    import ipywidgets as widgets

    images = np.asarray(images)
    if images.ndim != 4 or images.shape[1] != 1:
        raise ValueError(f"images must be (N, 1, H, W) grayscale, got shape {images.shape}")
    cell_sizes = _divisors(images.shape[2])[1:]  # a 1-pixel cell has one orientation: useless

    def show(index: int, cell_size: int, bins: int) -> None:
        feature = gradient_histograms(images[index : index + 1], cell_size=cell_size, bins=bins)[0]
        title = f"image {index}" + ("" if labels is None else f" (label {labels[index]})")
        _, ax = plt.subplots(figsize=(4, 4))
        plot_orientation_histograms(images[index], feature, cell_size, bins, ax=ax,
                                    title=f"{title}: {feature.size} numbers")
        plt.show()

    return widgets.interactive(
        show,
        index=widgets.IntSlider(value=0, min=0, max=len(images) - 1, description="image"),
        cell_size=widgets.Dropdown(options=cell_sizes, value=cell_sizes[len(cell_sizes) // 2], description="cell size"),
        bins=widgets.IntSlider(value=9, min=2, max=18, description="bins"),
    )


def neuron_explorer(X: np.ndarray, y: np.ndarray):
    """Move a sigmoid neuron's two weights and bias; see its probabilities and decision line.

    X: (N, 2) points, y: (N,) labels in {0, 1}. The title reports accuracy and squared error.
    """
    import ipywidgets as widgets

    X, y = np.asarray(X, dtype=float), np.asarray(y)
    if X.ndim != 2 or X.shape[1] != 2 or y.shape != (len(X),):
        raise ValueError(f"X must be (N, 2) and y (N,), got {X.shape} and {y.shape}")

    def show(w1: float, w2: float, b: float) -> None:
        w = np.array([w1, w2])
        a = sigmoid(X @ w + b)
        _, ax = plt.subplots(figsize=(5, 4))
        plot_decision_boundary(lambda P: sigmoid(P @ w + b), X, y, ax=ax, proba=True,
                               title=f"accuracy {np.mean((a > 0.5) == y):.2f}, "
                                     f"squared error {np.mean((a - y) ** 2):.3f}")
        plt.show()

    slider = lambda value, description: widgets.FloatSlider(value=value, min=-5, max=5, step=0.1,
                                                            description=description)
    return widgets.interactive(show, w1=slider(1.0, "w1"), w2=slider(2.0, "w2"), b=slider(-0.5, "b"))


def graph_explorer():
    """Sliders for x, y and z of f = (x + y) z; draws the graph with every value and gradient."""
    import ipywidgets as widgets

    from cnncourse.numpy.autograd import Value
    from cnncourse.plot import draw_graph

    def show(x: float, y: float, z: float) -> None:
        vx, vy, vz = Value(x, label="x"), Value(y, label="y"), Value(z, label="z")
        q = vx + vy
        q.label = "q"
        f = q * vz
        f.label = "f"
        f.backward()
        ax = draw_graph(f)
        ax.set_title(f"f = (x + y) z = {f.data:g}")
        plt.show()

    slider = lambda value, name: widgets.FloatSlider(value=value, min=-6, max=6, step=0.5, description=name)
    return widgets.interactive(show, x=slider(-2.0, "x"), y=slider(5.0, "y"), z=slider(-4.0, "z"))


def conv_explorer(images: dict[str, np.ndarray]):
    """Pick an image and a hand-designed kernel, set stride and padding, see the output.

    images: name -> (H, W) grayscale image.
    """
    import ipywidgets as widgets

    from cnncourse.numpy.filters import KERNELS
    from cnncourse.plot import plot_convolution

    if not images:
        raise ValueError("images must name at least one (H, W) image")

    def show(image: str, kernel: str, stride: int, padding: int) -> None:
        plot_convolution(images[image], KERNELS[kernel], stride, padding, title=f"{kernel} on {image}")
        plt.show()

    return widgets.interactive(
        show,
        image=widgets.Dropdown(options=list(images), description="image"),
        kernel=widgets.Dropdown(options=list(KERNELS), value="edge (vertical)", description="kernel"),
        stride=widgets.IntSlider(value=1, min=1, max=4, description="stride"),
        padding=widgets.IntSlider(value=0, min=0, max=3, description="padding"),
    )


def pool_explorer(images: np.ndarray):
    """Pool an image with a chosen window and stride, before and after shifting it.

    images: (N, H, W) grayscale. The third panel marks which pooled values changed with the shift.
    """
    import ipywidgets as widgets

    from cnncourse.numpy.functional import avg_pool2d, max_pool2d

    images = np.asarray(images, dtype=np.float32)
    if images.ndim != 3:
        raise ValueError(f"images must be (N, H, W), got shape {images.shape}")

    def show(index: int, mode: str, kernel_size: int, stride: int, shift: int) -> None:
        pool = max_pool2d if mode == "max" else avg_pool2d
        image = np.pad(images[index], 2)[None, None]
        before = pool(image, kernel_size, stride)[0, 0]
        after = pool(np.roll(image, shift, axis=3), kernel_size, stride)[0, 0]
        _, axes = plt.subplots(1, 3, figsize=(10, 3.4))
        for ax, a, title in [(axes[0], image[0, 0], "input (padded by 2)"),
                             (axes[1], before, f"{mode} pool {kernel_size}x{kernel_size}, stride {stride}"),
                             (axes[2], ~np.isclose(before, after), f"changed after a shift of {shift}")]:
            ax.imshow(a, cmap="gray")
            ax.set_title(title)
            ax.axis("off")
        plt.show()

    return widgets.interactive(
        show,
        index=widgets.IntSlider(value=0, min=0, max=len(images) - 1, description="image"),
        mode=widgets.ToggleButtons(options=["max", "average"], description="pooling"),
        kernel_size=widgets.IntSlider(value=2, min=1, max=4, description="window"),
        stride=widgets.IntSlider(value=2, min=1, max=4, description="stride"),
        shift=widgets.IntSlider(value=1, min=0, max=4, description="shift"),
    )
