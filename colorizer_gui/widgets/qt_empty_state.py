"""What the Colorize tab shows before any photo is added: a large, friendly drop zone."""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPainter, QPainterPath, QPalette, QPen
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from colorizer_gui.widgets import icons
from colorizer_gui.widgets.qt_form_parts import centered


class EmptyState(QWidget):
    """"Drop photos here", with buttons for people who prefer dialogs.

    Signals
    -------
    open_files_requested(), open_folder_requested(), open_samples_requested()
    """

    open_files_requested = Signal()
    open_folder_requested = Signal()
    open_samples_requested = Signal()

    def __init__(self, parent: QWidget | None = None, *, samples_available: bool = False) -> None:
        super().__init__(parent)
        self._highlight = False
        self.setAccessibleName("Drop photos here")
        outer = QVBoxLayout(self)
        outer.setContentsMargins(48, 40, 48, 40)
        outer.addStretch(3)

        self.picture = QLabel()
        self.picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        pm = icons.pixmap("drop-photos", 112, dpr=self.devicePixelRatioF())
        if pm is not None:
            self.picture.setPixmap(pm)
        outer.addWidget(self.picture)
        outer.addSpacing(14)

        self.title = QLabel("Drop black-and-white photos here")
        font = QFont(self.title.font())
        font.setPointSizeF(font.pointSizeF() * 1.6)
        font.setBold(True)
        self.title.setFont(font)
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        outer.addWidget(self.title)

        self.subtitle = QLabel("Single photos or whole folders: Colorizer finds the photos inside, "
                               "colours each one and saves it next to the original.")
        self.subtitle.setWordWrap(True)
        self.subtitle.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.subtitle.setStyleSheet("color: palette(placeholder-text);")
        self.subtitle.setMaximumWidth(460)
        outer.addLayout(centered(self.subtitle))
        outer.addSpacing(18)

        buttons = QHBoxLayout()
        buttons.setSpacing(10)
        buttons.addStretch(1)
        self.files_button = QPushButton(icons.icon("add-photos"), "  Add photos…")
        self.files_button.setDefault(True)
        self.folder_button = QPushButton(icons.icon("add-folder"), "  Add a folder…")
        for b in (self.files_button, self.folder_button):
            b.setMinimumHeight(34)
            b.setMinimumWidth(150)
            buttons.addWidget(b)
        self.samples_button = QPushButton("Try the sample photos")
        self.samples_button.setFlat(True)
        self.samples_button.setStyleSheet(
            "QPushButton { color: palette(link); border: none; text-decoration: underline; }")
        self.samples_button.setVisible(samples_available)
        self.samples_button.setCursor(Qt.CursorShape.PointingHandCursor)
        buttons.addStretch(1)
        outer.addLayout(buttons)
        outer.addLayout(centered(self.samples_button))
        outer.addSpacing(10)

        self.formats = QLabel("JPEG · PNG · TIFF · WebP · BMP · GIF   —   your originals are never changed")
        self.formats.setAlignment(Qt.AlignmentFlag.AlignCenter)
        small = QFont(self.formats.font())
        small.setPointSizeF(small.pointSizeF() * 0.9)
        self.formats.setFont(small)
        self.formats.setStyleSheet("color: palette(placeholder-text);")
        outer.addWidget(self.formats)
        outer.addStretch(4)

        self.files_button.clicked.connect(self.open_files_requested)
        self.folder_button.clicked.connect(self.open_folder_requested)
        self.samples_button.clicked.connect(self.open_samples_requested)

    def set_highlight(self, on: bool) -> None:
        """Drawn with an accent border while files are dragged over the window."""
        if on != self._highlight:
            self._highlight = on
            self.update()

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt override
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = QRectF(self.rect()).adjusted(18, 18, -18, -18)
        path = QPainterPath()
        path.addRoundedRect(rect, 16, 16)
        palette = self.palette()
        accent = palette.color(QPalette.ColorRole.Highlight)
        if self._highlight:
            fill = QColor(accent)
            fill.setAlpha(28)
            p.fillPath(path, fill)
            pen = QPen(accent, 2.5, Qt.PenStyle.DashLine)
        else:
            base = palette.color(QPalette.ColorRole.Base)
            p.fillPath(path, base)
            line = QColor(palette.color(QPalette.ColorRole.Text))
            line.setAlpha(70)
            pen = QPen(line, 1.6, Qt.PenStyle.DashLine)
        pen.setDashPattern([5, 4])
        p.setPen(pen)
        p.drawPath(path)
        p.end()
