"""Colour hints in the Colorize tab: place/drag/delete in the viewer, undo/redo, coalescing, files."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import torch
from hint_models import make_hint_following_model
from PIL import Image
from PySide6.QtCore import QPointF, Qt

from colorizer_gui.hints.edit_history import HintStore
from colorizer_gui.hints.preview_worker import HintPreviewWorker, HintRequest
from colorizer_gui.hints.qt_overlay import viewer_point
from engine import cli
from engine.devices import threads_are_per_thread
from engine.hints import Hint, color_ab
from engine.infer import Colorizer
from engine.weights import ModelInfo, save_model

BLUE = "#2050d0"
SIZE = (256, 192)


@pytest.fixture
def hint_model_path(tmp_path):
    path = tmp_path / "hinty.safetensors"
    save_model(make_hint_following_model(), ModelInfo(name="hinty", description="follows hints"), path)
    return path


@pytest.fixture
def tab(qtbot, hint_model_path, make_photo):
    from colorizer_gui.settings import GuiSettings
    from colorizer_gui.workspace.qt_colorize_tab import ColorizeTab

    settings = GuiSettings()
    t = ColorizeTab(settings)
    qtbot.addWidget(t)
    t.resize(1300, 850)
    t.show()
    t.controller.load_model(str(hint_model_path), "cpu")
    qtbot.waitUntil(lambda: t.controller.model_ready, timeout=30000)
    item = t.add_paths([make_photo("portrait.png", size=SIZE)])[0]
    t.select_item(item)
    qtbot.waitUntil(lambda: item.chroma is not None, timeout=30000)
    qtbot.waitUntil(lambda: t.viewer.has_after(), timeout=30000)
    yield t
    t.close_down()


def ab_at(chroma, x, y, size=SIZE):
    ab = getattr(chroma, "ab", chroma)
    h, w = ab.shape[-2:]
    return ab[:, int(y * h / size[1]), int(x * w / size[0])].numpy()


def test_store_undo_redo_per_photo():
    class Item:
        def __init__(self, i):
            self.id, self.hints = i, []

    changes = []
    store = HintStore(on_change=lambda it: changes.append(it.id))
    a, b = Item(1), Item(2)
    store.add(a, Hint(1, 2, "#ff0000"))
    store.move(a, 0, 5, 6)
    store.add(b, Hint(3, 3, "#00ff00"))
    assert a.hints == [Hint(5, 6, "#ff0000")]
    assert store.undo(a) and a.hints == [Hint(1, 2, "#ff0000")]
    assert store.undo(a) and a.hints == []
    assert not store.undo(a)
    assert b.hints == [Hint(3, 3, "#00ff00")]          # other photos untouched
    assert store.redo(a) and a.hints == [Hint(1, 2, "#ff0000")]
    store.clear(a)
    assert a.hints == [] and not store.can_redo(a)      # a new edit drops the redo branch
    assert store.undo(a) and a.hints == [Hint(1, 2, "#ff0000")]
    assert store.recent_colors[:2] == ["#00ff00", "#ff0000"]
    assert changes


def test_store_undoes_the_newest_step_of_the_photo_or_the_window_settings():
    class Item:
        def __init__(self, i):
            self.id, self.hints, self.strength = i, [], 1.0

    window = {"render_size": 256, "suffix": "_color"}
    restored = []

    def restore(values):
        restored.append(dict(values))
        window.update(values)

    store = HintStore(current_settings=lambda: dict(window), on_settings_restore=restore)
    photo, other = Item(1), Item(2)
    store.add(photo, Hint(1, 2, "#ff0000"))                        # step 1: the photo
    window["render_size"] = 384
    store.record_settings({"render_size": 256}, "Detail change")   # step 2: the window
    assert store.undo_label(photo) == "Detail change" and store.undo_label(None) == "Detail change"
    assert store.undo(photo) and window["render_size"] == 256 and photo.hints  # newest first
    assert store.undo_label(photo) == "Add hint" and store.redo_label(photo) == "Detail change"
    assert store.undo(photo) and photo.hints == []
    assert not store.undo(photo) and not store.can_undo(other)
    assert store.redo_label(photo) == "Add hint"                    # the one undone last comes back first
    assert store.redo(photo) and photo.hints and window["render_size"] == 256
    assert store.redo(None) and window["render_size"] == 384        # settings redo with no photo selected
    assert restored == [{"render_size": 256}, {"render_size": 384}]

    # Typing is one step when asked to merge, and only while nothing else happened in between.
    for text in ("_c", "_co", "_col"):
        before = window["suffix"]
        window["suffix"] = text
        store.record_settings({"suffix": before}, "Name ending change", merge=True)
    assert store.undo(None) and window["suffix"] == "_color"
    window["render_size"] = 512
    store.record_settings({"render_size": 384}, "Detail change", merge=True)
    window["render_size"] = 192
    store.record_settings({"render_size": 512}, "Detail change")   # not merged: two steps
    assert store.undo(None) and window["render_size"] == 512
    assert store.undo(None) and window["render_size"] == 384


def test_worker_coalesces_rapid_edits(qtbot, make_photo):
    colorizer = Colorizer(make_hint_following_model(), device="cpu")
    worker = HintPreviewWorker(lambda: colorizer)
    results = []
    worker.ready.connect(results.append)
    path = make_photo("p.png", size=SIZE)
    for i in range(12):
        worker.request(HintRequest(1, path, (Hint(10 + 10 * i, 50, BLUE),), 512))
    qtbot.waitUntil(lambda: worker.idle() and bool(results), timeout=30000)
    qtbot.wait(50)
    assert worker.computed <= 3                     # the first, maybe one in between, and the last
    assert results[-1].request.hints == (Hint(120, 50, BLUE),)
    assert len(results) <= worker.computed          # superseded results are never shown
    worker.close()


def test_place_drag_delete_undo_in_the_viewer(qtbot, tab, tmp_path):
    item = tab.current_item()
    auto = item.chroma.ab.clone()
    hints = tab.hints
    asked = []

    def choose(initial, lightness, suggestions, recent, reference):
        asked.append((initial, lightness, suggestions))
        return BLUE

    hints.choose_color = choose
    hints.act_mode.setChecked(True)
    assert hints.overlay.enabled
    qtbot.waitUntil(lambda: hints.worker.idle(), timeout=30000)
    view = tab.viewer
    pos = viewer_point(view, 180, 70)   # away from the split divider in the middle
    with qtbot.waitSignal(hints.preview_updated, timeout=30000):
        qtbot.mouseClick(view, Qt.MouseButton.LeftButton, pos=pos.toPoint())
    assert len(item.hints) == 1
    assert abs(item.hints[0].x - 180) < 2 and abs(item.hints[0].y - 70) < 2
    initial, lightness, suggestions = asked[0]
    assert suggestions and suggestions[0] == initial and 0 <= lightness <= 100
    target = np.array(color_ab(BLUE))
    near = ab_at(item.chroma, 180, 70)
    assert np.linalg.norm(near - target) < 0.35 * np.linalg.norm(ab_at(auto, 180, 70) - target)
    assert hints.last_latency is not None
    qtbot.waitUntil(lambda: item.chroma_key == tab.controller.chroma_key(item), timeout=5000)
    assert not tab.controller.needs_preview(item)

    # drag the marker to a new place
    start = viewer_point(view, item.hints[0].x, item.hints[0].y).toPoint()
    end = viewer_point(view, 60, 60).toPoint()
    with qtbot.waitSignal(hints.preview_updated, timeout=30000):
        qtbot.mousePress(view, Qt.MouseButton.LeftButton, pos=start)
        qtbot.mouseMove(view, QPointF((start.x() + end.x()) / 2, (start.y() + end.y()) / 2).toPoint())
        qtbot.mouseMove(view, end)
        qtbot.mouseRelease(view, Qt.MouseButton.LeftButton, pos=end)
    assert len(item.hints) == 1 and abs(item.hints[0].x - 60) < 2 and abs(item.hints[0].y - 60) < 2
    assert np.linalg.norm(ab_at(item.chroma, 60, 60) - target) < 25

    # Delete removes the selected hint and restores the automatic colours
    view.setFocus()
    with qtbot.waitSignal(hints.preview_updated, timeout=30000):
        qtbot.keyClick(view, Qt.Key.Key_Delete)
    assert item.hints == []
    assert len(tab.queue) == 1                        # the photo itself stayed in the queue
    np.testing.assert_array_equal(item.chroma.ab.numpy(), auto.numpy())

    # undo brings the moved hint back, redo removes it again
    with qtbot.waitSignal(hints.preview_updated, timeout=30000):
        hints.act_undo.trigger()
    assert len(item.hints) == 1 and abs(item.hints[0].x - 60) < 2
    with qtbot.waitSignal(hints.preview_updated, timeout=30000):
        hints.act_undo.trigger()
    assert abs(item.hints[0].x - 180) < 2
    with qtbot.waitSignal(hints.preview_updated, timeout=30000):
        hints.act_redo.trigger()
    assert abs(item.hints[0].x - 60) < 2

    # right-click removes
    with qtbot.waitSignal(hints.preview_updated, timeout=30000):
        qtbot.mouseClick(view, Qt.MouseButton.RightButton, pos=viewer_point(view, 60, 60).toPoint())
    assert item.hints == []


def test_export_import_project_and_cli_match_gui(qtbot, tab, tmp_path, hint_model_path):
    item = tab.current_item()
    hints = tab.hints
    with qtbot.waitSignal(hints.preview_updated, timeout=30000):
        hints.place_hint(128, 96, BLUE)
    with qtbot.waitSignal(hints.preview_updated, timeout=30000):
        hints.place_hint(40, 150, "#30a040")
    placed = list(item.hints)

    folder = tmp_path / "hints"
    written = hints.export_hints_to(folder)
    assert [p.name for p in written] == ["portrait.json"]

    # the GUI's saved output equals the CLI's with the exported hints
    from engine.photo_io import read_photo

    gui_rgb = tab.controller.engine.colorizer.render(read_photo(item.path).lightness, item.chroma, 1.0)
    out = tmp_path / "out"
    assert cli.main([str(item.path), "-o", str(out), "--model", str(hint_model_path), "--hints-dir", str(folder),
                     "--device", "cpu", "-q"]) == 0
    np.testing.assert_array_equal(np.asarray(Image.open(out / "portrait_color.png").convert("RGB")), gui_rgb)

    # clear, then import them back
    with qtbot.waitSignal(hints.preview_updated, timeout=30000):
        hints.act_clear.trigger()
    assert item.hints == []
    with qtbot.waitSignal(hints.preview_updated, timeout=30000):
        assert hints.import_hints_from(folder) == 1
    assert [(round(h.x, 2), round(h.y, 2), h.color) for h in item.hints] == \
        [(round(h.x, 2), round(h.y, 2), h.color) for h in placed]

    # a project file keeps the photo with its hints and strength
    item.strength = 1.3
    project = tmp_path / "p.colorizer.json"
    hints.save_project_to(project)
    tab.queue.remove_ids([item.id])
    assert len(tab.queue) == 0
    assert hints.open_project_from(project) == 1
    again = tab.queue.items[0]
    assert again.hints == item.hints and abs(again.strength - 1.3) < 1e-6


def _rgb(path) -> np.ndarray:
    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"))


def _let_batch_finish(qtbot, tab):
    """The fixture's photo was colorized by the batch its adding started; wait for that to end."""
    c = tab.controller
    qtbot.waitUntil(lambda: not c.running and not c.is_busy(), timeout=30000)
    tab.settings.auto_start = False


