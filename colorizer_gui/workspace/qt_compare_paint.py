"""Drawing the before/after viewer's pieces: the photo (scaled once per zoom level), the Before/After
labels, the split divider and the caption with its progress bar.

`CompareView.paintEvent` decides what goes where; these only draw, so how a label or the divider
looks is found and changed here without reading the viewer's zoom and mouse code.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPainterPath, QPen, QPixmap

from colorizer_gui.workspace.compare_geometry import CompareMode

BACKGROUND = QColor(40, 41, 44)
NO_IMAGE = QColor(58, 59, 63)          # where the photo will be, before its image has come
LABEL_MARGIN = 10
SCALED_KEPT = 6                        # scaled copies kept before the cache starts again


class ScaledPixmaps:
    """Draws a pixmap stretched over a target, keeping smooth-scaled copies for shrinking.

    Shrinking is smooth-scaled once per zoom level and then blitted, so panning stays cheap;
    enlarging draws the preview itself (Qt's smooth transform is fast enough there).
    """

    def __init__(self) -> None:
        self._copies: dict[tuple, QPixmap] = {}

    def clear(self) -> None:
        self._copies.clear()

    def forget(self, key: str) -> None:
        """Drop the copies of one side ("before" or "after"), e.g. when its image changes."""
        self._copies = {k: v for k, v in self._copies.items() if k[0] != key}

    def draw(self, p: QPainter, pixmap: QPixmap | None, key: str, target: QRectF, dpr: float) -> None:
        if pixmap is None:
            p.fillRect(target, NO_IMAGE)
            return
        if target.width() * dpr < pixmap.width() * 0.9:
            size = QSize(max(1, round(target.width() * dpr)), max(1, round(target.height() * dpr)))
            cache_key = (key, pixmap.cacheKey(), size.width(), size.height())
            scaled = self._copies.get(cache_key)
            if scaled is None:
                if len(self._copies) > SCALED_KEPT:
                    self._copies.clear()
                scaled = pixmap.scaled(size, Qt.AspectRatioMode.IgnoreAspectRatio,
                                       Qt.TransformationMode.SmoothTransformation)
                scaled.setDevicePixelRatio(dpr)
                self._copies[cache_key] = scaled
            p.drawPixmap(target.topLeft(), scaled)
        else:
            p.drawPixmap(target, pixmap, QRectF(pixmap.rect()))


def paint_pill(p: QPainter, base_font: QFont, text: str, anchor: QPointF, align: str, *,
               strong: bool = False) -> QRectF:
    """A rounded dark label with white text; `anchor` is its top at the left, right or centre
    (`align`). Returns where it was drawn."""
    font = QFont(base_font)
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


def paint_labels(p: QPainter, font: QFont, mode: CompareMode, panes: list[tuple[QRectF, str]], width: int,
                 divider_x: float, *, has_after: bool, peek_before: bool) -> None:
    """Say which side is which: Before/After (or "Not colorized yet"), or "Original" while B is held."""
    margin = LABEL_MARGIN
    if peek_before:
        paint_pill(p, font, "Original", QPointF(width / 2, margin), "center", strong=True)
        return
    after_label = "After" if has_after else "Not colorized yet"
    if mode is CompareMode.SIDE_BY_SIDE:
        paint_pill(p, font, "Before", QPointF(panes[0][0].left() + margin, margin), "left")
        paint_pill(p, font, after_label, QPointF(panes[1][0].left() + margin, margin), "left")
    elif mode is CompareMode.SPLIT:
        # a label goes where its side is wide enough to hold it
        if divider_x > 90:
            paint_pill(p, font, "Before", QPointF(margin, margin), "left")
        if width - divider_x > 90:
            paint_pill(p, font, after_label, QPointF(width - margin, margin), "right")
    else:
        paint_pill(p, font, after_label, QPointF(margin, margin), "left")


def paint_divider(p: QPainter, x: float, height: int) -> None:
    """The split line with a round knob and two arrows in the middle, shadowed to show on white too."""
    p.setPen(QPen(QColor(0, 0, 0, 90), 4))
    p.drawLine(QPointF(x, 0), QPointF(x, height))
    p.setPen(QPen(QColor(255, 255, 255), 2))
    p.drawLine(QPointF(x, 0), QPointF(x, height))
    knob = QRectF(x - 15, height / 2 - 15, 30, 30)
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


def paint_message(p: QPainter, font: QFont, text: str, progress: float | None, width: int, height: int, *,
                  centred: bool = False) -> None:
    """The caption: near the bottom over a photo, in the middle of an empty view; a thin bar under
    its text shows `progress` (0-1) when given."""
    y = height / 2 - 16 if centred else height - 44
    metrics = p.fontMetrics()   # measured in the painter's font as it is (the last label's), as it always was
    if metrics.horizontalAdvance(text) > width - 60:
        text = metrics.elidedText(text, Qt.TextElideMode.ElideRight, max(40, width - 80))
    rect = paint_pill(p, font, text, QPointF(width / 2, y), "center", strong=True)
    if progress is not None:
        bar = QRectF(rect.left() + 10, rect.bottom() - 4, (rect.width() - 20), 2)
        p.fillRect(bar, QColor(255, 255, 255, 60))
        p.fillRect(QRectF(bar.left(), bar.top(), bar.width() * max(0.0, min(1.0, progress)), 2),
                   QColor(120, 190, 255))
