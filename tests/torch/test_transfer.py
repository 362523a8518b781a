"""Transfer learning on the digits: features learned on 0-4 help to classify 5-9."""

import pytest
import torch
from torch import nn
from torchvision.models import resnet18

from cnncourse.data import load_digits
from cnncourse.torch.loaders import numpy_loader
from cnncourse.torch.train import evaluate, fit
from cnncourse.torch.transfer import find_head, fine_tune, freeze, replace_head, unfreeze


class DigitNet(nn.Module):
    """Two convs and global average pooling: 32 features, then a linear classifier ``fc``."""

    def __init__(self, num_classes: int = 5):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
        )  # fmt: skip
        self.fc = nn.Linear(32, num_classes)

    def forward(self, x):
        return self.fc(self.features(x))


def digit_loaders(low: bool):
    """Loaders over the digits 0-4 (``low``) or 5-9, relabelled 0-4."""
    s = load_digits()
    keep_train = (s.y_train < 5) if low else (s.y_train >= 5)
    keep_test = (s.y_test < 5) if low else (s.y_test >= 5)
    offset = 0 if low else 5
    return (
        numpy_loader(s.x_train[keep_train], s.y_train[keep_train] - offset, batch_size=32, shuffle=True),
        numpy_loader(s.x_test[keep_test], s.y_test[keep_test] - offset, batch_size=256),
    )


def test_frozen_pretrained_features_beat_frozen_random_ones():
    torch.manual_seed(0)
    pretrained = DigitNet()
    low_train, low_test = digit_loaders(low=True)
    fit(pretrained, low_train, epochs=8, optimizer=torch.optim.Adam(pretrained.parameters(), 3e-3),
        device="cpu", progress=False)  # fmt: skip
    assert evaluate(pretrained, low_test, device="cpu")[1] > 0.9

    torch.manual_seed(1)
    random_net = DigitNet()
    high_train, high_test = digit_loaders(low=False)
    accuracy = {}
    for name, model in [("pretrained", pretrained), ("random", random_net)]:
        before = {k: v.clone() for k, v in model.state_dict().items()}
        torch.manual_seed(2)  # both heads start from the same weights
        history = fine_tune(
            model, high_train, high_test, num_classes=5, epochs=6, lr=1e-2, device="cpu", progress=False
        )
        accuracy[name] = history.val_acc[-1]
        after = model.state_dict()
        for k in before:
            if k.startswith("features."):
                torch.testing.assert_close(after[k], before[k], rtol=0, atol=0)  # the extractor did not move
        assert not torch.equal(after["fc.weight"][:, :5], before["fc.weight"][:, :5])
    assert accuracy["pretrained"] > accuracy["random"] + 0.1, accuracy


def test_freeze_and_unfreeze():
    model = DigitNet()
    freeze(model.features)
    assert not any(p.requires_grad for p in model.features.parameters())
    assert all(p.requires_grad for p in model.fc.parameters())
    unfreeze(model)
    assert all(p.requires_grad for p in model.parameters())


def test_replace_head_knows_fc_classifier_and_a_last_linear():
    resnet = resnet18(num_classes=1000)
    head = replace_head(resnet, 7)
    assert resnet.fc is head and (head.in_features, head.out_features) == (512, 7)
    assert resnet.eval()(torch.zeros(1, 3, 32, 32)).shape == (1, 7)

    vgg_like = nn.Module()
    vgg_like.classifier = nn.Sequential(nn.Linear(8, 6), nn.ReLU(), nn.Dropout(), nn.Linear(6, 4, bias=False))
    head = replace_head(vgg_like, 3)
    assert vgg_like.classifier[-1] is head and head.out_features == 3 and head.bias is None

    densenet_like = nn.Module()
    densenet_like.classifier = nn.Linear(5, 2)
    assert find_head(densenet_like) == (densenet_like, "classifier")

    plain = nn.Sequential(nn.Flatten(), nn.Linear(4, 5), nn.ReLU(), nn.Sequential(nn.Linear(5, 9)))
    head = replace_head(plain, 2)
    assert plain[3][0] is head and head.in_features == 5
    assert plain(torch.zeros(1, 4)).shape == (1, 2)


def test_replace_head_makes_a_trainable_head_after_freezing():
    model = freeze(DigitNet())
    head = replace_head(model, 3)
    assert all(p.requires_grad for p in head.parameters())


def test_replace_head_bad_input():
    with pytest.raises(ValueError, match="must contain an nn.Linear head"):
        replace_head(nn.Sequential(nn.Conv2d(1, 2, 3)), 3)
    with pytest.raises(ValueError, match="num_classes must be a positive integer"):
        replace_head(DigitNet(), 0)
