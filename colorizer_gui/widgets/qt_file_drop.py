"""Files dropped on a window: the "Drop to add" sheet and the drag events behind it."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QWidget


class DropOverlay(QWidget):
    """A translucent "Drop to add" sheet over the window while files are dragged over it."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.text = "Drop to add photos"
        self.hide()

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt override
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        accent = self.palette().highlight().color()
        p.fillRect(self.rect(), QColor(accent.red(), accent.green(), accent.blue(), 40))
        rect = self.rect().adjusted(12, 12, -12, -12)
        path = QPainterPath()
        path.addRoundedRect(rect.toRectF(), 16, 16)
        p.setPen(QPen(accent, 3, Qt.PenStyle.DashLine))
        p.drawPath(path)
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * 1.8)
        font.setBold(True)
        p.setFont(font)
        metrics = p.fontMetrics()
        w = metrics.horizontalAdvance(self.text) + 48
        h = metrics.height() + 28
        pill = QPainterPath()
        box = rect.toRectF()
        pill.addRoundedRect(box.center().x() - w / 2, box.center().y() - h / 2, w, h, h / 2, h / 2)
        p.fillPath(pill, accent)
        p.setPen(QColor(255, 255, 255))
        p.drawText(pill.boundingRect(), Qt.AlignmentFlag.AlignCenter, self.text)
        p.end()


def dropped_paths(event) -> list[Path]:
    """The local files a drag carries (none for text, web links or another app's private data)."""
    mime = event.mimeData()
    if not mime.hasUrls():
        return []
    return [Path(u.toLocalFile()) for u in mime.urls() if u.isLocalFile()]


def drop_text(count: int) -> str:
    return f"Drop to add {count} items" if count > 1 else "Drop to add"


class FileDrops(QObject):
    """Makes `window` take files dragged from a file manager, with the overlay over `cover()`.

    An event filter, so the window keeps no drag code of its own.

    Signals
    -------
    dragging(bool)
        files are being dragged over the window (True), or the drag ended (False).
    dropped(list)
        the local paths that were dropped.
    """

    dragging = Signal(bool)
    dropped = Signal(list)

    def __init__(self, window: QWidget, cover) -> None:
        super().__init__(window)
        self._window = window
        self._cover = cover   # callable: the widget the sheet covers (the window's central widget)
        self.overlay = DropOverlay(window)
        window.setAcceptDrops(True)
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if watched is not self._window:
            return False
        kind = event.type()
        if kind == QEvent.Type.DragEnter:
            self._enter(event)
            return True
        if kind == QEvent.Type.DragMove:
            event.acceptProposedAction() if dropped_paths(event) else event.ignore()
            return True
        if kind == QEvent.Type.DragLeave:
            self._end()
            return True
        if kind == QEvent.Type.Drop:
            self._drop(event)
            return True
        if kind == QEvent.Type.Resize and self.overlay.isVisible():
            self.overlay.setGeometry(self._cover().geometry())
        return False

    def _enter(self, event) -> None:
        paths = dropped_paths(event)
        if not paths:
            event.ignore()
            return
        event.acceptProposedAction()
        self.overlay.text = drop_text(len(paths))
        self.overlay.setGeometry(self._cover().geometry())
        self.overlay.raise_()
        self.overlay.show()
        self.dragging.emit(True)

    def _drop(self, event) -> None:
        self._end()
        paths = dropped_paths(event)
        if not paths:
            event.ignore()
            return
        event.acceptProposedAction()
        self._window.raise_()
        self._window.activateWindow()
        self.dropped.emit(paths)

    def _end(self) -> None:
        self.overlay.hide()
        self.dragging.emit(False)
