"""A small live line plot drawn with QPainter (no plotting dependency).

Each curve is created once with `add_series` and then fed with `append`/`set_data`, as in
pyqtgraph's scrolling plots; painting reads the stored points, so updates are cheap.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPalette, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget


@dataclass
class _Series:
    label: str
    color: QColor
    width: float = 1.5
    markers: bool = False
    xs: list[float] = field(default_factory=list)
    ys: list[float] = field(default_factory=list)


def nice_ticks(low: float, high: float, target: int = 5) -> list[float]:
    """Round tick values (1, 2, 2.5, 5 x 10^k steps) covering low..high."""
    if not (math.isfinite(low) and math.isfinite(high)) or high <= low:
        return [low] if math.isfinite(low) else []
    raw = (high - low) / max(1, target)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    first = math.ceil(low / step - 1e-9) * step
    ticks, v = [], first
    while v <= high + step * 1e-9:
        ticks.append(round(v, 10))
        v += step
    return ticks


def _fmt(v: float) -> str:
    if v == 0:
        return "0"
    if abs(v) >= 10000:
        return f"{v / 1000:g}k"
    return f"{v:.4g}"


class QLinePlot(QWidget):
    """Lines (and optional markers) against a shared x axis, with a legend.

    Signals
    -------
    none: this is a view; feed it with `append` or `set_data`.
    """

    def __init__(self, parent: QWidget | None = None, *, x_label: str = "", y_label: str = "",
                 empty_text: str = "No data yet") -> None:
        super().__init__(parent)
        self.x_label, self.y_label, self.empty_text = x_label, y_label, empty_text
        self._series: dict[str, _Series] = {}
        self._x_max: float | None = None
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumHeight(140)
        self.setAccessibleName(f"Plot of {y_label} against {x_label}".strip())

    # --- data ----------------------------------------------------------------------------------------

    def add_series(self, key: str, label: str, color: QColor | str, *, width: float = 1.5,
                   markers: bool = False) -> None:
        self._series[key] = _Series(label, QColor(color), width, markers)
        self.update()

    def append(self, key: str, x: float, y: float) -> None:
        s = self._series[key]
        if y is None or not math.isfinite(y):
            return
        if s.xs and x <= s.xs[-1]:
            # A resumed run repeats steps it already reported: keep the curve monotonic.
            while s.xs and s.xs[-1] >= x:
                s.xs.pop()
                s.ys.pop()
        s.xs.append(float(x))
        s.ys.append(float(y))
        self.update()

    def set_data(self, key: str, xs: list[float], ys: list[float]) -> None:
        s = self._series[key]
        pairs = [(float(x), float(y)) for x, y in zip(xs, ys) if y is not None and math.isfinite(y)]
        s.xs = [p[0] for p in pairs]
        s.ys = [p[1] for p in pairs]
        self.update()

    def clear(self) -> None:
        for s in self._series.values():
            s.xs, s.ys = [], []
        self.update()

    def set_x_max(self, x_max: float | None) -> None:
        """Fix the right end of the x axis (the planned number of steps)."""
        self._x_max = x_max
        self.update()

    def points(self, key: str) -> list[tuple[float, float]]:
        s = self._series[key]
        return list(zip(s.xs, s.ys))

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(420, 220)

    # --- drawing -------------------------------------------------------------------------------------

    def _ranges(self) -> tuple[float, float, float, float] | None:
        xs = [x for s in self._series.values() for x in s.xs]
        ys = [y for s in self._series.values() for y in s.ys]
        if not ys:
            return None
        x0, x1 = 0.0, max(xs + [self._x_max or 0.0, 1.0])
        y0, y1 = min(ys), max(ys)
        if y1 - y0 < 1e-9:
            y0, y1 = y0 - 0.5, y1 + 0.5
        pad = (y1 - y0) * 0.08
        return x0, x1, y0 - pad, y1 + pad

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt override
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        pal = self.palette()
        text = pal.color(QPalette.ColorRole.WindowText)
        faint = QColor(text)
        faint.setAlpha(40)
        p.fillRect(self.rect(), pal.color(QPalette.ColorRole.Base))
        fm = p.fontMetrics()
        ranges = self._ranges()
        if ranges is None:
            p.setPen(pal.color(QPalette.ColorRole.PlaceholderText))
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self.empty_text)
            p.end()
            return
        x0, x1, y0, y1 = ranges
        yticks = nice_ticks(y0, y1)
        left = max(fm.horizontalAdvance(_fmt(t)) for t in yticks) + 14 if yticks else 40
        legend_h = fm.height() + 6
        area = QRectF(left, 8 + legend_h, self.width() - left - 12, self.height() - 8 - legend_h - 2 * fm.height() - 8)
        if area.width() < 20 or area.height() < 20:
            p.end()
            return

        def to_px(x: float, y: float) -> QPointF:
            return QPointF(area.left() + (x - x0) / (x1 - x0) * area.width(),
                           area.bottom() - (y - y0) / (y1 - y0) * area.height())

        # grid and tick labels
        p.setPen(QPen(faint, 1))
        for t in yticks:
            y = to_px(x0, t).y()
            p.drawLine(QPointF(area.left(), y), QPointF(area.right(), y))
        for t in nice_ticks(x0, x1, 6):
            x = to_px(t, y0).x()
            p.drawLine(QPointF(x, area.top()), QPointF(x, area.bottom()))
        p.setPen(text)
        for t in yticks:
            y = to_px(x0, t).y()
            p.drawText(QRectF(0, y - fm.height() / 2, left - 6, fm.height()),
                       Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, _fmt(t))
        for t in nice_ticks(x0, x1, 6):
            x = to_px(t, y0).x()
            p.drawText(QRectF(x - 40, area.bottom() + 2, 80, fm.height()), Qt.AlignmentFlag.AlignHCenter, _fmt(t))
        p.drawText(QRectF(area.left(), area.bottom() + fm.height() + 2, area.width(), fm.height()),
                   Qt.AlignmentFlag.AlignHCenter, self.x_label)
        p.drawRect(area)

        # curves
        p.setClipRect(area.adjusted(-4, -4, 4, 4))
        for s in self._series.values():
            if not s.xs:
                continue
            pen = QPen(s.color, s.width)
            pen.setCapStyle(Qt.PenCapStyle.RoundCap)
            pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
            p.setPen(pen)
            path = QPainterPath(to_px(s.xs[0], s.ys[0]))
            for x, y in zip(s.xs[1:], s.ys[1:]):
                path.lineTo(to_px(x, y))
            p.drawPath(path)
            if s.markers or len(s.xs) == 1:
                p.setBrush(s.color)
                for x, y in zip(s.xs, s.ys):
                    p.drawEllipse(to_px(x, y), 3.2, 3.2)
                p.setBrush(Qt.BrushStyle.NoBrush)
        p.setClipping(False)

        # legend (and the y label) above the plot
        x = area.left()
        p.setPen(text)
        if self.y_label:
            p.drawText(QPointF(x, 8 + fm.ascent()), self.y_label)
            x += fm.horizontalAdvance(self.y_label) + 18
        for s in self._series.values():
            if not s.label:
                continue
            p.setPen(QPen(s.color, 2.5))
            mid = 8 + fm.height() / 2
            p.drawLine(QPointF(x, mid), QPointF(x + 18, mid))
            p.setPen(text)
            p.drawText(QPointF(x + 24, 8 + fm.ascent()), s.label)
            x += 24 + fm.horizontalAdvance(s.label) + 16
        p.end()
