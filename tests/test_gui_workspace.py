"""The Colorize workspace, end to end: real window, real engine thread, real (tiny) model, offscreen.

Covers issue 4's checklist: drop files and folders -> rows -> run -> full-size colour outputs;
cancel mid-batch; a broken file among good ones; the compare view's divider, modes, zoom and
pan by mouse and keys; the live strength preview; settings across a restart; closing during
a batch; plus pause/resume, appending while running, reordering and the missing-model dialog.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QImage, QWheelEvent
from PySide6.QtWidgets import QApplication

from colorizer_gui.settings import GuiSettings, load_settings, save_settings
from colorizer_gui.workspace.photo_queue import PhotoStatus
from colorizer_gui.workspace.qt_compare_view import CompareMode, CompareView
from engine.catalog import user_models_dir

BATCH_TIMEOUT = 60_000


# --- fixtures and helpers ----------------------------------------------------------------------------


@pytest.fixture
def user_model(tiny_model_path):
    """The tiny model installed as the user's own model (as an import would)."""
    dest = user_models_dir() / "tiny.safetensors"
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_bytes(tiny_model_path.read_bytes())
    return dest


@pytest.fixture
def make_window(qtbot, user_model):
    """MainWindow factory: settings from the (isolated) config folder, the tiny model chosen."""
    from colorizer_gui.qt_main_window import MainWindow

    windows = []

    def _make(*, wait_model: bool = True, **overrides):
        settings, _ = load_settings()
        if not settings.model:
            settings.model = str(user_model)
        settings.auto_start = False
        for key, value in overrides.items():
            setattr(settings, key, value)
        window = MainWindow(settings)
        window.ask_stop_batch = lambda: True          # no modal questions in tests
        window.ask_unsaved_changes = lambda n: "discard"
        qtbot.addWidget(window)
        window.show()
        windows.append(window)
        if wait_model:
            qtbot.waitUntil(lambda: window.colorize_tab.controller.model_ready, timeout=30_000)
        return window

    yield _make
    for window in windows:
        if window.isVisible():
            window.close()


