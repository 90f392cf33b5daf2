"""The inference pipeline with a real (tiny) model: sizes, strength, lightness, progress, cancel."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image
from skimage.color import lab2rgb, rgb2lab

from engine.color import clamp_to_gamut
from engine.devices import DeviceError, resolve_device
from engine.hints import Hint
from engine.infer import Cancelled, Colorizer, RowUpsampler, render_dims, upsample_rows
from engine.photo_io import read_photo, write_photo


@pytest.fixture(scope="module")
def colorizer(tiny_model_path) -> Colorizer:
    return Colorizer(tiny_model_path, device="cpu")


def chroma_of(rgb: np.ndarray) -> np.ndarray:
    lab = rgb2lab(rgb.astype(np.float64) / (65535.0 if rgb.dtype == np.uint16 else 255.0))
    return np.hypot(lab[..., 1], lab[..., 2])


@pytest.mark.parametrize("size, render, expected", [
    ((4000, 3000), 512, (512, 384)),
    ((3000, 4000), 512, (384, 512)),
    ((6000, 1000), 512, (512, 80)),     # a panorama stays a panorama
    ((300, 200), 512, (304, 192)),      # never upscaled past the photo (beyond rounding to the stride)
    ((4000, 3000), 1024, (1024, 768)),
])
def test_render_dims_keep_aspect(size, render, expected):
    w, h = render_dims(*size, render, 16)
    assert (w, h) == expected and w % 16 == 0 and h % 16 == 0


def test_network_sees_render_size_not_a_square(colorizer, make_photo):
    seen = []
    handle = colorizer.net.register_forward_hook(lambda m, inp, out: seen.append(tuple(inp[0].shape)))
    try:
        colorizer.colorize(make_photo("wide.png", size=(900, 300)), render_size=256)
    finally:
        handle.remove()
    assert colorizer.net.config.stride == 8
    assert seen == [(1, 4, 88, 256)]  # 256 * 300 / 900 = 85.3, to a multiple of the stride


def test_output_has_full_size_and_keeps_lightness(colorizer, make_photo):
    path = make_photo("a.png", size=(333, 211))
    photo = read_photo(path)
    for strength in (0.0, 1.0, 2.0):
        rgb = colorizer.colorize(photo, strength=strength).rgb
        assert rgb.shape == (211, 333, 3) and rgb.dtype == np.uint8
        L_out = rgb2lab(rgb / 255.0)[..., 0]
        assert np.abs(L_out - photo.lightness).max() < 1.0, strength


def test_strength_scales_colour(colorizer, make_photo):
    photo = read_photo(make_photo("a.png", size=(160, 120)))
    grey, half, normal, bold = (colorizer.colorize(photo, strength=s).rgb for s in (0.0, 0.5, 1.0, 2.0))
    assert (grey.max(axis=2).astype(int) - grey.min(axis=2)).max() <= 1  # R = G = B
    assert chroma_of(normal).mean() > 10  # the tiny model is biased towards orange
    assert chroma_of(half).mean() < 0.7 * chroma_of(normal).mean()
    assert chroma_of(bold).mean() > 1.05 * chroma_of(normal).mean()  # bolder, up to the edge of the gamut
    assert np.array_equal(colorizer.colorize(photo, strength=5.0).rgb, bold)  # capped at 2


def test_matches_a_plain_reference_pipeline(colorizer, make_photo):
    """Upsample ab bilinearly to full size, join with the full-res L, convert with scikit-image."""
    photo = read_photo(make_photo("a.png", size=(250, 170)))
    result = colorizer.colorize(photo)
    ab = clamp_to_gamut(result.chroma.lightness, result.chroma.ab)
    ab_full = F.interpolate(ab[None], size=photo.lightness.shape, mode="bilinear", align_corners=False)[0]
    lab = np.dstack([photo.lightness, ab_full[0].numpy(), ab_full[1].numpy()]).astype(np.float64)
    ref = lab2rgb(lab)
    inside = ((ref > 0.002) & (ref < 0.998)).all(axis=2)  # where no gamut fitting is involved
    assert inside.mean() > 0.5
    diff = np.abs(result.rgb.astype(int) - np.floor(ref * 255 + 0.5).astype(int))[inside]
    assert diff.max() <= 1


def test_upsampling_in_strips_equals_whole_image():
    ab = torch.randn(2, 13, 17)
    whole = F.interpolate(ab[None], size=(301, 405), mode="bilinear", align_corners=False)[0]
    up = RowUpsampler(ab, 301, 405)
    strips = np.concatenate([up.rows(r, min(301, r + 37)) for r in range(0, 301, 37)], axis=1)
    assert np.allclose(strips, whole.numpy(), atol=1e-5)
    assert np.allclose(upsample_rows(ab, 301, 405, 100, 120), whole[:, 100:120].numpy(), atol=1e-5)


def test_render_is_the_same_whatever_the_strip_size(colorizer, make_photo, monkeypatch):
    import engine.infer as infer

    photo = read_photo(make_photo("a.png", size=(300, 257)))
    chroma = colorizer.predict_chroma(photo)
    reference = colorizer.render(photo.lightness, chroma)
    monkeypatch.setattr(infer, "_CHUNK_PIXELS", 300 * 7)  # 7 rows a strip: many seams
    assert np.array_equal(colorizer.render(photo.lightness, chroma), reference)


def test_preview_sized_render(colorizer, make_photo):
    photo = read_photo(make_photo("a.png", size=(400, 300)))
    chroma = colorizer.predict_chroma(photo)
    small = photo.lightness[::4, ::4].copy()
    assert colorizer.render(small, chroma).shape == (75, 100, 3)


def test_progress_and_cancel(colorizer, make_photo, monkeypatch):
    import engine.infer as infer

    monkeypatch.setattr(infer, "_PROGRESS_PIXELS", 20_000)  # report often on a small photo
    monkeypatch.setattr(infer, "_CHUNK_PIXELS", 400 * 10)
    path = make_photo("a.png", size=(400, 300))
    seen: list[tuple[float, str]] = []
    colorizer.colorize(path, progress=lambda f, s: seen.append((f, s)))
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[-1] == pytest.approx(1.0) and len(seen) >= 5
    assert {s for _, s in seen} == {"predicting colours", "rendering"}

    with pytest.raises(Cancelled):
        colorizer.colorize(path, cancel=lambda: True)
    calls = []

    def cancel_while_rendering() -> bool:
        calls.append(1)
        return len(calls) > 3
    with pytest.raises(Cancelled):
        colorizer.colorize(path, cancel=cancel_while_rendering)
    assert len(calls) == 4


def test_timings_name_every_stage(colorizer, make_photo):
    timings: dict[str, float] = {}
    result = colorizer.colorize(make_photo("a.jpg", size=(200, 100)), timings=timings)
    write_photo(result.rgb, make_photo("x.png").with_name("out.jpg"), "jpg", result.photo, timings=timings)
    assert set(timings) == {"decode", "colour conversion", "network", "upsampling", "encode"}
    assert all(v >= 0 for v in timings.values())


def test_hints_reach_the_network_where_they_were_put(colorizer, make_photo):
    """The untrained tiny model barely reacts to hints, but where it reacts shows the placement."""
    photo = read_photo(make_photo("a.png", size=(256, 128)))
    L, L_small = colorizer.working_lightness(photo)
    plain = colorizer.predict_chroma(photo).ab
    # without the spreading that follows the network, which would hide where the hint went in
    hinted = colorizer.predict_from_lightness(L, L_small, photo.size, [Hint(192, 32, "#1040ff")],
                                              spread=False)[0].ab
    change = (hinted - plain).abs().sum(0)  # (32, 64): a quarter of the 128 x 256 render size
    y, x = divmod(int(change.argmax()), change.shape[1])
    assert change.max() > 0 and abs(y - 8) <= 2 and abs(x - 48) <= 2
    assert change[-8:, :16].max() < change.max() / 10
    outside = colorizer.predict_chroma(photo, [Hint(9999, 5, "#1040ff")]).ab  # off the photo: ignored
    assert torch.equal(plain, outside)


def test_16_bit_source_gives_16_bit_tiff(colorizer, tmp_path):
    grey16 = (np.linspace(3000, 60000, 120 * 90).reshape(90, 120)).astype(np.uint16)
    src = tmp_path / "deep.png"
    Image.fromarray(grey16).save(src)
    result = colorizer.colorize(src)
    assert result.rgb.dtype == np.uint16
    out = tmp_path / "deep.tif"
    write_photo(result.rgb, out, "tiff", result.photo)
    import tifffile
    back = tifffile.imread(out)
    assert back.dtype == np.uint16 and back.shape == (90, 120, 3)
    assert (back % 257 != 0).mean() > 0.5  # real 16-bit values, not 8-bit ones scaled up
    L_out = rgb2lab(back / 65535.0)[..., 0]
    assert np.abs(L_out - result.photo.lightness).max() < 0.05


def test_model_by_instance_path_and_name(tiny_model_path, isolated_user_dirs):
    from engine.catalog import user_models_dir
    from engine.weights import load_model

    net, info = load_model(tiny_model_path)
    assert Colorizer(net, info=info).name == "tiny"
    folder = user_models_dir()
    folder.mkdir(parents=True)
    (folder / "mine.safetensors").write_bytes(tiny_model_path.read_bytes())
    assert Colorizer("mine").model_path == folder / "mine.safetensors"


def test_device_choice():
    assert resolve_device("auto").type == ("cuda" if torch.cuda.is_available() else
                                           "mps" if torch.backends.mps.is_available() else "cpu")
    assert resolve_device("cpu").type == "cpu"
    with pytest.raises(DeviceError, match="unknown device"):
        resolve_device("tpu")
    if not torch.cuda.is_available():
        with pytest.raises(DeviceError, match="not available"):
            resolve_device("cuda")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_gpu_out_of_memory_falls_back_to_cpu(tiny_model_path, make_photo):
    colorizer = Colorizer(tiny_model_path, device="cuda")
    path = make_photo("big.png", size=(2048, 2048))
    torch.cuda.empty_cache()
    torch.cuda.set_per_process_memory_fraction(1e-4)  # a real OOM, not a simulated one
    try:
        with pytest.warns(RuntimeWarning, match="ran out of memory"):
            result = colorizer.colorize(path, render_size=2048)
    finally:
        torch.cuda.set_per_process_memory_fraction(1.0)
    assert any("done on the CPU" in n for n in result.notes)
    assert result.rgb.shape == (2048, 2048, 3)


@pytest.mark.parametrize("size", [(1, 1), (1, 700), (700, 1), (3, 2)])
def test_extreme_shapes(colorizer, tmp_path, size):
    path = tmp_path / "odd.png"
    Image.fromarray(np.full(size[::-1], 120, np.uint8)).save(path)
    result = colorizer.colorize(path)
    assert result.rgb.shape == (size[1], size[0], 3)
    rw, rh = result.chroma.render_size
    assert (rw >= rh) == (size[0] >= size[1])  # orientation of the render follows the photo


def test_hint_colour_is_exact_at_its_point_fills_its_object_and_stops_at_edges(tmp_path, tiny_model_path):
    """The tiny model ignores hints itself, so all of the pull measured here is the spreading step."""
    from PIL import Image

    from engine.color import rgb_to_lab_np
    from engine.hints import Hint, color_ab
    from engine.infer import Colorizer

    grey = np.full((256, 512), 90, np.uint8)
    grey[:, 256:] = 200  # a sharp edge between a dark left half and a bright right half
    path = tmp_path / "edge.png"
    Image.fromarray(grey).save(path)
    colorizer = Colorizer(tiny_model_path, device="cpu")
    auto = colorizer.colorize(path, render_size=256).rgb
    hinted = colorizer.colorize(path, [Hint(200, 128, "#2050c0")], render_size=256).rgb

    def ab_at(rgb, x, y):
        return rgb_to_lab_np(rgb[y - 2 : y + 3, x - 2 : x + 3].astype(np.float32) / 255)[..., 1:].mean(axis=(0, 1))

    blue = np.array(color_ab("#2050c0"))
    assert np.linalg.norm(ab_at(hinted, 200, 128) - blue) < 0.3 * np.linalg.norm(ab_at(auto, 200, 128) - blue)
    assert np.linalg.norm(ab_at(hinted, 180, 110) - blue) < 0.5 * np.linalg.norm(ab_at(auto, 180, 110) - blue)
    # across the edge (different lightness) the automatic colour stays, even near the hint ...
    np.testing.assert_allclose(ab_at(hinted, 280, 128), ab_at(auto, 280, 128), atol=3.0)
    # ... while the hinted object takes the colour far from the hint too
    assert np.linalg.norm(ab_at(hinted, 20, 20) - blue) < 0.7 * np.linalg.norm(ab_at(auto, 20, 20) - blue)


def test_a_sepia_scan_is_read_as_lightness_only(colorizer, tmp_path):
    """A toned print's brown is not kept: its output equals that of a neutral grey of the same L."""
    rng = np.random.default_rng(4)
    L = np.clip(rng.normal(55, 20, (96, 128)), 5, 95)
    L = np.asarray(Image.fromarray(L.astype(np.uint8)).resize((128, 96)), np.float64)
    lab = np.stack([L, np.full_like(L, 8.0), np.full_like(L, 22.0)], axis=-1)  # a warm sepia tone
    sepia = (np.clip(lab2rgb(lab), 0, 1) * 255 + 0.5).astype(np.uint8)
    sepia_L = rgb2lab(sepia / 255.0)[..., 0]
    neutral = (np.clip(lab2rgb(np.stack([sepia_L, 0 * L, 0 * L], axis=-1)), 0, 1) * 255 + 0.5).astype(np.uint8)
    Image.fromarray(sepia).save(tmp_path / "sepia.png")
    Image.fromarray(neutral).save(tmp_path / "neutral.png")
    out_sepia = colorizer.colorize(tmp_path / "sepia.png", render_size=128)
    out_neutral = colorizer.colorize(tmp_path / "neutral.png", render_size=128)
    assert np.abs(out_sepia.rgb.astype(int) - out_neutral.rgb.astype(int)).max() <= 3
    assert any("sepia" in n or "colour" in n for n in out_sepia.notes)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_preview_and_hint_predictions_fall_back_to_cpu_too(tiny_model_path, make_photo):
    """The fallback lives in predict_from_lightness, which every inference path goes through."""
    from engine.hint_suggestions import HintSession

    colorizer = Colorizer(tiny_model_path, device="cuda")
    photo = read_photo(make_photo("big.png", size=(2048, 2048)))
    session = HintSession(colorizer, photo, 2048)
    notes: list[str] = []
    torch.cuda.empty_cache()
    torch.cuda.set_per_process_memory_fraction(1e-4)  # a real OOM, not a simulated one
    try:
        with pytest.warns(RuntimeWarning, match="ran out of memory"):
            prediction = session.predict([Hint(100, 100, "#2040ff")])
        with pytest.warns(RuntimeWarning, match="ran out of memory"):
            chroma = colorizer.predict_chroma(photo, None, 2048, notes=notes)
    finally:
        torch.cuda.set_per_process_memory_fraction(1.0)
    assert notes == ["CUDA ran out of memory; this photo was done on the CPU"]
    assert prediction.chroma.ab.shape == chroma.ab.shape and prediction.probs.device.type == "cpu"


