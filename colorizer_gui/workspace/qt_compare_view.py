"""The before/after viewer: a split with a draggable divider, side by side, or after only.

Coordinates: the view works in the full photo's pixel coordinates ("image coordinates"),
whatever the size of the images it is given. It is handed viewing-size previews (never the
full bitmap), and draws them stretched over the photo's rectangle, so a 12 MP scan pans and
zooms as smoothly as a small one, and the before and after images always line up.

Extending it (colour hints, issue #6): add a `ViewOverlay` with `add_overlay`. Overlays are
painted over the photo in every pane and see mouse events first, in image coordinates, so a
hint tool can place points without knowing about zoom, pan or the compare mode.

Keys (when the view has focus): M cycles the modes, 1/2/3 choose one, Left/Right move the
divider (Shift: finer), hold B or \\ to see the original, F or 0 fits, +/- zoom.
"""

from __future__ import annotations

from enum import Enum

from PySide6.QtCore import QPointF, QRectF, QSize, QSizeF, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QImage,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPen,
    QPixmap,
    QWheelEvent,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

MIN_ZOOM = 0.02
MAX_ZOOM = 16.0
DIVIDER_GRAB = 10       # pixels either side of the divider that grab it
PANE_GAP = 6
FIT_MARGIN = 12
BACKGROUND = QColor(40, 41, 44)


class CompareMode(str, Enum):
    SPLIT = "split"
    SIDE_BY_SIDE = "side_by_side"
    AFTER = "after"

    @property
    def label(self) -> str:
        return {"split": "Split", "side_by_side": "Side by side", "after": "After only"}[self.value]


