"""The Fine-tune tab's pictures of held-out photos: what the model makes of them as it learns, and
before/after once it is done."""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPalette, QPixmap
from PySide6.QtWidgets import (
    QSizePolicy,
    QWidget,
)


class PreviewView(QWidget):
    """Held-out photos as rows of: greyscale input | current output | original.

    Or, after training, as rows of greyscale | before | after | original (`set_comparison`).
    """

    HEADERS = ("Greyscale input", "Model now", "Original")
    COMPARE_HEADERS = ("Input", "Before", "After", "Original")   # four to a row: short words

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._pixmap: QPixmap | None = None
        self._columns = 1
        self._headers: tuple[str, ...] = self.HEADERS
        self.setMinimumHeight(120)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAccessibleName("Preview of held-out photos")

    def set_image(self, path: str | None, columns: int = 1) -> None:
        """`columns` photos side by side, each as a strip of three squares."""
        pm = QPixmap(path) if path else QPixmap()
        self._pixmap = None if pm.isNull() else pm
        self._columns = max(1, columns)
        self._headers = self.HEADERS
        self.update()

    def set_comparison(self, before: str, after: str, columns: int = 1) -> bool:
        """Each held-out photo as greyscale | before | after | original, from two preview images."""
        a, b = QPixmap(before), QPixmap(after)
        if a.isNull() or b.isNull() or a.size() != b.size():
            return False
        strips_a, strips_b = _strips(a, columns), _strips(b, columns)
        if not strips_a:
            return False
        side = strips_a[0].height()
        gap = PREVIEW_GAP
        canvas = QPixmap(4 * side, len(strips_a) * (side + gap) - gap)
        canvas.fill(QColor("white"))
        p = QPainter(canvas)
        for row, (sa, sb) in enumerate(zip(strips_a, strips_b)):
            y = row * (side + gap)
            p.drawPixmap(0, y, sa, 0, 0, 2 * side, side)               # greyscale, before
            p.drawPixmap(2 * side, y, sb, side, 0, 2 * side, side)     # after, original
        p.end()
        self._pixmap, self._columns, self._headers = canvas, 1, self.COMPARE_HEADERS
        self.update()
        return True

    def is_comparison(self) -> bool:
        return self._headers == self.COMPARE_HEADERS and self._pixmap is not None
    def has_image(self) -> bool:
        return self._pixmap is not None

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(420, 300)

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt override
        p = QPainter(self)
        pal = self.palette()
        fm = p.fontMetrics()
        if self._pixmap is None:
            p.setPen(pal.color(QPalette.ColorRole.PlaceholderText))
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                       "Previews of a few held-out photos appear here when training starts,\n"
                       "and are refreshed every few minutes.")
            p.end()
            return
        head = fm.height() + 4
        avail = QSize(self.width(), max(10, self.height() - head))
        size = self._pixmap.size().scaled(avail, Qt.AspectRatioMode.KeepAspectRatio)
        x = (self.width() - size.width()) / 2
        target = QRectF(x, head, size.width(), size.height())
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        p.drawPixmap(target, self._pixmap, QRectF(self._pixmap.rect()))
        p.setPen(pal.color(QPalette.ColorRole.WindowText))
        group = size.width() / self._columns
        part = group / len(self._headers)
        for c in range(self._columns):
            for i, text in enumerate(self._headers):
                rect = QRectF(x + c * group + i * part, 0, part, head)
                p.drawText(rect, Qt.AlignmentFlag.AlignCenter,
                           fm.elidedText(text, Qt.TextElideMode.ElideRight, int(part)))
        p.end()


PREVIEW_GAP = 6   # engine.finetune._save_preview puts this many white pixels between strips


def _strips(picture: QPixmap, columns: int) -> list[QPixmap]:
    """Cut a preview picture (strips of 3 squares, `columns` side by side) back into its strips."""
    columns = max(1, columns)
    side = (picture.width() - PREVIEW_GAP * (columns - 1)) // (3 * columns)
    if side <= 0:
        return []
    rows = (picture.height() + PREVIEW_GAP) // (side + PREVIEW_GAP)
    out = []
    for r in range(rows):
        for c in range(columns):
            strip = picture.copy(c * (3 * side + PREVIEW_GAP), r * (side + PREVIEW_GAP), 3 * side, side)
            image = strip.toImage()
            if image.pixelColor(side // 2, side // 2) == QColor("white") and \
                    image.pixelColor(side + side // 2, side // 2) == QColor("white"):
                continue   # an empty cell of the last row
            out.append(strip)
    return out
