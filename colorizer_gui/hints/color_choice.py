"""Choosing a hint's colour: what the chooser offers at the clicked point, the photo previewing
each colour tried while it is open, and the colours of a reference photo.

The chooser itself is the dialog in qt_color_dialog.py. This is the flow around it: the colour
it opens with is the model's own at that point (at the photo's lightness there), a dark spot is
shown brighter so its colours can be told apart, and every colour tried is predicted on the
photo at once; when the chooser closes the hints are put back as they were, so that the choice
becomes one undoable edit (the controller records it) and Cancel leaves nothing behind.

Importing this loads no torch: `engine.hint_suggestions` and the dialog are imported when a
colour is first computed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QDialog, QFileDialog, QMessageBox

from colorizer_gui.folders import remember_folder, start_folder
from colorizer_gui.hints.preview_worker import HintPreviewWorker
from colorizer_gui.hints.qt_overlay import viewer_point
from colorizer_gui.workspace.qt_photo_files import PHOTO_FILTER
from engine.hint_files import Hint

DEFAULT_HINT_COLOR = "#b5651d"
# Below this photo lightness (0-100) the chooser shows its colours this bright: in a dark spot
# every colour at the photo's own lightness is a near-black (issue 13: "six near-blacks").
SHOW_MIN_LIGHTNESS = 30.0

# (initial, lightness, suggestions, recent, reference) -> the colour chosen, or None
ChooseColor = Callable[[str, float, list[str], list[str], list[str]], str | None]


class ColorChoice:
    """The colour chooser's flow for a `ColorizeTab`'s hint tool.

    `request(item)` asks the preview worker for the item's colours with its current hints;
    `restored(item)` is told when the hints were put back after a tried colour was not chosen.
    """

    def __init__(self, tab, worker: HintPreviewWorker, request: Callable[[object], None],
                 restored: Callable[[object], None]) -> None:
        self.tab = tab
        self.worker = worker
        self._request = request
        self._restored = restored
        self.reference_colors: list[str] = []
        # While the chooser is open: (item, index being recoloured or None for a new hint, x, y,
        # the hints before it opened), so the photo can preview each colour the user tries.
        self._choosing: tuple | None = None
        self._dark_spot = False

    def ask(self, choose: ChooseColor, item, index: int | None, x: float, y: float,
            recent: list[str]) -> str | None:
        """Ask `choose` for the colour of a new hint at photo pixel (x, y) (`index` None) or of
        hint `index`; the photo previews what is tried meanwhile. None when nothing was chosen."""
        suggested, lightness, suggestions = self.offer(item, x, y)
        if index is None:
            initial = suggested
        else:
            from engine.hint_suggestions import with_lightness

            initial = with_lightness(item.hints[index].color, lightness)
        self._choosing = (item, index, x, y, list(item.hints))
        color = None
        try:
            color = choose(initial, lightness, suggestions, recent, self.reference_colors)
        finally:
            if self._end() and not color:
                self._restored(item)   # back to the colours without the tried one
        return color or None

    def offer(self, item, x: float, y: float) -> tuple[str, float, list[str]]:
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

    def _photo_lightness(self, item, x: float, y: float) -> float:
        """The photo's lightness at (x, y) without a prediction: from the preview source, else mid-grey."""
        session = self.worker.session(item.id)
        if session is not None:
            return session.lightness_at(x, y)
        source = self.tab.controller.sources.get(item.id)
        if source is not None:
            w, h = source.size
            sh, sw = source.lightness.shape
            return float(source.lightness[min(sh - 1, int(y * sh / h)), min(sw - 1, int(x * sw / w))])
        return 50.0

    def open_dialog(self, initial: str, lightness: float, suggestions: list[str], recent: list[str],
                    reference: list[str]) -> str | None:
        """The real chooser (a `ChooseColor`): modal, beside the clicked point, never over it."""
        from colorizer_gui.hints.qt_color_dialog import HintColorDialog  # computes its colours with torch

        dialog = HintColorDialog(initial, lightness, suggestions, recent, reference, self.tab, dark=self._dark_spot)
        dialog.color_changed.connect(self.preview)
        if self._choosing is not None:
            _, _, x, y, _ = self._choosing
            view = self.tab.viewer
            point = view.mapToGlobal(viewer_point(view, x, y).toPoint())
            screen = view.screen().availableGeometry() if view.screen() is not None else None
            if screen is not None:
                dialog.place_beside(point, screen)
        return dialog.chosen() if dialog.exec() == QDialog.DialogCode.Accepted else None

    def preview(self, color: str) -> None:
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

    def _end(self) -> bool:
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

    # --- a reference photo's colours, offered in the chooser ------------------------------------------------

    def use_reference(self, path: Path) -> list[str]:
        from engine.hint_suggestions import reference_palette

        with Image.open(path) as im:
            im.thumbnail((512, 512))
            rgb = np.asarray(im.convert("RGB"))
        self.reference_colors = reference_palette(rgb)
        return self.reference_colors

    def choose_reference(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.tab, "Reference colour photo", start_folder(),
                                              PHOTO_FILTER)
        if not path:
            return
        remember_folder(path)
        try:
            colors = self.use_reference(Path(path))
        except OSError as exc:
            QMessageBox.warning(self.tab, "Reference photo", f"This photo can't be read: {exc}")
            return
        if not colors:
            self.tab.activity.report("warning", f"{Path(path).name} has too little colour to suggest any")
        else:
            self.tab.activity.report("info", f"Hint colours from {Path(path).name}: {', '.join(colors)} "
                                           "(offered in the hint colour chooser)")
