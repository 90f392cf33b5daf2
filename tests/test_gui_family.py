"""Issue 23, as a family historian finds the app: nothing made worse, answers in plain words.

Real window, real engine thread, real tiny model, real files, offscreen.
"""
# ruff: noqa: F811 - the window fixtures come from test_gui_workspace and are parameters here

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image
from test_gui_workspace import make_window, rows, user_model, wait_batch_end  # noqa: F401 - fixtures

from colorizer_gui.workspace.photo_queue import PhotoStatus


def _sepia(path: Path, seed: int) -> Path:
    rng = np.random.default_rng(seed)
    grey = np.tile(np.linspace(40, 210, 160, dtype=np.float32), (120, 1)) + rng.normal(0, 3, (120, 160))
    Image.fromarray(np.clip(grey[..., None] * [1.0, 0.85, 0.65], 0, 255).astype(np.uint8)).save(path)
    return path


def _colour(path: Path, seed: int) -> Path:
    """A colour snapshot: a teal wall, a face, a red jumper."""
    img = np.zeros((120, 160, 3), np.float32)
    img[:] = [30, 128, 128]
    img[20:70, 60:100] = [225, 185, 150]
    img[70:, 40:120] = [180, 40, 40]
    img += np.random.default_rng(seed).normal(0, 4, img.shape)
    Image.fromarray(np.clip(img, 0, 255).astype(np.uint8)).save(path, quality=90)
    return path


def test_colour_photos_are_left_alone_and_the_app_asks_once_per_batch(qtbot, make_window, tmp_path):
    window = make_window()
    tab = window.colorize_tab
    photos = [_sepia(tmp_path / "grandma-sepia.png", 0), _colour(tmp_path / "holiday-1.jpg", 1),
              _colour(tmp_path / "holiday-2.jpg", 2), _sepia(tmp_path / "wedding-sepia.png", 3),
              _colour(tmp_path / "holiday-3.jpg", 3)]
    tab.add_paths(photos)
    tab.act_start.trigger()
    wait_batch_end(qtbot, tab.controller)

    items = rows(window)
    assert items["grandma-sepia.png"].status is items["wedding-sepia.png"].status is PhotoStatus.DONE
    for name in ("holiday-1.jpg", "holiday-2.jpg", "holiday-3.jpg"):
        assert items[name].status is PhotoStatus.SKIPPED, name
        assert items[name].message == "Already in colour: left as it is"
        assert not (tmp_path / name.replace(".jpg", "_color.jpg")).exists()
    bar = tab.colour_bar
    assert bar.isVisible()   # one question for the batch, with the count
    assert bar.label.text() == "3 photos are already in colour, so they were left as they are: " \
                               "colorize them anyway?"
    assert [b.text() for b in bar.buttons] == ["Colorize them anyway", "Leave as is"]
    assert "Left holiday-1.jpg as it is: it is already a colour photo" in tab.log_panel.plain_text()

    bar.button("Colorize them anyway").click()
    assert not bar.isVisible()
    wait_batch_end(qtbot, tab.controller)
    for name in ("holiday-1.jpg", "holiday-2.jpg", "holiday-3.jpg"):
        assert items[name].status is PhotoStatus.DONE, (name, items[name].message)
        assert items[name].output == tmp_path / name.replace(".jpg", "_color.jpg") and items[name].output.is_file()
    assert not bar.isVisible()
