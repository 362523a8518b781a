"""cnncourse.torch's interpretation and attacks against the field's libraries, Captum and torchattacks.

Where both compute the same quantity the results must agree to float32 round-off (stated per
test). Where a convention differs, the test says how and checks what must still hold.
"""

import pytest
import torch
from torch import nn

from cnncourse.torch.attacks import fgsm, pgd
from cnncourse.torch.attribution import guided_backprop, integrated_gradients
from cnncourse.torch.interpret import grad_cam, occlusion, saliency
from cnncourse.torch.robustness import targeted_pgd
from cnncourse.torch.sanity import spearman

captum_attr = pytest.importorskip("captum.attr")
torchattacks = pytest.importorskip("torchattacks")

# Captum warns that it sets requires_grad on the inputs and hooks ReLUs: both expected here.
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

# float32 round-off on a few hundred products: identical computations agree far more closely.
ATOL = 1e-5


@pytest.fixture(scope="module")
def rgb_cnn():
    """An untrained 3-channel CNN (random weights are as good as trained ones for equality checks)."""
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(),
        nn.Flatten(), nn.Linear(16 * 6 * 6, 5),
    ).eval()  # fmt: skip


@pytest.fixture(scope="module")
def rgb_images():
    return torch.rand(6, 3, 12, 12, generator=torch.Generator().manual_seed(1))


def test_saliency_is_captums_absolute_gradient_maximised_over_channels(rgb_cnn, rgb_images):
    # Captum keeps one value per input element; ours keeps the largest over channels, as Simonyan et al.
    target = torch.tensor([0, 1, 2, 3, 4, 0])
    theirs = captum_attr.Saliency(rgb_cnn).attribute(rgb_images, target=target, abs=True)
    assert theirs.shape == (6, 3, 12, 12)
    torch.testing.assert_close(saliency(rgb_cnn, rgb_images, target), theirs.amax(dim=1), atol=ATOL, rtol=0)


def test_occlusion_matches_captum_on_probabilities_and_agrees_in_rank_on_scores(shapes_cnn, shapes_test):
    # Convention: Captum's Occlusion attributes the drop of the model's *output* (here the logit),
    # ours the drop of the softmax *probability*. Appending a softmax to the model makes Captum's
    # output our probability: then the two must be equal (both average over the windows covering a
    # pixel; 28 - 4 is a multiple of the stride 4, so both slide over the same windows).
    x = torch.as_tensor(shapes_test.images[:8])
    target = torch.as_tensor(shapes_test.labels[:8])
    ours = occlusion(shapes_cnn, x, target, patch=4, stride=4)
    with_softmax = nn.Sequential(shapes_cnn, nn.Softmax(dim=1))
    theirs = captum_attr.Occlusion(with_softmax).attribute(
        x, target=target, sliding_window_shapes=(1, 4, 4), strides=(1, 4, 4), baselines=0.0)
    torch.testing.assert_close(ours, theirs[:, 0], atol=ATOL, rtol=0)
    # On logits the numbers differ (a logit drop is not a probability drop), but both measure how
    # much hiding a region hurts the same class, so they must rank the regions alike.
    logits = captum_attr.Occlusion(shapes_cnn).attribute(
        x, target=target, sliding_window_shapes=(1, 4, 4), strides=(1, 4, 4), baselines=0.0)[:, 0]
    assert not torch.allclose(ours, logits, atol=1e-2)
    rho = spearman(ours, logits)
    print(f"rank correlation of probability and logit occlusion maps: {rho.mean():.2f} (min {rho.min():.2f})")
    assert rho.mean() > 0.7


