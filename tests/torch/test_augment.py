"""The CIFAR augmentation and AlexNet's PCA lighting noise."""

import pytest
import torch

from cnncourse.torch.augment import PCALighting, cifar_augmentation, pca_lighting_params


def colourful_images(n: int = 8, seed: int = 0) -> torch.Tensor:
    """Images ``(n, 3, 6, 6)`` whose colours vary mostly along one direction, like natural images."""
    g = torch.Generator().manual_seed(seed)
    brightness = torch.rand(n, 1, 6, 6, generator=g)
    tint = torch.tensor([0.6, 0.5, 0.3])[None, :, None, None]
    return brightness * tint + 0.05 * torch.rand(n, 3, 6, 6, generator=g)


def test_cifar_augmentation_keeps_shape_and_is_reproducible():
    img = torch.rand(3, 32, 32)
    aug = cifar_augmentation()
    torch.manual_seed(0)
    a = aug(img)
    torch.manual_seed(0)
    b = aug(img)
    assert a.shape == img.shape and torch.equal(a, b)
    torch.manual_seed(1)
    assert not torch.equal(aug(img), a)


def test_cifar_crop_and_flip_only_move_pixels():
    """Without jitter, every output is the input shifted by at most 4 pixels, maybe mirrored."""
    img = torch.rand(3, 32, 32)
    aug = cifar_augmentation(brightness=0, contrast=0, saturation=0)
    padded = torch.nn.functional.pad(img, (4, 4, 4, 4))
    candidates = [
        p[:, i : i + 32, j : j + 32] for p in (padded, padded.flip(-1)) for i in range(9) for j in range(9)
    ]
    torch.manual_seed(0)
    for _ in range(5):
        out = aug(img)
        assert any(torch.equal(out, c) for c in candidates)


def test_pca_lighting_params_match_the_covariance():
    images = colourful_images(20)
    eigval, eigvec = pca_lighting_params(images)
    pixels = images.permute(1, 0, 2, 3).reshape(3, -1).double()
    cov = torch.cov(pixels).float()
    torch.testing.assert_close(eigvec @ torch.diag(eigval) @ eigvec.T, cov, atol=1e-6, rtol=1e-4)
    assert eigval[0] >= eigval[1] >= eigval[2] >= 0
    # The first component is the tint direction (up to sign).
    tint = torch.tensor([0.6, 0.5, 0.3]) / torch.tensor([0.6, 0.5, 0.3]).norm()
    assert abs(eigvec[:, 0] @ tint) > 0.99


def test_pca_lighting_adds_a_constant_shift_per_image_along_the_components():
    images = colourful_images(16)
    eigval, eigvec = pca_lighting_params(images)
    torch.manual_seed(0)
    out = PCALighting(0.1, eigval, eigvec)(images)
    shift = out - images
    assert out.shape == images.shape
    # The same RGB shift on every pixel of an image...
    torch.testing.assert_close(shift, shift[:, :, :1, :1].expand_as(shift))
    rgb = shift[:, :, 0, 0]  # (N, 3)
    # ...different from image to image...
    assert not torch.allclose(rgb[0], rgb[1])
    # ...equal to sum_i alpha_i lambda_i p_i with alpha_i drawn from N(0, 0.1^2).
    torch.manual_seed(0)
    alpha = torch.randn(16, 3) * 0.1
    torch.testing.assert_close(rgb, (alpha * eigval) @ eigvec.T)


def test_pca_lighting_moves_only_along_components_with_variance():
    eigvec = torch.linalg.qr(torch.randn(3, 3, generator=torch.Generator().manual_seed(0)))[0]
    lighting = PCALighting(0.5, torch.tensor([2.0, 0.0, 0.0]), eigvec)
    rgb = (lighting(torch.zeros(10, 3, 2, 2)))[:, :, 0, 0]
    coords = rgb @ eigvec  # coordinates along each principal component
    assert coords[:, 0].abs().min() > 0
    torch.testing.assert_close(coords[:, 1:], torch.zeros(10, 2), atol=1e-6, rtol=0)


def test_pca_lighting_single_image_reproducible_and_identity_at_zero():
    img = colourful_images(1)[0]
    eigval, eigvec = pca_lighting_params(colourful_images(4))
    lighting = PCALighting(0.1, eigval, eigvec)
    torch.manual_seed(3)
    a = lighting(img)
    torch.manual_seed(3)
    assert a.shape == (3, 6, 6) and torch.equal(a, lighting(img))
    assert torch.equal(PCALighting(0.0, eigval, eigvec)(img), img)


def test_pca_lighting_bad_input():
    eigval, eigvec = torch.ones(3), torch.eye(3)
    with pytest.raises(ValueError, match="alphastd must be non-negative"):
        PCALighting(-0.1, eigval, eigvec)
    with pytest.raises(ValueError, match="eigval .* are required"):
        PCALighting(0.1)
    with pytest.raises(ValueError, match=r"eigval must have shape \(3,\)"):
        PCALighting(0.1, torch.ones(4), eigvec)
    with pytest.raises(ValueError, match=r"img must have shape \(3, H, W\)"):
        PCALighting(0.1, eigval, eigvec)(torch.zeros(1, 6, 6))
    with pytest.raises(ValueError, match=r"images must have shape \(N, 3, H, W\)"):
        pca_lighting_params(torch.zeros(2, 1, 4, 4))
