"""The before/after viewer: a split with a draggable divider, side by side, or after only.

Coordinates: the view works in the full photo's pixel coordinates ("image coordinates"),
whatever the size of the images it is given. It is handed viewing-size previews (never the
full bitmap), and draws them stretched over the photo's rectangle, so a 12 MP scan pans and
zooms as smoothly as a small one, and the before and after images always line up.

Where things are: the arithmetic of fit, zoom, pan, panes and the divider is in
compare_geometry.py (no Qt); how labels, the divider and the caption look is in
qt_compare_paint.py. This widget holds the images and turns the mouse and keys into those.

Extending it (colour hints, issue #6): add a `ViewOverlay` with `add_overlay`. Overlays are
painted over the photo in every pane and see mouse events first, in image coordinates, so a
hint tool can place points without knowing about zoom, pan or the compare mode.

Keys (when the view has focus): M cycles the modes, 1/2/3 choose one, Left/Right move the
divider (Shift: finer), hold B or \\ to see the original, F or 0 fits, +/- zoom.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QSize, QSizeF, Qt, Signal
from PySide6.QtGui import QImage, QKeyEvent, QMouseEvent, QPainter, QPaintEvent, QPixmap, QWheelEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from colorizer_gui.workspace.compare_geometry import MODE_ORDER, CompareGeometry, CompareMode, Rect
from colorizer_gui.workspace.qt_compare_paint import (
    BACKGROUND,
    ScaledPixmaps,
    paint_divider,
    paint_labels,
    paint_message,
)

_MODE_KEYS = {Qt.Key.Key_1: CompareMode.SPLIT, Qt.Key.Key_2: CompareMode.SIDE_BY_SIDE, Qt.Key.Key_3: CompareMode.AFTER}


class ViewOverlay:
    """Something drawn over the photo that may also handle the mouse (e.g. colour hints).

    Return True from a mouse method to consume the event (no pan, no divider drag).
    """

    def paint(self, painter: QPainter, view: CompareView, pane: QRectF, side: str) -> None:
        """`side` is "before", "after" or "split"; the painter is clipped to `pane`."""

    def mouse_press(self, view: CompareView, event: QMouseEvent, image_pos: QPointF) -> bool:
        return False

    def mouse_move(self, view: CompareView, event: QMouseEvent, image_pos: QPointF) -> bool:
        return False

    def mouse_release(self, view: CompareView, event: QMouseEvent, image_pos: QPointF) -> bool:
        return False

    def cursor(self, view: CompareView, image_pos: QPointF) -> Qt.CursorShape | None:
        return None


def _rect(r: Rect) -> QRectF:
    return QRectF(r.left, r.top, r.width, r.height)


def _plain(r: QRectF | None) -> Rect | None:
    """A pane handed in by an overlay, as the geometry's rectangle (a null or missing one: None)."""
    return Rect(r.left(), r.top(), r.width(), r.height()) if r else None


