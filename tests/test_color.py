"""Colour maths against scikit-image, round trips, and the displayable-gamut guarantees."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from skimage.color import deltaE_cie76, lab2rgb, rgb2lab

from engine.color import (
    DisplayConverter,
    clamp_to_gamut,
    fit_linear_to_gamut,
    lab_to_linear_rgb,
    lab_to_rgb,
    lab_to_rgb_np,
    lightness_from_grey,
    lightness_from_rgb,
    rgb_to_lab,
    rgb_to_lab_np,
)


@pytest.fixture(scope="module")
def rgb_cube() -> np.ndarray:
    """Every 8-bit sRGB colour on a 33-step grid plus random ones, (N, 1, 3) in [0, 1]."""
    levels = np.linspace(0, 1, 33)
    grid = np.stack(np.meshgrid(levels, levels, levels, indexing="ij"), -1).reshape(-1, 3)
    rnd = np.random.default_rng(0).random((20000, 3))
    return np.concatenate([grid, rnd])[:, None, :]


def test_rgb_to_lab_matches_scikit_image(rgb_cube):
    ours = rgb_to_lab_np(rgb_cube)
    ref = rgb2lab(rgb_cube)
    assert ours.dtype == np.float32
    assert deltaE_cie76(ours, ref).max() < 0.05


def test_lab_to_rgb_matches_scikit_image(rgb_cube):
    lab = rgb2lab(rgb_cube)
    ours = lab_to_rgb_np(lab)
    ref = lab2rgb(lab)
    assert np.abs(ours - ref).max() < 1e-3


def test_lab_to_rgb_matches_scikit_image_out_of_gamut():
    """Per-channel clipping as in lab2rgb. Where b is so large that (L + 16) / 116 - b / 200 < 0,
    scikit-image zeroes that intermediate (with a warning) and the two differ; those colours
    are far outside anything displayable and are left out of the comparison."""
    rng = np.random.default_rng(1)
    lab = np.stack([rng.uniform(0, 100, 5000), rng.uniform(-110, 110, 5000), rng.uniform(-110, 110, 5000)], -1)
    lab = lab[(lab[:, 0] + 16) / 116 - lab[:, 2] / 200 >= 0][:, None]
    ref = lab2rgb(lab)
    assert ((ref == 0) | (ref == 1)).any()  # really out of gamut
    assert np.abs(lab_to_rgb_np(lab) - ref).max() < 1e-3


def test_round_trip_is_lossless_to_8_bits(rgb_cube):
    back = lab_to_rgb_np(rgb_to_lab_np(rgb_cube))
    assert np.abs(back - rgb_cube).max() * 255 < 0.05


def test_torch_batches_channel_first_and_float64():
    rgb = torch.rand(2, 3, 5, 7, dtype=torch.float64)
    lab = rgb_to_lab(rgb)
    assert lab.shape == rgb.shape and lab.dtype == torch.float64
    ref = rgb2lab(rgb.permute(0, 2, 3, 1).numpy())
    assert np.abs(lab.permute(0, 2, 3, 1).numpy() - ref).max() < 1e-6
    assert torch.allclose(lab_to_rgb(lab), rgb, atol=1e-8)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_same_on_cuda():
    rgb = torch.rand(3, 64, 64)
    lab_gpu = rgb_to_lab(rgb.cuda())
    assert torch.allclose(lab_gpu.cpu(), rgb_to_lab(rgb), atol=1e-3)
    assert torch.allclose(lab_to_rgb(lab_gpu).cpu(), rgb, atol=1e-4)


def test_lightness_from_grey_and_rgb_match_scikit_image():
    grey8 = np.arange(256, dtype=np.uint8).reshape(16, 16)
    ref = rgb2lab(np.repeat(grey8[..., None] / 255.0, 3, -1))[..., 0]
    assert np.abs(lightness_from_grey(grey8) - ref).max() < 0.01
    grey16 = np.linspace(0, 65535, 4096).astype(np.uint16).reshape(64, 64)
    ref16 = rgb2lab(np.repeat(grey16[..., None] / 65535.0, 3, -1))[..., 0]
    assert np.abs(lightness_from_grey(grey16, levels=65536) - ref16).max() < 0.01
    rgb8 = np.random.default_rng(2).integers(0, 256, (40, 50, 3), dtype=np.uint8)
    assert np.abs(lightness_from_rgb(rgb8) - rgb2lab(rgb8 / 255.0)[..., 0]).max() < 0.01


# --- gamut ---------------------------------------------------------------------------------

def _lin_in_gamut(lab: torch.Tensor, tol: float = 2e-3) -> torch.Tensor:
    lin = lab_to_linear_rgb(lab)
    return ((lin >= -tol) & (lin <= 1 + tol)).all(dim=0)


def test_clamp_to_gamut_makes_colours_displayable_keeping_hue_and_lightness():
    g = torch.Generator().manual_seed(3)
    L = torch.rand(1, 64, 64, generator=g) * 100
    ab = (torch.rand(2, 64, 64, generator=g) - 0.5) * 400  # far outside the gamut
    assert not _lin_in_gamut(torch.cat((L, ab))).all()
    fitted = clamp_to_gamut(L, ab)
    assert _lin_in_gamut(torch.cat((L, fitted)), tol=0.02).all()
    hue_before = torch.atan2(ab[1], ab[0])
    hue_after = torch.atan2(fitted[1], fitted[0])
    keep = fitted.norm(dim=0) > 1  # hue of an (almost) grey colour is meaningless
    assert (torch.remainder(hue_after - hue_before + torch.pi, 2 * torch.pi) - torch.pi)[keep].abs().max() < 1e-4
    # in-gamut colours are left alone
    small = torch.full((2, 4, 4), 5.0)
    assert torch.allclose(clamp_to_gamut(torch.full((1, 4, 4), 50.0), small), small)


def test_saturated_red_does_not_overflow_into_pink():
    """A red that overflows at this lightness: per-channel clipping shifts it; clamping does not."""
    L = torch.full((1, 1, 1), 55.0)
    ab = torch.tensor([120.0, 90.0]).view(2, 1, 1)
    clipped = lab_to_rgb(torch.cat((L, ab)))[:, 0, 0]
    fitted = lab_to_rgb(torch.cat((L, clamp_to_gamut(L, ab))))[:, 0, 0]
    lab_clipped = rgb_to_lab(clipped.view(3, 1, 1))[:, 0, 0]
    lab_fitted = rgb_to_lab(fitted.view(3, 1, 1))[:, 0, 0]
    hue = float(torch.atan2(ab[1], ab[0]))
    assert abs(float(torch.atan2(lab_fitted[2], lab_fitted[1])) - hue) < 0.05
    assert abs(float(lab_fitted[0]) - 55.0) < 1.0
    # the naive path really is worse: that is what the clamp exists for
    assert abs(float(torch.atan2(lab_clipped[2], lab_clipped[1])) - hue) > 0.05 or abs(float(lab_clipped[0]) - 55) > 1


def test_fit_linear_to_gamut_keeps_luminance_and_bounds():
    g = torch.Generator().manual_seed(4)
    lin = torch.randn(3, 10000, generator=g) * 0.8 + 0.5
    y = torch.rand(10000, generator=g)
    lin = lin - (torch.tensor([0.212671, 0.715160, 0.072169]) @ lin) + y  # give each colour luminance y
    out = torch.from_numpy(fit_linear_to_gamut(lin.numpy().copy(), y.numpy().copy()))
    assert out.min() >= -1e-6 and out.max() <= 1 + 1e-6
    assert torch.allclose(torch.tensor([0.212671, 0.715160, 0.072169]) @ out, y, atol=1e-5)
    inside = ((lin >= 0) & (lin <= 1)).all(dim=0)
    assert torch.allclose(out[:, inside], lin[:, inside], atol=1e-6)


@pytest.mark.parametrize("bit_depth", [8, 16])
def test_display_converter_matches_exact_path_in_gamut(rgb_cube, bit_depth):
    lab = np.ascontiguousarray(rgb2lab(rgb_cube)[:, 0].astype(np.float32).T)
    codes = DisplayConverter(lab.shape[1], bit_depth)(lab[0], lab[1], lab[2]).astype(np.int64)
    top = 255 if bit_depth == 8 else 65535
    exact = np.floor(rgb_cube[:, 0] * top + 0.5)
    diff = np.abs(codes - exact)
    assert diff.max() <= (1 if bit_depth == 8 else 2)
    # 16-bit codes are 1/65535 apart: float32 Lab input alone (even with float64 maths after
    # it) puts about 1 % of them one code off
    assert (diff > 0).mean() < (0.01 if bit_depth == 8 else 0.015)


def test_display_converter_out_of_gamut_keeps_lightness():
    g = torch.Generator().manual_seed(5)
    n = 50000
    L = torch.rand(n, generator=g) * 100
    a, b = ((torch.rand(2, n, generator=g) - 0.5) * 300).unbind(0)
    codes = DisplayConverter(n)(L.numpy(), a.numpy(), b.numpy())
    L_back = rgb2lab(codes[:, None, :] / 255.0)[:, 0, 0]
    # 8-bit quantisation alone moves L by well under 1; per-channel clipping moves it by tens
    assert np.abs(L_back - L.numpy()).max() < 1.0
    clipped = (lab_to_rgb(torch.stack((L, a, b))[:, :, None])[:, :, 0].T.numpy() * 255 + 0.5).astype(np.uint8)
    assert np.abs(rgb2lab(clipped[:, None, :] / 255.0)[:, 0, 0] - L.numpy()).max() > 10


def test_display_converter_rejects_oversized_input():
    conv = DisplayConverter(10)
    with pytest.raises(ValueError):
        conv(np.zeros(11, np.float32), np.zeros(11, np.float32), np.zeros(11, np.float32))
