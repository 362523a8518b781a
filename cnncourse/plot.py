"""Figures used by the chapters, so that plotting code stays out of the book's cells.

Only matplotlib. Every function takes an optional ``ax`` and returns what its docstring says: a
function that draws one panel takes one Axes and returns it; one that draws several panels takes a
sequence of Axes (as many as it has panels; an array from ``plt.subplots`` will do) and returns the
Figure, or for ``plot_history`` the Axes. Without ``ax`` a function makes its own figure.
Pooling modes are spelled as everywhere in the package: "max" and "avg" (``cnncourse.pooling``).
"""

from __future__ import annotations

import warnings

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes

from cnncourse.history import History

from cnncourse.numpy.autograd import Value, trace
from cnncourse.pooling import check_pooling

__all__ = [
    "draw_graph",
    "show_images",
    "show_matrix",
    "plot_orientation_histograms",
    "plot_history",
    "plot_decision_boundary",
    "plot_convolution",
    "plot_pooling_shift",
    "plot_hidden_space",
    "plot_filter_bank",
    "plot_receptive_field",
]


def draw_graph(root: Value, ax: Axes | None = None) -> Axes:
    """Draw the computational graph of a scalar :class:`~cnncourse.numpy.autograd.Value`.

    Values are boxes showing label, data and grad; each operation is a circle between its inputs
    and its result. Inputs stand on the left, ``root`` on the right: a value sits one column
    further right than the deepest of its inputs (a leaf just left of its first use), so every
    arrow points to the right.
    """
    nodes, edges = trace(root)
    depth: dict[int, int] = {}
    for node in nodes:  # topological order: the inputs' depths are known before the node's
        depth[id(node)] = 1 + max((depth[id(c)] for c in node.inputs), default=-1)
    neighbours: dict[int, list[Value]] = {id(n): list(n.inputs) for n in nodes}
    for child, parent in edges:
        neighbours[id(child)].append(parent)
    # A leaf such as a constant stands just left of its first use, not at the far left.
    for node in nodes:
        if not node.inputs and node is not root:
            depth[id(node)] = min(depth[id(p)] for p in neighbours[id(node)]) - 1
    shift = min(depth.values())
    columns: dict[int, list[Value]] = {}
    for node in nodes:
        depth[id(node)] -= shift
        columns.setdefault(depth[id(node)], []).append(node)
    n_rows = max(len(col) for col in columns.values())

    # Rows: start in order of appearance, then a few sweeps move every value towards the mean row
    # of its neighbours (the barycentre heuristic), which keeps most arrows short and uncrossed.
    y: dict[int, float] = {}
    for sweep in range(4):
        for d in sorted(columns):
            col = columns[d]
            if sweep > 0:
                col.sort(key=lambda n: sum(y[id(m)] for m in neighbours[id(n)]) / max(len(neighbours[id(n)]), 1))
            offset = (n_rows - len(col)) / 2
            for row, node in enumerate(col):
                y[id(node)] = -(row + offset)

    n_cols = max(columns) + 1
    if ax is None:
        _, ax = plt.subplots(figsize=(max(2.6 * n_cols + 0.5, 5.0), 1.3 * n_rows + 0.6))

    box = {"boxstyle": "round,pad=0.4", "facecolor": "#eef3fb", "edgecolor": "#33507a"}
    circle = {"boxstyle": "circle,pad=0.3", "facecolor": "#fdf1dc", "edgecolor": "#a8651a"}
    # Arrows are drawn after the boxes (higher zorder) because each is clipped to the outline of
    # its boxes, and a text box's outline is only known once the text has been drawn.
    arrow = {"arrowstyle": "-|>", "color": "0.35", "shrinkA": 2, "shrinkB": 2}
    # A value occupies x = 2 * depth; the circle of the op that made it sits just to its left.
    boxes, circles = {}, {}
    for node in nodes:
        x = 2.0 * depth[id(node)]
        text = f"{node.label}\n" if node.label else ""
        text += f"data {node.data:.4g}\ngrad {node.grad:.4g}"
        boxes[id(node)] = ax.text(x, y[id(node)], text, ha="center", va="center", fontsize=9,
                                  family="monospace", bbox=box, zorder=3)
        if node.op:
            circles[id(node)] = ax.text(x - 1.0, y[id(node)], node.op, ha="center", va="center",
                                        fontsize=9, bbox=circle, zorder=3)
            ax.annotate("", xy=(x, y[id(node)]), xytext=(x - 1.0, y[id(node)]), zorder=4,
                        arrowprops={**arrow, "patchA": circles[id(node)].get_bbox_patch(),
                                    "patchB": boxes[id(node)].get_bbox_patch()})
    for child, parent in edges:
        start = (2.0 * depth[id(child)], y[id(child)])
        end = (2.0 * depth[id(parent)] - 1.0, y[id(parent)])
        ax.annotate("", xy=end, xytext=start, zorder=4,
                    arrowprops={**arrow, "patchA": boxes[id(child)].get_bbox_patch(),
                                "patchB": circles[id(parent)].get_bbox_patch()})

    ax.set_xlim(-0.9, 2.0 * (n_cols - 1) + 0.9)
    ax.set_ylim(-(n_rows - 1) - 0.7, 0.7)
    ax.set_title(f"Computational graph of {root.label or 'the output'}: data forward, grad backward")
    ax.axis("off")
    return ax