def drop(window, paths: list[Path]) -> None:
    """Drag files over the window and drop them, as a file manager would."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    pos = QPointF(window.width() / 2, window.height() / 2)
    enter = QDragEnterEvent(pos.toPoint(), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, enter)
    assert enter.isAccepted()
    assert window.file_drops.overlay.isVisible()
    event = QDropEvent(pos, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, event)
    assert not window.file_drops.overlay.isVisible()


def wait_batch_end(qtbot, controller, timeout=BATCH_TIMEOUT) -> None:
    qtbot.waitUntil(lambda: not controller.running and not controller.is_busy(), timeout=timeout)


def colourfulness(path: Path) -> float:
    rgb = np.asarray(Image.open(path).convert("RGB")).astype(np.int16)
    return float((np.abs(rgb[..., 0] - rgb[..., 1]) + np.abs(rgb[..., 1] - rgb[..., 2])).mean())


def partial_files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.name.endswith(".partial") or p.name.startswith(".")]


def rows(window) -> dict[str, object]:
    return {i.name: i for i in window.colorize_tab.queue.items}


# --- the main flow -------------------------------------------------------------------------------------


def test_drop_files_and_folder_then_colorize(qtbot, make_window, make_photo, tmp_path):
    window = make_window()
    tab = window.colorize_tab
    assert tab.stack.currentWidget() is tab.empty_state          # the empty state invites a drop
    loose = [make_photo("loose.jpg", size=(160, 120)), make_photo("wide.png", size=(200, 90))]
    folder = tmp_path / "shoebox"
    make_photo("a.jpg", size=(120, 96), folder=folder)
    make_photo("b.tif", size=(96, 128), folder=folder / "1950s")
    (folder / "notes.txt").write_text("not a photo")
    text_file = tmp_path / "readme.txt"
    text_file.write_text("hello")

    drop(window, [*loose, folder, text_file])
    assert window.settings.last_open_dir == str(loose[0].parent)      # Open dialogs start there next time

    names = rows(window)
    assert set(names) == {"loose.jpg", "wide.png", "a.jpg", "b.tif", "readme.txt"}
    assert names["readme.txt"].status is PhotoStatus.SKIPPED          # listed, with the reason
    assert "not a photo" in names["readme.txt"].message
    log = tab.log_panel.plain_text()
    assert "notes.txt" in log and "readme.txt" in log                 # folder leftovers are reported too
    assert tab.stack.currentWidget() is tab.work_splitter
    qtbot.waitUntil(lambda: all(i.thumbnail is not None for i in tab.queue.items if i.readable), timeout=10_000)

    out = tmp_path / "out"
    tab.settings_panel.set_output_folder(str(out))
    tab.act_start.trigger()
    wait_batch_end(qtbot, tab.controller)

    for name, source in (("loose.jpg", loose[0]), ("wide.png", loose[1]), ("a.jpg", folder / "a.jpg"),
                         ("b.tif", folder / "1950s" / "b.tif")):
        item = rows(window)[name]
        assert item.status is PhotoStatus.DONE, (name, item.message)
        assert item.output.exists() and item.output.parent.is_relative_to(out)
        with Image.open(item.output) as result, Image.open(source) as original:
            assert result.size == original.size                       # full size
        assert colourfulness(item.output) > 10                          # colour, not grey
    assert (out / "1950s" / "b_color.tif").exists()                    # folder structure mirrored
    assert not partial_files(out)
    assert tab.overall_label.text().startswith("5 photos · 4 done")


def test_cancel_mid_batch_leaves_no_partial_files(qtbot, make_window, make_photo, tmp_path):
    window = make_window()
    tab, c = window.colorize_tab, window.colorize_tab.controller
    folder = tmp_path / "big"
    photos = [make_photo(f"p{i}.png", size=(1600, 1200), folder=folder) for i in range(6)]
    out = tmp_path / "out"
    tab.settings_panel.set_output_folder(str(out))
    tab.add_paths(photos)
    c.start()
    qtbot.waitUntil(lambda: any(i.status is PhotoStatus.WORKING and i.progress > 0 for i in c.queue.items),
                    timeout=BATCH_TIMEOUT)

    started = time.monotonic()
    with qtbot.waitSignal(c.batch_state_changed, timeout=5000):
        tab.act_cancel.trigger()
    assert all(i.status is not PhotoStatus.QUEUED for i in c.queue.items)   # the rest are cancelled at once
    qtbot.waitUntil(lambda: not c.is_busy(), timeout=10_000)
    assert time.monotonic() - started < 3.0                                   # takes effect in about a second

    statuses = [i.status for i in c.queue.items]
    assert PhotoStatus.CANCELLED in statuses
    assert set(statuses) <= {PhotoStatus.DONE, PhotoStatus.CANCELLED}
    done = [i for i in c.queue.items if i.status is PhotoStatus.DONE]
    written = sorted(p for p in out.rglob("*") if p.is_file())
    assert written == sorted(i.output for i in done)                          # nothing else, nothing partial
    for path in written:
        with Image.open(path) as im:
            im.load()


def test_broken_file_fails_with_reason_while_others_finish(qtbot, make_window, make_photo, tmp_path):
    window = make_window()
    tab, c = window.colorize_tab, window.colorize_tab.controller
    folder = tmp_path / "mixed"
    good = [make_photo(f"good{i}.jpg", size=(128, 96), folder=folder) for i in range(2)]
    broken = folder / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0 this is not really a jpeg")
    truncated = folder / "truncated.png"
    data = make_photo("whole.png", size=(256, 256)).read_bytes()
    truncated.write_bytes(data[: len(data) // 2])
    tab.add_paths([folder])
    c.start()
    wait_batch_end(qtbot, c)

    r = rows(window)
    for p in good:
        assert r[p.name].status is PhotoStatus.DONE
    for name in ("broken.jpg", "truncated.png"):
        assert r[name].status is PhotoStatus.FAILED
        assert r[name].message                                 # a plain reason, shown in the row...
        assert r[name].message in tab.log_panel.plain_text()   # ...and in the log
    assert "truncated" in r["truncated.png"].message
    assert "Could not colorize" in tab.viewer._message or tab.current_item().status is PhotoStatus.DONE

    # Retry puts the failed one back; it fails again, still without taking the others down.
    tab.select_item(r["broken.jpg"])
    tab.act_retry.trigger()
    wait_batch_end(qtbot, c)
    assert r["broken.jpg"].status is PhotoStatus.FAILED


def test_pause_resume_append_reorder_and_remove(qtbot, make_window, make_photo, tmp_path):
    window = make_window()
    tab, c = window.colorize_tab, window.colorize_tab.controller
    folder = tmp_path / "q"
    photos = [make_photo(f"q{i}.png", size=(1200, 900), folder=folder) for i in range(4)]
    tab.add_paths(photos[:3])
    c.queue.move_by([rows(window)["q2.png"].id], -2)                  # reorder: q2 first
    assert [i.name for i in c.queue.items] == ["q2.png", "q0.png", "q1.png"]
    c.start()
    qtbot.waitUntil(lambda: rows(window)["q2.png"].status is PhotoStatus.WORKING, timeout=BATCH_TIMEOUT)

    tab.act_pause.trigger()
    qtbot.waitUntil(lambda: not c.is_busy(), timeout=10_000)
    assert c.paused and tab.act_start.text() == "Resume"
    assert not any(i.status is PhotoStatus.WORKING for i in c.queue.items)
    waiting_before = len(c.queue.with_status(PhotoStatus.QUEUED))
    assert waiting_before >= 2

    tab.add_paths([photos[3]])                                        # appended while the batch exists
    assert rows(window)["q3.png"].in_batch
    c.remove([rows(window)["q1.png"].id])
    tab.act_start.trigger()                                           # resume
    wait_batch_end(qtbot, c)
    assert [i.name for i in c.queue.items] == ["q2.png", "q0.png", "q3.png"]
    assert all(i.status is PhotoStatus.DONE for i in c.queue.items)
    assert not (folder / "q1_color.png").exists()


# --- the viewer -----------------------------------------------------------------------------------------


def _solid(w: int, h: int, rgb: tuple[int, int, int]) -> QImage:
    image = QImage(w, h, QImage.Format.Format_RGB888)
    image.fill(Qt.GlobalColor.black)
    from PySide6.QtGui import QColor

    image.fill(QColor(*rgb))
    return image


@pytest.fixture
def view(qtbot):
    v = CompareView()
    qtbot.addWidget(v)
    v.resize(600, 400)
    v.show()
    qtbot.waitExposed(v)
    v.set_photo((4000, 3000))                       # a 12 MP photo...
    v.set_before(_solid(400, 300, (128, 128, 128)))  # ...shown through small previews
    v.set_after(_solid(400, 300, (200, 120, 40)))
    return v


def test_divider_follows_mouse_and_keys(qtbot, view):
    assert view.mode() is CompareMode.SPLIT and view.divider() == pytest.approx(0.5)
    x = round(view.divider_x())
    qtbot.mousePress(view, Qt.MouseButton.LeftButton, pos=QPoint(x, 200))
    qtbot.mouseMove(view, QPoint(150, 210))
    qtbot.mouseRelease(view, Qt.MouseButton.LeftButton, pos=QPoint(150, 210))
    assert view.divider() == pytest.approx(150 / 600, abs=0.01)
    # before on the left of the divider, after on the right
    shot = view.grab().toImage()
    assert shot.pixelColor(100, 200).red() == shot.pixelColor(100, 200).blue()      # grey
    assert shot.pixelColor(400, 200).red() > shot.pixelColor(400, 200).blue() + 80  # orange
    qtbot.keyClick(view, Qt.Key.Key_Right)
    assert view.divider() == pytest.approx(150 / 600 + 0.05, abs=0.01)
    qtbot.keyClick(view, Qt.Key.Key_Left, Qt.KeyboardModifier.ShiftModifier)
    assert view.divider() == pytest.approx(150 / 600 + 0.04, abs=0.01)


def test_modes_by_keys_and_peek_original(qtbot, view):
    with qtbot.waitSignal(view.mode_changed, check_params_cb=lambda m: m == "side_by_side"):
        qtbot.keyClick(view, Qt.Key.Key_M)
    qtbot.keyClick(view, Qt.Key.Key_M)
    assert view.mode() is CompareMode.AFTER
    qtbot.keyClick(view, Qt.Key.Key_M)
    assert view.mode() is CompareMode.SPLIT
    qtbot.keyClick(view, Qt.Key.Key_3)
    assert view.mode() is CompareMode.AFTER
    assert view.grab().toImage().pixelColor(100, 200).red() > 150       # after everywhere
    qtbot.keyPress(view, Qt.Key.Key_B)                                  # hold B: the original
    assert view.grab().toImage().pixelColor(100, 200).red() == 128
    qtbot.keyRelease(view, Qt.Key.Key_B)
    assert view.grab().toImage().pixelColor(100, 200).red() > 150
    qtbot.keyClick(view, Qt.Key.Key_2)
    assert view.mode() is CompareMode.SIDE_BY_SIDE
    shot = view.grab().toImage()
    assert shot.pixelColor(150, 200).red() == 128 and shot.pixelColor(450, 200).red() > 150


def test_zoom_and_pan_share_one_view(qtbot, view):
    fit = view.zoom()
    assert view.is_fit() and fit == pytest.approx(min((600 - 24) / 4000, (400 - 24) / 3000))
    wheel = QWheelEvent(QPointF(300, 200), view.mapToGlobal(QPointF(300, 200)), QPoint(0, 0), QPoint(0, 240),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(view, wheel)
    assert view.zoom() == pytest.approx(fit * 1.25 ** 2)
    view.actual_pixels()
    assert view.zoom() == 1.0
    view.set_mode(CompareMode.SIDE_BY_SIDE)
    left, right = view._panes()[0][0], view._panes()[1][0]
    before = view.widget_to_image(left.center(), left)
    qtbot.mousePress(view, Qt.MouseButton.LeftButton, pos=QPoint(150, 200))
    qtbot.mouseMove(view, QPoint(110, 170))
    qtbot.mouseRelease(view, Qt.MouseButton.LeftButton, pos=QPoint(110, 170))
    moved = view.widget_to_image(left.center(), left)
    assert moved.x() == pytest.approx(before.x() + 40) and moved.y() == pytest.approx(before.y() + 30)
    # the same photo point sits at the same place in both panes
    assert view.widget_to_image(right.center(), right) == moved
    view.fit_to_window()
    assert view.is_fit()


# --- strength, saving, settings --------------------------------------------------------------------------


def test_strength_slider_updates_preview_and_save_rewrites(qtbot, make_window, make_photo):
    window = make_window()
    tab, c = window.colorize_tab, window.colorize_tab.controller
    photo = make_photo("portrait.png", size=(320, 240))
    item = tab.add_paths([photo])[0]
    c.start()
    wait_batch_end(qtbot, c)
    tab.select_item(item)
    qtbot.waitUntil(lambda: tab.viewer.has_after() and tab.display.after_state is not None, timeout=10_000)
    strong = colourfulness(item.output)

    def saturation(image: QImage) -> float:
        arr = np.frombuffer(image.convertToFormat(QImage.Format.Format_RGB888).constBits(), np.uint8)
        arr = arr[: image.height() * image.bytesPerLine()].reshape(image.height(), -1)[:, : image.width() * 3]
        rgb = arr.reshape(image.height(), image.width(), 3).astype(np.int16)
        return float(np.abs(rgb[..., 0] - rgb[..., 2]).mean())

    shown = tab.viewer._after.toImage()
    with qtbot.waitSignal(tab.display.renderer.rendered, timeout=10_000,
                          check_params_cb=lambda i, img, s, fast: i == item.id and s == pytest.approx(0.3)):
        tab.settings_panel.strength_slider.setValue(30)
    qtbot.waitUntil(lambda: tab.display.after_state is not None and tab.display.after_state[0] == pytest.approx(0.3),
                    timeout=10_000)
    assert saturation(tab.viewer._after.toImage()) < 0.6 * saturation(shown)
    assert item.has_unsaved_changes and "unsaved" in item.status_text().lower()
    assert tab.act_save.isEnabled()

    with qtbot.waitSignal(c.save_finished, timeout=20_000):
        tab.act_save.trigger()
    assert not item.has_unsaved_changes
    assert colourfulness(item.output) < 0.6 * strong       # the file now has the new strength
    assert len(list(photo.parent.glob("portrait_color*"))) == 1   # rewritten in place, not duplicated


def test_save_as_never_overwrites_an_original(qtbot, make_window, make_photo, tmp_path):
    window = make_window()
    tab, c = window.colorize_tab, window.colorize_tab.controller
    a = make_photo("a.png", size=(96, 64))
    b = make_photo("b.png", size=(96, 64))
    items = tab.add_paths([a, b])
    c.start()
    wait_batch_end(qtbot, c)
    original = b.read_bytes()
    assert c.save_as(items[0], b) is not None               # refused: b.png is one of the originals
    assert b.read_bytes() == original
    copy = tmp_path / "copies" / "a-copy.jpg"
    with qtbot.waitSignal(c.save_finished, timeout=20_000):
        assert c.save_as(items[0], copy) is None
    with Image.open(copy) as im:
        assert im.format == "JPEG" and im.size == (96, 64)


def test_settings_survive_restart(qtbot, make_window, tmp_path):
    window = make_window()
    tab = window.colorize_tab
    panel = tab.settings_panel
    panel.set_output_folder(str(tmp_path / "colour"))
    panel.saving.format_combo.setCurrentIndex(panel.saving.format_combo.findData("png"))
    panel.saving.format_combo.activated.emit(panel.saving.format_combo.currentIndex())
    panel.saving.suffix_edit.setText("_tinted")
    panel.saving.suffix_edit.textEdited.emit("_tinted")
    panel.saving.exists_combo.setCurrentIndex(panel.saving.exists_combo.findData("skip"))
    panel.saving.exists_combo.activated.emit(panel.saving.exists_combo.currentIndex())
    panel.detail_combo.setCurrentIndex(panel.detail_combo.findData(512))
    panel.detail_combo.activated.emit(panel.detail_combo.currentIndex())
    panel.default_strength.setValue(135)                  # the strength new photos start with
    tab.act_mode_side.trigger()
    window.resize(900, 650)      # fits the offscreen screen (800 x 800; Qt keeps restored windows on screen)
    window.close()

    saved, problem = load_settings()
    assert problem is None and saved.suffix == "_tinted"
    again = make_window()
    s = again.settings
    assert (s.output_mode, Path(s.output_dir), s.format, s.suffix, s.if_exists, s.render_size) == \
        ("folder", tmp_path / "colour", "png", "_tinted", "skip", 512)
    assert s.strength == pytest.approx(1.35)
    p = again.colorize_tab.settings_panel
    assert p.saving.suffix_edit.text() == "_tinted" and p.default_strength.value() == 135
    assert p.saving.format_combo.currentData() == "png" and p.saving.folder_edit.text() == str(tmp_path / "colour")
    assert again.colorize_tab.viewer.mode() is CompareMode.SIDE_BY_SIDE
    assert again.height() == 650


def test_damaged_settings_file_falls_back_to_defaults(qtbot, make_window):
    from colorizer_gui.qt_main_window import MainWindow
    from engine.catalog import user_config_dir

    user_config_dir().mkdir(parents=True, exist_ok=True)
    (user_config_dir() / "gui-settings.json").write_text("{ not json")
    window = MainWindow(load_model=False)           # reads the file itself
    qtbot.addWidget(window)
    assert window.settings.suffix == "_color"
    assert "could not be read" in window.colorize_tab.log_panel.plain_text()
    window.close()
    save_settings(GuiSettings(suffix="_x", strength=9.0, format="bmp"))    # out-of-range values
    s, _ = load_settings()
    assert (s.suffix, s.strength, s.format) == ("_x", 1.0, "")


# --- closing and model problems ------------------------------------------------------------------------


def test_window_closes_cleanly_during_batch(qtbot, make_window, make_photo, tmp_path):
    window = make_window()
    tab, c = window.colorize_tab, window.colorize_tab.controller
    folder = tmp_path / "closing"
    photos = [make_photo(f"c{i}.png", size=(1600, 1200), folder=folder) for i in range(5)]
    tab.add_paths(photos)
    c.start()
    qtbot.waitUntil(lambda: any(i.status is PhotoStatus.WORKING for i in c.queue.items), timeout=BATCH_TIMEOUT)
    asked = []
    window.ask_stop_batch = lambda: asked.append(True) or True
    started = time.monotonic()
    assert window.close()
    assert asked and not window.isVisible()
    assert time.monotonic() - started < 5
    assert not c.engine.running                                        # the engine thread has stopped
    assert all(i.status in (PhotoStatus.DONE, PhotoStatus.CANCELLED) for i in c.queue.items)
    assert not partial_files(folder)
    for i in c.queue.items:
        if i.status is PhotoStatus.DONE:
            with Image.open(i.output) as im:
                im.load()


def test_application_quit_stops_the_engine_without_close_event(qtbot, make_window, make_photo):
    window = make_window()
    c = window.colorize_tab.controller
    window.colorize_tab.add_paths([make_photo(f"s{i}.png", size=(1200, 900)) for i in range(3)])
    c.start()
    window._on_app_about_to_quit()          # what QApplication.aboutToQuit runs (logout, app.quit())
    assert not c.engine.running
    assert all(i.status in (PhotoStatus.DONE, PhotoStatus.CANCELLED) for i in c.queue.items)


def test_close_can_be_refused_while_colorizing(qtbot, make_window, make_photo, tmp_path):
    window = make_window()
    c = window.colorize_tab.controller
    window.colorize_tab.add_paths([make_photo(f"r{i}.png", size=(1200, 900)) for i in range(3)])
    c.start()
    window.ask_stop_batch = lambda: False
    assert not window.close()
    assert window.isVisible() and c.running
    c.cancel()
    wait_batch_end(qtbot, c)


def test_missing_model_explains_what_to_do(qtbot, make_window, make_photo, tmp_path, monkeypatch):
    import engine.catalog

    empty = tmp_path / "no-bundled-models"
    empty.mkdir()
    monkeypatch.setattr(engine.catalog, "bundled_models_dir", lambda: empty)
    (user_models_dir() / "tiny.safetensors").unlink()
    window = make_window(wait_model=False, model="")
    tab = window.colorize_tab
    qtbot.waitUntil(lambda: window.model_problem_box is not None and window.model_problem_box.isVisible(),
                    timeout=30_000)
    box = window.model_problem_box
    assert "can't find its colour model" in box.text() and "Import model" in box.informativeText()
    assert not tab.controller.model_ready and "No colour model" in window.model_label.text()
    tab.add_paths([make_photo("waiting.png")])                       # photos can still be added
    assert not tab.act_start.isEnabled()
    box.close()


def test_broken_model_file_gives_a_dialog_then_import_recovers(qtbot, make_window, tiny_model_path, tmp_path):
    bad = user_models_dir() / "broken.safetensors"
    bad.parent.mkdir(parents=True, exist_ok=True)
    bad.write_bytes(b"definitely not safetensors")
    window = make_window(wait_model=False, model=str(bad))
    qtbot.waitUntil(lambda: window.model_problem_box is not None and window.model_problem_box.isVisible(),
                    timeout=30_000)
    assert "could not be loaded" in window.model_problem_box.text()
    imported = window.import_model_file(tiny_model_path)
    assert imported is not None and imported.parent == user_models_dir()
    c = window.colorize_tab.controller
    qtbot.waitUntil(lambda: c.model_ready and not c.model_loading, timeout=30_000)
    assert "tiny" in window.model_label.text() and c.model_path == imported


def test_refresh_models_lists_a_new_user_model(qtbot, make_window, tiny_model_path):
    window = make_window()
    combo = window.colorize_tab.settings_panel.model_combo
    before = combo.count()
    (user_models_dir() / "family.safetensors").write_bytes(tiny_model_path.read_bytes())
    with qtbot.waitSignal(window.models_changed):
        window.refresh_models()
    assert combo.count() == before + 1
    assert combo.findText("family (yours)") >= 0


def test_version_flag(capsys):
    from colorizer_gui.app import main

    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.startswith("colorizer ")


def test_photos_opened_from_the_desktop_reach_the_queue_even_before_the_window(qtbot, make_photo):
    """macOS "Open With": FileOpen events, some sent while the app is still starting."""
    from PySide6.QtGui import QFileOpenEvent
    from PySide6.QtWidgets import QApplication

    from colorizer_gui.file_open_events import FileOpenForwarder
    from colorizer_gui.qt_main_window import MainWindow

    app = QApplication.instance()
    forwarder = FileOpenForwarder(app)
    early, late = make_photo("early.png"), make_photo("late.png")
    try:
        QApplication.sendEvent(app, QFileOpenEvent(str(early)))   # no window yet: kept
        window = MainWindow(load_model=False)
        qtbot.addWidget(window)
        assert len(window.colorize_tab.queue) == 0
        forwarder.attach(window.add_paths)
        QApplication.sendEvent(app, QFileOpenEvent(str(late)))
        names = [item.path.name for item in window.colorize_tab.queue.items]
        assert names == ["early.png", "late.png"]
    finally:
        app.removeEventFilter(forwarder)
        forwarder.deleteLater()
