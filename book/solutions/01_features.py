"""Instructor solutions, chapter 1: from hand-crafted to learned features.

Each function's docstring is the written answer; its body computes and asserts the numbers the
answer states. Runs use the chapter's linear classifier (40 epochs, batch 32, SGD lr 0.5,
momentum 0.9) and the chapter's splits (`load_digits(seed=run)`).
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import rotate

from cnncourse.data import load_digits
from cnncourse.numpy import SGD, Flatten, Linear, Sequential, evaluate, fit
from cnncourse.numpy.features import gradient_histograms, image_gradients


def _fit_linear(x, y, seed):
    model = Sequential(Flatten(), Linear(int(np.prod(x.shape[1:])), 10, seed=seed))
    fit(model, x, y, epochs=40, batch_size=32, optimizer=SGD(model, lr=0.5, momentum=0.9), seed=seed,
        progress=False)
    return model


def _accuracy_table(features, conditions, runs=3, train_transform=None):
    """(runs, len(conditions)) test accuracies of a linear classifier on ``features`` for each run."""
    table = []
    for seed in range(runs):
        split = load_digits(seed=seed)
        x_train = split.x_train if train_transform is None else train_transform(split.x_train, seed)
        model = _fit_linear(features(x_train), split.y_train, seed)
        table.append([evaluate(model, features(cond(split.x_test)), split.y_test)[1] for cond in conditions])
    return np.array(table)


def signed_gradient_histograms(images: np.ndarray, cell_size: int = 4, bins: int = 18) -> np.ndarray:
    """``gradient_histograms`` with signed orientations over [0, 360) degrees."""
    gx, gy = image_gradients(images)
    n, h, w = gx.shape
    magnitude = np.hypot(gx, gy)
    angle = np.rad2deg(np.arctan2(gy, gx)) % 360.0
    bin_index = np.minimum((angle / (360.0 / bins)).astype(int), bins - 1)
    votes = np.zeros((n, h, w, bins), dtype=magnitude.dtype)
    np.put_along_axis(votes, bin_index[..., None], magnitude[..., None], axis=-1)
    cells = votes.reshape(n, h // cell_size, cell_size, w // cell_size, cell_size, bins).sum(axis=(2, 4))
    features = cells.reshape(n, -1)
    return features / np.maximum(np.linalg.norm(features, axis=1, keepdims=True), 1e-8)


def exercise_1():
    """A 32x32 image with 8x8 cells has (32/8) x (32/8) = 4 x 4 = 16 cells; each contributes a
    histogram of 12 bins, so the feature has 16 * 12 = 192 numbers.
    Check: ``gradient_histograms(np.zeros((1, 1, 32, 32)), cell_size=8, bins=12).shape == (1, 192)``.
    """
    assert (32 // 8) ** 2 * 12 == 192
    assert gradient_histograms(np.zeros((1, 1, 32, 32)), cell_size=8, bins=12).shape == (1, 192)


def exercise_2():
    """I(c) = c^2: central difference ((c+h)^2 - (c-h)^2) / (2h) = (4ch) / (2h) = 2c = I'(c), exact for
    every h (I''' = 0, so the error term h^2/6 I''' vanishes). Forward difference
    ((c+h)^2 - c^2) / h = 2c + h: error h, which is h/2 I'' = h/2 * 2 (exact, no higher terms);
    at c = 3, h = 1: 7 instead of 6, error 1.

    I(c) = c^3 at c = 3, h = 1: central ((c+h)^3 - (c-h)^3) / (2h) = (6c^2 h + 2h^3) / (2h) = 3c^2 + h^2,
    error h^2 = 1 = h^2/6 * I''' (I''' = 6), exact. Forward ((c+h)^3 - c^3) / h = 3c^2 + 3ch + h^2,
    error 3ch + h^2 = 9 + 1 = 10: the leading term h/2 I'' = h/2 * 6c = 9 plus the next term
    h^2/6 I''' = 1. The central difference is 10 times more accurate here.
    """
    c, h = 3.0, 1.0
    sq, cube = (lambda x: x**2), (lambda x: x**3)
    central = lambda f: (f(c + h) - f(c - h)) / (2 * h)
    forward = lambda f: (f(c + h) - f(c)) / h
    assert central(sq) - 2 * c == 0 and forward(sq) - 2 * c == 1
    assert central(cube) - 3 * c**2 == 1 and forward(cube) - 3 * c**2 == 10
    for step in (0.5, 0.1):  # central is exact for c^2 at every step
        assert abs((sq(c + step) - sq(c - step)) / (2 * step) - 2 * c) < 1e-12


def exercise_3():
    """Change ``% 180.0`` to ``% 360.0`` and the bin width ``180.0 / bins`` to ``360.0 / bins`` (the
    function ``signed_gradient_histograms`` here). Test accuracy over three runs (4x4 cells,
    mean +- standard deviation): unsigned, 9 bins of 20 degrees: 0.886 +- 0.005; signed, 9 bins of
    40 degrees: 0.907 +- 0.005; signed, 18 bins of 20 degrees: 0.930 +- 0.006. The signed feature is
    better, by more than the spread, even with the same number of bins (coarser bins), and more so
    with the same bin width: on digits (bright strokes on a dark background) the sign says on which
    side of an edge the stroke lies, which is information a class depends on.
    """
    clean = [lambda x: x]
    unsigned = _accuracy_table(lambda x: gradient_histograms(x, 4, 9), clean)[:, 0]
    signed9 = _accuracy_table(lambda x: signed_gradient_histograms(x, 4, 9), clean)[:, 0]
    signed18 = _accuracy_table(lambda x: signed_gradient_histograms(x, 4, 18), clean)[:, 0]
    assert abs(unsigned.mean() - 0.886) < 0.01 and abs(signed18.mean() - 0.930) < 0.01
    assert signed9.mean() - unsigned.mean() > signed9.std() + unsigned.std()
    assert signed18.mean() - signed9.mean() > signed18.std() + signed9.std()


def exercise_4():
    """Test accuracy (3 runs, mean) against a horizontal shift of the test digits, pixels / HOG 4x4:
    shift -2: 0.14 / 0.33; -1: 0.44 / 0.69; 0: 0.96 / 0.89; +1: 0.43 / 0.70; +2: 0.08 / 0.24
    (standard deviations 0.002-0.03). The pixel classifier is best on unshifted digits and falls to
    about chance (0.1) at two pixels; HOG loses less at one pixel (a pixel that stays in its cell
    still votes for the same histogram) but also collapses at two pixels, half a 4x4 cell. A shift
    to the right hurts slightly more than one to the left at two pixels (np.roll wraps the right
    columns of the digit round to the left, and the digits are not centred exactly).
    """
    shifts = [-2, -1, 0, 1, 2]
    conds = [lambda x, d=d: np.roll(x, d, axis=3) for d in shifts]
    pixels = _accuracy_table(lambda x: x, conds).mean(0)
    hog = _accuracy_table(lambda x: gradient_histograms(x, 4, 9), conds).mean(0)
    assert pixels[2] > hog[2] + 0.05
    assert hog[1] > pixels[1] + 0.15 and hog[3] > pixels[3] + 0.15
    assert pixels[0] < 0.2 and pixels[4] < 0.2 and hog[0] < 0.4 and hog[4] < 0.4


def _random_shifts(x, seed):
    rng = np.random.default_rng(seed)
    return np.stack([np.roll(img, int(d), axis=2) for img, d in zip(x, rng.integers(-2, 3, len(x)))])


def exercise_5():
    """Training the HOG classifier (4x4 cells) on digits shifted at random by -2..2 pixels (one shift
    per digit) against training on unshifted digits, test accuracy over 3 runs (mean):
    unshifted training: shifts -2, -1, 0, 1, 2 -> 0.33, 0.69, 0.89, 0.70, 0.24;
    augmented training:                           -> 0.57, 0.75, 0.79, 0.77, 0.57
    (standard deviations at most 0.02). The augmented classifier now tolerates shifts of two pixels
    much better (about twice the accuracy) and one pixel slightly better, and pays on unshifted digits
    (about 0.10 lower): with 36 numbers a linear classifier cannot be both precise about position and
    indifferent to it.
    """
    conds = [lambda x, d=d: np.roll(x, d, axis=3) for d in (-2, -1, 0, 1, 2)]
    hog = lambda x: gradient_histograms(x, 4, 9)
    plain = _accuracy_table(hog, conds).mean(0)
    augmented = _accuracy_table(hog, conds, train_transform=_random_shifts).mean(0)
    assert augmented[0] > plain[0] + 0.15 and augmented[4] > plain[4] + 0.15
    assert plain[2] - augmented[2] > 0.03


def exercise_6():
    """A rotation test: rotate every test digit by 0, 10, 20 and 30 degrees (scipy.ndimage.rotate,
    bilinear, clipped to [0, 1]) and measure the test accuracy of the pixel and the HOG (4x4) linear
    classifiers trained on unrotated digits, 3 runs. Means: pixels 0.96, 0.67, 0.51, 0.32; HOG 0.89,
    0.56, 0.46, 0.30. HOG is not tolerant of rotation: it loses at least as much as the pixels,
    because rotating a digit turns every edge, so the magnitude moves to other orientation bins.
    (Other good answers: thickness by grey dilation, scale by zooming.)
    """
    rot = lambda deg: (lambda x: np.clip(rotate(x, deg, axes=(2, 3), reshape=False, order=1), 0, 1))
    conds = [rot(d) for d in (0, 10, 20, 30)]
    pixels = _accuracy_table(lambda x: x, conds).mean(0)
    hog = _accuracy_table(lambda x: gradient_histograms(x, 4, 9), conds).mean(0)
    assert pixels[1] > hog[1] and pixels[0] - pixels[2] > 0.3 and hog[0] - hog[2] > 0.3


if __name__ == "__main__":
    for name, func in sorted(globals().items()):
        if name.startswith("exercise_"):
            func()
            print(name, "ok")