def _add_unsaved(qtbot, tab, photo):
    """Add a photo without colorizing it (the fixture's settings start batches on their own)."""
    _let_batch_finish(qtbot, tab)
    item = tab.add_paths([photo])[0]
    tab.select_item(item)
    qtbot.waitUntil(lambda: item.chroma is not None and tab.controller.current_chroma(item) is not None,
                    timeout=30000)
    return item


def test_save_reuses_the_hint_preview_and_predicts_again_after_a_change(qtbot, tab, make_photo):
    from colorizer_gui.workspace.photo_queue import PhotoStatus
    from engine.photo_io import read_photo

    hints, c = tab.hints, tab.controller
    item = _add_unsaved(qtbot, tab, make_photo("unsaved.png", size=SIZE))
    assert item.status is PhotoStatus.QUEUED and item.output is None
    with qtbot.waitSignal(hints.preview_updated, timeout=30000):
        hints.place_hint(128, 96, BLUE)
    qtbot.waitUntil(hints.worker.idle, timeout=30000)
    previewed = item.chroma
    assert c.current_chroma(item) is previewed
    # a settings change makes the preview stale: it is not what the network would predict now
    default = c.settings.render_size
    c.settings.render_size = default * 2
    assert c.current_chroma(item) is None
    c.settings.render_size = default
    assert c.current_chroma(item) is previewed

    colorizer = c.engine.colorizer
    lightness = read_photo(item.path).lightness
    passes: list[str] = []   # network passes outside the hint preview thread
    handle = colorizer.net.register_forward_hook(
        lambda *_: passes.append(threading.current_thread().name) if
        threading.current_thread().name != "colorizer-hints" else None)
    try:
        # 1. first save of a photo whose hint preview is current: written from the preview
        assert tab.act_save.isEnabled()
        with qtbot.waitSignal(c.item_finished, timeout=30000):
            tab.act_save.trigger()
        assert item.status is PhotoStatus.DONE and item.output.is_file()
        assert passes == []
        first = _rgb(item.output)
        np.testing.assert_array_equal(first, colorizer.render(lightness, previewed, item.strength))

        # 2. a hint changed after the preview and saved at once: predicted again for the new hints
        hints.edit_hint(0, "#30a040")
        assert tab.act_save.isEnabled()
        with qtbot.waitSignal(c.item_finished, timeout=30000):
            tab.act_save.trigger()
        assert passes                                     # the engine ran the network
        assert item.saved_hints == (Hint(128, 96, "#30a040"),)
        second = _rgb(item.output)
        assert not np.array_equal(second, first)
        expected = colorizer.render(lightness, colorizer.predict_chroma(read_photo(item.path), list(item.hints)))
        np.testing.assert_array_equal(second, expected)

        # 3. a saved photo, hint edited and previewed, saved again: written from that preview
        qtbot.waitUntil(hints.worker.idle, timeout=30000)
        passes.clear()
        with qtbot.waitSignal(hints.preview_updated, timeout=30000):
            hints.move_hint(0, 60, 60)
        qtbot.waitUntil(hints.worker.idle, timeout=30000)
        assert c.current_chroma(item) is item.chroma and item.has_unsaved_changes
        previewed = item.chroma
        with qtbot.waitSignal(c.save_finished, timeout=30000):
            tab.act_save.trigger()
        assert passes == []
        assert not item.has_unsaved_changes
        third = _rgb(item.output)
        np.testing.assert_array_equal(third, colorizer.render(lightness, previewed, item.strength))
        assert not np.array_equal(third, second)
    finally:
        handle.remove()


