"""Colour hints in the Colorize workspace (issue #6): glue between the viewer, the queue and the engine.

- `HintOverlay` reports gestures on the viewer (place, move, remove, edit);
- `HintStore` turns them into undoable edits of `PhotoItem.hints` (the batch reads those);
- `HintPreviewWorker` re-predicts the photo's colours off the UI thread, newest state only;
- the result becomes the item's chroma, and the tab's own preview path renders it.

Around it: the colour chooser's flow (what it offers, the photo previewing each colour tried)
is color_choice.py; hint files and project files with their dialogs are qt_hint_files.py.

Importing this loads no torch (the window is built before the model loads): the colours a
hint is shown in are computed with `engine.hint_suggestions`, imported where they are needed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu

from colorizer_gui.hints.color_choice import ChooseColor, ColorChoice
from colorizer_gui.hints.edit_history import HintStore
from colorizer_gui.hints.preview_worker import HintPreviewWorker, HintRequest, HintResult
from colorizer_gui.hints.qt_hint_files import HintFiles
from colorizer_gui.hints.qt_overlay import HintOverlay
from engine.hint_files import Hint


class HintController(QObject):
    """Owns the hint actions of a `ColorizeTab`.

    Signals
    -------
    preview_updated(int item_id, float seconds)
        a hint edit's new colours reached the photo's item (seconds since the edit).
    """

    preview_updated = Signal(int, float)

    def __init__(self, tab) -> None:
        super().__init__(tab)
        self.tab = tab
        panel = tab.settings_panel
        self.store = HintStore(on_change=self._on_hints_changed, current_settings=panel.undoable_values,
                               on_settings_restore=panel.restore)
        panel.settings_edited.connect(self._on_settings_edited)
        # Set by the window when it has a Fine-tune tab: whether a training process is computing.
        self.training_busy: Callable[[], bool] = lambda: False
        self.worker = HintPreviewWorker(lambda: tab.controller.engine.colorizer, self,
                                        busy=lambda: tab.controller.computing() or self.training_busy())
        self.worker.ready.connect(self._on_worker_ready)
        self.worker.failed.connect(self._on_worker_failed)
        self.overlay = HintOverlay(tab.viewer, self._current_hints)
        self.overlay.place, self.overlay.move = self.place_hint, self.move_hint
        self.overlay.remove, self.overlay.edit = self.remove_hint, self.edit_hint
        self.last_latency: float | None = None
        self.choice = ColorChoice(tab, self.worker, self._request, self._on_hints_changed)
        # Replaceable in tests and scripts: the real chooser unless one answers for it
        self.choose_color: ChooseColor = self.choice.open_dialog
        self.files = HintFiles(tab, self.store)
        self._build_actions()
        tab.queue_view.selectionModel().currentChanged.connect(lambda *_: self._on_current_changed())
        tab.controller.model_state_changed.connect(self._on_model_changed)
        self._update_actions()

    # --- actions ---------------------------------------------------------------------------------

    def _action(self, text: str, slot, shortcut=None, tip: str = "", checkable: bool = False) -> QAction:
        action = QAction(text, self.tab)
        if shortcut:
            action.setShortcuts([QKeySequence(s) for s in (shortcut if isinstance(shortcut, list) else [shortcut])])
        action.setCheckable(checkable)
        keys = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        tip = tip or text.replace("…", "")
        action.setToolTip(f"{tip} ({keys})" if keys else tip)
        action.setStatusTip(tip)
        (action.toggled if checkable else action.triggered).connect(slot)
        self.tab.addAction(action)
        return action

    def _build_actions(self) -> None:
        A = self._action
        self.act_mode = A("Colour hints", self.set_hint_mode, "H",
                          "Hint mode: click the photo to say what colour something is", checkable=True)
        self.act_undo = A("Undo", self.undo, QKeySequence.StandardKey.Undo,
                          "Undo the last change: the selected photo's hints or strength, or a setting such as Detail")
        self.act_redo = A("Redo", self.redo, _redo_keys(), "Redo the change just undone")
        self.act_clear = A("Clear hints", self.clear_hints, None, "Remove every hint from this photo")
        self.act_export = A("Export hints…", self.files.export_hints, None,
                            "Write each photo's hints as <photo name>.json, for colorize --hints-dir")
        self.act_import = A("Import hints…", self.files.import_hints, None,
                            "Read <photo name>.json hint files for the photos in the queue")
        self.act_reference = A("Use colours from a reference photo…", self.choice.choose_reference, None,
                               "Offer the main colours of another colour photo as hint colours")
        # No shortcut: Ctrl+Shift+S is Save as… (issue 13 found both on it, so neither worked)
        self.act_save_project = A("Save project…", self.files.save_project_dialog, None,
                                  "Save the queue with every photo's hints and strength")
        self.act_open_project = A("Open project…", self.files.open_project_dialog, None,
                                  "Open a saved project: its photos, hints and strengths")
        toolbar = self.tab.toolbar
        toolbar.addSeparator()
        for a in (self.act_mode, self.act_undo, self.act_redo, self.act_clear):
            toolbar.addAction(a)

    def populate_menu(self, menu: QMenu) -> None:
        """The Hints menu (Undo/Redo are in the Edit menu, Open/Save project in the File menu)."""
        for a in (self.act_mode, self.act_clear, None, self.act_reference, None, self.act_export,
                  self.act_import):
            menu.addSeparator() if a is None else menu.addAction(a)

    def _update_actions(self) -> None:
        item = self.tab.current_item()
        has = item is not None
        self.act_undo.setEnabled(self.store.can_undo(item))
        self.act_redo.setEnabled(self.store.can_redo(item))
        self.act_undo.setText(f"Undo {self.store.undo_label(item).lower()}" if self.store.can_undo(item)
                              else "Undo")
        self.act_redo.setText(f"Redo {self.store.redo_label(item).lower()}" if self.store.can_redo(item)
                              else "Redo")
        for action, word in ((self.act_undo, "Undo"), (self.act_redo, "Redo")):
            action.setIconText(word)   # the toolbar keeps its width; the Edit menu says what is undone
        self.act_clear.setEnabled(has and bool(item.hints))
        self.act_export.setEnabled(any(i.hints for i in self.tab.queue.items))
        self.act_import.setEnabled(len(self.tab.queue) > 0)
        self.act_save_project.setEnabled(len(self.tab.queue) > 0)

    # --- hint mode and the current photo ---------------------------------------------------------------

    def _current_hints(self) -> list[Hint]:
        item = self.tab.current_item()
        return list(item.hints) if item is not None else []

    def set_hint_mode(self, on: bool) -> None:
        if self.act_mode.isChecked() != bool(on):
            self.act_mode.setChecked(bool(on))  # comes back here through toggled
            return
        self.overlay.set_enabled(on)
        if on:
            self._prepare_current()
            self.tab.status_message.emit("Hint mode: click the photo to place a colour hint; drag to move it, "
                                         "right-click or Delete to remove it", 6000)

    def _prepare_current(self) -> None:
        item = self.tab.current_item()
        c = self.tab.controller
        if item is None or not c.model_ready:
            return
        if self.worker.latest(item.id) is None or self.worker.latest(item.id).hints != tuple(item.hints):
            self._request(item)
        else:
            self.worker.prepare(item.id, item.path, c.settings.render_size, c.batch_settings().max_pixels, c.model_id)

    def _on_current_changed(self) -> None:
        self.overlay.selected = None
        if self.overlay.enabled:
            self._prepare_current()
        self._update_actions()
        self.tab.viewer.update()

    def _on_model_changed(self) -> None:
        self.worker.reset()
        if self.overlay.enabled:
            self._prepare_current()

    # --- edits (also the public API for tests) -------------------------------------------------------

    def place_hint(self, x: float, y: float, color: str | None = None) -> int | None:
        item = self.tab.current_item()
        if item is None:
            return None
        if color is None:
            color = self.choice.ask(self.choose_color, item, None, float(x), float(y), self.store.recent_colors)
            if not color:
                return None
        index = self.store.add(item, Hint(float(x), float(y), color.lower()))
        self.overlay.set_selected(index)
        return index

    def edit_hint(self, index: int, color: str | None = None) -> None:
        item = self.tab.current_item()
        if item is None or not 0 <= index < len(item.hints):
            return
        hint = item.hints[index]
        if color is None:
            color = self.choice.ask(self.choose_color, item, index, hint.x, hint.y, self.store.recent_colors)
            if not color:
                return
        self.store.recolor(item, index, color)
        self.overlay.set_selected(index)

    def move_hint(self, index: int, x: float, y: float) -> None:
        item = self.tab.current_item()
        if item is not None and 0 <= index < len(item.hints):
            self.store.move(item, index, x, y)
            self.overlay.set_selected(index)

    def remove_hint(self, index: int) -> None:
        item = self.tab.current_item()
        if item is not None and 0 <= index < len(item.hints):
            self.store.remove(item, index)

    def clear_hints(self) -> None:
        item = self.tab.current_item()
        if item is not None:
            self.store.clear(item)

    def undo(self) -> None:
        self.store.undo(self.tab.current_item())   # a setting can be undone with no photo selected
        self._update_actions()

    def redo(self) -> None:
        self.store.redo(self.tab.current_item())
        self._update_actions()

    def _on_settings_edited(self, before: dict, label: str, merge: bool) -> None:
        self.store.record_settings(before, label, merge=merge)
        self._update_actions()

    # --- re-colorizing -----------------------------------------------------------------------------------

    def _request(self, item) -> None:
        c = self.tab.controller
        self.worker.request(HintRequest(item.id, item.path, tuple(item.hints), c.settings.render_size,
                                        c.batch_settings().max_pixels, c.model_id))

    def _on_hints_changed(self, item) -> None:
        if self.overlay.selected is not None and self.overlay.selected >= len(item.hints):
            self.overlay.selected = None
        c = self.tab.controller
        if c.model_ready and (item.chroma_key is None or item.chroma_key.hints != tuple(item.hints)):
            self._request(item)   # an undone strength change needs no new prediction
        # structural: new hints make a saved photo "unsaved", so Save must be enabled right away
        # (not only once the preview lands); Ctrl+S straight after an edit predicts the photo anew
        self.tab.on_item_adjusted(item)
        self.tab.viewer.update()
        self._update_actions()

    def _on_worker_ready(self, result: HintResult) -> None:
        req = result.request
        item = self.tab.queue.item_by_id(req.item_id)
        c = self.tab.controller
        if (item is None or tuple(item.hints) != req.hints or req.model_id != c.model_id
                or req.render_size != c.settings.render_size):
            return  # stale: a newer request is (or will be) on its way
        item.chroma = result.prediction.chroma
        item.chroma_key = c.chroma_key(item)
        self.last_latency = time.perf_counter() - req.submitted
        self.tab.queue.refresh(item)
        c.preview_ready.emit(item.id)
        self.preview_updated.emit(item.id, self.last_latency)

    def _on_worker_failed(self, result: HintResult) -> None:
        if result.message:
            self.tab.activity.report("warning", f"Could not update the hint preview: {result.message.splitlines()[0]}")

    # --- files (qt_hint_files.py; here too for the scripts and tests that drive the hint tool) --------------

    def export_hints_to(self, folder: Path, items: Iterable | None = None) -> list[Path]:
        return self.files.export_hints_to(folder, items)

    def import_hints_from(self, folder: Path) -> int:
        return self.files.import_hints_from(folder)

    def save_project_to(self, path: Path) -> None:
        self.files.save_project_to(path)

    def open_project_from(self, path: Path) -> int:
        return self.files.open_project_from(path)

    def close(self) -> None:
        self.worker.close()


def _redo_keys() -> list:
    """Redo's standard keys plus Ctrl+Y, without listing one twice (Windows' standard is Ctrl+Y)."""
    keys = [QKeySequence(k) for k in QKeySequence.keyBindings(QKeySequence.StandardKey.Redo)]
    if QKeySequence("Ctrl+Y") not in keys:
        keys.append(QKeySequence("Ctrl+Y"))
    return keys

