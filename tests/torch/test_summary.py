"""The per-layer summary: parameter counts against the papers and torchvision, MACs against hand counts."""

import pytest
import torch
import torchvision
from torch import nn

from cnncourse.torch import count_macs, summarize
from cnncourse.torch.models import alexnet, vgg


def on_meta(build):
    with torch.device("meta"):
        return build()


def test_alexnet_matches_paper_and_torchvision():
    ours = summarize(on_meta(alexnet), (3, 224, 224))
    theirs = on_meta(lambda: torchvision.models.alexnet(weights=None))
    assert ours.total_parameters == 61_100_840 == sum(p.numel() for p in theirs.parameters())
    # conv1: 64 x 55 x 55 outputs, each 3 * 11 * 11 multiply-adds
    assert ours["features.0"].output_shape == (64, 55, 55)
    assert ours["features.0"].macs == 64 * 55 * 55 * 3 * 11 * 11
    assert ours["features.0"].parameters == 64 * 3 * 11 * 11 + 64
    assert sum(r.parameters for r in ours.rows) == ours.total_parameters
    assert sum(r.macs for r in ours.rows) == ours.total_macs


@pytest.mark.parametrize(
    ("config", "tv_name", "millions"),
    [("A", "vgg11", 133), ("B", "vgg13", 133), ("C", None, 134), ("D", "vgg16", 138), ("E", "vgg19", 144)],
)
def test_vgg_parameters_match_the_paper(config, tv_name, millions):
    total = summarize(on_meta(lambda: vgg(config)), (3, 224, 224)).total_parameters
    assert round(total / 1e6) == millions
    if tv_name is not None:
        theirs = on_meta(lambda: getattr(torchvision.models, tv_name)(weights=None))
        assert total == sum(p.numel() for p in theirs.parameters())
    if config == "D":
        assert total == 138_357_544


def test_macs_of_a_hand_worked_convolution():
    # 2 -> 3 channels, 3x3 kernel, stride 1, padding 0 on 5x5: a 3 x 3 x 3 output, each 2 * 9 multiply-adds.
    conv = nn.Conv2d(2, 3, kernel_size=3)
    s = summarize(nn.Sequential(conv), (2, 5, 5))
    assert s.rows[0].output_shape == (3, 3, 3)
    assert s.total_macs == 3 * 3 * 3 * 2 * 9 == 486
    assert s.total_parameters == 3 * 2 * 9 + 3
    # stride 2 and padding 1 on 6x6: output 3x3; groups=2 halves the channels each filter reads.
    grouped = nn.Conv2d(4, 6, kernel_size=3, stride=2, padding=1, groups=2)
    assert count_macs(nn.Sequential(grouped), (4, 6, 6)) == 6 * 3 * 3 * 2 * 9
    # a linear layer: in * out multiply-adds per image, whatever the batch
    assert summarize(nn.Sequential(nn.Flatten(), nn.Linear(12, 5)), torch.zeros(7, 3, 2, 2)).total_macs == 60


def test_depth_groups_layers_and_the_batch_does_not_change_macs():
    net = nn.Sequential(nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU()), nn.Flatten(), nn.Linear(4 * 8 * 8, 2))
    leaves = summarize(net, (1, 8, 8))
    grouped = summarize(net, torch.zeros(5, 1, 8, 8), depth=1)
    assert [r.name for r in leaves.rows] == ["0.0", "0.1", "1", "2"]
    assert [r.name for r in grouped.rows] == ["0", "1", "2"]
    assert grouped["0"].macs == leaves["0.0"].macs == 4 * 64 * 9
    assert grouped.total_macs == leaves.total_macs
    assert "| **total** |" in leaves.to_markdown() and "total" in str(leaves)


def test_summary_leaves_training_mode_and_rejects_bad_input():
    net = nn.Sequential(nn.Conv2d(1, 2, 3), nn.Dropout())
    net.train()
    summarize(net, (1, 5, 5))
    assert net.training
    with pytest.raises(ValueError, match="input_shape"):
        summarize(net, (5, 5))
    with pytest.raises(ValueError, match="depth"):
        summarize(net, (1, 5, 5), depth=0)
    with pytest.raises(TypeError, match="model"):
        summarize("net", (1, 5, 5))
    with pytest.raises(KeyError, match="no layer"):
        summarize(net, (1, 5, 5))["head"]
