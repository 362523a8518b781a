"""Public tests for question 7: random crop with padding and horizontal flip, by their properties."""

import numpy as np

from autograder.testing import changed_arguments


def call(student, x, y, **kwargs):
    """The student's (x_aug, y_aug), checked for shapes and labels."""
    result = student.augment_batch(x, y, **kwargs)
    assert isinstance(result, tuple) and len(result) == 2, "augment_batch should return a tuple (x_aug, y_aug)"
    x_aug, y_aug = np.asarray(result[0]), np.asarray(result[1])
    assert x_aug.shape == x.shape, f"x_aug should have the shape of x {x.shape}, got {x_aug.shape}"
    np.testing.assert_array_equal(y_aug, y, err_msg=(
        "the labels changed: a shifted or mirrored garment keeps its label, so y_aug equals y"))
    return x_aug


def count(x_aug, row):
    """How many images of x_aug (N, 1, 1, W) hold exactly the given row."""
    return np.count_nonzero(np.all(x_aug[:, 0, 0] == row, axis=1))


def test_no_padding_no_flip_is_the_identity(student):
    """padding=0 and flip_prob=0 return the batch unchanged."""
    x = np.array([[[[1.0, 2.0], [3.0, 4.0]]], [[[5.0, 6.0], [7.0, 8.0]]]])
    x_aug = call(student, x, np.array([4, 7]), padding=0, flip_prob=0.0, seed=0)
    np.testing.assert_array_equal(x_aug, x, err_msg="with no padding and no flip nothing may change")


def test_flip_mirrors_left_right(student):
    """flip_prob=1 reverses the columns (the last axis) of every image."""
    x = np.array([[[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]], [[[7.0, 8.0, 9.0], [10.0, 11.0, 12.0]]]])
    x_aug = call(student, x, np.array([0, 1]), padding=0, flip_prob=1.0, seed=0)
    if np.array_equal(x_aug[0, 0], [[4.0, 5.0, 6.0], [1.0, 2.0, 3.0]]):
        raise AssertionError("the image was flipped upside down: a horizontal flip reverses the columns, the last "
                             "axis W (x[..., ::-1])")
    if np.array_equal(x_aug[0, 0], [[6.0, 5.0, 4.0], [3.0, 2.0, 1.0]]):
        raise AssertionError("the image was turned by 180 degrees: np.flip(image) without an axis reverses every "
                             "axis; reverse only the last one, W (np.flip(image, axis=-1) or image[..., ::-1])")
    if np.array_equal(x_aug[0], x[1]):
        raise AssertionError("the batch was reversed (axis 0), so the images no longer match their labels: flip the "
                             "columns of each image, the last axis W")
    np.testing.assert_array_equal(x_aug[0, 0], [[3.0, 2.0, 1.0], [6.0, 5.0, 4.0]],
                                  err_msg="a horizontal flip reverses each row")
    np.testing.assert_array_equal(x_aug[1, 0], [[9.0, 8.0, 7.0], [12.0, 11.0, 10.0]],
                                  err_msg="every image is flipped on its own")


def test_every_column_offset_is_reached(student):
    """Padding 1 on a 1x3 image [1, 2, 3]: the crops [0, 1, 2], [1, 2, 3] and [2, 3, 0] each appear in about 1/9."""
    x = np.tile(np.array([1.0, 2.0, 3.0]), (2700, 1, 1, 1))
    x_aug = call(student, x, np.zeros(2700, dtype=int), padding=1, flip_prob=0.0, seed=0)
    left, middle, right = count(x_aug, [0.0, 1.0, 2.0]), count(x_aug, [1.0, 2.0, 3.0]), count(x_aug, [2.0, 3.0, 0.0])
    assert not np.all(x_aug == x_aug[:1]), (
        "every image got the same crop: draw the offsets for each image separately (size=N)")
    assert right > 0, (
        "the crop [2, 3, 0] (column offset 2 * padding, the right edge of the padded image) never appeared: "
        "the offsets are 0 .. 2 * padding inclusive, rng.integers(0, 2 * padding + 1) (the upper bound is exclusive)")
    assert left > 0, "the crop [0, 1, 2] (column offset 0) never appeared: the offsets start at 0"
    expected = "each should appear in about 1/9 of the images (300 of 2700)"
    assert 200 < left < 400 and 200 < middle < 400 and 200 < right < 400, (
        f"the crops [0, 1, 2], [1, 2, 3], [2, 3, 0] appeared {left}, {middle}, {right} times: {expected}; "
        "draw the row and column offsets independently and uniformly over 0 .. 2 * padding")


