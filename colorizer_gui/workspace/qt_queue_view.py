"""The queue list: one row per photo with its thumbnail, name, size, status and progress."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPointF, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPainterPath, QPalette, QPen
from PySide6.QtWidgets import QAbstractItemView, QListView, QStyle, QStyledItemDelegate, QStyleOptionViewItem

from colorizer_gui.workspace.photo_queue import PhotoItem, PhotoStatus, QueueModel, adjustments_text, describe_size

ROW_HEIGHT = 64
THUMB = 48

STATUS_COLOURS = {
    PhotoStatus.QUEUED: QColor(120, 124, 132),
    PhotoStatus.WORKING: QColor(37, 118, 214),
    PhotoStatus.DONE: QColor(34, 139, 74),
    PhotoStatus.FAILED: QColor(200, 48, 48),
    PhotoStatus.CANCELLED: QColor(176, 112, 20),
    PhotoStatus.SKIPPED: QColor(120, 124, 132),
}


def fit_lines(fm: QFontMetrics, text: str, width: int, most: int) -> list[str]:
    """`text` broken at spaces into at most `most` lines of `width` pixels; the last one elided."""
    lines: list[str] = []
    words = text.split(" ")
    while words and len(lines) < most - 1:
        n = len(words)
        while n > 1 and fm.horizontalAdvance(" ".join(words[:n])) > width:
            n -= 1
        if n == len(words):
            break
        lines.append(" ".join(words[:n]))
        words = words[n:]
    if words:
        lines.append(fm.elidedText(" ".join(words), Qt.TextElideMode.ElideRight, width))
    return lines


class QueueDelegate(QStyledItemDelegate):
    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:  # noqa: N802
        return QSize(120, ROW_HEIGHT)

    @staticmethod
    def text_rect(r: QRect) -> QRect:
        """Where a row's words go: right of its thumbnail (`r`: the row less its side margins)."""
        left = r.left() + THUMB + 12
        return QRect(left, r.top() + 10, r.right() - left, r.height() - 20)

    @staticmethod
    def _fonts(option: QStyleOptionViewItem) -> tuple[QFont, QFont]:
        name_font = QFont(option.font)
        name_font.setBold(True)
        status_font = QFont(option.font)
        status_font.setPointSizeF(max(7.5, option.font.pointSizeF() * 0.9))
        return name_font, status_font

    def texts(self, item: PhotoItem, option: QStyleOptionViewItem) -> tuple[str, str, list[str]]:
        """What a row says, fitted to its width: (name, status beside it, the lines under it).

        A status too long to sit beside the whole name ("Unsaved changes") goes under it instead,
        before the size, so the name is cut only when it alone is wider than the row; a failure
        or skip reason gets two lines ("Not an image in a format Colorizer can read", whole).
        """
        width = self.text_rect(option.rect.adjusted(8, 0, -8, 0)).width()
        name_font, status_font = self._fonts(option)
        name_fm, status_fm = QFontMetrics(name_font), QFontMetrics(status_font)
        status = item.status_text()
        status_w = status_fm.horizontalAdvance(status) + 4
        second = " · ".join(p for p in (describe_size(item), adjustments_text(item)) if p)
        # A done row has a message only when its result was already there ("Already done").
        reason = item.status in (PhotoStatus.FAILED, PhotoStatus.SKIPPED, PhotoStatus.DONE) and bool(item.message)
        if reason:
            second = item.message[:1].upper() + item.message[1:]
        elif item.status is not PhotoStatus.WORKING and name_fm.horizontalAdvance(item.name) > width - status_w - 8:
            second, status, status_w = f"{status} · {second}" if second else status, "", 0
        status_w = min(status_w, max(width - 48, width // 2))
        name_w = width - (status_w + 8 if status else 0)
        name = name_fm.elidedText(item.name, Qt.TextElideMode.ElideMiddle, name_w)
        status = status_fm.elidedText(status, Qt.TextElideMode.ElideRight, status_w) if status else ""
        return name, status, fit_lines(status_fm, second, width, 2 if reason else 1)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        item: PhotoItem | None = index.data(QueueModel.ItemRole)
        if item is None:
            return
        painter.save()
        style = option.widget.style() if option.widget else None
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""
        if style is not None:
            style.drawPrimitive(QStyle.PrimitiveElement.PE_PanelItemViewItem, opt, painter, option.widget)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        palette = option.palette
        text_colour = palette.color(QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text)
        r = option.rect.adjusted(8, 0, -8, 0)

        # thumbnail
        thumb_rect = QRect(r.left(), r.top() + (r.height() - THUMB) // 2, THUMB, THUMB)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        clip = QPainterPath()
        clip.addRoundedRect(QRectF(thumb_rect), 5, 5)
        painter.fillPath(clip, QColor(60, 61, 66))
        image = item.colour_thumbnail or item.thumbnail
        if image is not None and not image.isNull():
            painter.save()
            painter.setClipPath(clip)
            scaled = image.size().scaled(thumb_rect.size(), Qt.AspectRatioMode.KeepAspectRatioByExpanding)
            target = QRect(0, 0, scaled.width(), scaled.height())
            target.moveCenter(thumb_rect.center())
            painter.drawImage(target, image)
            painter.restore()
        else:
            painter.setPen(QColor(170, 170, 175))
            if not item.readable and item.status is PhotoStatus.SKIPPED:
                glyph = (item.path.suffix.lstrip(".").upper() or "?")[:4]   # e.g. TXT: not a photo
            else:
                glyph = "!" if item.thumbnail_error else "…"
            painter.drawText(thumb_rect, Qt.AlignmentFlag.AlignCenter, glyph)

        # status badge in the thumbnail's corner
        badge = QRectF(thumb_rect.right() - 13, thumb_rect.bottom() - 13, 16, 16)
        self._paint_badge(painter, badge, item.status)

        # text
        text_rect = self.text_rect(r)
        name_font, status_font = self._fonts(option)
        name, status, lines = self.texts(item, option)
        painter.setFont(status_font)
        status_w = painter.fontMetrics().horizontalAdvance(status) + 4 if status else 0
        painter.setFont(name_font)
        painter.setPen(text_colour)
        top_line = QRect(text_rect.left(), text_rect.top(), text_rect.width() - status_w - (8 if status else 0),
                         painter.fontMetrics().height())
        painter.drawText(top_line, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, name)
        if status:
            painter.setFont(status_font)
            painter.setPen(text_colour if selected else STATUS_COLOURS[item.status])
            status_rect = QRect(text_rect.right() - status_w, text_rect.top(), status_w, top_line.height())
            painter.drawText(status_rect, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, status)

        second_colour = QColor(text_colour)
        if item.status is PhotoStatus.FAILED and item.message:
            second_colour = text_colour if selected else STATUS_COLOURS[PhotoStatus.FAILED]
        elif not (item.status in (PhotoStatus.SKIPPED, PhotoStatus.DONE) and item.message):
            second_colour.setAlphaF(0.65)
        painter.setPen(second_colour)
        painter.setFont(status_font)
        fm = painter.fontMetrics()
        for n, line in enumerate(lines):
            rect = QRect(text_rect.left(), top_line.bottom() + 4 + n * fm.lineSpacing(), text_rect.width(), fm.height())
            painter.drawText(rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, line)

        # progress bar while working
        if item.status is PhotoStatus.WORKING:
            bar = QRectF(text_rect.left(), r.bottom() - 9, text_rect.width(), 4)
            track = QPainterPath()
            track.addRoundedRect(bar, 2, 2)
            painter.fillPath(track, QColor(128, 128, 128, 70))
            fill = QPainterPath()
            fill.addRoundedRect(QRectF(bar.left(), bar.top(), max(4.0, bar.width() * item.progress), bar.height()),
                                2, 2)
            painter.fillPath(fill, STATUS_COLOURS[PhotoStatus.WORKING] if not selected else text_colour)
        painter.restore()

    def _paint_badge(self, painter: QPainter, rect: QRectF, status: PhotoStatus) -> None:
        if status in (PhotoStatus.QUEUED,):
            return
        painter.save()
        painter.setPen(QPen(QColor(255, 255, 255), 1.5))
        painter.setBrush(STATUS_COLOURS[status])
        painter.drawEllipse(rect)
        c = rect.center()
        pen = QPen(QColor(255, 255, 255), 1.6)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        painter.setPen(pen)
        if status is PhotoStatus.DONE:
            painter.drawPolyline([QPointF(c.x() - 3.5, c.y()), QPointF(c.x() - 1, c.y() + 2.5),
                                  QPointF(c.x() + 3.5, c.y() - 2.5)])
        elif status is PhotoStatus.FAILED:
            painter.drawLine(QPointF(c.x(), c.y() - 3.5), QPointF(c.x(), c.y() + 0.8))
            painter.drawPoint(QPointF(c.x(), c.y() + 3.2))
        elif status is PhotoStatus.WORKING:
            for dx in (-3, 0, 3):
                painter.drawPoint(QPointF(c.x() + dx, c.y()))
        else:  # cancelled, skipped
            painter.drawLine(QPointF(c.x() - 3, c.y()), QPointF(c.x() + 3, c.y()))
        painter.restore()


class QueueView(QListView):
    """The queue list. Rows can be reordered by dragging; files dropped on it go to the window.

    Signals
    -------
    activated_item(int item_id)
        a row was double-clicked or Enter was pressed on it.
    context_menu_requested(QPoint global_pos)
    """

    activated_item = Signal(int)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setItemDelegate(QueueDelegate(self))
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setUniformItemSizes(True)
        self.setDragEnabled(True)
        self.setAcceptDrops(True)
        self.setDropIndicatorShown(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.setAccessibleName("Photo queue")
        self.doubleClicked.connect(self._on_self_double_clicked)

    def selected_ids(self) -> list[int]:
        items = [i.data(QueueModel.ItemRole) for i in self.selectionModel().selectedRows()] if self.model() else []
        return [i.id for i in items if i is not None]

    def current_item(self) -> PhotoItem | None:
        index = self.currentIndex()
        return index.data(QueueModel.ItemRole) if index.isValid() else None

    def _on_self_double_clicked(self, index: QModelIndex) -> None:
        item = index.data(QueueModel.ItemRole)
        if item is not None:
            self.activated_item.emit(item.id)

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt override
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentIndex().isValid():
            item = self.currentIndex().data(QueueModel.ItemRole)
            if item is not None:
                self.activated_item.emit(item.id)
                return
        super().keyPressEvent(event)

    def dragEnterEvent(self, event) -> None:  # noqa: N802
        # Files from outside are for the window (it adds them); only our own rows move here.
        if event.source() is self:
            super().dragEnterEvent(event)
        else:
            event.ignore()

    def dragMoveEvent(self, event) -> None:  # noqa: N802
        if event.source() is self:
            super().dragMoveEvent(event)
        else:
            event.ignore()

    def dropEvent(self, event) -> None:  # noqa: N802
        if event.source() is self:
            super().dropEvent(event)
        else:
            event.ignore()
