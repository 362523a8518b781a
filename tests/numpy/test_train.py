"""The NumPy training loop: it learns (XOR, the digits), records its history, and checks its input."""

import math

import numpy as np
import pytest

from cnncourse.data import load_digits
from cnncourse.numpy.layers import Dropout, Layer, Linear, Sequential
from cnncourse.numpy.losses import softmax_cross_entropy
from cnncourse.numpy.models import MLP, LeNet5
from cnncourse.numpy.optim import SGD, Adam, CosineAnnealingLR, StepLR
from cnncourse.numpy.train import History, evaluate, fit, predict

X_XOR = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
Y_XOR = np.array([0, 1, 1, 0])


def test_mlp_learns_xor():
    model = MLP([2, 8, 2], seed=0)
    # XOR is not linearly separable: a network without the hidden layer cannot get all four right.
    history = fit(model, X_XOR, Y_XOR, epochs=300, batch_size=4, optimizer=Adam(model, lr=0.05), progress=False)
    assert history.train_loss[-1] < 0.05 < history.train_loss[0]
    np.testing.assert_array_equal(predict(model, X_XOR), Y_XOR)
    assert evaluate(model, X_XOR, Y_XOR)[1] == 1.0


def test_lenet5_reaches_97_percent_on_digits():
    data = load_digits()
    model = LeNet5(input_size=8, activation="relu", pooling="avg", seed=0)
    optimizer = Adam(model, lr=1e-2)
    history = fit(model, data.x_train, data.y_train, epochs=20, batch_size=32, optimizer=optimizer,
                    scheduler=CosineAnnealingLR(optimizer, T_max=20), x_val=data.x_test, y_val=data.y_test,
                    progress=False)
    loss, accuracy = evaluate(model, data.x_test, data.y_test)
    assert accuracy >= 0.97
    assert (loss, accuracy) == (history.val_loss[-1], history.val_acc[-1])
    assert history.train_loss[-1] < history.train_loss[0] / 10


def test_history_records_every_epoch():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(20, 3)).astype(np.float32), rng.integers(0, 2, size=20)
    model = MLP([3, 4, 2], seed=0)
    optimizer = SGD(model, lr=0.1)
    history = fit(model, x, y, epochs=4, batch_size=8, optimizer=optimizer,
                    scheduler=StepLR(optimizer, step_size=2, gamma=0.5), progress=False)
    assert isinstance(history, History) and len(history) == 4
    assert history.lr == [0.1, 0.1, 0.05, 0.05]
    for values in (history.train_loss, history.train_acc, history.val_loss, history.val_acc):
        assert len(values) == 4
    assert all(math.isnan(v) for v in history.val_loss + history.val_acc)
    assert all(0.0 <= a <= 1.0 for a in history.train_acc)

    history = fit(model, x, y, epochs=2, optimizer=optimizer, x_val=x[:5], y_val=y[:5], progress=True)
    assert history.val_loss[-1] == pytest.approx(evaluate(model, x[:5], y[:5])[0])


def test_train_loss_is_the_mean_over_the_epoch_with_a_fixed_model():
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(10, 3)), rng.integers(0, 3, size=10)
    model = Linear(3, 3, seed=0, dtype=np.float64)
    # With lr=0 the weights never change, so the epoch's average must equal one full-batch loss.
    history = fit(model, x, y, epochs=1, batch_size=3, optimizer=SGD(model, lr=0.0), progress=False)
    loss, accuracy = evaluate(model, x, y)
    assert history.train_loss[0] == pytest.approx(loss, rel=1e-12)
    assert history.train_acc[0] == accuracy


def test_shuffle_is_reproducible_with_a_seed():
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(30, 2)).astype(np.float32), rng.integers(0, 2, size=30)

    def run(seed):
        model = MLP([2, 5, 2], seed=0)
        fit(model, x, y, epochs=3, batch_size=4, optimizer=SGD(model, lr=0.1), seed=seed, progress=False)
        return model.params["0.W"]

    np.testing.assert_array_equal(run(7), run(7))
    assert not np.allclose(run(7), run(8))