def _axes(ax: Axes | None, figsize: tuple[float, float] = (5, 4)) -> Axes:
    return ax if ax is not None else plt.subplots(figsize=figsize)[1]


def _panels(ax, n: int, nrows: int, ncols: int, figsize: tuple[float, float], **subplots) -> tuple[plt.Figure, np.ndarray]:
    """The Figure and a flat array of ``n`` or more Axes: the caller's ``ax`` or a new ``nrows x ncols`` grid."""
    if ax is None:
        fig, grid = plt.subplots(nrows, ncols, figsize=figsize, squeeze=False, **subplots)
        return fig, grid.ravel()
    axes = np.asarray(ax, dtype=object).ravel()
    if len(axes) < n or not all(isinstance(a, Axes) for a in axes):
        raise ValueError(f"ax must be a sequence of at least {n} matplotlib Axes, got {ax!r}")
    return axes[0].figure, axes


def show_images(
    images: np.ndarray,
    titles: list[str] | None = None,
    ncols: int = 8,
    cmap: str = "gray",
    suptitle: str | None = None,
    size: float = 1.4,
    symmetric: bool = False,
    ax=None,
):
    """A grid of images: ``(N, 1, H, W)``, ``(N, H, W)`` or ``(N, H, W, 3)``, on ``ax`` (N Axes) or a
    new ``ncols``-wide grid; returns the Figure.

    ``symmetric`` puts zero at the middle of the colour map with one scale for all images, so
    that signed images such as filters can be compared (pair it with a diverging ``cmap``).
    """
    images = np.asarray(images, dtype=float)
    if images.ndim == 4 and images.shape[1] in (1, 3):
        images = images.transpose(0, 2, 3, 1)
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    n = len(images)
    ncols = min(ncols, n)
    nrows = -(-n // ncols)
    m = np.abs(images).max()
    limits = {"vmin": -m, "vmax": m} if symmetric else {}
    fig, axes = _panels(ax, n, nrows, ncols, (size * ncols, size * nrows + (0.4 if suptitle else 0)))
    for i, panel in enumerate(axes):
        panel.axis("off")
        if i < n:
            panel.imshow(images[i], cmap=cmap if images[i].ndim == 2 else None, **limits)
            if titles is not None:
                panel.set_title(str(titles[i]), fontsize=9)
    if suptitle:
        fig.suptitle(suptitle)
    if ax is None:
        fig.tight_layout()
    return fig


def show_matrix(a: np.ndarray, ax: Axes | None = None, title: str = "", fmt: str = "{:.0f}", cmap: str = "Greys") -> Axes:
    """A small 2-D array as an image with each entry written in its cell."""
    a = np.asarray(a)
    ax = _axes(ax, (0.5 * a.shape[1] + 1, 0.5 * a.shape[0] + 1))
    ax.imshow(a, cmap=cmap)
    lo, hi = float(a.min()), float(a.max())
    for (i, j), v in np.ndenumerate(a):
        dark = (v - lo) / (hi - lo + 1e-12) > 0.5
        ax.text(j, i, fmt.format(v), ha="center", va="center", fontsize=8, color="white" if dark else "black")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(title)
    return ax


def plot_orientation_histograms(image: np.ndarray, features: np.ndarray, cell_size: int, bins: int, ax: Axes | None = None, title: str = "") -> Axes:
    """Draw a HOG-like descriptor over its image: in each cell, one line per orientation bin.

    A line's direction is perpendicular to its bin's gradient orientation (so it runs along the
    edge that produced it) and its length is proportional to the bin's weight. Dashed squares mark
    the cells.
    """
    image = np.asarray(image).squeeze()
    h, w = image.shape
    cells = np.asarray(features).reshape(h // cell_size, w // cell_size, bins)
    ax = _axes(ax, (4, 4))
    ax.imshow(image, cmap="gray", alpha=0.5)
    scale = 0.5 * cell_size / max(cells.max(), 1e-12)
    for (ci, cj), hist in np.ndenumerate(cells[..., 0]):
        cy, cx = (ci + 0.5) * cell_size - 0.5, (cj + 0.5) * cell_size - 0.5
        for b in range(bins):
            theta = np.deg2rad((b + 0.5) * 180.0 / bins) + np.pi / 2  # along the edge
            length = cells[ci, cj, b] * scale
            dx, dy = length * np.cos(theta), length * np.sin(theta)
            ax.plot([cx - dx, cx + dx], [cy - dy, cy + dy], color="crimson", lw=1.5)
    # Cell borders (patches, not lines, so ax.lines holds only the histogram's bins).
    for (ci, cj), _ in np.ndenumerate(cells[..., 0]):
        ax.add_patch(plt.Rectangle((cj * cell_size - 0.5, ci * cell_size - 0.5), cell_size, cell_size,
                                   fill=False, edgecolor="steelblue", lw=1, ls="--"))
    ax.set_xlim(-0.5, w - 0.5)
    ax.set_ylim(h - 0.5, -0.5)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(title)
    return ax


def plot_history(history: History, metrics: tuple[str, ...] = ("loss", "acc"), ax=None, label: str = "",
                 axes=None) -> np.ndarray:
    """Learning curves of a ``cnncourse.history.History`` (from either ``fit``), one panel per metric
    (``"loss"``, ``"acc"``, or any field ``train_<m>``/``val_<m>``), on ``ax`` (one Axes per metric) or a
    new row of panels; returns the array of Axes, so a second run can be drawn on the same panels.

    ``axes=`` is the old name of ``ax`` (deprecated).
    """
    if axes is not None:
        warnings.warn("plot_history(axes=...) is now plot_history(ax=...)", DeprecationWarning, stacklevel=2)
        ax = axes if ax is None else ax
    _, axes = _panels(ax, len(metrics), 1, len(metrics), (5 * len(metrics), 3.5))
    for ax, metric in zip(axes, metrics):
        for split in ("train", "val"):
            values = getattr(history, f"{split}_{metric}", None)
            if values and all(v is not None for v in values):
                ax.plot(range(1, len(values) + 1), values, marker="o", ms=3, label=f"{label} {split}".strip())
        ax.set_xlabel("epoch")
        ax.set_ylabel({"loss": "cross-entropy loss", "acc": "accuracy"}.get(metric, metric))
        ax.set_title({"loss": "Loss", "acc": "Accuracy"}.get(metric, metric))
        ax.grid(alpha=0.3)
        ax.legend()
    return axes


def plot_decision_boundary(predict, X: np.ndarray, y: np.ndarray, ax: Axes | None = None, title: str = "", resolution: int = 200, proba: bool = False) -> Axes:
    """Colour the plane by a classifier's output and draw the 2-D points on top.

    ``predict`` maps an (M, 2) array to M labels, or to M probabilities of class 1 when ``proba``.
    """
    X = np.asarray(X, dtype=float)
    ax = _axes(ax, (4.5, 4))
    pad = 0.5
    (x0, y0), (x1, y1) = X.min(0) - pad, X.max(0) + pad
    gx, gy = np.meshgrid(np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution))
    z = np.asarray(predict(np.c_[gx.ravel(), gy.ravel()]), dtype=float).reshape(gx.shape)
    if proba:
        im = ax.contourf(gx, gy, z, levels=20, cmap="RdBu_r", alpha=0.6, vmin=0, vmax=1)
        ax.contour(gx, gy, z, levels=[0.5], colors="k", linewidths=1.5)
        plt.colorbar(im, ax=ax, label="P(class 1)")
    else:
        ax.contourf(gx, gy, z, levels=np.arange(z.max() + 2) - 0.5, cmap="RdBu_r", alpha=0.35)
    ax.scatter(X[:, 0], X[:, 1], c=y, cmap="RdBu_r", edgecolors="k", s=30)
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.set_title(title)
    return ax


def plot_convolution(image: np.ndarray, kernel: np.ndarray, stride: int = 1, padding: int = 0, title: str = "",
                     ax=None) -> plt.Figure:
    """Input, kernel and output of a single-channel convolution side by side, on ``ax`` (3 Axes) or a
    new row; returns the Figure."""
    from cnncourse.numpy.functional import conv2d

    image = np.asarray(image, dtype=np.float32)
    kernel = np.asarray(kernel, dtype=np.float32)
    out = conv2d(image[None, None], kernel[None, None], None, stride, padding)[0, 0]
    fig, axes = _panels(ax, 3, 1, 3, (11, 3.8), gridspec_kw={"width_ratios": [4, 1.3, 4]})
    axes[0].imshow(image, cmap="gray")
    axes[0].set_title(f"input {image.shape[0]}x{image.shape[1]}")
    show_matrix(kernel, ax=axes[1], fmt="{:.2g}", cmap="RdBu_r", title="kernel")
    axes[2].imshow(out, cmap="gray")
    axes[2].set_title(f"output {out.shape[0]}x{out.shape[1]} (stride {stride}, padding {padding})")
    for panel in axes[[0, 2]]:
        panel.set_xticks([])
        panel.set_yticks([])
    if title:
        fig.suptitle(title)
    if ax is None:
        fig.tight_layout()
    return fig


def plot_pooling_shift(image: np.ndarray, mode: str = "max", kernel_size: int = 2, stride: int = 2, shift: int = 1,
                       ax=None) -> plt.Figure:
    """An image, its pooled map, and how much each pooled value moves when the image moves right by ``shift``.

    image: (H, W), padded by 2 pixels first so that the shift stays inside. ``mode`` is "max" or "avg".
    The third panel shows |pooled(shifted) - pooled(original)| and its title the size of the whole change
    as a relative L2 norm, ||pooled(shifted) - pooled|| / ||pooled||: one measure, one denominator.
    Draws on ``ax`` (3 Axes) or a new row; returns the Figure.
    """
    from cnncourse.numpy.functional import avg_pool2d, max_pool2d

    pool = max_pool2d if check_pooling(mode, "mode") == "max" else avg_pool2d
    padded = np.pad(np.asarray(image, dtype=np.float32), 2)[None, None]
    before = pool(padded, kernel_size, stride)[0, 0]
    after = pool(np.roll(padded, shift, axis=3), kernel_size, stride)[0, 0]
    change = np.abs(after - before)
    relative = float(np.linalg.norm(after - before) / max(np.linalg.norm(before), 1e-12))
    fig, axes = _panels(ax, 3, 1, 3, (10, 3.4))
    for panel, a, title in [(axes[0], padded[0, 0], "input (padded by 2)"),
                            (axes[1], before, f"{mode} pool {kernel_size}x{kernel_size}, stride {stride}"),
                            (axes[2], change, f"|change| after a shift of {shift}: relative L2 {relative:.2f}")]:
        panel.imshow(a, cmap="gray", vmin=0, vmax=max(float(before.max()), 1e-12))
        panel.set_title(title, fontsize=10)
        panel.axis("off")
    if ax is None:
        fig.tight_layout()
    return fig


def plot_hidden_space(hidden: np.ndarray, y: np.ndarray, w: np.ndarray, b: float, ax: Axes | None = None,
                      title: str = "") -> Axes:
    """Scatter two hidden units' values and draw the output unit's boundary ``w . h + b = 0``.

    hidden: (M, 2) values of the two hidden units for M inputs; y: (M,) labels in {0, 1};
    w: (2,) and b: the output unit's weights and bias. Returns the Axes.
    """
    hidden = np.asarray(hidden, dtype=float)
    w = np.asarray(w, dtype=float).ravel()
    if hidden.ndim != 2 or hidden.shape[1] != 2:
        raise ValueError(f"hidden must be (M, 2), got shape {hidden.shape}")
    if w.shape != (2,):
        raise ValueError(f"w must hold 2 weights, got shape {w.shape}")
    ax = _axes(ax, (4.5, 4))
    ax.scatter(hidden[:, 0], hidden[:, 1], c=np.asarray(y), cmap="RdBu_r", vmin=0, vmax=1, edgecolors="k", s=80, zorder=3)
    t = np.linspace(-0.1, 1.1, 50)
    # The boundary w1 h1 + w2 h2 + b = 0, drawn as h2(h1) or, for a vertical line, h1(h2).
    if abs(w[1]) > abs(w[0]):
        ax.plot(t, -(w[0] * t + b) / w[1], "k-", lw=1.5, label="output unit: $z = 0$")
    else:
        ax.plot(-(w[1] * t + b) / w[0], t, "k-", lw=1.5, label="output unit: $z = 0$")
    ax.set(xlim=(-0.1, 1.1), ylim=(-0.1, 1.1), xlabel="hidden unit 1", ylabel="hidden unit 2", title=title)
    ax.legend(loc="best", fontsize=8)
    ax.grid(alpha=0.3)
    return ax


def plot_filter_bank(image: np.ndarray, kernels: dict, padding: int = 1, ax=None) -> plt.Figure:
    """Each kernel's response to one grayscale image, with colour scales that can be compared.

    image: (H, W) in [0, 1]; kernels: name -> (k, k) array. Kernels whose entries sum to 1
    (identity, sharpening, blurs) keep the image's brightness, so their outputs share the
    original's grey scale, clipped to [0, 1]; kernels that sum to 0 (edge detectors) share one
    symmetric scale centred on zero. Draws on ``ax`` (one Axes per kernel and one more) or a new
    grid; returns the Figure (the original is the last panel).
    """
    from cnncourse.numpy.functional import conv2d

    image = np.asarray(image, dtype=np.float32)
    if image.ndim != 2:
        raise ValueError(f"image must be (H, W), got shape {image.shape}")
    outs = {name: conv2d(image[None, None], np.asarray(k, dtype=np.float32)[None, None], padding=padding)[0, 0]
            for name, k in kernels.items()}
    signed = {name for name, k in kernels.items() if abs(float(np.sum(k))) < 1e-6}
    edge_max = max((np.abs(outs[n]).max() for n in signed), default=1.0)
    n = len(outs) + 1
    ncols = min(4, n)
    nrows = -(-n // ncols)
    fig, axes = _panels(ax, n, nrows, ncols, (3 * ncols, 3.1 * nrows))
    for panel in axes:
        panel.axis("off")
    for panel, (name, out) in zip(axes, outs.items()):
        if name in signed:
            panel.imshow(out, cmap="RdBu_r", vmin=-edge_max, vmax=edge_max)
        else:
            panel.imshow(np.clip(out, 0, 1), cmap="gray", vmin=0, vmax=1)
        panel.set_title(name, fontsize=10)
    axes[len(outs)].imshow(image, cmap="gray", vmin=0, vmax=1)
    axes[len(outs)].set_title("original", fontsize=10)
    if ax is None:
        fig.tight_layout()
    return fig


def plot_receptive_field(grad: np.ndarray, size: int, ax: Axes | None = None, title: str = "") -> Axes:
    """Show |grad| of one output unit on a log colour scale with a box of ``size`` x ``size`` around it.

    grad: (H, W) gradient of one output with respect to the input; the box is centred on the
    pixels that received any gradient. Pixels with none are drawn in the lowest colour.
    Returns the Axes.
    """
    from matplotlib.colors import LogNorm

    g = np.abs(np.asarray(grad, dtype=float))
    if g.ndim != 2 or not (g > 0).any():
        raise ValueError(f"grad must be a non-zero (H, W) array, got shape {g.shape}")
    ax = _axes(ax, (4.5, 4))
    floor = g[g > 0].min() / 10
    im = ax.imshow(np.maximum(g, floor), cmap="magma", norm=LogNorm(vmin=floor, vmax=g.max()))
    plt.colorbar(im, ax=ax, label="|gradient| (log scale)")
    rows, cols = np.nonzero(g)
    r0 = (rows.min() + rows.max()) / 2 - size / 2
    c0 = (cols.min() + cols.max()) / 2 - size / 2
    ax.add_patch(plt.Rectangle((c0, r0), size, size, fill=False, edgecolor="cyan", lw=1.5))
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(title)
    return ax


# --- Figures of the chapters on what CNNs learn and on breaking them (10, 11) ---
__all__ += ["plot_heatmap", "plot_attributions", "plot_embedding", "plot_mean_spread", "plot_adversarial"]


def plot_heatmap(image: np.ndarray, heatmap: np.ndarray, ax: Axes | None = None, title: str = "",
                 signed: bool = False) -> Axes:
    """An explanation map over its image: ``image (H, W)`` in grey, ``heatmap (H, W)`` on top.

    A non-negative map is shown in a sequential colour map from transparent-looking dark to bright;
    ``signed`` maps use a diverging one centred at zero (red positive, blue negative). Returns the Axes.
    """
    image, heatmap = np.asarray(image, dtype=float).squeeze(), np.asarray(heatmap, dtype=float).squeeze()
    if image.shape != heatmap.shape or image.ndim != 2:
        raise ValueError(f"image and heatmap must be (H, W) of the same shape, got {image.shape} and {heatmap.shape}")
    ax = _axes(ax, (3, 3))
    ax.imshow(image, cmap="gray")
    m = np.abs(heatmap).max() or 1.0
    if signed:
        ax.imshow(heatmap, cmap="RdBu_r", vmin=-m, vmax=m, alpha=0.7)
    else:
        ax.imshow(heatmap, cmap="inferno", vmin=0, vmax=m, alpha=0.65)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(title, fontsize=9)
    return ax


def plot_attributions(images: np.ndarray, maps: dict, titles: list[str] | None = None, ax=None,
                      signed: tuple[str, ...] = (), size: float = 1.7) -> plt.Figure:
    """One row per image: the image, then each method's map over it.

    images: (N, 1, H, W) or (N, H, W); maps: {method name: (N, H, W)}; titles: one per image (row
    labels); methods named in ``signed`` are drawn with a diverging colour map. ``ax``: N * (1 + M)
    Axes. Returns the Figure.
    """
    images = np.asarray(images, dtype=float).reshape(len(images), *np.shape(images)[-2:])
    n, m = len(images), len(maps)
    fig, axes = _panels(ax, n * (m + 1), n, m + 1, (size * (m + 1), size * n + 0.3))
    axes = axes[: n * (m + 1)].reshape(n, m + 1)
    for i in range(n):
        axes[i, 0].imshow(images[i], cmap="gray")
        axes[i, 0].set_xticks([])
        axes[i, 0].set_yticks([])
        axes[i, 0].set_title(titles[i] if titles is not None else "image", fontsize=9)
        for j, (name, values) in enumerate(maps.items()):
            plot_heatmap(images[i], np.asarray(values)[i], ax=axes[i, j + 1], title=name, signed=name in signed)
    if ax is None:
        fig.tight_layout()
    return fig


def plot_embedding(points: np.ndarray, labels: np.ndarray, class_names: tuple[str, ...], ax: Axes | None = None,
                   title: str = "", xlabel: str = "component 1", ylabel: str = "component 2") -> Axes:
    """A 2-D embedding ``points (N, 2)`` as a scatter plot, one colour per class in ``labels (N,)``."""
    points, labels = np.asarray(points), np.asarray(labels)
    if points.ndim != 2 or points.shape[1] != 2 or labels.shape != (len(points),):
        raise ValueError(f"points must be (N, 2) and labels (N,), got {points.shape} and {labels.shape}")
    ax = _axes(ax, (6, 5))
    colours = plt.get_cmap("tab10")
    for k, name in enumerate(class_names):
        chosen = labels == k
        ax.scatter(points[chosen, 0], points[chosen, 1], s=6, color=colours(k % 10), label=name, alpha=0.7)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(fontsize=7, markerscale=2, loc="best", ncols=2)
    return ax


def plot_mean_spread(x, curves: dict, ax: Axes | None = None, title: str = "", xlabel: str = "",
                     ylabel: str = "") -> Axes:
    """Curves measured over several seeds: the mean as a line, plus and minus one standard deviation as a band.

    x: the M positions (numbers, or names drawn as categories); curves: {label: (S, M)} values of
    S seeds. Returns the Axes.
    """
    ax = _axes(ax, (6, 3.8))
    positions = np.arange(len(x)) if isinstance(x[0], str) else np.asarray(x, dtype=float)
    for label, values in curves.items():
        values = np.atleast_2d(np.asarray(values, dtype=float))
        if values.shape[1] != len(positions):
            raise ValueError(f"curve {label!r} has {values.shape[1]} points for {len(positions)} x values")
        mean, std = values.mean(axis=0), values.std(axis=0)
        (line,) = ax.plot(positions, mean, marker="o", ms=4, label=f"{label} ({len(values)} seeds)")
        ax.fill_between(positions, mean - std, mean + std, color=line.get_color(), alpha=0.2)
    if isinstance(x[0], str):
        ax.set_xticks(positions, x)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return ax


__all__ += ["plot_error_by_year", "plot_layer_costs", "plot_accuracy_vs_cost", "plot_score_map"]


def plot_error_by_year(entries: list[tuple[float, float, str]], ax: Axes | None = None, title: str = "",
                       ylabel: str = "top-5 error (%)") -> Axes:
    """Cited results over time: ``entries`` are ``(year, error in %, label)``, drawn as labelled points
    joined in order. Entries of the same year are spread a little sideways so both labels stay readable.
    Returns the Axes."""
    if not entries:
        raise ValueError("entries must hold at least one (year, error, label)")
    ax = _axes(ax, (7, 4))
    seen: dict[float, int] = {}
    xs, ys = [], []
    for year, error, label in entries:
        offset = 0.18 * seen.get(year, 0)
        seen[year] = seen.get(year, 0) + 1
        xs.append(year + offset)
        ys.append(error)
        ax.annotate(f"{label}\n{error:g}%", (year + offset, error), textcoords="offset points", xytext=(0, 8),
                    ha="center", fontsize=8)
    ax.plot(xs, ys, marker="o", color="#33507a")
    ax.set_ylim(0, max(ys) * 1.3)
    ax.set_xticks(sorted(seen))
    ax.set_xlabel("year")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    return ax


def plot_layer_costs(summary, ax: Axes | None = None, title: str = "") -> Axes:
    """Each layer's share of a network's parameters beside its share of the multiply-adds.

    ``summary``: a ``cnncourse.torch.ModelSummary`` (rows with ``name``, ``parameters``, ``macs``; totals);
    layers with neither parameters nor multiply-adds are left out. Returns the Axes.
    """
    rows = [r for r in summary.rows if r.parameters or r.macs]
    if not rows:
        raise ValueError("the summary has no layer with parameters or multiply-adds")
    ax = _axes(ax, (max(6.0, 0.45 * len(rows) + 2), 3.8))
    positions = np.arange(len(rows))
    params = np.array([r.parameters for r in rows]) / max(summary.total_parameters, 1) * 100
    macs = np.array([r.macs for r in rows]) / max(summary.total_macs, 1) * 100
    ax.bar(positions - 0.2, params, width=0.4, label=f"parameters (total {summary.total_parameters / 1e6:.3g} M)")
    ax.bar(positions + 0.2, macs, width=0.4, label=f"multiply-adds (total {summary.total_macs / 1e6:.3g} M)")
    ax.set_xticks(positions, [r.name for r in rows], rotation=60, ha="right", fontsize=8)
    ax.set_ylabel("share of the network's total (%)")
    ax.set_title(title)
    ax.grid(alpha=0.3, axis="y")
    ax.legend(fontsize=8)
    return ax


def plot_accuracy_vs_cost(results, cost: str = "parameters", ax: Axes | None = None, title: str = "") -> Axes:
    """Test accuracy (mean, with one standard deviation as an error bar) against a cost, one point per network.

    ``results``: objects with ``name``, ``parameters``, ``macs``, ``accuracy_mean`` and ``accuracy_std``
    (``cnncourse.torch.ArchitectureResult``); ``cost``: "parameters" or "macs", drawn on a log axis.
    Returns the Axes.
    """
    if cost not in ("parameters", "macs"):
        raise ValueError(f"cost must be 'parameters' or 'macs', got {cost!r}")
    ax = _axes(ax, (6, 4))
    for r in results:
        x = getattr(r, cost)
        ax.errorbar(x, r.accuracy_mean, yerr=r.accuracy_std, marker="o", capsize=3, label=r.name)
        ax.annotate(r.name, (x, r.accuracy_mean), textcoords="offset points", xytext=(5, 5), fontsize=8)
    ax.set_xscale("log")
    ax.set_xlabel({"parameters": "parameters", "macs": "multiply-adds per image"}[cost] + " (log scale)")
    ax.set_ylabel("test accuracy")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    return ax


def plot_score_map(image: np.ndarray, scores: np.ndarray, class_names: tuple[str, ...], ax: Axes | None = None,
                   title: str = "") -> Axes:
    """A wide image and the class a fully convolutional network predicts for each of its windows.

    image: (H, W); scores: (num_classes, 1, M), one column of scores per window, the windows spread evenly
    over the width. Each window's winning class is written above its place. Returns the Axes.
    """
    image, scores = np.asarray(image, dtype=float).squeeze(), np.asarray(scores, dtype=float)
    if image.ndim != 2 or scores.ndim != 3 or scores.shape[1] != 1:
        raise ValueError(f"image must be (H, W) and scores (num_classes, 1, M), got {image.shape} and {scores.shape}")
    ax = _axes(ax, (8, 2.6))
    ax.imshow(image, cmap="gray")
    height, width = image.shape
    m = scores.shape[2]
    for j in range(m):
        centre = (j + 0.5) * width / m - 0.5
        ax.text(centre, -2, class_names[int(scores[:, 0, j].argmax())], ha="center", va="bottom", fontsize=9,
                color="crimson")
    ax.set_ylim(height - 0.5, -0.5 - 0.35 * height)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(title)
    return ax


__all__ += ["plot_quadratic_paths", "plot_layer_statistics", "plot_lr_range_test", "plot_lr_schedules"]


def plot_quadratic_paths(lambdas, paths: dict, ax: Axes | None = None, title: str = "") -> Axes:
    """Contours of f(w) = 1/2 (lambdas[0] w0^2 + lambdas[1] w1^2) and the points each optimizer visited.

    paths: {label: (T, 2) points}. The minimum (0, 0) is marked with a star. Returns the Axes.
    """
    ax = _axes(ax, (6, 4))
    lam = np.asarray(lambdas, dtype=float)
    extent = max(float(np.abs(np.concatenate(list(paths.values()))[:, 0]).max()), 1.0) * 1.1
    height = max(float(np.abs(np.concatenate(list(paths.values()))[:, 1]).max()), extent / 2) * 1.1
    a, b = np.meshgrid(np.linspace(-extent, extent, 200), np.linspace(-height, height, 200))
    ax.contour(a, b, 0.5 * (lam[0] * a**2 + lam[1] * b**2), levels=12, colors="0.8", linewidths=0.8)
    for label, path in paths.items():
        path = np.asarray(path)
        ax.plot(path[:, 0], path[:, 1], marker="o", ms=2.5, lw=1.2, label=label)
    ax.plot(0, 0, marker="*", ms=12, color="k")
    ax.set_xlabel("$w_1$ (flat direction)")
    ax.set_ylabel("$w_2$ (steep direction)")
    ax.set_title(title)
    ax.legend(fontsize=8)
    return ax


def plot_layer_statistics(stats: dict, ax=None, title: str = "") -> np.ndarray:
    """Per-layer statistics of deep networks: activation std (left) and weight-gradient norm (right), log scale.

    stats: {label: object with ``std`` and ``grad_norm`` arrays (depth,)} (``init_stats.ActivationStats``).
    Returns the two Axes.
    """
    fig, axes = _panels(ax, 2, 1, 2, (11, 3.8))
    for label, s in stats.items():
        layers = np.arange(1, len(s.std) + 1)
        axes[0].semilogy(layers, np.maximum(s.std, 1e-30), marker="o", ms=3, label=label)
        axes[1].semilogy(layers, np.maximum(s.grad_norm, 1e-30), marker="o", ms=3, label=label)
    for a, name in zip(axes, ("std of the activations", "norm of the weight gradient")):
        a.set_xlabel("layer")
        a.set_ylabel(name)
        a.grid(alpha=0.3, which="both")
    axes[0].legend(fontsize=8)
    fig.suptitle(title)
    return axes


def plot_lr_range_test(result, ax: Axes | None = None, title: str = "") -> Axes:
    """Loss against learning rate of a ``lr_finder.LRRangeTest`` (raw and smoothed, log lr axis), with the
    lr of the lowest smoothed loss and the suggested tenth of it marked. Returns the Axes."""
    ax = _axes(ax, (6, 3.8))
    ax.semilogx(result.lrs, result.losses, color="0.75", lw=1, label="loss of each step")
    ax.semilogx(result.lrs, result.smoothed, lw=2, label="smoothed")
    ax.axvline(result.lr_at_min, ls="--", color="tab:red", label=f"lowest smoothed loss: lr {result.lr_at_min:.2g}")
    ax.axvline(result.suggested_lr, ls=":", color="tab:green", label=f"a tenth of it: lr {result.suggested_lr:.2g}")
    ax.set_ylim(0, min(float(np.nanmax(result.smoothed)), 3 * float(result.smoothed[0])) * 1.05)
    ax.set_xlabel("learning rate (log scale)")
    ax.set_ylabel("training loss")
    ax.set_title(title)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    return ax


def plot_lr_schedules(curves: dict, ax: Axes | None = None, title: str = "") -> Axes:
    """Learning rate against training step for each schedule; curves: {name: (T,) learning rates}."""
    ax = _axes(ax, (6, 3.5))
    for name, lrs in curves.items():
        ax.plot(np.arange(len(lrs)), lrs, lw=2, label=name)
    ax.set_xlabel("training step (minibatch)")
    ax.set_ylabel("learning rate")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return ax


def plot_adversarial(clean: np.ndarray, adversarial: np.ndarray, clean_title: str = "clean",
                     adversarial_title: str = "adversarial", ax=None) -> plt.Figure:
    """Three panels: the clean image, the perturbation (adversarial - clean, red up, blue down) and the
    adversarial image. clean, adversarial: (H, W) or (1, H, W) in [0, 1]; ``ax``: 3 Axes. Returns the Figure.
    """
    clean, adversarial = np.asarray(clean, dtype=float).squeeze(), np.asarray(adversarial, dtype=float).squeeze()
    if clean.shape != adversarial.shape or clean.ndim != 2:
        raise ValueError(f"clean and adversarial must be (H, W) of the same shape, got {clean.shape} and {adversarial.shape}")
    fig, axes = _panels(ax, 3, 1, 3, (8.4, 3.2))
    delta = adversarial - clean
    m = np.abs(delta).max() or 1.0
    axes[0].imshow(clean, cmap="gray", vmin=0, vmax=1)
    image = axes[1].imshow(delta, cmap="RdBu_r", vmin=-m, vmax=m)
    axes[2].imshow(adversarial, cmap="gray", vmin=0, vmax=1)
    for panel, title in zip(axes, [clean_title, f"perturbation (largest |change| {m:.3f})", adversarial_title]):
        panel.set_title(title, fontsize=9)
        panel.set_xticks([])
        panel.set_yticks([])
    fig.colorbar(image, ax=axes[1], fraction=0.046, pad=0.04)
    return fig
