"""Choosing a hint's colour: the model's suggestions, recent colours, and hue/saturation sliders.

The lightness always comes from the photo, so every swatch here is drawn at the lightness
under the hint, and the sliders only set hue and saturation (LCh hue angle and chroma).

It computes those colours with torch (`engine.hint_suggestions`), so the controller imports it
when a colour is first chosen, not while the window is built.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QSlider,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from engine.hint_suggestions import hex_ab, lab_hex, with_lightness

MAX_CHROMA = 100


class Swatch(QToolButton):
    picked = Signal(str)

    def __init__(self, color: str, tip: str = "", size: int = 28, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.color = color
        self.setFixedSize(QSize(size, size))
        self.setToolTip(f"{tip} {color}".strip())
        self.setAccessibleName(f"Colour {color}")
        border = "#ffffff" if QColor(color).lightness() < 110 else "#202020"
        self.setStyleSheet(f"QToolButton {{ background: {color}; border: 2px solid {border}; border-radius: 4px; }}"
                           "QToolButton:focus { border: 2px solid palette(highlight); }")
        self.clicked.connect(lambda: self.picked.emit(self.color))


class HintColorDialog(QDialog):
    """Modal chooser. `chosen()` is the colour (#rrggbb) once accepted.

    Signals
    -------
    color_changed(str color)
        the user picked a swatch or moved Hue/Saturation (the photo previews it live).
    """

    color_changed = Signal(str)

    def __init__(self, initial: str, lightness: float, suggestions: list[str], recent: list[str],
                 reference: list[str] | None = None, parent: QWidget | None = None, *,
                 dark: bool = False) -> None:
        super().__init__(parent)
        self.setWindowTitle("Hint colour")
        self.lightness = float(lightness)
        self._updating = False
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        self.preview = QFrame()
        self.preview.setFixedSize(72, 72)
        self.preview.setFrameShape(QFrame.Shape.Box)
        top.addWidget(self.preview)
        self.caption = QLabel()
        self.caption.setWordWrap(True)
        top.addWidget(self.caption, 1)
        layout.addLayout(top)

        form = QFormLayout()
        self.rows: dict[str, list[Swatch]] = {}
        for key, label, colours, tip in (("suggested", "Suggested", suggestions, "Likely colour"),
                                         ("recent", "Recent", recent, "Recently used"),
                                         ("reference", "Reference", reference or [], "From the reference photo")):
            if not colours:
                continue
            row = QHBoxLayout()
            row.setSpacing(4)
            swatches = []
            for i, c in enumerate(colours):
                s = Swatch(with_lightness(c, self.lightness),
                           "Current colour" if key == "suggested" and i == 0 else tip)
                s.picked.connect(self.set_color)
                row.addWidget(s)
                swatches.append(s)
            row.addStretch(1)
            self.rows[key] = swatches
            form.addRow(label, row)
        self.hue = QSlider(Qt.Orientation.Horizontal)
        self.hue.setRange(0, 359)
        self.hue.setAccessibleName("Hue")
        self.sat = QSlider(Qt.Orientation.Horizontal)
        self.sat.setRange(0, MAX_CHROMA)
        self.sat.setAccessibleName("Saturation")
        form.addRow("Hue", self.hue)
        form.addRow("Saturation", self.sat)
        layout.addLayout(form)
        note = QLabel("This spot of the photo is dark: the colours are shown brighter so you can tell them "
                      "apart; the photo keeps its own brightness." if dark else
                      "Brightness comes from the photo; choose the hue and how colourful it is. The photo "
                      "shows your choice as you go.")
        note.setStyleSheet("color: palette(placeholder-text);")
        note.setWordWrap(True)
        layout.addWidget(note)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.hue.valueChanged.connect(self._on_sliders)
        self.sat.valueChanged.connect(self._on_sliders)
        self._color = initial
        self.set_color(initial)

    def chosen(self) -> str:
        return self._color

    def place_beside(self, point, screen_rect) -> None:
        """Move next to `point` (global), never over it: right of it, else left, else above/below."""
        self.adjustSize()
        w, h, gap = self.width(), self.height(), 36
        frame = self.frameGeometry()
        fw, fh = max(w, frame.width()), max(h, frame.height())
        y = min(max(screen_rect.top(), point.y() - fh // 2), screen_rect.bottom() - fh)
        if point.x() + gap + fw <= screen_rect.right():
            self.move(point.x() + gap, y)
        elif point.x() - gap - fw >= screen_rect.left():
            self.move(point.x() - gap - fw, y)
        else:
            x = min(max(screen_rect.left(), point.x() - fw // 2), screen_rect.right() - fw)
            below = point.y() + gap
            self.move(x, below if below + fh <= screen_rect.bottom() else max(screen_rect.top(),
                                                                              point.y() - gap - fh))

    def set_color(self, color: str) -> None:
        a, b = hex_ab(color)
        self._updating = True
        self.hue.setValue(int(round(math.degrees(math.atan2(b, a)))) % 360)
        self.sat.setValue(int(round(min(MAX_CHROMA, math.hypot(a, b)))))
        self._updating = False
        self._show(with_lightness(color, self.lightness))

    def _on_sliders(self) -> None:
        if self._updating:
            return
        h = math.radians(self.hue.value())
        c = float(self.sat.value())
        self._show(lab_hex(self.lightness, c * math.cos(h), c * math.sin(h)))

    def _show(self, color: str) -> None:
        changed = color != self._color
        self._color = color
        if changed:
            self.color_changed.emit(color)
        self.preview.setStyleSheet(f"background: {color};")
        self.caption.setText(f"<b>{color}</b><br>as it will look at this point of the photo")
