"""The Fashion-MNIST recipes: configs, networks, the per-step loop and the recipe's interface.

The accuracy target of the recipe belongs to benchmarks/bench_fashion_recipe.py; here a few steps
on a small subset check the interface and that training lowers the loss.
"""

import math

import numpy as np
import pytest
import torch

from cnncourse import data
from cnncourse.torch import recipes
from cnncourse.torch.recipes import D2L_LENET, RECIPE, TrainConfig, build_model, train_with_config


@pytest.fixture(scope="module")
def small_split():
    split = data.load_fashion_mnist()
    return data.Split(split.x_train[:512], split.y_train[:512], split.x_test[:300], split.y_test[:300],
                      split.class_names)


@pytest.mark.parametrize(
    "config",
    [D2L_LENET, D2L_LENET.replace(batch_norm=True, activation="relu", pooling="max"), RECIPE,
     RECIPE.replace(width=8, batch_norm=False, pooling="avg", activation="gelu")],
)
def test_every_network_maps_images_to_ten_logits(config):
    torch.manual_seed(0)
    model = build_model(config).eval()
    out = model(torch.rand(3, 1, 28, 28))
    assert out.shape == (3, 10) and out.dtype == torch.float32


def test_d2l_setting_is_the_one_of_the_issue():
    assert (D2L_LENET.activation, D2L_LENET.pooling, D2L_LENET.optimizer, D2L_LENET.lr, D2L_LENET.batch_size,
            D2L_LENET.epochs, D2L_LENET.schedule) == ("sigmoid", "avg", "sgd", 0.9, 256, 10, "constant")
    assert build_model(D2L_LENET).c1.weight.shape == (6, 1, 5, 5)


def test_training_a_few_steps_lowers_the_loss_and_is_repeatable(small_split):
    config = RECIPE.replace(epochs=2, batch_size=64, width=8, augment=True, lr=0.2)  # a short run: the gentler lr
    model, history = train_with_config(config, small_split, seed=0, device="cpu", eval_every_epoch=True)
    assert not model.training
    assert len(history) == 2 and history.train_loss[1] < history.train_loss[0]
    assert history.val_acc[-1] > 0.4  # 512 images, 16 steps: far above chance (0.1)
    assert history.lr[0] == pytest.approx(0.2 / 25)  # one-cycle starts at max_lr / 25
    _, again = train_with_config(config, small_split, seed=0, device="cpu", eval_every_epoch=True)
    np.testing.assert_allclose(again.train_loss, history.train_loss, rtol=1e-5)
    _, other = train_with_config(config, small_split, seed=1, device="cpu")
    assert other.train_loss != history.train_loss and math.isnan(other.val_acc[0])


def test_recipe_interface_on_a_smoke_run(monkeypatch, small_split):
    """train_fashion_mnist loads the data itself and returns an eval-mode model and its history."""
    monkeypatch.setattr(recipes.data, "load_fashion_mnist", lambda: small_split)
    monkeypatch.setattr(recipes, "RECIPE", RECIPE.replace(epochs=1, batch_size=128))
    model, history = recipes.train_fashion_mnist(seed=0, device="cpu")
    assert not model.training and len(history) == 1
    x = torch.as_tensor(small_split.x_test[:5])
    with torch.no_grad():
        logits = model(x)
    assert logits.shape == (5, 10) and logits.dtype == torch.float32
    assert 0.0 <= history.val_acc[-1] <= 1.0


def test_config_errors():
    with pytest.raises(ValueError, match="optimizer must be one of"):
        TrainConfig(optimizer="rmsprop")
    with pytest.raises(ValueError, match="epochs must be a positive integer"):
        RECIPE.replace(epochs=0)
    with pytest.raises(ValueError, match="schedule must be one of"):
        RECIPE.replace(schedule="cyclic")


def test_dropout_option_and_repeated_runs(small_split):
    model = build_model(RECIPE.replace(dropout=0.3))
    assert isinstance(model[-2], torch.nn.Dropout) and model[-2].p == 0.3
    assert isinstance(model[-1], torch.nn.Linear)  # the head stays last, for transfer.replace_head
    with pytest.raises(ValueError, match=r"dropout must be in \[0, 1\)"):
        RECIPE.replace(dropout=1.0)
    runs = recipes.repeat_runs(RECIPE.replace(epochs=1, width=8, batch_size=128), small_split, (0, 1), device="cpu")
    assert runs.acc.shape == runs.cpu_seconds.shape == (2,) and len(runs.models) == 2
    assert np.all(runs.cpu_seconds > 0) and runs.acc[0] != runs.acc[1]
    assert "2 seeds" in str(runs)
