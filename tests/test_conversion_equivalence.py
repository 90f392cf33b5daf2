"""The fast full-size conversion (tiles, tables, float32, threads) against the exact maths in
float64, on real scans: grey levels -> L* on the way in, Lab -> sRGB on the way out, within
one 8-bit level. 8- and 16-bit sources, grey and RGB, with and without an ICC profile."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import tifffile
import torch
import torch.nn.functional as F
from conftest import SHARED_DATA, make_tiny_model
from PIL import Image, ImageCms, ImageOps

import engine.color as color
from engine.color import (
    XYZ_FROM_RGB,
    clamp_to_gamut,
    fit_linear_to_gamut,
    lab_to_linear_rgb,
    linear_to_srgb,
    rgb_to_lab,
)
from engine.infer import Chroma, Colorizer
from engine.photo_io import read_photo

SAMPLES = sorted((SHARED_DATA / "bw-samples").glob("*.jpg"))[:4] + sorted((SHARED_DATA / "val").rglob("*.jpg"))[:2]
pytestmark = pytest.mark.skipif(not SAMPLES, reason="needs ../shared/data (bw-samples, val)")
SRGB_ICC = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def _source_rgb(path: Path) -> np.ndarray:
    with Image.open(path) as im:
        return np.asarray(ImageOps.exif_transpose(im).convert("RGB"))


def _make_variant(kind: str, sample: Path, folder: Path) -> tuple[Path, np.ndarray, int]:
    """A file made from a real scan, and the pixels (H, W, 3) and depth it was written with."""
    rgb8 = _source_rgb(sample)
    if kind == "as is":
        return sample, rgb8, 8
    grey8 = np.asarray(Image.fromarray(rgb8).convert("L"))
    if kind == "grey 8-bit PNG":
        path = folder / "grey8.png"
        Image.fromarray(grey8, "L").save(path)
        return path, np.repeat(grey8[..., None], 3, axis=2), 8
    if kind == "RGB 8-bit PNG with ICC":
        path = folder / "icc.png"
        Image.fromarray(rgb8).save(path, icc_profile=SRGB_ICC)
        return path, rgb8, 8
    # 16 bits from 8: the levels spread over the full range, with noise in the low byte so
    # that every one of the 65,536 steps can occur
    noise = np.random.default_rng(0).integers(0, 257, rgb8.shape, dtype=np.uint32)
    rgb16 = np.minimum(rgb8.astype(np.uint32) * 257 + noise, 65535).astype(np.uint16)
    if kind == "grey 16-bit PNG":
        path = folder / "grey16.png"
        g16 = rgb16[..., 1]
        Image.fromarray(g16).save(path)  # mode I;16
        return path, np.repeat(g16[..., None], 3, axis=2), 16
    path = folder / "rgb16.tif"  # "RGB 16-bit TIFF with ICC"
    tifffile.imwrite(path, rgb16, photometric="rgb", iccprofile=SRGB_ICC)
    return path, rgb16, 16


def _exact_lightness(rgb: np.ndarray, bit_depth: int) -> np.ndarray:
    top = 255.0 if bit_depth == 8 else 65535.0
    t = torch.from_numpy(rgb.astype(np.float64) / top).permute(2, 0, 1)
    return rgb_to_lab(t)[0].numpy()


def _exact_render(L: np.ndarray, chroma: Chroma, bit_depth: int) -> np.ndarray:
    """What `Colorizer.render` computes, in float64 with the power curves and no tables."""
    ab = clamp_to_gamut(chroma.lightness, chroma.ab.float()).double()
    h, w = L.shape
    ab_full = F.interpolate(ab[None], size=(h, w), mode="bilinear", align_corners=False)[0]
    lab = torch.cat((torch.from_numpy(L.astype(np.float64))[None], ab_full))
    lin = lab_to_linear_rgb(lab).reshape(3, -1)
    y = (XYZ_FROM_RGB[1] @ lin).numpy()
    fitted = fit_linear_to_gamut(lin.numpy().copy(), y.copy())
    top = 255.0 if bit_depth == 8 else 65535.0
    codes = np.floor(linear_to_srgb(torch.from_numpy(fitted)).numpy() * top + 0.5).clip(0, top)
    return codes.T.reshape(h, w, 3)


def _vivid_chroma(L: np.ndarray) -> Chroma:
    """A coarse chroma map with strong colours in every direction, so gamut fitting is exercised."""
    g = torch.Generator().manual_seed(1)
    small = F.adaptive_avg_pool2d(torch.from_numpy(np.ascontiguousarray(L))[None, None], (24, 32))[0]
    return Chroma(ab=(torch.rand(2, 24, 32, generator=g) - 0.5) * 160, lightness=small, render_size=(128, 96))


KINDS = ["as is", "grey 8-bit PNG", "RGB 8-bit PNG with ICC", "grey 16-bit PNG", "RGB 16-bit TIFF with ICC"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("sample", SAMPLES[:3] if SAMPLES else [None], ids=lambda p: p.name[:24] if p else "none")
def test_full_size_conversion_within_one_level_of_exact(kind, sample, tmp_path):
    path, pixels, depth = _make_variant(kind, sample, tmp_path)
    photo = read_photo(path)
    assert photo.bit_depth == depth
    exact_L = _exact_lightness(pixels, depth)
    # 0.05 L* is an eighth of the smallest step between 8-bit grey levels
    assert np.abs(photo.lightness - exact_L).max() < 0.05

    chroma = _vivid_chroma(photo.lightness)
    ours = Colorizer(make_tiny_model()).render(photo.lightness, chroma, bit_depth=depth)
    exact = _exact_render(exact_L, chroma, depth)
    one_level = 1 if depth == 8 else 257
    diff = np.abs(ours.astype(np.int64) - exact.astype(np.int64))
    assert diff.max() <= one_level
    assert (diff > 0).mean() < (0.01 if depth == 8 else 0.5)


@pytest.mark.parametrize("sample", SAMPLES[3:] if SAMPLES else [None], ids=lambda p: p.name[:24] if p else "none")
def test_more_real_scans_within_one_level(sample, tmp_path):
    test_full_size_conversion_within_one_level_of_exact("as is", sample, tmp_path)


def test_tiles_on_one_thread_and_on_many_give_the_same_pixels():
    L = np.random.default_rng(2).random((301, 977), dtype=np.float32) * 100
    chroma = _vivid_chroma(L)
    colorizer = Colorizer(make_tiny_model())
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        one = colorizer.render(L, chroma)
        torch.set_num_threads(3)
        many = colorizer.render(L, chroma)
    finally:
        torch.set_num_threads(before)
    assert np.array_equal(one, many)


def _tiles_in_child(queue) -> None:
    # torch's own OpenMP threads cannot be used after a fork; the tile pool alone is checked
    out = np.zeros(1000)
    color.run_tiles(lambda r0, r1: out.__setitem__(slice(r0, r1), 1.0), 1000, 10)
    queue.put(out.sum())


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork is POSIX")
def test_a_forked_process_gets_tile_threads_of_its_own(monkeypatch):
    """The parent's pool threads do not exist in a forked child: it must not wait for them."""
    import multiprocessing

    monkeypatch.setattr(color, "conversion_threads", lambda: 2)
    out = np.zeros(1000)
    color.run_tiles(lambda r0, r1: out.__setitem__(slice(r0, r1), 1.0), 1000, 10)  # the pool now exists
    assert out.sum() == 1000
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_tiles_in_child, args=(queue,))
    child.start()
    child.join(30)
    if child.exitcode is None:
        child.kill()
    assert child.exitcode == 0
    assert queue.get(timeout=5) == 1000


def test_tiles_in_flight_never_exceed_the_calling_threads_count(monkeypatch):
    """The pool grows for the largest count asked; a caller with fewer threads still gets only those."""
    import threading
    import time

    running, most, lock = [0], [0], threading.Lock()

    def job(r0: int, r1: int) -> None:
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        time.sleep(0.002)
        with lock:
            running[0] -= 1

    monkeypatch.setattr(color, "conversion_threads", lambda: 4)
    color.run_tiles(job, 100, 5)
    monkeypatch.setattr(color, "conversion_threads", lambda: 2)
    most[0] = 0
    color.run_tiles(job, 100, 5)
    assert most[0] == 2
