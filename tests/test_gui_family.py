"""Issue 23, as a family historian finds the app: nothing made worse, answers in plain words.

Real window, real engine thread, real tiny model, real files, offscreen.
"""
# ruff: noqa: F811 - the window fixtures come from test_gui_workspace and are parameters here

from __future__ import annotations

import re
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


def test_every_menu_command_the_readme_names_is_in_that_menu(qtbot, make_window):
    window = make_window()
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    named = re.findall(r"\*\*(File|Edit|View|Batch|Hints|Help) > ([^*]+)\*\*", readme)
    assert len(named) >= 4
    menus = {a.text().replace("&", ""): a.menu() for a in window.menuBar().actions()}
    for title, command in named:
        texts = [a.text().replace("&", "") for a in menus[title].actions()]
        assert command in texts, f"README: {title} > {command}; the {title} menu has {texts}"


def test_the_fine_tune_folder_placeholder_is_not_cut_off(qtbot, make_window):
    window = make_window()
    window.resize(1280, 800)
    window.tabs.setCurrentWidget(window.finetune_tab)
    edit = window.finetune_tab.folder_edit
    qtbot.waitUntil(lambda: edit.isVisible() and edit.width() > 100)
    # Room for text: the field less its frame, text margins and the clear button's place.
    room = edit.contentsRect().width() - edit.textMargins().left() - edit.textMargins().right() - 24
    assert edit.fontMetrics().horizontalAdvance(edit.placeholderText()) <= room, (edit.placeholderText(), room)


def test_the_quit_question_counts_the_batch_as_it_runs_on(qtbot, make_window, make_photo):
    from colorizer_gui.qt_dialogs import StopBatchBox

    window = make_window()
    tab = window.colorize_tab
    tab.add_paths([make_photo(f"p{i}.png", size=(320, 240)) for i in range(4)])
    tab.act_start.trigger()
    box = StopBatchBox(tab.controller, window)   # what Quit asks; the batch goes on behind it
    qtbot.addWidget(box)
    box.show()
    assert box.informativeText().startswith("0 of 4 are finished and saved.")
    qtbot.waitUntil(lambda: box.informativeText().startswith("2 of 4"), timeout=30_000)
    wait_batch_end(qtbot, tab.controller)
    assert box.text() == "All photos are colorized."
    assert box.informativeText() == "4 of 4 are finished and saved; nothing is lost by quitting now."


def test_photos_added_later_are_scrolled_into_view(qtbot, make_window, make_photo):
    window = make_window()
    window.resize(1000, 600)
    tab = window.colorize_tab
    tab.add_paths([make_photo(f"first{i:02}.png") for i in range(20)])
    view = tab.queue_view
    qtbot.waitUntil(lambda: view.viewport().height() > 100)
    assert view.verticalScrollBar().value() == 0    # the first photo is selected, at the top
    later = tab.add_paths([make_photo("later-a.png"), make_photo("later-b.png")])
    for item in later:
        rect = view.visualRect(tab.queue.index_of(item.id))
        assert view.viewport().rect().contains(rect), item.name


def test_a_cut_name_or_reason_can_be_read_whole_in_the_tooltip(qtbot, make_window, tmp_path):
    from PySide6.QtCore import QEvent
    from PySide6.QtGui import QHelpEvent, QTextDocument
    from PySide6.QtWidgets import QApplication, QToolTip

    window = make_window()
    window.resize(1280, 800)   # the queue at its usual width, as in the README's screenshots
    tab = window.colorize_tab
    odd = tmp_path / "deoldify__grandmother-in-her-garden-1926-scanned-photo.jpg"
    odd.write_bytes(b"GIF89a but not really an image at all, just some bytes" * 3)
    tab.add_paths([odd])
    tab.act_start.trigger()
    wait_batch_end(qtbot, tab.controller)
    item = rows(window)[odd.name]
    assert item.status is PhotoStatus.FAILED and len(item.message) > 60   # longer than the row shows
    # Hover the row, as a user would: the tooltip shows the whole name and reason, wrapped.
    view = tab.queue_view
    row = view.visualRect(tab.queue.index_of(item.id))
    event = QHelpEvent(QEvent.Type.ToolTip, row.center(), view.viewport().mapToGlobal(row.center()))
    QApplication.sendEvent(view.viewport(), event)
    qtbot.waitUntil(QToolTip.isVisible)
    doc = QTextDocument()
    doc.setHtml(QToolTip.text())
    assert odd.name in doc.toPlainText() and item.message in doc.toPlainText()
    label = next(w for w in QApplication.topLevelWidgets() if w.metaObject().className() == "QTipLabel")
    assert label.wordWrap() and label.width() < 700, label.width()   # wrapped, not one line off the screen
    QToolTip.hideText()

    # The usual reason is read whole in the row itself, on two lines of the queue's width.
    from colorizer_gui.workspace.qt_queue_view import fit_lines

    text_width = row.width() - 8 - 8 - 48 - 12   # the row less its margins and thumbnail (QueueDelegate)
    reason = "Not an image in a format Colorizer can read"
    lines = fit_lines(view.fontMetrics(), reason, text_width, 2)
    assert len(lines) == 2 and " ".join(lines) == reason, (lines, text_width)


def test_the_first_sample_photo_comes_out_plainly_in_colour(tmp_path):
    """The README's first run and "Try the sample photos" open the first sample: its result, by the
    bundled default model, must show what the app does (cliff-house-1890 came out grey: chroma 2)."""
    import json
    import os
    import subprocess
    import sys

    from colorizer_gui.workspace.qt_photo_files import sample_files
    from engine.color import rgb_to_lab_np

    root = Path(__file__).resolve().parents[1]
    run = subprocess.run([sys.executable, "-m", "engine.cli", str(root / "resources" / "samples"), "-o",
                          str(tmp_path), "--json", "--threads", "1"], capture_output=True, text=True, timeout=300,
                         env={**os.environ, "PYTHONPATH": str(root), "OMP_NUM_THREADS": "1"})
    assert run.returncode == 0, run.stderr
    results = json.loads(run.stdout)["results"]
    first = sample_files()[0]
    assert Path(results[0]["input"]).name == first.name == "cork-1905.jpg"
    with Image.open(results[0]["output"]) as im:
        im.thumbnail((256, 256))
        lab = rgb_to_lab_np(np.asarray(im.convert("RGB"), np.float32) / 255)
    assert float(np.hypot(lab[..., 1], lab[..., 2]).mean()) > 8.0


def test_a_long_status_moves_under_the_name_instead_of_cutting_it(qtbot, make_window, make_photo):
    from PySide6.QtWidgets import QStyleOptionViewItem

    window = make_window()
    window.resize(1280, 800)
    tab = window.colorize_tab
    item = tab.add_paths([make_photo("deoldify__grandmother-1926.jpg", size=(160, 120))])[0]
    tab.act_start.trigger()
    wait_batch_end(qtbot, tab.controller)
    tab.select_item(item)
    tab.settings_panel.strength_slider.setValue(140)
    qtbot.waitUntil(lambda: item.has_unsaved_changes)
    view = tab.queue_view
    option = QStyleOptionViewItem()
    option.rect, option.font = view.visualRect(tab.queue.index_of(item.id)), view.font()
    name, status, lines = view.itemDelegate().texts(item, option)
    assert name == item.name and status == ""             # the whole name (was "deoldif…1926.jpg")
    assert lines[0].startswith("Unsaved changes · 160 × 120")