_MODE_ORDER = [CompareMode.SPLIT, CompareMode.SIDE_BY_SIDE, CompareMode.AFTER]
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
        self._photo = QSizeF()
        self._mode = CompareMode.SPLIT
        self._divider = 0.5
        self._scale = 1.0
        self._center = QPointF()
        self._fit = True
        self._drag: str | None = None       # "divider", "pan" or "overlay"
        self._drag_last = QPointF()
        self._peek_before = False
        self._message = ""
        self._progress: float | None = None
        self._overlays: list[ViewOverlay] = []
        self._scaled: dict[tuple, QPixmap] = {}

    # --- content -------------------------------------------------------------------------------

    def set_photo(self, size: QSize | QSizeF | tuple[int, int] | None) -> None:
        """A new photo of this full-resolution size: clears the images and fits it to the view."""
        if isinstance(size, tuple):
            size = QSizeF(*size)
        self._photo = QSizeF(size) if size is not None else QSizeF()
        self._before = self._after = None
        self._scaled.clear()
        self._fit = True
        self._apply_fit()
        self.update()

    def set_photo_size(self, size: QSize | QSizeF | tuple[int, int]) -> None:
        """The full-resolution size became known: keep the images, fit again if fitting."""
        if isinstance(size, tuple):
            size = QSizeF(*size)
        size = QSizeF(size)
        if size == self._photo:
            return
        old = QSizeF(self._photo)
        self._photo = size
        if self._fit or old.isEmpty():
            self._fit = True
            self._apply_fit()
        else:
            factor = size.width() / old.width()
            self._scale /= factor
            self._center = QPointF(self._center.x() * factor, self._center.y() * factor)
            self.zoom_changed.emit(self._scale)
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
        self._scaled = {k: v for k, v in self._scaled.items() if k[0] != "after"}
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
        return QSizeF(self._photo)

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
        return self._mode

    def set_mode(self, mode: CompareMode | str) -> None:
        mode = CompareMode(mode)
        if mode is self._mode:
            return
        self._mode = mode
        if self._fit:
            self._apply_fit()
        else:
            self._clamp_center()
        self._scaled.clear()
        self.update()
        self.mode_changed.emit(mode.value)

    def cycle_mode(self) -> None:
        self.set_mode(_MODE_ORDER[(_MODE_ORDER.index(self._mode) + 1) % len(_MODE_ORDER)])

    def divider(self) -> float:
        return self._divider

    def set_divider(self, fraction: float) -> None:
        fraction = min(1.0, max(0.0, float(fraction)))
        if abs(fraction - self._divider) > 1e-9:
            self._divider = fraction
            self.update()
            self.divider_moved.emit(fraction)

    def zoom(self) -> float:
        return self._scale

    def is_fit(self) -> bool:
        return self._fit

    def fit_to_window(self) -> None:
        self._fit = True
        self._apply_fit()
        self.update()

    def set_zoom(self, scale: float, anchor: QPointF | None = None) -> None:
        """Zoom to `scale` (1.0 = 100 %), keeping the photo point under `anchor` (widget coords) still."""
        if self._photo.isEmpty():
            return
        scale = min(MAX_ZOOM, max(self._min_zoom(), float(scale)))
        panes = self._panes()
        pane = self._pane_at(anchor) if anchor is not None else panes[0][0]
        if anchor is None:
            anchor = pane.center()
        fixed = self.widget_to_image(anchor, pane)
        self._scale = scale
        self._fit = False
        # keep `fixed` under `anchor`
        self._center = QPointF(fixed.x() - (anchor.x() - pane.center().x()) / scale,
                               fixed.y() - (anchor.y() - pane.center().y()) / scale)
        self._clamp_center()
        self.update()
        self.zoom_changed.emit(self._scale)

    def zoom_by(self, factor: float, anchor: QPointF | None = None) -> None:
        self.set_zoom(self._scale * factor, anchor)

    def actual_pixels(self) -> None:
        self.set_zoom(1.0)

    def pan_by(self, dx: float, dy: float) -> None:
        """Move the photo by (dx, dy) screen pixels."""
        if self._photo.isEmpty():
            return
        self._center -= QPointF(dx / self._scale, dy / self._scale)
        self._fit = False
        self._clamp_center()
        self.update()

    # --- coordinates ---------------------------------------------------------------------------------

    def _panes(self) -> list[tuple[QRectF, str]]:
        r = QRectF(self.rect())
        if self._mode is CompareMode.SIDE_BY_SIDE:
            w = (r.width() - PANE_GAP) / 2
            return [(QRectF(r.left(), r.top(), w, r.height()), "before"),
                    (QRectF(r.left() + w + PANE_GAP, r.top(), w, r.height()), "after")]
        return [(r, "split" if self._mode is CompareMode.SPLIT else "after")]

    def _pane_at(self, pos: QPointF) -> QRectF:
        for pane, _ in self._panes():
            if pane.contains(pos):
                return pane
        return self._panes()[0][0]

    def image_to_widget(self, point: QPointF, pane: QRectF | None = None) -> QPointF:
        pane = pane or self._panes()[0][0]
        c = pane.center()
        return QPointF(c.x() + (point.x() - self._center.x()) * self._scale,
                       c.y() + (point.y() - self._center.y()) * self._scale)

    def widget_to_image(self, pos: QPointF, pane: QRectF | None = None) -> QPointF:
        pane = pane or self._pane_at(pos)
        c = pane.center()
        return QPointF(self._center.x() + (pos.x() - c.x()) / self._scale,
                       self._center.y() + (pos.y() - c.y()) / self._scale)

    def photo_rect(self, pane: QRectF | None = None) -> QRectF:
        """Where the whole photo lies in widget coordinates (in the given pane)."""
        top_left = self.image_to_widget(QPointF(0, 0), pane)
        return QRectF(top_left, QSizeF(self._photo.width() * self._scale, self._photo.height() * self._scale))

    def divider_x(self) -> float:
        pane = self._panes()[0][0]
        return pane.left() + self._divider * pane.width()

    def _fit_scale(self) -> float:
        if self._photo.isEmpty():
            return 1.0
        pane = self._panes()[0][0]
        w = max(1.0, pane.width() - 2 * FIT_MARGIN)
        h = max(1.0, pane.height() - 2 * FIT_MARGIN)
        return min(w / self._photo.width(), h / self._photo.height())

    def _min_zoom(self) -> float:
        return max(MIN_ZOOM, min(0.5, self._fit_scale() * 0.5))

    def _apply_fit(self) -> None:
        if self._photo.isEmpty():
            return
        old = self._scale
        self._scale = self._fit_scale()
        self._center = QPointF(self._photo.width() / 2, self._photo.height() / 2)
        if abs(old - self._scale) > 1e-9:
            self.zoom_changed.emit(self._scale)

    def _clamp_center(self) -> None:
        self._center = QPointF(min(max(self._center.x(), 0.0), self._photo.width()),
                               min(max(self._center.y(), 0.0), self._photo.height()))

    def _adopt_size(self, pixmap: QPixmap | None) -> None:
        if self._photo.isEmpty() and pixmap is not None:
            self._photo = QSizeF(pixmap.deviceIndependentSize())
            self._fit = True
            self._apply_fit()

    def _pixmap(self, image: QImage | QPixmap | None) -> QPixmap | None:
        if image is None or image.isNull():
            return None
        return image if isinstance(image, QPixmap) else QPixmap.fromImage(image)

    # --- events ---------------------------------------------------------------------------------------

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._scaled.clear()
        if self._fit:
            self._apply_fit()

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        pos = event.position()
        if event.button() != Qt.MouseButton.LeftButton or self._photo.isEmpty():
            return super().mousePressEvent(event)
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        image_pos = self.widget_to_image(pos)
        for overlay in reversed(self._overlays):
            if overlay.mouse_press(self, event, image_pos):
                self._drag = "overlay"
                return None
        if self._on_divider(pos):
            self._drag = "divider"
            self.set_divider((pos.x() - self._panes()[0][0].left()) / max(1.0, self._panes()[0][0].width()))
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
            pane = self._panes()[0][0]
            self.set_divider((pos.x() - pane.left()) / max(1.0, pane.width()))
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
        if event.button() != Qt.MouseButton.LeftButton or self._photo.isEmpty():
            return
        if self._on_divider(event.position()):
            self.set_divider(0.5)
        elif self._fit:
            self.set_zoom(1.0, event.position())
        else:
            self.fit_to_window()

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802
        if self._photo.isEmpty():
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
        elif key in (Qt.Key.Key_Left, Qt.Key.Key_Right) and self._mode is CompareMode.SPLIT:
            step = (0.01 if fine else 0.05) * (-1 if key == Qt.Key.Key_Left else 1)
            self.set_divider(self._divider + step)
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

    def _on_divider(self, pos: QPointF) -> bool:
        return (self._mode is CompareMode.SPLIT and not self._photo.isEmpty()
                and abs(pos.x() - self.divider_x()) <= DIVIDER_GRAB)

    def _update_cursor(self, pos: QPointF, image_pos: QPointF) -> None:
        for overlay in reversed(self._overlays):
            shape = overlay.cursor(self, image_pos)
            if shape is not None:
                self.setCursor(shape)
                return
        if self._on_divider(pos):
            self.setCursor(Qt.CursorShape.SplitHCursor)
        elif not self._photo.isEmpty():
            self.setCursor(Qt.CursorShape.OpenHandCursor)
        else:
            self.unsetCursor()

    # --- painting -------------------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        p = QPainter(self)
        p.fillRect(self.rect(), BACKGROUND)
        if self._photo.isEmpty():
            if self._message:
                self._paint_message(p, centred=True)
            p.end()
            return
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        after = self._after or self._before
        for pane, side in self._panes():
            p.save()
            p.setClipRect(pane)
            target = self.photo_rect(pane)
            if self._peek_before:
                self._draw(p, self._before, "before", target)
            elif side == "before":
                self._draw(p, self._before, "before", target)
            elif side == "after":
                self._draw(p, after, "after" if self._after else "before", target)
            else:  # split: after everywhere, before left of the divider
                self._draw(p, after, "after" if self._after else "before", target)
                left = QRectF(pane.left(), pane.top(), self.divider_x() - pane.left(), pane.height())
                p.setClipRect(left.intersected(pane))
                self._draw(p, self._before, "before", target)
                p.setClipRect(pane)
            for overlay in self._overlays:
                overlay.paint(p, self, pane, side)
            p.restore()
        self._paint_labels(p)
        if self._mode is CompareMode.SPLIT and not self._peek_before:
            self._paint_divider(p)
        if self._message:
            self._paint_message(p)
        p.end()

    def _draw(self, p: QPainter, pixmap: QPixmap | None, key: str, target: QRectF) -> None:
        if pixmap is None:
            p.fillRect(target, QColor(58, 59, 63))
            return
        dpr = self.devicePixelRatioF()
        src_w = pixmap.width()
        want_w = target.width() * dpr
        if want_w < src_w * 0.9:
            # Shrinking: smooth-scale once per zoom level and blit, so panning stays cheap.
            size = QSize(max(1, round(target.width() * dpr)), max(1, round(target.height() * dpr)))
            cache_key = (key, pixmap.cacheKey(), size.width(), size.height())
            scaled = self._scaled.get(cache_key)
            if scaled is None:
                if len(self._scaled) > 6:
                    self._scaled.clear()
                scaled = pixmap.scaled(size, Qt.AspectRatioMode.IgnoreAspectRatio,
                                       Qt.TransformationMode.SmoothTransformation)
                scaled.setDevicePixelRatio(dpr)
                self._scaled[cache_key] = scaled
            p.drawPixmap(target.topLeft(), scaled)
        else:
            p.drawPixmap(target, pixmap, QRectF(pixmap.rect()))

    def _pill(self, p: QPainter, text: str, anchor: QPointF, align: str, *, strong: bool = False) -> QRectF:
        font = QFont(self.font())
        font.setPointSizeF(max(8.0, font.pointSizeF() * (1.0 if strong else 0.9)))
        font.setBold(strong)
        p.setFont(font)
        metrics = p.fontMetrics()
        w = metrics.horizontalAdvance(text) + 20
        h = metrics.height() + 8
        x = {"left": anchor.x(), "right": anchor.x() - w, "center": anchor.x() - w / 2}[align]
        rect = QRectF(x, anchor.y(), w, h)
        path = QPainterPath()
        path.addRoundedRect(rect, h / 2, h / 2)
        p.fillPath(path, QColor(0, 0, 0, 150))
        p.setPen(QColor(255, 255, 255))
        p.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)
        return rect

    def _paint_labels(self, p: QPainter) -> None:
        margin = 10
        if self._peek_before:
            self._pill(p, "Original", QPointF(self.width() / 2, margin), "center", strong=True)
            return
        after_label = "After" if self._after is not None else "Not colorized yet"
        panes = self._panes()
        if self._mode is CompareMode.SIDE_BY_SIDE:
            self._pill(p, "Before", QPointF(panes[0][0].left() + margin, margin), "left")
            self._pill(p, after_label, QPointF(panes[1][0].left() + margin, margin), "left")
        elif self._mode is CompareMode.SPLIT:
            dx = self.divider_x()
            if dx > 90:
                self._pill(p, "Before", QPointF(margin, margin), "left")
            if self.width() - dx > 90:
                self._pill(p, after_label, QPointF(self.width() - margin, margin), "right")
        else:
            self._pill(p, after_label, QPointF(margin, margin), "left")

    def _paint_divider(self, p: QPainter) -> None:
        x = self.divider_x()
        p.setPen(QPen(QColor(0, 0, 0, 90), 4))
        p.drawLine(QPointF(x, 0), QPointF(x, self.height()))
        p.setPen(QPen(QColor(255, 255, 255), 2))
        p.drawLine(QPointF(x, 0), QPointF(x, self.height()))
        knob = QRectF(x - 15, self.height() / 2 - 15, 30, 30)
        p.setPen(QPen(QColor(0, 0, 0, 60), 1))
        p.setBrush(QColor(255, 255, 255))
        p.drawEllipse(knob)
        p.setPen(QPen(QColor(60, 60, 64), 2))
        c = knob.center()
        for sign in (-1, 1):
            tip = QPointF(c.x() + sign * 9, c.y())
            base = c.x() + sign * 3
            p.drawLine(tip, QPointF(base, c.y() - 5))
            p.drawLine(tip, QPointF(base, c.y() + 5))

    def _paint_message(self, p: QPainter, *, centred: bool = False) -> None:
        y = self.height() / 2 - 16 if centred else self.height() - 44
        text = self._message
        metrics = p.fontMetrics()
        if metrics.horizontalAdvance(text) > self.width() - 60:
            text = metrics.elidedText(text, Qt.TextElideMode.ElideRight, max(40, self.width() - 80))
        rect = self._pill(p, text, QPointF(self.width() / 2, y), "center", strong=True)
        if self._progress is not None:
            bar = QRectF(rect.left() + 10, rect.bottom() - 4, (rect.width() - 20), 2)
            p.fillRect(bar, QColor(255, 255, 255, 60))
            p.fillRect(QRectF(bar.left(), bar.top(), bar.width() * max(0.0, min(1.0, self._progress)), 2),
                       QColor(120, 190, 255))
