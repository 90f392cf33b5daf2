"""The middle of the Colorize tab: comparison-mode and zoom buttons, the before/after viewer, and
a line with the photo's name, size and where it was saved."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

from colorizer_gui.widgets.qt_form_parts import panel_column
from colorizer_gui.workspace.qt_compare_view import CompareView
from colorizer_gui.workspace.qt_queue_panel import tool_button


class ElidedLabel(QLabel):
    """One line of text that shrinks by eliding its middle, instead of widening its panel."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._full = ""
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

    def set_full_text(self, text: str) -> None:
        self._full = text
        self.setToolTip(text)
        self._elide()

    def full_text(self) -> str:
        return self._full

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        self.setText(self.fontMetrics().elidedText(self._full, Qt.TextElideMode.ElideMiddle, max(10, self.width())))


class ViewerPanel(QWidget):
    """`mode_actions` sit left of the viewer's bar, the zoom level and `zoom_actions` right."""

    def __init__(self, mode_actions: list[QAction], zoom_actions: list[QAction],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout, bar = panel_column(self, (4, 6, 4, 6))
        for action in mode_actions:
            bar.addWidget(tool_button(action, text_beside=True))
        bar.addStretch(1)
        self.zoom_label = QLabel()
        self.zoom_label.setMinimumWidth(48)
        self.zoom_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        bar.addWidget(self.zoom_label)
        for action in zoom_actions:
            bar.addWidget(tool_button(action, text_beside=True))
        layout.addLayout(bar)
        self.viewer = CompareView()
        layout.addWidget(self.viewer, 1)
        self.info_label = ElidedLabel()
        self.info_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.info_label.setStyleSheet("color: palette(placeholder-text);")
        layout.addWidget(self.info_label)
        self.viewer.zoom_changed.connect(lambda scale: self.zoom_label.setText(f"{scale * 100:.0f} %"))
