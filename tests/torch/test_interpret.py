"""Interpretation tools: hand-worked cases on tiny models, and behaviour on trained ones."""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from cnncourse.torch.interpret import (
    class_model,
    dissection_iou,
    feature_maps,
    first_layer_filters,
    grad_cam,
    occlusion,
    saliency,
)



def accuracy(model, x, y):
    with torch.no_grad():
        return (model(torch.as_tensor(x)).argmax(dim=1) == torch.as_tensor(y)).float().mean().item()


def hook_count(model):
    return sum(len(m._forward_hooks) for m in model.modules())


def test_feature_maps_match_a_manual_forward(digits_cnn, digits):
    x = torch.as_tensor(digits.x_test[:5])
    maps = feature_maps(digits_cnn, x, ["0", digits_cnn[4]])
    assert list(maps) == ["0", "4"]
    with torch.no_grad():
        torch.testing.assert_close(maps["0"], digits_cnn[0](x))
        torch.testing.assert_close(maps["4"], digits_cnn[:5](x))
    assert maps["4"].shape == (5, 32, 4, 4)
    assert hook_count(digits_cnn) == 0


def test_feature_maps_removes_its_hooks_even_on_error(digits_cnn):
    wrong_channels = torch.zeros(2, 3, 8, 8)
    with pytest.raises(RuntimeError, match="to have 1 channels, but got 3"):
        feature_maps(digits_cnn, wrong_channels, ["0", "3"])
    assert hook_count(digits_cnn) == 0


def test_feature_maps_rejects_unknown_layers(digits_cnn):
    with pytest.raises(ValueError, match="no module named 'conv9'"):
        feature_maps(digits_cnn, torch.zeros(1, 1, 8, 8), "conv9")
    with pytest.raises(ValueError, match="not part of the model"):
        feature_maps(digits_cnn, torch.zeros(1, 1, 8, 8), nn.ReLU())
    with pytest.raises(ValueError, match=r"x must be a batch of images \(N, C, H, W\)"):
        feature_maps(digits_cnn, torch.zeros(8, 8), "0")


def test_first_layer_filters_rescales_each_filter_to_unit_range(digits_cnn):
    filters = first_layer_filters(digits_cnn)
    w = digits_cnn[0].weight.detach()
    assert filters.shape == w.shape == (16, 1, 3, 3)
    torch.testing.assert_close(filters.amin(dim=(1, 2, 3)), torch.zeros(16))
    torch.testing.assert_close(filters.amax(dim=(1, 2, 3)), torch.ones(16))
    # An affine map per filter: the pattern is the weights', only the scale changes.
    low, high = w.amin(dim=(1, 2, 3), keepdim=True), w.amax(dim=(1, 2, 3), keepdim=True)
    torch.testing.assert_close(filters * (high - low) + low, w)
    with pytest.raises(ValueError, match="no nn.Conv2d"):
        first_layer_filters(nn.Linear(3, 2))


def test_saliency_of_a_linear_model_is_its_weight_magnitude():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(2 * 4 * 4, 3))
    x = torch.rand(5, 2, 4, 4)
    target = torch.tensor([0, 1, 2, 1, 0])
    expected = model[1].weight.detach()[target].reshape(5, 2, 4, 4).abs().amax(dim=1)
    torch.testing.assert_close(saliency(model, x, target), expected)
    with torch.no_grad():  # the gradient is still taken inside
        torch.testing.assert_close(saliency(model, x, target), expected)


def test_saliency_defaults_to_the_predicted_class(digits_cnn, digits):
    digits_cnn.zero_grad(set_to_none=True)
    x = torch.as_tensor(digits.x_test[:6])
    predicted = digits_cnn(x).argmax(dim=1)
    smap = saliency(digits_cnn, x)
    assert smap.shape == (6, 8, 8) and (smap >= 0).all()
    torch.testing.assert_close(smap, saliency(digits_cnn, x, predicted))
    assert all(p.grad is None for p in digits_cnn.parameters())
    with pytest.raises(ValueError, match=r"target must lie in \[0, 10\)"):
        saliency(digits_cnn, x, 10)


