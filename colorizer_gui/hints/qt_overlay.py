"""Colour hint markers on the viewer, and the mouse/keyboard gestures that edit them.

In hint mode: click to place a hint, drag a marker to move it, right-click it or select it
and press Delete/Backspace to remove it, double-click it to change its colour. A drag that
starts away from a marker still pans the photo. Outside hint mode markers are drawn (so the
user sees where the hints are) but the mouse belongs to the viewer.

The overlay edits nothing itself: it reports gestures through callbacks, in full-photo pixel
coordinates, and the hint controller turns them into undoable edits.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QKeyEvent, QMouseEvent, QPainter, QPen

from colorizer_gui.workspace.compare_geometry import DIVIDER_GRAB, CompareMode
from colorizer_gui.workspace.qt_compare_view import CompareView, ViewOverlay
from engine.hint_files import Hint

MARKER_RADIUS = 6.0
GRAB_RADIUS = 11.0
DRAG_THRESHOLD = 4.0


class HintOverlay(QObject, ViewOverlay):
    """Draws `hints()` and reports edits.

    Callbacks (all optional): place(x, y), move(index, x, y), remove(index), edit(index).
    """

    def __init__(self, view: CompareView, hints: Callable[[], list[Hint]]) -> None:
        QObject.__init__(self, view)
        self.view = view
        self.hints = hints
        self.enabled = False
        self.selected: int | None = None
        self.place: Callable[[float, float], None] | None = None
        self.move: Callable[[int, float, float], None] | None = None
        self.remove: Callable[[int], None] | None = None
        self.edit: Callable[[int], None] | None = None
        self._drag_index: int | None = None
        self._drag_pos: QPointF | None = None   # image position of the marker being dragged
        self._press: QPointF | None = None      # widget position of a press away from markers
        self._last: QPointF | None = None
        self._panning = False
        view.add_overlay(self)
        view.installEventFilter(self)

    def set_enabled(self, on: bool) -> None:
        self.enabled = bool(on)
        if not on:
            self.selected = None
            self._cancel_gesture()
        self.view.update()

    def set_selected(self, index: int | None) -> None:
        self.selected = index
        self.view.update()

    # --- geometry -----------------------------------------------------------------------------------

    def hint_at(self, image_pos: QPointF) -> int | None:
        """The topmost hint within grabbing distance of an image position."""
        scale = max(self.view.zoom(), 1e-6)
        best, best_d = None, GRAB_RADIUS
        for i, h in enumerate(self.hints()):
            d = ((h.x - image_pos.x()) ** 2 + (h.y - image_pos.y()) ** 2) ** 0.5 * scale
            if d <= best_d:
                best, best_d = i, d
        return best

    def _inside(self, image_pos: QPointF) -> bool:
        size = self.view.photo_size()
        return 0 <= image_pos.x() < size.width() and 0 <= image_pos.y() < size.height()

    def _on_divider(self, pos: QPointF) -> bool:
        return self.view.mode() is CompareMode.SPLIT and abs(pos.x() - self.view.divider_x()) <= DIVIDER_GRAB

    # --- ViewOverlay ----------------------------------------------------------------------------------

    def paint(self, painter: QPainter, view: CompareView, pane: QRectF, side: str) -> None:
        hints = self.hints()
        if not hints or side == "before":
            return
        for i, h in enumerate(hints):
            pos = QPointF(h.x, h.y)
            if i == self._drag_index and self._drag_pos is not None:
                pos = self._drag_pos
            c = view.image_to_widget(pos, pane)
            r = MARKER_RADIUS
            colour = QColor(h.color)
            ring = QColor(255, 255, 255) if colour.lightness() < 140 else QColor(20, 20, 20)
            painter.setPen(QPen(QColor(0, 0, 0, 150), 4.5))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawEllipse(c, r + 1.5, r + 1.5)
            painter.setPen(QPen(ring, 2.0))
            painter.setBrush(colour)
            painter.drawEllipse(c, r, r)
            if i == self.selected and self.enabled:
                painter.setPen(QPen(QColor(0, 160, 255), 2.0, Qt.PenStyle.DashLine))
                painter.setBrush(Qt.BrushStyle.NoBrush)
                painter.drawEllipse(c, r + 5, r + 5)

    def mouse_press(self, view: CompareView, event: QMouseEvent, image_pos: QPointF) -> bool:
        if not self.enabled or self._on_divider(event.position()):
            return False
        index = self.hint_at(image_pos)
        self.selected = index
        if index is not None:
            self._drag_index, self._drag_pos = index, None
        elif self._inside(image_pos):
            self._press = self._last = event.position()
            self._panning = False
        else:
            view.update()
            return False
        view.update()
        return True

    def mouse_move(self, view: CompareView, event: QMouseEvent, image_pos: QPointF) -> bool:
        if not self.enabled:
            return False
        if self._drag_index is not None:
            size = view.photo_size()
            self._drag_pos = QPointF(min(max(image_pos.x(), 0.0), size.width() - 0.5),
                                     min(max(image_pos.y(), 0.0), size.height() - 0.5))
            view.update()
            return True
        if self._press is not None:
            pos = event.position()
            if not self._panning and (pos - self._press).manhattanLength() > DRAG_THRESHOLD:
                self._panning = True
            if self._panning:
                delta = pos - self._last
                view.pan_by(delta.x(), delta.y())
            self._last = pos
            return True
        return False

    def mouse_release(self, view: CompareView, event: QMouseEvent, image_pos: QPointF) -> bool:
        if not self.enabled:
            return False
        if self._drag_index is not None:
            index, pos = self._drag_index, self._drag_pos
            self._drag_index, self._drag_pos = None, None
            if pos is not None and self.move is not None:
                self.move(index, pos.x(), pos.y())
            view.update()
            return True
        if self._press is not None:
            placed = not self._panning and self._inside(image_pos)
            self._cancel_gesture()
            if placed and self.place is not None:
                self.place(image_pos.x(), image_pos.y())
            return True
        return False

    def cursor(self, view: CompareView, image_pos: QPointF) -> Qt.CursorShape | None:
        if not self.enabled:
            return None
        if self.hint_at(image_pos) is not None:
            return Qt.CursorShape.SizeAllCursor
        return Qt.CursorShape.CrossCursor if self._inside(image_pos) else None

    def _cancel_gesture(self) -> None:
        self._drag_index, self._drag_pos, self._press, self._last, self._panning = None, None, None, None, False

    # --- right-click, double-click and Delete (the viewer only forwards left-button presses) ------------

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if obj is not self.view or not self.enabled:
            return False
        etype = event.type()
        if etype == QEvent.Type.MouseButtonPress and event.button() == Qt.MouseButton.RightButton:
            index = self.hint_at(self.view.widget_to_image(event.position()))
            if index is not None:
                self._remove(index)
                return True
        elif etype == QEvent.Type.MouseButtonDblClick and event.button() == Qt.MouseButton.LeftButton:
            index = self.hint_at(self.view.widget_to_image(event.position()))
            if index is not None:
                self._cancel_gesture()
                if self.edit is not None:
                    self.edit(index)
                return True
        elif etype in (QEvent.Type.ShortcutOverride, QEvent.Type.KeyPress) and self._is_delete(event):
            if self.selected is not None and self.selected < len(self.hints()):
                event.accept()
                if etype == QEvent.Type.KeyPress:
                    self._remove(self.selected)
                return True
        return False

    @staticmethod
    def _is_delete(event: QKeyEvent) -> bool:
        return event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace)

    def _remove(self, index: int) -> None:
        self.selected = None
        self._cancel_gesture()
        if self.remove is not None:
            self.remove(index)
        self.view.update()


def viewer_point(view: CompareView, x: float, y: float) -> QPointF:
    """Widget position of photo pixel (x, y) in the viewer's first pane (where the chooser opens
    beside; tests and scripts click there)."""
    return view.image_to_widget(QPointF(x, y))
