"""The left column of the Colorize tab: the photo list with its buttons and the batch's progress."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QAction, QFont
from PySide6.QtWidgets import QLabel, QProgressBar, QToolButton, QWidget

from colorizer_gui.widgets.qt_form_parts import panel_column
from colorizer_gui.workspace.photo_queue import QueueModel
from colorizer_gui.workspace.qt_queue_view import QueueView


def tool_button(action: QAction, *, text_beside: bool = False) -> QToolButton:
    """A flat toolbar-style button for `action`, as in the panel headers."""
    button = QToolButton()
    button.setDefaultAction(action)
    if text_beside:
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    button.setAutoRaise(True)
    button.setIconSize(QSize(18, 18))
    return button


class QueuePanel(QWidget):
    """Title ("Photos (n)"), the row buttons, the queue and the overall progress bar and line."""

    def __init__(self, queue: QueueModel, header_actions: list[QAction], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout, header = panel_column(self, (8, 6, 4, 6))
        self.title = QLabel("Photos")
        font = QFont(self.title.font())
        font.setBold(True)
        self.title.setFont(font)
        header.addWidget(self.title)
        header.addStretch(1)
        for action in header_actions:
            header.addWidget(tool_button(action))
        layout.addLayout(header)
        self.view = QueueView()
        self.view.setModel(queue)
        layout.addWidget(self.view, 1)
        self.overall_bar = QProgressBar()
        self.overall_bar.setRange(0, 1000)
        self.overall_bar.setTextVisible(False)
        self.overall_bar.setFixedHeight(6)
        layout.addWidget(self.overall_bar)
        self.overall_label = QLabel()
        self.overall_label.setWordWrap(True)
        layout.addWidget(self.overall_label)
        self.setMinimumWidth(240)

    def show_count(self, photos: int) -> None:
        self.title.setText(f"Photos ({photos})" if photos else "Photos")

    def show_overall(self, fraction: float, visible: bool, text: str) -> None:
        self.overall_bar.setValue(round(fraction * 1000))
        self.overall_bar.setVisible(visible)
        self.overall_label.setText(text)