class CompareView(QWidget):
    """Before/after photo viewer with a shared zoom and pan.

    Signals
    -------
    mode_changed(str)
        the compare mode's value ("split", "side_by_side", "after").
    zoom_changed(float)
        on-screen pixels per photo pixel (1.0 = 100 %).
    divider_moved(float)
        the split divider's position, 0 (left edge) to 1 (right edge).
    """

    mode_changed = Signal(str)
    zoom_changed = Signal(float)
    divider_moved = Signal(float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(240, 180)
        self.setAccessibleName("Before and after comparison")
        self._before: QPixmap | None = None
        self._after: QPixmap | None = None
        self._geometry = CompareGeometry(lambda: (float(self.width()), float(self.height())))
        self._drag: str | None = None       # "divider", "pan" or "overlay"
        self._drag_last = QPointF()
        self._peek_before = False
        self._message = ""
        self._progress: float | None = None
        self._overlays: list[ViewOverlay] = []
        self._scaled = ScaledPixmaps()

    # --- content -------------------------------------------------------------------------------

    def set_photo(self, size: QSize | QSizeF | tuple[int, int] | None) -> None:
        """A new photo of this full-resolution size: clears the images and fits it to the view."""
        if isinstance(size, tuple):
            size = QSizeF(*size)
        size = QSizeF(size) if size is not None else QSizeF()
        self._before = self._after = None
        self._scaled.clear()
        self._zoomed(self._geometry.new_photo((size.width(), size.height())))
        self.update()

    def set_photo_size(self, size: QSize | QSizeF | tuple[int, int]) -> None:
        """The full-resolution size became known: keep the images, fit again if fitting."""
        if isinstance(size, tuple):
            size = QSizeF(*size)
        size = QSizeF(size)
        if size == self.photo_size():
            return
        self._zoomed(self._geometry.change_photo_size((size.width(), size.height())))
        self._scaled.clear()
        self.update()

    def set_before(self, image: QImage | QPixmap | None) -> None:
        self._before = self._pixmap(image)
        self._adopt_size(self._before)
        self._scaled.clear()
        self.update()

    def set_after(self, image: QImage | QPixmap | None) -> None:
        self._after = self._pixmap(image)
        self._adopt_size(self._after)
        self._scaled.forget("after")
        self.update()

    def set_message(self, text: str, progress: float | None = None) -> None:
        """A caption over the photo (e.g. "Colorizing… 40 %"); empty to hide it."""
        if text != self._message or progress != self._progress:
            self._message, self._progress = text, progress
            self.update()

    def has_before(self) -> bool:
        return self._before is not None

    def has_after(self) -> bool:
        return self._after is not None

    def photo_size(self) -> QSizeF:
        return QSizeF(*self._geometry.photo)

    # --- overlays (issue #6: colour hints) -----------------------------------------------------------

    def add_overlay(self, overlay: ViewOverlay) -> None:
        self._overlays.append(overlay)
        self.update()

    def remove_overlay(self, overlay: ViewOverlay) -> None:
        if overlay in self._overlays:
            self._overlays.remove(overlay)
            self.update()

    # --- mode, divider, zoom -----------------------------------------------------------------------

    def mode(self) -> CompareMode:
        return self._geometry.mode

    def set_mode(self, mode: CompareMode | str) -> None:
        mode = CompareMode(mode)
        if mode is self._geometry.mode:
            return
        self._zoomed(self._geometry.set_mode(mode))
        self._scaled.clear()
        self.update()
        self.mode_changed.emit(mode.value)

    def cycle_mode(self) -> None:
        self.set_mode(MODE_ORDER[(MODE_ORDER.index(self._geometry.mode) + 1) % len(MODE_ORDER)])

    def divider(self) -> float:
        return self._geometry.divider

    def set_divider(self, fraction: float) -> None:
        fraction = min(1.0, max(0.0, float(fraction)))
        if abs(fraction - self._geometry.divider) > 1e-9:
            self._geometry.divider = fraction
            self.update()
            self.divider_moved.emit(fraction)

    def zoom(self) -> float:
        return self._geometry.scale

    def is_fit(self) -> bool:
        return self._geometry.fit

    def fit_to_window(self) -> None:
        self._geometry.fit = True
        self._zoomed(self._geometry.apply_fit())
        self.update()

    def set_zoom(self, scale: float, anchor: QPointF | None = None) -> None:
        """Zoom to `scale` (1.0 = 100 %), keeping the photo point under `anchor` (widget coords) still."""
        if self._geometry.zoom_to(scale, (anchor.x(), anchor.y()) if anchor is not None else None):
            self.update()
            self.zoom_changed.emit(self._geometry.scale)

    def zoom_by(self, factor: float, anchor: QPointF | None = None) -> None:
        self.set_zoom(self._geometry.scale * factor, anchor)

    def actual_pixels(self) -> None:
        self.set_zoom(1.0)

    def pan_by(self, dx: float, dy: float) -> None:
        """Move the photo by (dx, dy) screen pixels."""
        if self._geometry.pan_by(dx, dy):
            self.update()

    def _zoomed(self, changed: bool) -> None:
        if changed:
            self.zoom_changed.emit(self._geometry.scale)

    # --- coordinates (compare_geometry.py does the arithmetic) ---------------------------------------

    def _panes(self) -> list[tuple[QRectF, str]]:
        return [(_rect(pane), side) for pane, side in self._geometry.panes()]

    def image_to_widget(self, point: QPointF, pane: QRectF | None = None) -> QPointF:
        return QPointF(*self._geometry.image_to_widget(point.x(), point.y(), _plain(pane)))

    def widget_to_image(self, pos: QPointF, pane: QRectF | None = None) -> QPointF:
        return QPointF(*self._geometry.widget_to_image(pos.x(), pos.y(), _plain(pane)))

    def photo_rect(self, pane: QRectF | None = None) -> QRectF:
        """Where the whole photo lies in widget coordinates (in the given pane)."""
        return _rect(self._geometry.photo_rect(_plain(pane)))

    def divider_x(self) -> float:
        return self._geometry.divider_x()

    def _adopt_size(self, pixmap: QPixmap | None) -> None:
        if pixmap is not None:
            size = pixmap.deviceIndependentSize()
            self._zoomed(self._geometry.adopt_size((size.width(), size.height())))

    def _pixmap(self, image: QImage | QPixmap | None) -> QPixmap | None:
        if image is None or image.isNull():
            return None
        return image if isinstance(image, QPixmap) else QPixmap.fromImage(image)

    # --- events ---------------------------------------------------------------------------------------

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._scaled.clear()
        if self._geometry.fit:
            self._zoomed(self._geometry.apply_fit())

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        pos = event.position()
        if event.button() != Qt.MouseButton.LeftButton or not self._geometry.has_photo():
            return super().mousePressEvent(event)
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        image_pos = self.widget_to_image(pos)
        for overlay in reversed(self._overlays):
            if overlay.mouse_press(self, event, image_pos):
                self._drag = "overlay"
                return None
        if self._geometry.on_divider(pos.x()):
            self._drag = "divider"
            self.set_divider(self._geometry.divider_at(pos.x()))
        else:
            self._drag = "pan"
            self.setCursor(Qt.CursorShape.ClosedHandCursor)
        self._drag_last = pos
        return None

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        pos = event.position()
        image_pos = self.widget_to_image(pos)
        if self._drag == "overlay":
            for overlay in reversed(self._overlays):
                if overlay.mouse_move(self, event, image_pos):
                    return
            return
        if self._drag == "divider":
            self.set_divider(self._geometry.divider_at(pos.x()))
            return
        if self._drag == "pan":
            delta = pos - self._drag_last
            self._drag_last = pos
            self.pan_by(delta.x(), delta.y())
            return
        for overlay in reversed(self._overlays):
            if overlay.mouse_move(self, event, image_pos):
                return
        self._update_cursor(pos, image_pos)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._drag == "overlay":
            image_pos = self.widget_to_image(event.position())
            for overlay in reversed(self._overlays):
                if overlay.mouse_release(self, event, image_pos):
                    break
        self._drag = None
        self._update_cursor(event.position(), self.widget_to_image(event.position()))

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() != Qt.MouseButton.LeftButton or not self._geometry.has_photo():
            return
        if self._geometry.on_divider(event.position().x()):
            self.set_divider(0.5)
        elif self._geometry.fit:
            self.set_zoom(1.0, event.position())
        else:
            self.fit_to_window()

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802
        if not self._geometry.has_photo():
            return
        steps = event.angleDelta().y() / 120.0
        if steps == 0:
            steps = event.pixelDelta().y() / 60.0
        if steps:
            self.zoom_by(1.25 ** steps, event.position())
        event.accept()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        key = event.key()
        fine = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
        if key == Qt.Key.Key_M:
            self.cycle_mode()
        elif key in _MODE_KEYS:
            self.set_mode(_MODE_KEYS[key])
        elif key in (Qt.Key.Key_Left, Qt.Key.Key_Right) and self._geometry.mode is CompareMode.SPLIT:
            step = (0.01 if fine else 0.05) * (-1 if key == Qt.Key.Key_Left else 1)
            self.set_divider(self._geometry.divider + step)
        elif key in (Qt.Key.Key_B, Qt.Key.Key_Backslash):
            if not event.isAutoRepeat():
                self._peek_before = True
                self.update()
        elif key in (Qt.Key.Key_F, Qt.Key.Key_0):
            self.fit_to_window()
        elif key in (Qt.Key.Key_Plus, Qt.Key.Key_Equal):
            self.zoom_by(1.25)
        elif key == Qt.Key.Key_Minus:
            self.zoom_by(0.8)
        else:
            super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.key() in (Qt.Key.Key_B, Qt.Key.Key_Backslash) and not event.isAutoRepeat():
            self._peek_before = False
            self.update()
        else:
            super().keyReleaseEvent(event)

    def focusOutEvent(self, event) -> None:  # noqa: N802
        if self._peek_before:
            self._peek_before = False
            self.update()
        super().focusOutEvent(event)

    def _update_cursor(self, pos: QPointF, image_pos: QPointF) -> None:
        for overlay in reversed(self._overlays):
            shape = overlay.cursor(self, image_pos)
            if shape is not None:
                self.setCursor(shape)
                return
        if self._geometry.on_divider(pos.x()):
            self.setCursor(Qt.CursorShape.SplitHCursor)
        elif self._geometry.has_photo():
            self.setCursor(Qt.CursorShape.OpenHandCursor)
        else:
            self.unsetCursor()

    # --- painting (what each piece looks like: qt_compare_paint.py) ------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        p = QPainter(self)
        p.fillRect(self.rect(), BACKGROUND)
        if not self._geometry.has_photo():
            if self._message:
                paint_message(p, self.font(), self._message, self._progress, self.width(), self.height(),
                              centred=True)
            p.end()
            return
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        dpr = self.devicePixelRatioF()
        after, after_key = (self._after, "after") if self._after else (self._before, "before")
        panes = self._panes()
        for pane, side in panes:
            p.save()
            p.setClipRect(pane)
            target = self.photo_rect(pane)
            if self._peek_before or side == "before":
                self._scaled.draw(p, self._before, "before", target, dpr)
            elif side == "after":
                self._scaled.draw(p, after, after_key, target, dpr)
            else:  # split: after everywhere, before left of the divider
                self._scaled.draw(p, after, after_key, target, dpr)
                left = QRectF(pane.left(), pane.top(), self.divider_x() - pane.left(), pane.height())
                p.setClipRect(left.intersected(pane))
                self._scaled.draw(p, self._before, "before", target, dpr)
                p.setClipRect(pane)
            for overlay in self._overlays:
                overlay.paint(p, self, pane, side)
            p.restore()
        paint_labels(p, self.font(), self._geometry.mode, panes, self.width(), self.divider_x(),
                     has_after=self._after is not None, peek_before=self._peek_before)
        if self._geometry.mode is CompareMode.SPLIT and not self._peek_before:
            paint_divider(p, self.divider_x(), self.height())
        if self._message:
            paint_message(p, self.font(), self._message, self._progress, self.width(), self.height())
        p.end()
