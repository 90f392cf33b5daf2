"""Colour hints in the Colorize workspace (issue #6): glue between the viewer, the queue and the engine.

- `HintOverlay` reports gestures on the viewer (place, move, remove, edit);
- `HintStore` turns them into undoable edits of `PhotoItem.hints` (the batch reads those);
- `HintPreviewWorker` re-predicts the photo's colours off the UI thread, newest state only;
- the result becomes the item's chroma, and the tab's own preview path renders it.

Files: hints export to and import from the CLI's `--hints-dir` format (<photo stem>.json), and a
project file keeps every photo of the queue with its hints and strength.

Importing this loads no torch (the window is built before the model loads): the colours a
hint is shown in are computed with `engine.hint_suggestions`, imported where they are needed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
from PIL import Image
from PySide6.QtCore import QObject, QPointF, Qt, Signal
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import QDialog, QFileDialog, QMenu, QMessageBox

from colorizer_gui.folders import in_start_folder, remember_folder, start_folder
from colorizer_gui.hints.preview_worker import HintPreviewWorker, HintRequest, HintResult
from colorizer_gui.hints.qt_overlay import HintOverlay
from colorizer_gui.hints.state import HintStore, hints_file_name, load_project, save_project
from engine.errors import HintError
from engine.hint_files import Hint, load_hints, save_hints

DEFAULT_HINT_COLOR = "#b5651d"
# Below this photo lightness (0-100) the chooser shows its colours this bright: in a dark spot
# every colour at the photo's own lightness is a near-black (issue 13: "six near-blacks").
SHOW_MIN_LIGHTNESS = 30.0


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
        self.worker = HintPreviewWorker(lambda: tab.controller.engine.worker.colorizer, self,
                                        busy=lambda: tab.controller.computing() or self.training_busy())
        self.worker.ready.connect(self._on_worker_ready)
        self.worker.failed.connect(self._on_worker_failed)
        self.overlay = HintOverlay(tab.viewer, self._current_hints)
        self.overlay.place, self.overlay.move = self.place_hint, self.move_hint
        self.overlay.remove, self.overlay.edit = self.remove_hint, self.edit_hint
        self.reference_colors: list[str] = []
        self.last_latency: float | None = None
        # While the chooser is open: (item, index being recoloured or None for a new hint, x, y,
        # the hints before it opened), so the photo can preview each colour the user tries.
        self._choosing: tuple | None = None
        self._dark_spot = False
        # Replaceable in tests: (initial, lightness, suggestions, recent, reference) -> colour or None
        self.choose_color = self._choose_color_dialog
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
        self.act_export = A("Export hints…", self.export_hints, None,
                            "Write each photo's hints as <photo name>.json, for colorize --hints-dir")
        self.act_import = A("Import hints…", self.import_hints, None,
                            "Read <photo name>.json hint files for the photos in the queue")
        self.act_reference = A("Use colours from a reference photo…", self.choose_reference, None,
                               "Offer the main colours of another colour photo as hint colours")
        # No shortcut: Ctrl+Shift+S is Save as… (issue 13 found both on it, so neither worked)
        self.act_save_project = A("Save project…", self.save_project_dialog, None,
                                  "Save the queue with every photo's hints and strength")
        self.act_open_project = A("Open project…", self.open_project_dialog, None,
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

    def _photo_lightness(self, item, x: float, y: float) -> float:
        session = self.worker.session(item.id)
        if session is not None:
            return session.lightness_at(x, y)
        source = self.tab.controller.sources.get(item.id)
        if source is not None:
            w, h = source.size
            sh, sw = source.lightness.shape
            return float(source.lightness[min(sh - 1, int(y * sh / h)), min(sw - 1, int(x * sw / w))])
        return 50.0

    def _suggest(self, item, x: float, y: float) -> tuple[str, float, list[str]]:
        """(pre-filled colour, photo lightness there, suggestions) for photo pixel (x, y)."""
        from engine.hint_suggestions import with_lightness

        c = self.tab.controller
        if c.model_ready:
            prediction = self.worker.latest(item.id)
            if prediction is None or prediction.hints != tuple(item.hints):
                self._request(item)
                QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
                try:
                    self.worker.wait_idle(20)
                finally:
                    QGuiApplication.restoreOverrideCursor()
                prediction = self.worker.latest(item.id)
            session = self.worker.session(item.id)
            if prediction is not None and session is not None:
                L = session.lightness_at(x, y)
                self._dark_spot = L < SHOW_MIN_LIGHTNESS
                shown = max(L, SHOW_MIN_LIGHTNESS)
                suggestions = session.suggestions(prediction, x, y,
                                                  lightness=shown if self._dark_spot else None)
                return suggestions[0], shown, suggestions
        L = self._photo_lightness(item, x, y)
        self._dark_spot = L < SHOW_MIN_LIGHTNESS
        L = max(L, SHOW_MIN_LIGHTNESS)
        return with_lightness(DEFAULT_HINT_COLOR, L), L, []

    def place_hint(self, x: float, y: float, color: str | None = None) -> int | None:
        item = self.tab.current_item()
        if item is None:
            return None
        if color is None:
            initial, L, suggestions = self._suggest(item, x, y)
            self._choosing = (item, None, float(x), float(y), list(item.hints))
            color = None
            try:
                color = self.choose_color(initial, L, suggestions, self.store.recent_colors, self.reference_colors)
            finally:
                tried = self._end_choosing()
                if tried and not color:
                    self._on_hints_changed(item)   # back to the colours without the tried one
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
            from engine.hint_suggestions import with_lightness

            _, L, suggestions = self._suggest(item, hint.x, hint.y)
            self._choosing = (item, index, hint.x, hint.y, list(item.hints))
            color = None
            try:
                color = self.choose_color(with_lightness(hint.color, L), L, suggestions, self.store.recent_colors,
                                          self.reference_colors)
            finally:
                tried = self._end_choosing()
                if tried and not color:
                    self._on_hints_changed(item)
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

    def _choose_color_dialog(self, initial: str, lightness: float, suggestions: list[str], recent: list[str],
                             reference: list[str]) -> str | None:
        from colorizer_gui.hints.qt_color_dialog import HintColorDialog  # computes its colours with torch

        dialog = HintColorDialog(initial, lightness, suggestions, recent, reference, self.tab, dark=self._dark_spot)
        dialog.color_changed.connect(self.preview_choice)
        if self._choosing is not None:   # beside the clicked point, never over it
            _, _, x, y, _ = self._choosing
            view = self.tab.viewer
            point = view.mapToGlobal(viewer_point(view, x, y).toPoint())
            screen = view.screen().availableGeometry() if view.screen() is not None else None
            if screen is not None:
                dialog.place_beside(point, screen)
        return dialog.chosen() if dialog.exec() == QDialog.DialogCode.Accepted else None

    def preview_choice(self, color: str) -> None:
        """Show the photo with `color` at the point being chosen for, before it is chosen (no undo step)."""
        if self._choosing is None:
            return
        item, index, x, y, before = self._choosing
        hints = list(before)
        if index is None:
            hints.append(Hint(x, y, color.lower()))
        elif 0 <= index < len(hints):
            hints[index] = replace(hints[index], color=color.lower())
        item.hints = hints
        if self.tab.controller.model_ready:
            self._request(item)   # newest wins: a fast slider drag costs one prediction at a time
        self.tab.viewer.update()

    def _end_choosing(self) -> bool:
        """Put the hints back as they were before the chooser opened, so that the choice is then
        recorded as one undoable edit. True when a tried colour was taken back."""
        if self._choosing is None:
            return False
        item, _, _, _, before = self._choosing
        self._choosing = None
        if item.hints == before:
            return False
        item.hints = list(before)
        return True

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
            self.tab.log_panel.add("warning", f"Could not update the hint preview: {result.message.splitlines()[0]}")

    # --- files ----------------------------------------------------------------------------------------

    def export_hints_to(self, folder: Path, items=None) -> list[Path]:
        """Write <photo stem>.json for every photo with hints; returns the files written."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        written, seen = [], {}
        for item in items if items is not None else self.tab.queue.items:
            if not item.hints:
                continue
            name = hints_file_name(item.path)
            if name in seen:
                self.tab.log_panel.add("warning", f"{item.path} and {seen[name]} share the hint file name {name}; "
                                                  "only the first was exported")
                continue
            seen[name] = item.path
            path = folder / name
            save_hints(list(item.hints), path)
            written.append(path)
        return written

    def import_hints_from(self, folder: Path) -> int:
        """Read <photo stem>.json for the queue's photos; returns how many photos got hints."""
        count = 0
        for item in self.tab.queue.items:
            path = Path(folder) / hints_file_name(item.path)
            if not path.is_file():
                continue
            try:
                hints = load_hints(path)
            except HintError as exc:
                self.tab.log_panel.add("warning", str(exc))
                continue
            self.store.set_hints(item, hints, "Import hints")
            count += 1
        return count

    def export_hints(self) -> None:
        folder = QFileDialog.getExistingDirectory(self.tab, "Export hints to folder", start_folder())
        if folder:
            remember_folder(folder)
            written = self.export_hints_to(Path(folder))
            self.tab.log_panel.add("info", f"Exported hints of {len(written)} photo(s) to {folder} "
                                           f"(use: colorize … --hints-dir \"{folder}\")")

    def import_hints(self) -> None:
        folder = QFileDialog.getExistingDirectory(self.tab, "Import hints from folder", start_folder())
        if folder:
            remember_folder(folder)
            n = self.import_hints_from(Path(folder))
            self.tab.log_panel.add("info", f"Imported hints for {n} photo(s) from {folder}")

    def save_project_to(self, path: Path) -> None:
        save_project(self.tab.queue.items, path)

    def open_project_from(self, path: Path) -> int:
        entries = load_project(path)
        missing = [p for p, _, _ in entries if not p.is_file()]
        for p in missing:
            self.tab.log_panel.add("warning", f"Project photo not found: {p}")
        self.tab.add_paths([p for p, _, _ in entries if p.is_file()])
        by_path = {Path(i.path).resolve(): i for i in self.tab.queue.items}
        count = 0
        for p, hints, strength in entries:
            item = by_path.get(p.resolve())
            if item is None:
                continue
            item.strength = strength
            if hints:
                self.store.set_hints(item, hints, "Open project")
            count += 1
        current = self.tab.current_item()
        if current is not None:
            self.tab.settings_panel.set_strength(current.strength)
        return count

    def save_project_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self.tab, "Save project", in_start_folder("photos.colorizer.json"),
                                              "Colorizer projects (*.colorizer.json *.json)")
        if path:
            remember_folder(path)
            self.save_project_to(Path(path))
            self.tab.log_panel.add("info", f"Saved the project to {path}")

    def open_project_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.tab, "Open project", start_folder(),
                                              "Colorizer projects (*.colorizer.json *.json)")
        if path:
            remember_folder(path)
            try:
                n = self.open_project_from(Path(path))
            except (OSError, ValueError, KeyError, HintError) as exc:
                QMessageBox.warning(self.tab, "Open project", f"This project can't be opened: {exc}")
                return
            self.tab.log_panel.add("info", f"Opened {n} photo(s) from {path}")

    def use_reference(self, path: Path) -> list[str]:
        from engine.hint_suggestions import reference_palette

        with Image.open(path) as im:
            im.thumbnail((512, 512))
            rgb = np.asarray(im.convert("RGB"))
        self.reference_colors = reference_palette(rgb)
        return self.reference_colors

    def choose_reference(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.tab, "Reference colour photo", start_folder(),
                                              "Images (*.jpg *.jpeg *.png *.tif *.tiff *.webp *.bmp)")
        if not path:
            return
        remember_folder(path)
        try:
            colors = self.use_reference(Path(path))
        except OSError as exc:
            QMessageBox.warning(self.tab, "Reference photo", f"This photo can't be read: {exc}")
            return
        if not colors:
            self.tab.log_panel.add("warning", f"{Path(path).name} has too little colour to suggest any")
        else:
            self.tab.log_panel.add("info", f"Hint colours from {Path(path).name}: {', '.join(colors)} "
                                           "(offered in the hint colour chooser)")

    def close(self) -> None:
        self.worker.close()


def _redo_keys() -> list:
    """Redo's standard keys plus Ctrl+Y, without listing one twice (Windows' standard is Ctrl+Y)."""
    keys = [QKeySequence(k) for k in QKeySequence.keyBindings(QKeySequence.StandardKey.Redo)]
    if QKeySequence("Ctrl+Y") not in keys:
        keys.append(QKeySequence("Ctrl+Y"))
    return keys


def viewer_point(view, x: float, y: float) -> QPointF:
    """Widget position of photo pixel (x, y) in the viewer's first pane (for tests and scripts)."""
    return view.image_to_widget(QPointF(x, y))