@pytest.mark.parametrize("previewed", [True, False], ids=["from-hint-preview", "predicted-in-batch"])
def test_colorize_all_uses_each_photos_own_hints(qtbot, tab, make_photo, tmp_path, hint_model_path, previewed):
    """Two photos, hints on one (imported from a hints folder, as for a batch), Colorize all.

    previewed: the hinted photo's hint preview is current, and the batch writes it; otherwise
    the render size changes before that preview lands, so the batch must predict with the hints.
    """
    from colorizer_gui.workspace.photo_queue import PhotoStatus
    from engine.color import rgb_to_lab_np
    from engine.hints import save_hints

    _let_batch_finish(qtbot, tab)
    plain_photo, hinted_photo = tab.add_paths([make_photo("plain.png", size=SIZE),
                                               make_photo("street.png", size=(192, 128))])
    folder = tmp_path / "hint-files"
    folder.mkdir()
    save_hints([Hint(150, 60, BLUE)], folder / "street.json")
    assert tab.hints.import_hints_from(folder) == 1
    assert hinted_photo.hints == [Hint(150, 60, BLUE)] and plain_photo.hints == []

    c = tab.controller
    if previewed:
        qtbot.waitUntil(lambda: c.current_chroma(hinted_photo) is not None, timeout=30000)
    else:
        c.settings.render_size = 384   # the preview requested at the default size no longer counts
    render_size = c.settings.render_size
    assert tab.act_start.isEnabled()
    tab.act_start.trigger()
    qtbot.waitUntil(lambda: not c.running and all(i.status is PhotoStatus.DONE
                                                  for i in (plain_photo, hinted_photo)), timeout=60000)

    unhinted = tmp_path / "unhinted"
    assert cli.main([str(plain_photo.path), str(hinted_photo.path), "-o", str(unhinted),
                     "--model", str(hint_model_path), "--device", "cpu", "--render-size", str(render_size),
                     "-q"]) == 0

    def ab(rgb, x, y, r=2):
        patch = rgb[y - r: y + r + 1, x - r: x + r + 1].astype(np.float32) / 255
        return rgb_to_lab_np(patch)[..., 1:].reshape(-1, 2).mean(axis=0)

    target = np.array(color_ab(BLUE))
    hinted, auto = _rgb(hinted_photo.output), _rgb(unhinted / "street_color.png")
    assert np.linalg.norm(ab(hinted, 150, 60) - target) < 0.35 * np.linalg.norm(ab(auto, 150, 60) - target)
    # far from the hint, across a different grey, the colour moves much less than at the hint
    far, near = (np.linalg.norm(ab(hinted, x, y) - ab(auto, x, y)) for x, y in ((10, 120), (150, 60)))
    assert far < 0.25 * near
    # the photo without hints came out exactly as in an unhinted run
    np.testing.assert_array_equal(_rgb(plain_photo.output), _rgb(unhinted / "plain_color.png"))
    assert c.current_chroma(hinted_photo) is hinted_photo.chroma   # what the file was made from


