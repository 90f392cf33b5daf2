"""The hint colour chooser, as issue 13 found it: it must not cover the clicked point, the photo
previews each colour while Hue and Saturation move, and a dark spot gets colours one can tell apart.

The real modal dialog, opened by clicking the photo in hint mode, with a model that follows hints.
"""
# ruff: noqa: F811 - the fixtures come from test_hints_gui and are parameters here

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QDialogButtonBox
from test_hints_gui import _drive_dialog_when_open, _let_batch_finish, ab_at, hint_model_path, tab  # noqa: F401

from colorizer_gui.hints.qt_overlay import viewer_point
from engine.hints import color_ab


def _button(dialog, which):
    return dialog.findChild(QDialogButtonBox).button(which)


def test_chooser_sits_beside_the_point_and_the_photo_follows_the_sliders(qtbot, tab):
    item, hints, view = tab.current_item(), tab.hints, tab.viewer
    _let_batch_finish(qtbot, tab)
    with qtbot.waitSignal(hints.preview_updated, timeout=30000):
        hints.act_mode.setChecked(True)
    auto = item.chroma.ab.clone()
    x, y = 180, 70
    point = view.mapToGlobal(viewer_point(view, x, y).toPoint())
    seen: dict = {}

    def drive(dialog) -> None:
        seen["covers"] = dialog.frameGeometry().contains(point)
        dialog.hue.setValue((dialog.hue.value() + 180) % 360)          # as a drag of the Hue slider ends
        dialog.sat.setValue(70)
        tried = dialog.chosen()
        qtbot.waitUntil(lambda: np.linalg.norm(ab_at(item.chroma, x, y) - np.array(color_ab(tried))) < 4,
                        timeout=30000)                                   # the photo shows it already
        seen["tried"], seen["hints_while_open"] = tried, list(item.hints)
        qtbot.mouseClick(_button(dialog, QDialogButtonBox.StandardButton.Cancel), Qt.MouseButton.LeftButton)

    state = _drive_dialog_when_open(qtbot, tab, drive)
    qtbot.mouseClick(view, Qt.MouseButton.LeftButton, pos=viewer_point(view, x, y).toPoint())
    assert state["done"] and state["error"] is None, state["error"]
    assert seen["covers"] is False
    assert len(seen["hints_while_open"]) == 1 and seen["hints_while_open"][0].color == seen["tried"]
    # Cancel: no hint, nothing to undo, and the automatic colours come back.
    assert item.hints == [] and not hints.store.can_undo(item)
    qtbot.waitUntil(lambda: item.chroma_key.hints == () and np.allclose(item.chroma.ab.numpy(), auto.numpy()),
                    timeout=30000)

    # OK keeps the colour tried last, as one undoable edit.
    def choose(dialog) -> None:
        dialog.hue.setValue(200)
        dialog.sat.setValue(60)
        seen["chosen"] = dialog.chosen()
        qtbot.mouseClick(_button(dialog, QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton)

    state = _drive_dialog_when_open(qtbot, tab, choose)
    with qtbot.waitSignal(hints.preview_updated, timeout=30000):
        qtbot.mouseClick(view, Qt.MouseButton.LeftButton, pos=viewer_point(view, x, y).toPoint())
    assert state["done"] and state["error"] is None, state["error"]
    assert [h.color for h in item.hints] == [seen["chosen"]]
    assert hints.store.undo_label(item) == "Add hint"


def test_a_dark_spot_offers_colours_that_can_be_told_apart(qtbot, tab):
    item, hints, view = tab.current_item(), tab.hints, tab.viewer
    _let_batch_finish(qtbot, tab)
    with qtbot.waitSignal(hints.preview_updated, timeout=30000):
        hints.act_mode.setChecked(True)
    x, y = 3, 3                                        # the photo's darkest corner
    assert hints.worker.session(item.id).lightness_at(x, y) < 20
    seen: dict = {}

    def drive(dialog) -> None:
        seen["swatches"] = [s.color for s in dialog.rows["suggested"]]
        seen["note"] = " ".join(label.text() for label in dialog.findChildren(type(dialog.caption)))
        qtbot.mouseClick(_button(dialog, QDialogButtonBox.StandardButton.Cancel), Qt.MouseButton.LeftButton)

    state = _drive_dialog_when_open(qtbot, tab, drive)
    qtbot.mouseClick(view, Qt.MouseButton.LeftButton, pos=viewer_point(view, x, y).toPoint())
    assert state["done"] and state["error"] is None, state["error"]
    swatches = seen["swatches"]
    assert len(swatches) >= 3 and len(set(swatches)) == len(swatches)
    assert all(QColor(c).lightness() > 45 for c in swatches)          # not near-blacks
    hues = {QColor(c).hslHue() // 30 for c in swatches if QColor(c).hslSaturation() > 40}
    assert len(hues) >= 2                                               # different colours, not one
    assert "dark" in seen["note"]
