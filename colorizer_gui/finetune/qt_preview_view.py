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
    """Held-out photos, one strip each: greyscale input | the model's colours | original.

    Or, after training, greyscale | before | after | original (`set_comparison`). The strips are
    laid out as many to a row as makes each photo largest in the space there is: a wide panel
    shows two or four photos a row, not one narrow column of thumbnails in a large empty area.
    """

    HEADERS = ("Greyscale input", "Model now", "Original")
    COMPARE_HEADERS = ("Input", "Before", "After", "Original")   # four to a strip: short words

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._strips: list[QPixmap] = []
        self._headers: tuple[str, ...] = self.HEADERS
        self.setMinimumHeight(120)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAccessibleName("Preview of held-out photos")

    def set_image(self, path: str | None, columns: int = 1, model_label: str = "Model now") -> None:
        """A preview picture: `columns` strips of three squares side by side, row after row.
        `model_label` heads the model's column ("Before training" for the first preview)."""
        pm = QPixmap(path) if path else QPixmap()
        self._strips = [] if pm.isNull() else _strips(pm, columns)
        self._headers = (self.HEADERS[0], model_label, self.HEADERS[2])
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
        strips = []
        for sa, sb in zip(strips_a, strips_b):
            strip = QPixmap(4 * side, side)
            p = QPainter(strip)
            p.drawPixmap(0, 0, sa, 0, 0, 2 * side, side)               # greyscale, before
            p.drawPixmap(2 * side, 0, sb, side, 0, 2 * side, side)     # after, original
            p.end()
            strips.append(strip)
        self._strips, self._headers = strips, self.COMPARE_HEADERS
        self.update()
        return True

    def is_comparison(self) -> bool:
        return self._headers == self.COMPARE_HEADERS and bool(self._strips)

    def has_image(self) -> bool:
        return bool(self._strips)

    def photos(self) -> int:
        return len(self._strips)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(420, 300)

    def layout_for(self, size: QSize) -> tuple[int, float]:
        """(strips per row, side of one photo square in pixels) that make the photos largest."""
        n, cells = len(self._strips), len(self._headers)
        if not n:
            return 1, 0.0
        head = self.fontMetrics().height() + 4
        best = (1, 0.0)
        for per_row in range(1, n + 1):
            rows = -(-n // per_row)
            width = (size.width() - PREVIEW_GAP * (per_row - 1)) / (per_row * cells)
            height = (size.height() - rows * head - PREVIEW_GAP * (rows - 1)) / rows
            side = min(width, height, 2.0 * self._strips[0].height())   # no more than twice its pixels
            if side > best[1] + 0.5:
                best = (per_row, side)
        return best

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt override
        p = QPainter(self)
        pal = self.palette()
        fm = p.fontMetrics()
        if not self._strips:
            p.setPen(pal.color(QPalette.ColorRole.PlaceholderText))
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                       "Previews of a few held-out photos appear here when training starts,\n"
                       "and are refreshed every few minutes.")
            p.end()
            return
        per_row, side = self.layout_for(self.size())
        cells, head = len(self._headers), fm.height() + 4
        used_w = per_row * cells * side + PREVIEW_GAP * (per_row - 1)
        x0 = (self.width() - used_w) / 2
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        p.setPen(pal.color(QPalette.ColorRole.WindowText))
        for i, strip in enumerate(self._strips):
            row, col = divmod(i, per_row)
            x = x0 + col * (cells * side + PREVIEW_GAP)
            y = row * (head + side + PREVIEW_GAP)
            for k, text in enumerate(self._headers):   # over every strip: rows may sit side by side
                rect = QRectF(x + k * side, y, side, head)
                p.drawText(rect, Qt.AlignmentFlag.AlignCenter,
                           fm.elidedText(text, Qt.TextElideMode.ElideRight, int(side)))
            p.drawPixmap(QRectF(x, y + head, cells * side, side), strip, QRectF(strip.rect()))
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