@pytest.mark.skipif(not threads_are_per_thread(), reason="torch's thread count is process-wide in this build")
def test_preview_computes_on_one_thread_while_others_compute(qtbot, make_photo):
    colorizer = Colorizer(make_hint_following_model(), device="cpu")
    busy = {"now": False}
    before = torch.get_num_threads()
    torch.set_num_threads(2)   # a default of 2 (these tests run with 1) so that a limit of 1 shows
    worker = HintPreviewWorker(lambda: colorizer, busy=lambda: busy["now"])
    path = make_photo("p.png", size=SIZE)
    try:
        def preview(x: float) -> None:
            with qtbot.waitSignal(worker.ready, timeout=30000):
                worker.request(HintRequest(1, path, (Hint(x, 50, BLUE),), 256))

        assert worker.threads_for_preview() is None
        preview(10)
        assert worker.last_threads == 2

        busy["now"] = True     # a batch or a training started
        assert worker.threads_for_preview() == 1
        preview(20)
        assert worker.last_threads == 1
        # only the preview's own computation was limited: this thread and new threads keep 2
        assert torch.get_num_threads() == 2
        seen: list[int] = []
        other = threading.Thread(target=lambda: seen.append(torch.get_num_threads()))
        other.start()
        other.join()
        assert seen == [2]

        busy["now"] = False
        preview(30)
        assert worker.last_threads == 2
    finally:
        worker.close()
        torch.set_num_threads(before)