def test_integrated_gradients_is_captums_trapezoid_rescaled(rgb_cnn, rgb_images):
    # Convention: Captum's "riemann_trapezoid" puts n points on [0, 1] but weighs them with steps
    # of 1/n (ends halved), which sum to (n - 1)/n; ours uses the trapezoid rule's 1/(n - 1).
    # So ours = Captum's * n / (n - 1), exactly up to round-off.
    n = 20
    target = torch.tensor([4, 3, 2, 1, 0, 4])
    ig = captum_attr.IntegratedGradients(rgb_cnn)
    theirs = ig.attribute(rgb_images, target=target, n_steps=n, method="riemann_trapezoid")
    ours = integrated_gradients(rgb_cnn, rgb_images, target, steps=n)
    torch.testing.assert_close(ours, theirs * n / (n - 1), atol=ATOL, rtol=1e-4)
    # Both converge to the same integral: ours with many steps against Captum's default Gauss-Legendre.
    accurate = ig.attribute(rgb_images, target=target, n_steps=64)
    torch.testing.assert_close(integrated_gradients(rgb_cnn, rgb_images, target, steps=256), accurate,
                               atol=2e-3, rtol=0)


@pytest.mark.parametrize("rule, method", [("guided", "GuidedBackprop"), ("deconvnet", "Deconvolution")])
def test_guided_backprop_and_deconvnet_match_captum(shapes_cnn, shapes_test, rule, method):
    x = torch.as_tensor(shapes_test.images[:8])
    theirs = getattr(captum_attr, method)(shapes_cnn).attribute(x, target=1)
    torch.testing.assert_close(guided_backprop(shapes_cnn, x, 1, rule=rule), theirs, atol=ATOL, rtol=0)


def test_grad_cam_is_captums_layer_grad_cam_upsampled_and_normalised(shapes_cnn, shapes_test):
    # Convention: Captum's LayerGradCam returns the map at the layer's resolution (14x14) and
    # unscaled; ours upsamples it bilinearly to the image and divides by its maximum.
    x = torch.as_tensor(shapes_test.images[:8])
    target = torch.as_tensor(shapes_test.labels[:8])
    layer = shapes_cnn[5]
    cam = captum_attr.LayerGradCam(shapes_cnn, layer).attribute(x, target=target, relu_attributions=True)
    assert cam.shape == (8, 1, 14, 14)
    cam = captum_attr.LayerAttribution.interpolate(cam, (28, 28), interpolate_mode="bilinear")[:, 0]
    cam = cam / cam.amax(dim=(1, 2), keepdim=True)
    torch.testing.assert_close(grad_cam(shapes_cnn, x, target, layer="5"), cam, atol=ATOL, rtol=0)


def test_fgsm_matches_torchattacks(digits_cnn, digits):
    x, y = torch.as_tensor(digits.x_test[:64]), torch.as_tensor(digits.y_test[:64])
    theirs = torchattacks.FGSM(digits_cnn, eps=0.1)(x, y)
    torch.testing.assert_close(fgsm(digits_cnn, x, y, 0.1), theirs, atol=1e-6, rtol=0)


def test_pgd_without_random_start_matches_torchattacks(digits_cnn, digits):
    # Both project by clamping the perturbation to [-eps, eps] and then the image to [0, 1]; the
    # only freedom is the random start, switched off in both.
    x, y = torch.as_tensor(digits.x_test[:64]), torch.as_tensor(digits.y_test[:64])
    theirs = torchattacks.PGD(digits_cnn, eps=0.1, alpha=0.02, steps=7, random_start=False)(x, y)
    ours = pgd(digits_cnn, x, y, 0.1, alpha=0.02, steps=7, random_start=False)
    torch.testing.assert_close(ours, theirs, atol=1e-6, rtol=0)


def test_targeted_pgd_matches_torchattacks_targeted_mode(digits_cnn, digits):
    x, y = torch.as_tensor(digits.x_test[:64]), torch.as_tensor(digits.y_test[:64])
    target = (y + 1) % 10
    attack = torchattacks.PGD(digits_cnn, eps=0.2, alpha=0.04, steps=7, random_start=False)
    attack.set_mode_targeted_by_function(lambda images, labels: (labels + 1) % 10)
    theirs = attack(x, y)
    ours = targeted_pgd(digits_cnn, x, target, 0.2, alpha=0.04, steps=7)
    torch.testing.assert_close(ours, theirs, atol=1e-6, rtol=0)
    with torch.no_grad():
        hit = (digits_cnn(ours).argmax(dim=1) == target).float().mean().item()
    print(f"targeted PGD at eps=0.2 reaches the next digit on {hit:.0%} of 64 test digits")
    assert hit > 0.5
