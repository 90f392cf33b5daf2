"""Colour hints without Qt: a hint pulls the output towards its colour, suggestions, CLI round trip."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hint_models import BACKGROUND_AB, make_hint_following_model
from PIL import Image

from engine import cli
from engine.color import rgb_to_lab_np
from engine.hint_suggestions import HintSession, distinct_modes, lab_hex, reference_palette, with_lightness
from engine.hints import Hint, color_ab, geodesic_distance, load_hints, save_hints, spread_hints
from engine.infer import Colorizer
from engine.photo_io import read_photo
from engine.weights import ModelInfo, save_model

BLUE = "#2050d0"
SIZE = (256, 192)


@pytest.fixture(scope="module")
def hint_colorizer() -> Colorizer:
    return Colorizer(make_hint_following_model(), device="cpu")


@pytest.fixture
def hint_model_path(tmp_path):
    path = tmp_path / "hinty.safetensors"
    save_model(make_hint_following_model(), ModelInfo(name="hinty", description="follows hints"), path)
    return path


def mean_ab(rgb: np.ndarray, x: int, y: int, r: int = 2) -> np.ndarray:
    patch = rgb[y - r : y + r + 1, x - r : x + r + 1].astype(np.float32) / 255
    return rgb_to_lab_np(patch)[..., 1:].reshape(-1, 2).mean(axis=0)


def test_hint_pulls_output_towards_its_colour_and_removing_it_restores(make_photo, hint_colorizer):
    photo = read_photo(make_photo("p.png", size=SIZE))
    session = HintSession(hint_colorizer, photo)
    target = np.array(color_ab(BLUE))

    auto = hint_colorizer.render(photo.lightness, session.predict([]).chroma)
    hinted = hint_colorizer.render(photo.lightness, session.predict([Hint(128, 96, BLUE)]).chroma)
    before, after = mean_ab(auto, 128, 96), mean_ab(hinted, 128, 96)
    assert np.linalg.norm(before - np.array(BACKGROUND_AB)) < 25          # automatic: orange
    assert np.linalg.norm(after - target) < 0.35 * np.linalg.norm(before - target)
    assert after[1] < -20                                                   # clearly blue (b < 0)
    # removing it restores the automatic result exactly
    again = hint_colorizer.render(photo.lightness, session.predict([]).chroma)
    np.testing.assert_array_equal(again, auto)


def test_geodesic_distance_is_path_length_with_edge_costs():
    flat = torch.zeros(5, 7)
    d = geodesic_distance(flat, [(2, 3)], edge_cost=1.0)[0]
    assert d[2, 3] == 0 and d[2, 6] == 3                               # straight steps ...
    assert d[0, 0] == pytest.approx(1 + 2 * 2**0.5)                    # ... and diagonal ones
    wall = torch.zeros(5, 7)
    wall[:, 4:] = 10.0
    d = geodesic_distance(wall, [(2, 0)], edge_cost=2.0)[0]
    assert d[2, 3] == 3 and d[2, 4] == 3 + 1 + 20                     # crossing costs 2 px per L unit


def test_session_matches_predict_chroma(make_photo, hint_colorizer):
    photo = read_photo(make_photo("p.png", size=SIZE))
    hints = [Hint(30, 40, BLUE), Hint(200, 150, "#30a040")]
    mine = HintSession(hint_colorizer, photo).predict(hints).chroma
    ref = hint_colorizer.predict_chroma(photo, hints)
    assert mine.render_size == ref.render_size
    np.testing.assert_array_equal(mine.ab.numpy(), ref.ab.numpy())
    np.testing.assert_array_equal(mine.lightness.numpy(), ref.lightness.numpy())


def test_suggestions_are_distinct_modes_at_the_photo_lightness(make_photo, hint_colorizer):
    photo = read_photo(make_photo("p.png", size=SIZE))
    session = HintSession(hint_colorizer, photo)
    pred = session.predict([])
    colours = session.suggestions(pred, 100, 80, k=5)
    assert 2 <= len(colours) <= 5
    assert colours[0] == session.color_at(pred, 100, 80)
    abs_ = [np.array(color_ab(c)) for c in colours[1:]]
    for i in range(len(abs_)):
        for j in range(i + 1, len(abs_)):
            assert np.linalg.norm(abs_[i] - abs_[j]) > 8   # distinct (gamut clamping may shrink 15 a little)
    L = session.lightness_at(100, 80)
    for c in colours:
        rgb = np.array(Image.new("RGB", (1, 1), c)).astype(np.float32) / 255
        assert abs(rgb_to_lab_np(rgb)[0, 0, 0] - L) < 2.5


def test_distinct_modes_spacing():
    import torch

    bins = torch.tensor([[0.0, 0.0], [5.0, 0.0], [30.0, 0.0], [0.0, 40.0]])
    probs = torch.tensor([0.4, 0.3, 0.2, 0.1])
    assert distinct_modes(probs, bins, 3) == [(0.0, 0.0), (30.0, 0.0), (0.0, 40.0)]


def test_with_lightness_keeps_hue():
    a, b = color_ab(BLUE)
    a2, b2 = color_ab(with_lightness(BLUE, 60))
    assert np.degrees(abs(np.arctan2(b, a) - np.arctan2(b2, a2))) < 6
    assert lab_hex(50, 0, 0) in ("#777777", "#767676", "#787878")


def test_reference_palette_finds_main_colours():
    rgb = np.zeros((100, 100, 3), np.uint8)
    rgb[:, :60] = (200, 30, 30)
    rgb[:, 60:] = (30, 60, 200)
    colours = reference_palette(rgb, k=2)
    assert len(colours) == 2
    first, second = (np.array(color_ab(c)) for c in colours)
    assert first[0] > 40                 # red, the larger area, first
    assert second[1] < -40               # then blue


def test_exported_hints_give_the_same_output_through_the_cli(make_photo, hint_model_path, tmp_path):
    """The GUI path (session chroma rendered at full size) equals colorize --hints-dir."""
    src = make_photo("portrait.png", size=SIZE)
    hints = [Hint(128.4, 96.2, BLUE), Hint(40, 150, "#30a040")]
    hints_dir = tmp_path / "hints"
    hints_dir.mkdir()
    save_hints(hints, hints_dir / "portrait.json")
    assert load_hints(hints_dir / "portrait.json") == [Hint(128.4, 96.2, BLUE), Hint(40.0, 150.0, "#30a040")]

    colorizer = Colorizer(hint_model_path, device="cpu")
    photo = read_photo(src)
    gui_rgb = colorizer.render(photo.lightness, HintSession(colorizer, photo).predict(
        load_hints(hints_dir / "portrait.json")).chroma)

    out = tmp_path / "out"
    rc = cli.main([str(src), "-o", str(out), "--model", str(hint_model_path), "--hints-dir", str(hints_dir),
                   "--device", "cpu", "-q"])
    assert rc == 0
    cli_rgb = np.asarray(Image.open(out / "portrait_color.png").convert("RGB"))
    np.testing.assert_array_equal(cli_rgb, gui_rgb)
    assert np.linalg.norm(mean_ab(cli_rgb, 128, 96) - np.array(color_ab(BLUE))) < 25


def test_spreading_on_a_large_chroma_grid_is_exact_at_the_hint_and_stops_at_edges():
    # 300 x 200 cells: the geodesic distance is computed on a coarser grid here (fast hint edits
    # at high render sizes) and must still behave like the fine one.
    lightness = torch.full((1, 200, 300), 30.0)
    lightness[:, :, 150:] = 80.0
    ab = torch.zeros(2, 200, 300)
    hint = Hint(40.3, 100.7, BLUE)  # photo of the same size as the grid
    out = spread_hints(ab, lightness, [hint], (300, 200))
    target = torch.tensor(color_ab(BLUE))
    assert torch.allclose(out[:, 100, 40], target, atol=1e-3)                 # exact at its point
    assert (out[:, 190, 140] - target).norm() < 0.5 * target.norm()           # fills its side
    assert out[:, 100, 160:].abs().max() < 0.5                                # not across the edge