def test_batch_and_training_make_the_preview_use_one_thread(qtbot, tab, make_photo):
    hints, c = tab.hints, tab.controller
    _let_batch_finish(qtbot, tab)
    assert not c.computing() and hints.worker.threads_for_preview() is None
    hints.training_busy = lambda: True
    assert hints.worker.threads_for_preview() == 1
    hints.training_busy = lambda: False

    tab.add_paths([make_photo("next.png", size=SIZE)])
    assert c.start() and c.computing()
    assert hints.worker.threads_for_preview() == 1
    qtbot.waitUntil(lambda: not c.running and not c.is_busy(), timeout=30000)
    assert hints.worker.threads_for_preview() is None


def _drive_dialog_when_open(qtbot, parent, drive):
    """Run drive(dialog) once a HintColorDialog is shown (it runs its own modal loop).

    A repeating timer finds it whenever its exec() starts; anything that goes wrong is kept
    for the test and the dialog rejected, so a failure can never leave the test stuck in exec().
    """
    from PySide6.QtCore import QTimer

    from colorizer_gui.hints.qt_color_dialog import HintColorDialog

    state: dict = {"done": False, "error": None}
    timer = QTimer(parent)
    timer.setInterval(20)

    def poll() -> None:
        dialogs = [d for d in parent.findChildren(HintColorDialog) if d.isVisible()]
        if not dialogs:
            return
        timer.stop()
        dialog = dialogs[0]
        try:
            assert dialog.isModal()
            drive(dialog)
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            state["error"] = exc
            dialog.reject()
        state["done"] = True

    timer.timeout.connect(poll)
    timer.start()
    return state