def test_occlusion_hurts_most_when_covering_the_shape(shapes_cnn, shapes_test):
    x, masks = torch.as_tensor(shapes_test.images[:30]), torch.as_tensor(shapes_test.masks[:30])
    drop = occlusion(shapes_cnn, x, torch.as_tensor(shapes_test.labels[:30]), patch=6, stride=3)
    assert drop.shape == (30, 28, 28)
    inside = (drop * masks).sum(dim=(1, 2)) / masks.sum(dim=(1, 2))
    outside = (drop * ~masks).sum(dim=(1, 2)) / (~masks).sum(dim=(1, 2))
    print(f"mean probability drop: {inside.mean():.3f} over the shape, {outside.mean():.3f} elsewhere")
    assert inside.mean() > 3 * outside.mean()
    assert (inside > outside).float().mean() > 0.6


def test_occlusion_of_a_single_pixel_detector():
    # The model's class 0 logit is 10 * pixel (1, 1), class 1's is 0: only patches over
    # that pixel change the prediction, and by exactly p(before) - p(after).
    conv = nn.Conv2d(1, 1, 3, bias=False)
    with torch.no_grad():
        conv.weight.zero_()
        conv.weight[0, 0, 1, 1] = 10.0
    model = nn.Sequential(conv, nn.Flatten(), nn.Linear(1, 2))
    with torch.no_grad():
        model[2].weight.copy_(torch.tensor([[1.0], [0.0]]))
        model[2].bias.zero_()
    x = torch.zeros(1, 1, 3, 3)
    x[0, 0, 1, 1] = 1.0
    drop = occlusion(model, x, 0, patch=1, stride=1)
    expected = torch.zeros(1, 3, 3)
    expected[0, 1, 1] = torch.sigmoid(torch.tensor(10.0)) - 0.5
    torch.testing.assert_close(drop, expected)
    with pytest.raises(ValueError, match="patch must be between 1 and 3"):
        occlusion(model, x, 0, patch=4)
    with pytest.raises(ValueError, match=r"stride must be between 1 and patch=2 \(to cover every pixel\)"):
        occlusion(model, x, 0, patch=2, stride=3)


def test_class_model_raises_the_target_score(digits_cnn):
    digits_cnn.zero_grad(set_to_none=True)
    start = 0.01 * torch.randn(1, 1, 8, 8, generator=torch.Generator().manual_seed(0))
    image = class_model(digits_cnn, target=3, shape=(1, 8, 8), steps=100, lr=0.1, weight_decay=1.0)
    assert image.shape == (1, 8, 8)
    with torch.no_grad():
        before, after = digits_cnn(start)[0], digits_cnn(image[None])[0]
    print(f"class model of a 3: score {before[3]:.1f} -> {after[3]:.1f}")
    assert after[3] > before[3] + 5.0
    assert after.argmax() == 3
    assert all(p.grad is None for p in digits_cnn.parameters())
    # A stronger L2 penalty keeps the image fainter.
    faint = class_model(digits_cnn, target=3, shape=(1, 8, 8), steps=100, lr=0.1, weight_decay=3.0)
    assert faint.norm() < image.norm()
    with pytest.raises(ValueError, match=r"target must lie in \[0, 10\)"):
        class_model(digits_cnn, target=10, shape=(1, 8, 8), steps=1)


def test_grad_cam_highlights_the_shape_not_the_background(shapes_cnn, shapes_test):
    x, masks = torch.as_tensor(shapes_test.images), torch.as_tensor(shapes_test.masks)
    assert accuracy(shapes_cnn, x, shapes_test.labels) > 0.8
    cam = grad_cam(shapes_cnn, x)
    assert cam.shape == (90, 28, 28)
    assert cam.min() >= 0 and torch.allclose(cam.amax(dim=(1, 2)), torch.ones(90))
    # Grad-CAM's 14x14 maps, upsampled, blur over the outline, so the mask grows by one pixel.
    dilated = F.max_pool2d(masks[:, None].float(), 3, stride=1, padding=1)[:, 0]
    inside = ((cam * dilated).sum(dim=(1, 2)) / cam.sum(dim=(1, 2))).mean().item()
    exact = ((cam * masks).sum(dim=(1, 2)) / cam.sum(dim=(1, 2))).mean().item()
    area = dilated.mean().item()
    print(f"Grad-CAM mass inside the mask: {exact:.2f}, inside the mask dilated by one pixel: {inside:.2f} "
          f"(which covers {area:.2f} of the image)")
    assert inside > 0.5 and inside > 2 * area


