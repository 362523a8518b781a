"""Data sets that work offline, and loaders for the real ones when a network is there.

Offline: ``load_digits`` (scikit-learn's bundled 8x8 digits), ``load_fashion_mnist`` (the real
Fashion-MNIST, installed by Debian's ``dataset-fashion-mnist`` package), ``load_shapes`` (generated
shapes; ``make_shapes`` gives them with their masks) and ``sample_image`` (images bundled with
scikit-image and matplotlib).
Online: ``load_mnist`` and ``load_cifar10`` through torchvision.

Every loader of a labelled data set returns the same ``Split``.
"""

from __future__ import annotations

import gzip
import os
from functools import cache
from pathlib import Path
from typing import NamedTuple

import numpy as np

__all__ = [
    "DatasetUnavailable",
    "FASHION_MNIST_CLASSES",
    "SAMPLE_IMAGES",
    "Shapes",
    "Split",
    "default_cache",
    "load_cifar10",
    "load_digits",
    "load_fashion_mnist",
    "load_mnist",
    "load_shapes",
    "make_shapes",
    "sample_image",
]


class Split(NamedTuple):
    """A train/test split: images ``(N, C, H, W)`` float32 in [0, 1], labels ``(N,)`` int64 and the
    name of each class (``class_names[y]`` names label ``y``)."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: tuple[str, ...] = ()


def load_digits(test_size: float = 0.2, seed: int = 0) -> Split:
    """scikit-learn's 1,797 handwritten digits as float32 ``(N, 1, 8, 8)`` in [0, 1].

    The split is stratified by class and reproducible for a given ``seed``.
    """
    if not 0.0 < test_size < 1.0:
        raise ValueError(f"test_size must lie strictly between 0 and 1, got {test_size}")
    from sklearn.datasets import load_digits as _sk_digits
    from sklearn.model_selection import train_test_split

    bunch = _sk_digits()
    x = (bunch.images / 16.0).astype(np.float32)[:, None, :, :]
    y = bunch.target.astype(np.int64)
    x_tr, x_te, y_tr, y_te = train_test_split(
        x, y, test_size=test_size, random_state=seed, stratify=y
    )
    return Split(x_tr, y_tr, x_te, y_te, tuple(str(d) for d in range(10)))


class Shapes(NamedTuple):
    """Generated shapes: images ``(N, 1, H, W)`` float32, labels ``(N,)`` int64, masks ``(N, H, W)`` bool."""

    images: np.ndarray
    labels: np.ndarray
    masks: np.ndarray
    class_names: tuple[str, ...]


SHAPE_KINDS = ("circle", "square", "triangle")


def _shape_mask(kind: str, size: int, cy: float, cx: float, r: float) -> np.ndarray:
    """Boolean ``(size, size)`` mask of a shape centred at ``(cy, cx)`` with half-extent ``r``."""
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float64)
    dy, dx = yy - cy, xx - cx
    if kind == "circle":
        return dy**2 + dx**2 <= r**2
    if kind == "square":
        return (np.abs(dy) <= r) & (np.abs(dx) <= r)
    # Upright triangle: apex at the top, base at the bottom. A pixel is inside when it is
    # below the apex row, above the base row and within the two slanted sides.
    t = (dy + r) / (2 * r)  # 0 at the apex, 1 at the base
    return (t >= 0) & (t <= 1) & (np.abs(dx) <= t * r)


def make_shapes(
    n: int,
    size: int = 28,
    seed: int = 0,
    kinds: tuple[str, ...] = SHAPE_KINDS,
    noise: float = 0.05,
) -> Shapes:
    """Images of one filled shape each, at a random position and size, on a dark noisy background.

    Returns ``Shapes(images, labels, masks, class_names)``: images ``(n, 1, size, size)`` float32
    in [0, 1], labels ``(n,)`` int64 indexing ``class_names == tuple(kinds)``, masks
    ``(n, size, size)`` bool, true on the shape's pixels. Classes are balanced (their counts differ
    by at most one), every shape lies fully inside the image, and the result depends only on the
    arguments. The mask tells where the evidence is, which is what translation-invariance,
    Grad-CAM and network-dissection experiments need.
    """
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    if not isinstance(size, int) or size < 8:
        raise ValueError(f"size must be an integer of at least 8 pixels, got {size!r}")
    kinds = tuple(kinds)
    unknown = [k for k in kinds if k not in SHAPE_KINDS]
    if not kinds or unknown:
        raise ValueError(f"kinds must be a non-empty subset of {SHAPE_KINDS}, got {kinds}")
    if noise < 0:
        raise ValueError(f"noise must be non-negative, got {noise}")

    rng = np.random.default_rng(seed)
    labels = rng.permutation(np.arange(n) % len(kinds)).astype(np.int64)
    images = np.empty((n, 1, size, size), dtype=np.float32)
    masks = np.empty((n, size, size), dtype=bool)
    for i, label in enumerate(labels):
        r = rng.uniform(0.15, 0.35) * size
        # Keep the centre at least r away from the borders so the whole shape is visible.
        cy, cx = rng.uniform(r, size - 1 - r, size=2)
        mask = _shape_mask(kinds[label], size, cy, cx, r)
        background = rng.uniform(0.0, 0.2)
        foreground = rng.uniform(0.7, 1.0)
        image = np.where(mask, foreground, background) + rng.normal(0.0, noise, (size, size))
        images[i, 0] = np.clip(image, 0.0, 1.0)
        masks[i] = mask
    return Shapes(images, labels, masks, kinds)


def load_shapes(n_train: int = 2000, n_test: int = 500, size: int = 28, seed: int = 0, **kwargs) -> Split:
    """Generated shapes (``make_shapes``) as a ``Split`` like every other loader: ``x: (N, 1, size, size)``.

    The test set comes from ``seed + 1``, so no test image repeats a training image. Other keywords
    (``kinds``, ``noise``) go to ``make_shapes``; call ``make_shapes`` itself when the masks are needed.
    """
    train = make_shapes(n_train, size=size, seed=seed, **kwargs)
    test = make_shapes(n_test, size=size, seed=seed + 1, **kwargs)
    return Split(train.images, train.labels, test.images, test.labels, train.class_names)


# Images that ship inside scikit-image (no download) and matplotlib.
SAMPLE_IMAGES = (
    "astronaut", "brick", "camera", "cat", "chelsea", "clock", "coffee", "coins", "colorwheel",
    "grass", "gravel", "horse", "hubble_deep_field", "immunohistochemistry", "logo",
    "microaneurysms", "moon", "page", "rocket", "text", "grace_hopper",
)  # fmt: skip


def sample_image(name: str, size: int | tuple[int, int] | None = None, gray: bool = False) -> np.ndarray:
    """A bundled sample image as float32 in [0, 1]: ``(H, W, 3)``, or ``(H, W)`` when ``gray``.

    ``name`` is one of ``SAMPLE_IMAGES`` (scikit-image's ``skimage.data`` images, for example
    "astronaut", "camera", "coffee", "chelsea" (a cat), "rocket", "coins", plus matplotlib's
    "grace_hopper"). Gray images are repeated over three channels unless ``gray`` is true;
    colour images are converted to luminance when it is. ``size`` (an int for a square, or
    ``(H, W)``) resizes with anti-aliasing.
    """
    if name not in SAMPLE_IMAGES:
        raise ValueError(f"unknown sample image {name!r}; available: {', '.join(SAMPLE_IMAGES)}")
    from skimage import color, data, transform, util

    if name == "grace_hopper":
        import matplotlib.cbook
        import matplotlib.image

        image = matplotlib.image.imread(matplotlib.cbook.get_sample_data("grace_hopper.jpg"))
    else:
        image = getattr(data, name)()
    image = util.img_as_float32(image)
    if image.ndim == 3 and image.shape[2] == 4:
        image = image[:, :, :3]  # drop the alpha channel (the scikit-image logo)
    if gray and image.ndim == 3:
        image = color.rgb2gray(image)
    elif not gray and image.ndim == 2:
        image = np.stack([image] * 3, axis=-1)
    if size is not None:
        out_hw = (size, size) if isinstance(size, int) else tuple(size)
        if len(out_hw) != 2 or min(out_hw) < 1:
            raise ValueError(f"size must be a positive int or an (H, W) pair, got {size!r}")
        image = transform.resize(image, out_hw + image.shape[2:], anti_aliasing=True)
    return np.clip(image, 0.0, 1.0).astype(np.float32)


class DatasetUnavailable(RuntimeError):
    """A real data set could not be downloaded or read from the cache."""


def default_cache() -> Path:
    """Where downloaded data sets live: ``$CNNCOURSE_DATA`` or ``~/.cache/cnncourse``."""
    return Path(os.environ.get("CNNCOURSE_DATA", Path.home() / ".cache" / "cnncourse"))


def _load_torchvision(dataset: str, root: str | os.PathLike | None, train: bool) -> tuple[np.ndarray, np.ndarray]:
    """Images ``(N, C, H, W)`` float32 in [0, 1] and labels ``(N,)`` int64 of a torchvision data set."""
    import torchvision

    root = Path(root) if root is not None else default_cache()
    try:
        ds = getattr(torchvision.datasets, dataset)(root=str(root), train=train, download=True)
    except Exception as err:  # no network, a proxy, a corrupt file: all mean the same to the reader
        raise DatasetUnavailable(
            f"could not download or read {dataset} in {root} ({type(err).__name__}: {err}). "
            "Without a network, use the offline data sets instead: cnncourse.data.load_fashion_mnist() "
            "(the real Fashion-MNIST, from Debian's dataset-fashion-mnist), cnncourse.data.load_digits() "
            "(8x8 handwritten digits) or cnncourse.data.make_shapes() (generated shapes), or copy "
            f"the {dataset} files into {root} (set CNNCOURSE_DATA to choose that folder)."
        ) from err
    x = np.asarray(ds.data)
    if x.ndim == 3:  # MNIST-style (N, H, W) grayscale
        x = x[:, None]
    else:  # CIFAR-style (N, H, W, C)
        x = x.transpose(0, 3, 1, 2)
    x = (x / 255.0).astype(np.float32)
    return np.ascontiguousarray(x), np.asarray(ds.targets, dtype=np.int64)


def _torchvision_split(dataset: str, root: str | os.PathLike | None, class_names: tuple[str, ...]) -> Split:
    return Split(*_load_torchvision(dataset, root, True), *_load_torchvision(dataset, root, False), class_names)


def load_mnist(root: str | os.PathLike | None = None) -> Split:
    """MNIST (LeCun et al. 1998): ``x: (N, 1, 28, 28)`` float32 in [0, 1], 60,000 + 10,000 images.

    Downloads to ``root`` (default: ``default_cache()``) the first time; raises
    ``DatasetUnavailable`` naming the offline alternatives when that fails.
    """
    return _torchvision_split("MNIST", root, tuple(str(d) for d in range(10)))


def load_cifar10(root: str | os.PathLike | None = None) -> Split:
    """CIFAR-10 (Krizhevsky 2009): ``x: (N, 3, 32, 32)`` float32 in [0, 1], 50,000 + 10,000 images."""
    names = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
    return _torchvision_split("CIFAR10", root, names)


FASHION_MNIST_CLASSES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)  # fmt: skip
FASHION_MNIST_DEBIAN = Path("/usr/share/datasets/fashion-mnist")
_FASHION_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")


def _fashion_mnist_folder(root: str | os.PathLike | None) -> Path:
    """The first folder that holds the four Fashion-MNIST files (gzipped or not)."""
    if root is not None:
        candidates = [Path(root)]
    else:
        env = os.environ.get("CNNCOURSE_FASHION_MNIST")
        candidates = [Path(env)] if env else []
        candidates += [FASHION_MNIST_DEBIAN, default_cache() / "FashionMNIST" / "raw"]
    # torchvision's layout keeps the files in <root>/FashionMNIST/raw.
    candidates += [c / "FashionMNIST" / "raw" for c in candidates]
    for folder in candidates:
        if all(_idx_path(folder, name) is not None for name in _FASHION_FILES):
            return folder
    raise DatasetUnavailable(
        "Fashion-MNIST was not found in " + ", ".join(str(c) for c in candidates) + ". "
        "Install it offline with Debian's package: sudo apt-get install dataset-fashion-mnist "
        "(the README's `make book` and `make test` do this when run as root), or put the four "
        "idx files (train-images-idx3-ubyte[.gz], ...) in a folder named by CNNCOURSE_FASHION_MNIST."
    )


def _idx_path(folder: Path, name: str) -> Path | None:
    for path in (folder / name, folder / f"{name}.gz"):
        if path.is_file():
            return path
    return None


def _read_idx(path: Path) -> np.ndarray:
    """An IDX file (LeCun's MNIST format): a magic number giving the rank, the sizes, then uint8 data."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        raw = f.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise DatasetUnavailable(f"{path} is not an IDX file of unsigned bytes")
    rank = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(rank))
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * rank)
    if data.size != int(np.prod(shape)):
        raise DatasetUnavailable(f"{path} is truncated: expected {shape}, found {data.size} values")
    return data.reshape(shape)


