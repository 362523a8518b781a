"""Hidden tests for question 7: every (row, column) offset and flip identified from the output."""

import numpy as np

from autograder.testing import changed_arguments


def candidates(image, padding):
    """All (2p+1)^2 * 2 augmented versions of one image (C, H, W): dict (dy, dx, flipped) -> array."""
    _, h, w = image.shape
    padded = np.pad(image, ((0, 0), (padding, padding), (padding, padding)))
    found = {}
    for dy in range(2 * padding + 1):
        for dx in range(2 * padding + 1):
            crop = padded[:, dy:dy + h, dx:dx + w]
            found[(dy, dx, False)] = crop
            found[(dy, dx, True)] = crop[:, :, ::-1]
    return found


def identify(x_aug, image, padding):
    """For each augmented image, which (dy, dx, flipped) produced it (None if none did)."""
    table = candidates(image, padding)
    keys = list(table)
    stacked = np.stack([table[k] for k in keys])  # (K, C, H, W)
    matches = np.all(x_aug[:, None] == stacked[None], axis=(2, 3, 4))  # (N, K)
    return [keys[row.argmax()] if row.any() else None for row in matches]


def test_every_offset_is_reached_uniformly(student):
    """Padding 2 on a 3x3 image with distinct values: all 25 offsets appear, each about 1/25 of 5,000."""
    image = np.arange(1.0, 19.0).reshape(2, 3, 3)
    x = np.repeat(image[None], 5000, axis=0)
    x_aug, y_aug = student.augment_batch(x, np.arange(5000), padding=2, flip_prob=0.3, seed=71)
    x_aug = np.asarray(x_aug)
    assert x_aug.shape == x.shape, "x_aug should have the shape of x"
    found = identify(x_aug, image, 2)
    assert None not in found, ("an augmented image is no crop of the padded image (with or without a flip) that "
                               "uses the same offsets for every channel")
    counts = np.zeros((5, 5))
    flips = 0
    for dy, dx, flipped in found:
        if not flipped:  # a flipped crop at offset dx equals an unflipped one at 4 - dx of the flipped image
            counts[dy, dx] += 1
        flips += flipped
    unflipped = 5000 - flips
    assert np.all(counts > 0), "some offsets are never drawn: each offset runs over 0 .. 2 * padding inclusive"
    assert np.all(np.abs(counts / unflipped - 1 / 25) < 0.02), "the offsets are not uniform"
    assert abs(flips / 5000 - 0.3) < 0.03, "the fraction of flipped images is not flip_prob"
    np.testing.assert_array_equal(np.asarray(y_aug), np.arange(5000), err_msg="the labels changed")


def test_random_images_keep_their_labels(student):
    """Random images with labels: each output is an augmented version of its own input."""
    rng = np.random.default_rng(72)
    x = rng.normal(size=(30, 3, 5, 4)).astype(np.float32)
    y = rng.integers(0, 10, size=30)
    x_aug, y_aug = student.augment_batch(x, y, padding=1, flip_prob=0.5, seed=73)
    x_aug = np.asarray(x_aug)
    assert x_aug.dtype == np.float32, "x_aug should keep the dtype of x"
    np.testing.assert_array_equal(np.asarray(y_aug), y, err_msg="the labels changed")
    for i in range(30):
        assert identify(x_aug[i:i + 1], x[i], 1) != [None], "an output image is not an augmented version of its input"


def test_same_seed_same_batch(student):
    """The same seed gives the same batch on random images."""
    x = np.random.default_rng(74).normal(size=(12, 1, 6, 6))
    y = np.arange(12)
    first = np.asarray(student.augment_batch(x, y, padding=3, flip_prob=0.5, seed=75)[0])
    again = np.asarray(student.augment_batch(x, y, padding=3, flip_prob=0.5, seed=75)[0])
    np.testing.assert_array_equal(first, again, err_msg="the same seed should give the same batch")


def test_inputs_are_left_unchanged(student):
    """augment_batch leaves x and y unchanged."""
    rng = np.random.default_rng(76)
    x, y = rng.normal(size=(5, 2, 4, 4)), rng.integers(0, 10, size=5)
    called = student.augment_batch.returning_args(x=x.copy(), y=y.copy(), padding=2, flip_prob=0.5, seed=1)
    changed = changed_arguments(called, x=x, y=y, padding=2, flip_prob=0.5, seed=1)
    assert changed == [], f"augment_batch changed {' and '.join(changed)} in place"
