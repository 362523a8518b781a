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
    with pytest.raises(DatasetUnavailable, match=r"load_digits\(\).*make_shapes\(\)") as info:
        loader(root=tmp_path)
    assert str(tmp_path) in str(info.value)
    assert isinstance(info.value, RuntimeError)
