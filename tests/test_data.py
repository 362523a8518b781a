"""The offline data sets, and the message the real loaders give when there is no network."""

import socket
import subprocess
import sys

import numpy as np
import pytest

from cnncourse import data
from cnncourse.data import DatasetUnavailable, load_cifar10, load_mnist, make_shapes, sample_image


def test_make_shapes_types_ranges_and_balance():
    s = make_shapes(31, size=20, seed=3)
    assert s.images.shape == (31, 1, 20, 20) and s.images.dtype == np.float32
    assert s.labels.shape == (31,) and s.labels.dtype == np.int64
    assert s.masks.shape == (31, 20, 20) and s.masks.dtype == bool
    assert s.class_names == ("circle", "square", "triangle")
    assert 0.0 <= s.images.min() and s.images.max() <= 1.0
    counts = np.bincount(s.labels, minlength=3)
    assert counts.max() - counts.min() <= 1


def test_make_shapes_is_reproducible_and_seed_dependent():
    a, b, c = make_shapes(12, seed=5), make_shapes(12, seed=5), make_shapes(12, seed=6)
    np.testing.assert_array_equal(a.images, b.images)
    np.testing.assert_array_equal(a.labels, b.labels)
    assert not np.array_equal(a.images, c.images)


def test_make_shapes_masks_mark_the_bright_shape_inside_the_image():
    s = make_shapes(60, size=28, seed=0, noise=0.0)
    img = s.images[:, 0]
    for image, mask in zip(img, s.masks):
        assert mask.sum() >= 20  # a shape big enough to see
        # Without noise the shape is uniformly brighter than the background.
        assert image[mask].min() > image[~mask].max()
        # Each shape is as tall as it is wide; one cut by the border would not be.
        rows, cols = np.nonzero(mask)
        assert abs(np.ptp(rows) - np.ptp(cols)) <= 1


def test_make_shapes_kinds_look_different():
    """A square fills its bounding box, a circle about pi/4 of it, a triangle about half."""
    s = make_shapes(90, size=40, seed=1, noise=0.0)
    fill = {name: [] for name in s.class_names}
    for label, mask in zip(s.labels, s.masks):
        rows, cols = np.nonzero(mask)
        box = (np.ptp(rows) + 1) * (np.ptp(cols) + 1)
        fill[s.class_names[label]].append(mask.sum() / box)
    assert np.mean(fill["square"]) > 0.95
    assert 0.7 < np.mean(fill["circle"]) < 0.85
    assert 0.45 < np.mean(fill["triangle"]) < 0.65


def test_make_shapes_subset_of_kinds():
    s = make_shapes(10, kinds=("square", "circle"))
    assert s.class_names == ("square", "circle") and set(s.labels) == {0, 1}


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"n": 0}, "n must be"),
        ({"n": 5, "size": 4}, "size must be"),
        ({"n": 5, "kinds": ("hexagon",)}, "kinds must be"),
        ({"n": 5, "noise": -0.1}, "noise must be"),
    ],
)
def test_make_shapes_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_shapes(**kwargs)


def test_sample_image_colour_gray_and_resize():
    cat = sample_image("chelsea")
    assert cat.shape == (300, 451, 3) and cat.dtype == np.float32
    assert 0.0 <= cat.min() and cat.max() <= 1.0 and cat.max() > 0.5
    camera = sample_image("camera")
    assert camera.shape == (512, 512, 3)
    np.testing.assert_array_equal(camera[..., 0], camera[..., 2])  # gray repeated over channels
    assert sample_image("camera", gray=True).shape == (512, 512)
    assert sample_image("astronaut", size=(32, 48), gray=True).shape == (32, 48)
    assert sample_image("grace_hopper", size=16).shape == (16, 16, 3)


def test_sample_image_unknown_name_lists_the_available_ones():
    with pytest.raises(ValueError, match="available: .*astronaut.*chelsea"):
        sample_image("lena")


def test_data_does_not_import_torch():
    code = "import sys, cnncourse.data; assert 'torch' not in sys.modules, 'torch imported'"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_default_cache_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("CNNCOURSE_DATA", str(tmp_path))
    assert data.default_cache() == tmp_path


@pytest.fixture
def short_socket_timeout():
    """Should any download path escape the patch below, fail within seconds rather than hang."""
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(3)
    yield
    socket.setdefaulttimeout(previous)