class _ModeSpy(Layer):
    """Records, at each forward pass, whether the model was in training mode."""

    def __init__(self) -> None:
        super().__init__()
        self.modes = []

    def forward(self, x):
        self.modes.append(self.training)
        return x

    def backward(self, dout):
        return dout


def test_train_mode_for_steps_and_eval_mode_for_validation():
    spy = _ModeSpy()
    model = Sequential(Linear(2, 2, seed=0), Dropout(0.5, seed=0), spy)
    fit(model, X_XOR, Y_XOR, epochs=2, batch_size=2, optimizer=SGD(model, lr=0.1), x_val=X_XOR, y_val=Y_XOR,
          progress=False)
    # Per epoch: two training batches, then one validation batch.
    assert spy.modes == [True, True, False, True, True, False]


def test_evaluate_and_predict_do_not_depend_on_batch_size():
    data = load_digits()
    model = LeNet5(input_size=8, seed=0, dtype=np.float64)
    x, y = data.x_test[:50].astype(np.float64), data.y_test[:50]
    loss_a, acc_a = evaluate(model, x, y, batch_size=7)
    loss_b, acc_b = evaluate(model, x, y, batch_size=50)
    assert loss_a == pytest.approx(loss_b, rel=1e-12) and acc_a == acc_b
    assert loss_b == pytest.approx(softmax_cross_entropy(model.forward(x), y)[0], rel=1e-12)
    np.testing.assert_array_equal(predict(model, x, batch_size=7), model.forward(x).argmax(axis=1))


def test_predict_reads_a_single_output_as_a_probability():
    model = Sequential(Linear(1, 1, bias=False, seed=0))
    model.params["0.W"][...] = 1.0
    np.testing.assert_array_equal(predict(model, np.array([[0.2], [0.7], [0.9]])), [0, 1, 1])


def test_bad_input_raises():
    model = MLP([2, 3, 2], seed=0)
    opt = SGD(model, lr=0.1)
    with pytest.raises(ValueError, match="x_train and y_train must have the same length"):
        fit(model, X_XOR, Y_XOR[:3], epochs=1, optimizer=opt)
    with pytest.raises(ValueError, match="epochs must be a positive integer"):
        fit(model, X_XOR, Y_XOR, epochs=0, optimizer=opt)
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        fit(model, X_XOR, Y_XOR, epochs=1, batch_size=0, optimizer=opt)
    with pytest.raises(ValueError, match="x_val and y_val must be given together"):
        fit(model, X_XOR, Y_XOR, epochs=1, optimizer=opt, x_val=X_XOR)
    with pytest.raises(ValueError, match="x_val and y_val must have the same length"):
        fit(model, X_XOR, Y_XOR, epochs=1, optimizer=opt, x_val=X_XOR, y_val=Y_XOR[:1])
    with pytest.raises(TypeError, match="optimizer must have a step"):
        fit(model, X_XOR, Y_XOR, epochs=1, optimizer=None)
    with pytest.raises(ValueError, match="x_train must hold at least one example"):
        fit(model, X_XOR[:0], Y_XOR[:0], epochs=1, optimizer=opt)
    with pytest.raises(ValueError, match="x and y must have the same length"):
        evaluate(model, X_XOR, Y_XOR[:2])
    with pytest.raises(ValueError, match="x must hold at least one example"):
        predict(model, np.zeros((0, 2)))


def test_history_records_throughput_and_converts_to_a_dict():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(20, 3)), rng.integers(0, 2, size=20)
    model = MLP([3, 4, 2], seed=0)
    history = fit(model, x, y, epochs=2, batch_size=8, optimizer=SGD(model, lr=0.1), progress=False)
    assert len(history.images_per_sec) == 2 and all(v > 0 for v in history.images_per_sec)
    assert history.as_dict()["lr"] == [0.1, 0.1]
    assert set(history.as_dict()) == {"train_loss", "train_acc", "val_loss", "val_acc", "lr", "images_per_sec"}
