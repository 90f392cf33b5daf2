"""Training data for old prints and every kind of photo: what is skipped, how inputs age, how
groups are drawn. Real arrays and real photo folders, no stand-ins."""

from __future__ import annotations

import numpy as np
import torch
from PIL import Image
from test_train import landscape

from engine.old_prints import AgeingMix, age_lightness
from engine.photo_folder import group_of, is_colour_photo, is_monochrome, read_groups, scan_folder
from engine.training_data import group_sampling_weights, make_batch


def toned(rgb: np.ndarray, tint=(1.0, 0.85, 0.65), noise: float = 2.0, seed: int = 0) -> np.ndarray:
    """A sepia (or other) toned print of `rgb` with scanner noise."""
    grey = rgb.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)
    out = grey[..., None] * np.array(tint, np.float32)
    out += np.random.default_rng(seed).normal(0, noise, out.shape)
    return np.clip(out, 0, 255).astype(np.uint8)


def muted_street(seed: int = 0) -> np.ndarray:
    """An overcast street: grey road and walls, a pale blue sky, one dull red car."""
    rng = np.random.default_rng(seed)
    img = np.zeros((144, 192, 3), np.float32)
    img[:50] = [170, 178, 190]
    img[50:110] = [120, 118, 112]
    img[110:] = [95, 95, 97]
    img[95:125, 60:110] = [120, 70, 65]
    img += rng.normal(0, 4, img.shape)
    return np.clip(img, 0, 255).astype(np.uint8)


def test_grey_and_toned_prints_are_monochrome_but_muted_colour_is_not():
    photo = landscape(0)
    assert not is_monochrome(photo)
    assert not is_monochrome(muted_street())
    assert is_monochrome(np.repeat(photo.mean(axis=2, keepdims=True), 3, axis=2).astype(np.uint8))
    for tint in ((1.0, 0.85, 0.65), (1.0, 0.95, 0.85), (0.85, 0.95, 1.0)):
        assert is_monochrome(toned(photo, tint)), tint


def test_colour_photos_are_told_from_toned_and_aged_prints():
    """What `colorize` leaves alone: real colour and hand-tinted prints, never a toned one (issue 23)."""
    photo = landscape(0)
    assert is_colour_photo(photo) and is_colour_photo(muted_street())
    for tint in ((1.0, 1.0, 1.0), (1.0, 0.85, 0.65), (0.85, 0.95, 1.0)):
        assert not is_colour_photo(toned(photo, tint)), tint
    aged = toned(landscape(1)).astype(np.float32)
    aged[:, :60] *= np.array([1.0, 0.92, 0.7], np.float32)  # a yellowed edge: not monochrome any more
    aged = aged.clip(0, 255).astype(np.uint8)
    assert not is_monochrome(aged) and not is_colour_photo(aged)
    tinted = toned(landscape(2))
    tinted[40:100, 60:120] = [50, 80, 160]  # hand-tinted blue clothes
    assert is_colour_photo(tinted)


def test_scan_keeps_muted_photos_and_skips_toned_ones(tmp_path):
    Image.fromarray(muted_street()).save(tmp_path / "street.png")
    Image.fromarray(toned(landscape(1))).save(tmp_path / "sepia.jpg", quality=90)
    scan = scan_folder(tmp_path, min_side=64)
    assert [p.name for p in scan.usable] == ["street.png"]
    assert scan.skipped == [(tmp_path / "sepia.jpg", "greyscale or toned")]


def test_ageing_changes_only_the_network_input():
    photos = [landscape(i) for i in range(6)]
    batch = make_batch(photos, list(range(6)), 96, torch.Generator().manual_seed(0), ageing=1.0)
    clean = make_batch(photos, list(range(6)), 96, torch.Generator().manual_seed(0), ageing=0.0)
    assert torch.equal(batch.L, clean.L) and torch.equal(batch.ab, clean.ab)
    assert clean.L_in is clean.L
    assert not torch.allclose(batch.L_in, batch.L)
    assert batch.L_in.min() >= 0 and batch.L_in.max() <= 100


def test_each_degradation_is_real_and_seeded():
    L = make_batch([landscape(i) for i in range(4)], [0, 1, 2, 3], 64, torch.Generator().manual_seed(1)).L
    kinds = ("tone", "exposure", "blur", "grain", "jpeg", "scratches")
    for kind in kinds:
        only = AgeingMix(share=1.0, **{k: float(k == kind) for k in kinds})
        a = age_lightness(L, torch.Generator().manual_seed(5), only)
        b = age_lightness(L, torch.Generator().manual_seed(5), only)
        assert torch.equal(a, b), kind
        assert (a - L).abs().mean() > 0.05, kind
    assert torch.equal(age_lightness(L, torch.Generator(), AgeingMix(share=0.0)), L)


def test_group_balance_draws_groups_equally_at_one_and_photos_equally_at_zero():
    groups = ["face"] * 90 + ["street"] * 10
    even = group_sampling_weights(groups, 0.0)
    assert torch.allclose(even, torch.full((100,), 0.01, dtype=torch.float64))
    balanced = group_sampling_weights(groups, 1.0)
    assert abs(float(balanced[:90].sum()) - 0.5) < 1e-9
    middle = group_sampling_weights(groups, 0.7)
    assert 0.1 < float(middle[90:].sum()) < 0.5


def test_groups_come_from_the_manifest_else_the_sub_folder(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "MANIFEST.tsv").write_text("file\twidth\tgroup\na/x.jpg\t10\tstreet\n")
    manifest = read_groups(tmp_path)
    assert group_of(tmp_path / "a" / "x.jpg", tmp_path, manifest) == "street"
    assert group_of(tmp_path / "a" / "y.jpg", tmp_path, manifest) == "a"
    assert group_of(tmp_path / "z.jpg", tmp_path, manifest) == tmp_path.name


def test_batches_from_tensor_photos_equal_those_from_arrays():
    """`--preload` hands the same code uint8 tensors (on a GPU); here on the CPU, bit for bit."""
    arrays = [landscape(i) for i in range(5)]
    tensors = [torch.from_numpy(a) for a in arrays]
    a = make_batch(arrays, [0, 3, 4, 1], 64, torch.Generator().manual_seed(2), hint_share=1.0, ageing=1.0)
    b = make_batch(tensors, [0, 3, 4, 1], 64, torch.Generator().manual_seed(2), hint_share=1.0, ageing=1.0)
    for field in ("L", "ab", "hint_ab", "hint_mask", "L_in"):
        assert torch.allclose(getattr(a, field), getattr(b, field), atol=1e-4), field
    assert b.hint_mask.sum() > 0