@pytest.mark.parametrize("loader", [load_mnist, load_cifar10])
def test_real_loaders_fail_with_a_message_naming_the_offline_sets(loader, monkeypatch, tmp_path, short_socket_timeout):
    """A failed download (here made certain, so the test never touches the network) names the way out."""
    import urllib.error

    import torchvision.datasets.utils as tv_utils

    def no_network(url, *args, **kwargs):
        raise urllib.error.URLError("network is unreachable")

    monkeypatch.setattr(tv_utils, "download_url", no_network)
    with pytest.raises(DatasetUnavailable, match=r"load_fashion_mnist\(\).*load_digits\(\).*make_shapes\(\)") as info:
        loader(root=tmp_path)
    assert str(tmp_path) in str(info.value)
    assert isinstance(info.value, RuntimeError)


# ----------------------------------------------------------------------------- one Split for every loader


def test_load_shapes_is_a_split_of_make_shapes_with_distinct_train_and_test():
    split = data.load_shapes(n_train=12, n_test=6, size=20, seed=4)
    assert isinstance(split, data.Split)
    train, test = make_shapes(12, size=20, seed=4), make_shapes(6, size=20, seed=5)
    np.testing.assert_array_equal(split.x_train, train.images)
    np.testing.assert_array_equal(split.y_train, train.labels)
    np.testing.assert_array_equal(split.x_test, test.images)
    assert split.class_names == ("circle", "square", "triangle")
    assert not any(np.array_equal(a, b) for a in split.x_train for b in split.x_test)


def test_load_shapes_passes_options_to_make_shapes():
    split = data.load_shapes(n_train=4, n_test=2, kinds=("square", "circle"), noise=0.0)
    assert split.class_names == ("square", "circle")


@pytest.mark.parametrize("load", [data.load_digits, data.load_shapes, data.load_fashion_mnist])
def test_every_offline_loader_returns_the_same_split(load):
    split = load()
    assert type(split) is data.Split and split._fields == ("x_train", "y_train", "x_test", "y_test", "class_names")
    for x, y in ((split.x_train, split.y_train), (split.x_test, split.y_test)):
        assert x.ndim == 4 and x.dtype == np.float32 and y.dtype == np.int64 and len(x) == len(y)
        assert 0.0 <= x.min() and x.max() <= 1.0
    # class_names[y] names label y: one name per class, every label has a name.
    assert len(split.class_names) == int(split.y_train.max()) + 1
    assert all(isinstance(name, str) and name for name in split.class_names)


# ----------------------------------------------------------------------------- Fashion-MNIST, offline


@pytest.fixture(scope="module")
def fashion():
    """The real data set from Debian's dataset-fashion-mnist (the README installs it; no substitute)."""
    return data.load_fashion_mnist()


def test_fashion_mnist_shapes_dtype_and_range(fashion):
    assert fashion.x_train.shape == (60_000, 1, 28, 28) and fashion.x_test.shape == (10_000, 1, 28, 28)
    assert fashion.x_train.dtype == np.float32 and fashion.y_train.dtype == np.int64
    assert fashion.x_train.min() == 0.0 and fashion.x_train.max() == 1.0  # bytes 0..255 scaled by 1/255
    assert set(np.unique(fashion.y_test)) == set(range(10))


def test_fashion_mnist_has_6000_training_and_1000_test_images_per_class(fashion):
    np.testing.assert_array_equal(np.bincount(fashion.y_train, minlength=10), np.full(10, 6_000))
    np.testing.assert_array_equal(np.bincount(fashion.y_test, minlength=10), np.full(10, 1_000))


def test_fashion_mnist_first_training_image_is_an_ankle_boot(fashion):
    assert fashion.y_train[0] == 9
    assert fashion.class_names[fashion.y_train[0]] == "Ankle boot"
    assert fashion.class_names == data.FASHION_MNIST_CLASSES and len(fashion.class_names) == 10


def test_fashion_mnist_missing_folder_names_the_debian_package(tmp_path):
    with pytest.raises(DatasetUnavailable, match="apt-get install dataset-fashion-mnist") as info:
        data.load_fashion_mnist(root=tmp_path)
    message = str(info.value)
    assert str(tmp_path) in message and "CNNCOURSE_FASHION_MNIST" in message