@cache
def _fashion_mnist_bytes(folder: Path) -> tuple[np.ndarray, ...]:
    return tuple(_read_idx(_idx_path(folder, name)) for name in _FASHION_FILES)


def load_fashion_mnist(root: str | os.PathLike | None = None) -> Split:
    """Fashion-MNIST (Xiao et al. 2017), the real 60,000 training and 10,000 test images, offline.

    Returns a ``Split`` with ``x: (N, 1, 28, 28)`` float32 in [0, 1], labels int64 in 0..9 and
    ``FASHION_MNIST_CLASSES``. Files are read from ``root``, else from the folder named by
    ``$CNNCOURSE_FASHION_MNIST``, else from Debian's ``dataset-fashion-mnist`` package
    (``/usr/share/datasets/fashion-mnist``), else from torchvision's layout under ``default_cache()``.
    Raises ``DatasetUnavailable`` naming the package when none holds the data: there is no substitute.
    """
    x_tr, y_tr, x_te, y_te = _fashion_mnist_bytes(_fashion_mnist_folder(root))
    def images(x: np.ndarray) -> np.ndarray:
        return (x[:, None, :, :] / np.float32(255.0)).astype(np.float32)
    return Split(images(x_tr), y_tr.astype(np.int64), images(x_te), y_te.astype(np.int64), FASHION_MNIST_CLASSES)