def test_grad_cam_after_global_average_pooling_is_the_class_activation_map(shapes_cnn, shapes_test):
    # With GAP and a linear layer after the chosen layer, dy^c/dA^k = w_ck / (h w) everywhere, so
    # Grad-CAM reduces to the CAM of Zhou et al. (2016): ReLU(sum_k w_ck A^k), rescaled.
    x = torch.as_tensor(shapes_test.images[:4])
    target = torch.tensor([0, 1, 2, 0])
    with torch.no_grad():
        maps = shapes_cnn[:7](x)
        weights = shapes_cnn[9].weight[target][:, :, None, None]
        cam = F.relu((weights * maps).sum(dim=1, keepdim=True))
        cam = F.interpolate(cam, size=(28, 28), mode="bilinear", align_corners=False)[:, 0]
        cam = cam / cam.amax(dim=(1, 2), keepdim=True)
    torch.testing.assert_close(grad_cam(shapes_cnn, x, target, layer="6"), cam)


def test_grad_cam_through_an_in_place_relu_is_the_relus_map():
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.Conv2d(4, 6, 3, padding=1), nn.ReLU(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(6, 3),
    )  # fmt: skip
    in_place = nn.Sequential(*model[:3], nn.ReLU(inplace=True), *model[4:])
    x = torch.rand(3, 1, 6, 6)
    torch.testing.assert_close(grad_cam(in_place, x, 1), grad_cam(model, x, 1, layer="3"))
    with pytest.raises(ValueError, match="layer: the model has no module named 'fc'"):
        grad_cam(model, x, layer="fc")


def test_dissection_of_hand_set_units():
    # Unit 0 copies the image, unit 1 negates it: on images equal to their masks, unit 0
    # segments the concept exactly (IoU 1) and unit 1 never fires (IoU 0).
    conv = nn.Conv2d(1, 2, 1)
    with torch.no_grad():
        conv.weight.copy_(torch.tensor([1.0, -1.0]).reshape(2, 1, 1, 1))
        conv.bias.zero_()
    masks = torch.zeros(4, 6, 6, dtype=torch.bool)
    masks[:, 1:3, 2:4] = True
    result = dissection_iou(nn.Sequential(conv), "0", masks[:, None].float(), masks, quantile=0.5)
    torch.testing.assert_close(result.iou, torch.tensor([1.0, 0.0]))
    assert result.best.tolist() == [0, 1]
    with pytest.raises(ValueError, match="quantile must lie strictly between 0 and 1"):
        dissection_iou(nn.Sequential(conv), "0", masks[:, None].float(), masks, quantile=1.0)
    with pytest.raises(ValueError, match=r"masks must have shape \(N, H, W\)"):
        dissection_iou(nn.Sequential(conv), "0", masks[:, None].float(), masks[:2])


def test_dissection_finds_a_shape_unit(shapes_cnn, shapes_test):
    x, masks = torch.as_tensor(shapes_test.images), torch.as_tensor(shapes_test.masks)
    # Shapes cover about a fifth of each image, so a unit that marks them is in its top 20%.
    result = dissection_iou(shapes_cnn, "3", x, masks, quantile=0.8)
    # Chance: the same units scored against the masks of other images.
    shuffled = masks[torch.randperm(len(masks), generator=torch.Generator().manual_seed(0))]
    chance = dissection_iou(shapes_cnn, "3", x, shuffled, quantile=0.8)
    best = result.iou[result.best[0]].item()
    print(f"best unit {result.best[0].item()}: IoU {best:.2f}, chance {chance.iou.max().item():.2f}")
    assert result.iou.shape == result.threshold.shape == (16,)
    assert best == result.iou.max().item()
    assert best > 0.5 and best > 2 * chance.iou.max()


def test_saliency_leaves_the_callers_tensor_alone(digits_cnn, digits):
    # A float32 tensor on the model's device is used as it is; its requires_grad must not change.
    x = torch.as_tensor(digits.x_test[:3])
    saliency(digits_cnn, x)
    assert not x.requires_grad
