"""Colour hints in the Colorize tab: place/drag/delete in the viewer, undo/redo, coalescing, files."""

from __future__ import annotations

import numpy as np
import pytest
from hint_models import make_hint_following_model
from PIL import Image
from PySide6.QtCore import QPointF, Qt

from colorizer_gui.hint_controller import viewer_point
from colorizer_gui.hint_preview_worker import HintPreviewWorker, HintRequest
from colorizer_gui.hint_state import HintStore
from engine import cli
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
    from colorizer_gui.colorize_tab import ColorizeTab
    from colorizer_gui.settings import GuiSettings

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

    gui_rgb = tab.controller.engine.worker.colorizer.render(read_photo(item.path).lightness, item.chroma, 1.0)
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