def test_colour_chooser_by_mouse_prefilled_with_the_model_colour(qtbot, tab):
    from PySide6.QtWidgets import QDialogButtonBox

    from engine.hint_suggestions import with_lightness

    item, hints, view = tab.current_item(), tab.hints, tab.viewer
    _let_batch_finish(qtbot, tab)
    assert hints.choose_color == hints.choice.open_dialog        # the real dialog, not a stand-in
    with qtbot.waitSignal(hints.preview_updated, timeout=30000):  # hint mode predicts the photo
        hints.act_mode.setChecked(True)
    x, y = 180, 70
    model_ab = ab_at(item.chroma, x, y)           # what the viewer shows there before any hint
    seen: dict = {}

    def drive(dialog) -> None:
        seen["initial"] = dialog.chosen()
        seen["suggested"] = [s.color for s in dialog.rows["suggested"]]
        assert len(seen["suggested"]) >= 2
        qtbot.mouseClick(dialog.rows["suggested"][1], Qt.MouseButton.LeftButton)
        seen["picked"] = dialog.chosen()
        ok = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok)
        qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)

    state = _drive_dialog_when_open(qtbot, tab, drive)
    with qtbot.waitSignal(hints.preview_updated, timeout=30000):
        qtbot.mouseClick(view, Qt.MouseButton.LeftButton, pos=viewer_point(view, x, y).toPoint())
    assert state["done"] and state["error"] is None, state["error"]

    # pre-filled with the model's colour at that point (at the photo's lightness there)
    assert np.linalg.norm(np.array(color_ab(seen["initial"])) - model_ab) < 3
    assert seen["suggested"][0] == seen["initial"]
    # the swatch clicked is the hint's colour, exactly
    assert seen["picked"] == seen["suggested"][1] != seen["initial"]
    assert len(item.hints) == 1 and item.hints[0].color == seen["picked"]
    assert abs(item.hints[0].x - x) < 2 and abs(item.hints[0].y - y) < 2
    assert with_lightness(seen["picked"], hints.worker.session(item.id).lightness_at(x, y)) == seen["picked"]
    # and the preview follows: the colour there is now the chosen one
    picked_ab = np.array(color_ab(seen["picked"]))
    assert np.linalg.norm(ab_at(item.chroma, x, y) - picked_ab) < 3
    assert np.linalg.norm(model_ab - picked_ab) > 10

    # Cancel in the chooser places nothing
    state = _drive_dialog_when_open(qtbot, tab, lambda dialog: qtbot.mouseClick(
        dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Cancel), Qt.MouseButton.LeftButton))
    qtbot.mouseClick(view, Qt.MouseButton.LeftButton, pos=viewer_point(view, 60, 150).toPoint())
    assert state["done"] and state["error"] is None, state["error"]
    assert len(item.hints) == 1 and not hints.store.can_redo(item)
