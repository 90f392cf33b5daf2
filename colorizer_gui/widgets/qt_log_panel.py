"""The activity log: every photo that failed or was skipped, with the reason, in plain words.

Its lines come from the window's `ActivityLog` (colorizer_gui/activity_log.py), that is from
`logging`, so the log file holds the same lines.
"""

from __future__ import annotations

import time

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QFont, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPlainTextEdit, QToolButton, QVBoxLayout, QWidget

LEVEL_COLOURS = {"info": None, "warning": "#b26a00", "error": "#c62828"}
MAX_BLOCKS = 5000


class LogPanel(QWidget):
    """Signals
    -------
    hide_requested()
    """

    hide_requested = Signal()
    _line = Signal(str, str)   # a reported line, queued to the UI thread when reported elsewhere

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 6)
        layout.setSpacing(4)
        header = QHBoxLayout()
        title = QLabel("Activity")
        font = QFont(title.font())
        font.setBold(True)
        title.setFont(font)
        header.addWidget(title)
        self.summary = QLabel()
        self.summary.setStyleSheet("color: palette(placeholder-text);")
        header.addWidget(self.summary, 1)
        self.clear_button = QToolButton()
        self.clear_button.setText("Clear")
        self.clear_button.setAutoRaise(True)
        self.hide_button = QToolButton()
        self.hide_button.setText("Hide")
        self.hide_button.setAutoRaise(True)
        header.addWidget(self.clear_button)
        header.addWidget(self.hide_button)
        layout.addLayout(header)
        self.text = QPlainTextEdit()
        self.text.setReadOnly(True)
        self.text.setAcceptDrops(False)
        self.text.setMaximumBlockCount(MAX_BLOCKS)
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse |
                                          Qt.TextInteractionFlag.TextSelectableByKeyboard)
        self.text.setAccessibleName("Activity log")
        layout.addWidget(self.text)
        self.clear_button.clicked.connect(self.clear)
        self.hide_button.clicked.connect(self.hide_requested)
        self.errors = 0
        self.warnings = 0
        self._line.connect(self.add)

    def follow(self, activity) -> None:
        """Show every line `activity` (an ActivityLog) reports, until the panel is destroyed."""
        activity.feed(self._line.emit)
        self.destroyed.connect(lambda *_: activity.close())

    def add(self, level: str, message: str) -> None:
        stamp = time.strftime("%H:%M:%S")
        cursor = self.text.textCursor()
        cursor.movePosition(QTextCursor.MoveOperation.End)
        fmt = QTextCharFormat()
        colour = LEVEL_COLOURS.get(level)
        if colour:
            fmt.setForeground(QColor(colour))
        if not self.text.document().isEmpty():
            cursor.insertBlock()
        cursor.insertText(f"{stamp}  {message}", fmt)
        self.text.setTextCursor(cursor)
        self.text.ensureCursorVisible()
        if level == "error":
            self.errors += 1
        elif level == "warning":
            self.warnings += 1
        self._update_summary()

    def clear(self) -> None:
        self.text.clear()
        self.errors = self.warnings = 0
        self._update_summary()

    def plain_text(self) -> str:
        return self.text.toPlainText()

    def _update_summary(self) -> None:
        parts = []
        if self.errors:
            parts.append(f"{self.errors} problem{'s' if self.errors != 1 else ''}")
        if self.warnings:
            parts.append(f"{self.warnings} skipped or warning{'s' if self.warnings != 1 else ''}")
        self.summary.setText(" · ".join(parts))