def test_every_row_offset_is_reached(student):
    """Padding 1 on a 3x1 image: the column (0, 1, 2), (1, 2, 3) and (2, 3, 0) each appear in about 1/9."""
    x = np.tile(np.array([[1.0], [2.0], [3.0]]), (2700, 1, 1, 1))
    x_aug = call(student, x, np.zeros(2700, dtype=int), padding=1, flip_prob=0.0, seed=1)
    columns = x_aug[:, 0, :, 0]
    top = np.count_nonzero(np.all(columns == [0.0, 1.0, 2.0], axis=1))
    bottom = np.count_nonzero(np.all(columns == [2.0, 3.0, 0.0], axis=1))
    assert bottom > 0, ("the row offset 2 * padding (the bottom edge) never appeared: draw it from "
                        "rng.integers(0, 2 * padding + 1)")
    assert 200 < top < 400 and 200 < bottom < 400, (
        f"the crops shifted down and up appeared {top} and {bottom} times of 2700, expected about 300 each")


def test_flip_probability(student):
    """With flip_prob 0.2 about 20% of the images are mirrored (between 16% and 24% of 2,000)."""
    x = np.tile(np.array([1.0, 2.0, 3.0]), (2000, 1, 1, 1))
    x_aug = call(student, x, np.zeros(2000, dtype=int), padding=0, flip_prob=0.2, seed=2)
    flipped = count(x_aug, [3.0, 2.0, 1.0]) / 2000
    assert not 0.7 < flipped < 0.9, (
        f"{flipped:.0%} of the images were flipped with flip_prob = 0.2: flip when the draw is below flip_prob "
        "(rng.random() < flip_prob)")
    assert 0.16 < flipped < 0.24, f"{flipped:.1%} of the images were flipped, expected about 20%"
    assert count(x_aug, [1.0, 2.0, 3.0]) + count(x_aug, [3.0, 2.0, 1.0]) == 2000, "images must be kept or mirrored"


def test_images_keep_their_labels(student):
    """Each augmented image still belongs to its own label (image i is filled with y[i] + 1)."""
    y = np.array([3, 1, 4, 1, 5, 9, 2, 6])
    x = np.ones((8, 2, 4, 4)) * (y + 1.0)[:, None, None, None]
    x_aug = call(student, x, y, padding=2, flip_prob=0.5, seed=3)
    own = (x_aug == 0.0) | (x_aug == (y + 1.0)[:, None, None, None])
    assert np.all(own), ("an augmented image holds pixels of another image: crop and flip each image itself, "
                         "without reordering the batch (axis 0)")
    assert np.all(np.any(x_aug == (y + 1.0)[:, None, None, None], axis=(1, 2, 3))), (
        "an image lost all its pixels: with padding 2 every crop of a 4x4 image keeps at least 2x2 of its pixels")


def test_same_seed_same_batch(student):
    """The same seed gives the same batch, float32 stays float32, and x and y are left unchanged."""
    x = np.arange(1.0, 97.0, dtype=np.float32).reshape(6, 1, 4, 4)
    y = np.array([0, 1, 2, 3, 4, 5])
    called = student.augment_batch.returning_args(x=x.copy(), y=y.copy(), padding=1, flip_prob=0.5, seed=4)
    again = np.asarray(student.augment_batch(x, y, padding=1, flip_prob=0.5, seed=4)[0])
    first = np.asarray(called.result[0])
    assert first.dtype == np.float32, f"x_aug should keep the dtype of x (float32), got {first.dtype}"
    np.testing.assert_array_equal(first, again, err_msg="two calls with seed=4 gave different batches: "
                                                        "draw everything from one np.random.default_rng(seed)")
    changed = changed_arguments(called, x=x, y=y, padding=1, flip_prob=0.5, seed=4)
    assert changed == [], f"augment_batch changed {' and '.join(changed)} in place: write into a new array"
