"""A coloured line of text with a few action buttons: how a tab says what happened and offers what next."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QWidget,
)


class MessageBar(QFrame):
    """A coloured line of text with a few action buttons, shown above the tab's content."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setObjectName("finetuneMessageBar")
        row = QHBoxLayout(self)
        row.setContentsMargins(10, 6, 6, 6)
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.label.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        row.addWidget(self.label, 1)
        self._buttons_row = QHBoxLayout()
        row.addLayout(self._buttons_row)
        self.buttons: list[QPushButton] = []
        self.kind = ""
        self.hide()

    def show_message(self, text: str, kind: str = "info", actions: list[tuple[str, object]] | None = None) -> None:
        colours = {"info": "#e3f2fd", "success": "#e8f5e9", "warning": "#fff8e1", "error": "#ffebee"}
        self.kind = kind
        self.setStyleSheet(f"#finetuneMessageBar {{ background: {colours.get(kind, colours['info'])}; "
                           "border-radius: 6px; } #finetuneMessageBar QLabel { color: #1f2328; }")
        self.label.setText(text)
        for b in self.buttons:
            b.deleteLater()
        self.buttons = []
        for label, callback in actions or []:
            b = QPushButton(label)
            b.clicked.connect(callback)
            self._buttons_row.addWidget(b)
            self.buttons.append(b)
        self.show()

    def button(self, text: str) -> QPushButton | None:
        return next((b for b in self.buttons if b.text().startswith(text)), None)