def _write_idx(path, array, compress):
    """An IDX file by hand: two zero bytes, type 0x08 (unsigned byte), the rank, big-endian sizes, the data."""
    import gzip

    raw = bytes([0, 0, 0x08, array.ndim]) + b"".join(int(n).to_bytes(4, "big") for n in array.shape)
    raw += np.ascontiguousarray(array, dtype=np.uint8).tobytes()
    if compress:
        path = path.with_name(path.name + ".gz")
        raw = gzip.compress(raw)
    path.write_bytes(raw)


def _tiny_fashion(folder, compress=False, seed=0):
    """Four IDX files with 3 training and 2 test images of 28x28; returns the arrays written."""
    rng = np.random.default_rng(seed)
    arrays = {
        "train-images-idx3-ubyte": rng.integers(0, 256, (3, 28, 28)),
        "train-labels-idx1-ubyte": np.array([9, 0, 3]),
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (2, 28, 28)),
        "t10k-labels-idx1-ubyte": np.array([1, 9]),
    }
    folder.mkdir(parents=True, exist_ok=True)
    for name, array in arrays.items():
        _write_idx(folder / name, array, compress)
    return arrays


@pytest.mark.parametrize("compress", [False, True])
def test_fashion_mnist_reads_hand_made_idx_files(tmp_path, compress):
    arrays = _tiny_fashion(tmp_path, compress)
    split = data.load_fashion_mnist(root=tmp_path)
    assert split.x_train.shape == (3, 1, 28, 28) and split.x_test.shape == (2, 1, 28, 28)
    np.testing.assert_array_equal(split.x_train[:, 0] * 255, arrays["train-images-idx3-ubyte"])
    np.testing.assert_array_equal(split.y_train, [9, 0, 3])
    np.testing.assert_array_equal(split.y_test, [1, 9])
    assert split.y_train.dtype == np.int64 and split.x_test.dtype == np.float32


def test_fashion_mnist_folder_from_the_environment_comes_before_debian(tmp_path, monkeypatch):
    _tiny_fashion(tmp_path / "mine")
    monkeypatch.setenv("CNNCOURSE_FASHION_MNIST", str(tmp_path / "mine"))
    assert len(data.load_fashion_mnist().x_train) == 3


def test_fashion_mnist_reads_torchvision_layout(tmp_path):
    arrays = _tiny_fashion(tmp_path / "FashionMNIST" / "raw", compress=False, seed=1)
    split = data.load_fashion_mnist(root=tmp_path)
    np.testing.assert_array_equal(split.x_test[:, 0] * 255, arrays["t10k-images-idx3-ubyte"])


def test_fashion_mnist_rejects_corrupt_files(tmp_path):
    _tiny_fashion(tmp_path / "bad-magic")
    (tmp_path / "bad-magic" / "train-labels-idx1-ubyte").write_bytes(b"\x00\x00\x0d\x01" + (3).to_bytes(4, "big"))
    with pytest.raises(DatasetUnavailable, match="not an IDX file of unsigned bytes"):
        data.load_fashion_mnist(root=tmp_path / "bad-magic")
    _tiny_fashion(tmp_path / "short")
    path = tmp_path / "short" / "t10k-images-idx3-ubyte"
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(DatasetUnavailable, match=r"truncated: expected \(2, 28, 28\)"):
        data.load_fashion_mnist(root=tmp_path / "short")


@pytest.mark.parametrize("loader, dataset, names", [(load_mnist, "MNIST", 10), (load_cifar10, "CIFAR10", 10)])
def test_real_loaders_return_a_split_with_class_names(loader, dataset, names, monkeypatch, tmp_path):
    """MNIST and CIFAR-10 come as the same Split as the offline sets (torchvision's reader replaced by a fake)."""
    import torchvision

    class Fake:
        def __init__(self, root, train, download):
            n = 5 if train else 3
            shape = (n, 28, 28) if dataset == "MNIST" else (n, 32, 32, 3)  # torchvision's layouts
            self.data = np.full(shape, 255, dtype=np.uint8)
            self.targets = list(range(n))

    monkeypatch.setattr(torchvision.datasets, dataset, Fake)
    split = loader(root=tmp_path)
    assert type(split) is data.Split and len(split.class_names) == names
    channels, size = (1, 28) if dataset == "MNIST" else (3, 32)
    assert split.x_train.shape == (5, channels, size, size) and split.x_test.shape == (3, channels, size, size)
    assert split.x_train.dtype == np.float32 and split.x_train.max() == 1.0 and split.y_test.dtype == np.int64