def test_predictions_from_several_threads_share_the_model_safely(colorizer, make_photo):
    """A hint preview and a batch predict on one Colorizer at once (the app does): no deadlock,
    and each gets what it would get alone."""
    import threading

    from engine.hint_suggestions import HintSession

    photo = read_photo(make_photo("p.png", size=(160, 120)))
    session = HintSession(colorizer, photo, 128)
    hints = [Hint(40, 30, "#2040ff")]
    alone_hint = session.predict(hints).chroma.ab
    alone_plain = colorizer.predict_chroma(photo, None, 128).ab
    results: dict[str, list[torch.Tensor]] = {"hint": [], "plain": []}

    def run(kind: str) -> None:
        for _ in range(5):
            if kind == "hint":
                results[kind].append(session.predict(hints).chroma.ab)
            else:
                results[kind].append(colorizer.predict_chroma(photo, None, 128).ab)

    threads = [threading.Thread(target=run, args=(k,)) for k in ("hint", "plain")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads)
    assert all(torch.equal(ab, alone_hint) for ab in results["hint"]) and len(results["hint"]) == 5
    assert all(torch.equal(ab, alone_plain) for ab in results["plain"]) and len(results["plain"]) == 5


def test_redecode_matches_a_fresh_prediction_at_that_temperature(colorizer, make_photo):
    """Evaluation compares temperatures from one pass: each must equal predicting afresh at it."""
    photo = read_photo(make_photo("t.png", size=(200, 150)))
    L, L_small = colorizer.working_lightness(photo, 128)
    chroma, logits = colorizer.predict_from_lightness(L, L_small, photo.size)
    for t in (0.2, 1.0):
        again = colorizer.redecode(chroma, logits, t).ab
        fresh = colorizer.predict_chroma(photo, render_size=128, temperature=t).ab
        assert torch.allclose(again, fresh, atol=1e-5), t
    assert not torch.allclose(colorizer.redecode(chroma, logits, 0.2).ab, colorizer.redecode(chroma, logits, 1.0).ab)
