"""The pieces the side panels are built from, so every section looks the same."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QComboBox, QFormLayout, QHBoxLayout, QLabel, QSplitter, QToolButton, QVBoxLayout, QWidget


def section_title(title: str) -> QLabel:
    label = QLabel(title)
    font = QFont(label.font())
    font.setBold(True)
    font.setPointSizeF(font.pointSizeF() * 1.05)
    label.setFont(font)
    label.setContentsMargins(0, 6, 0, 0)
    return label


def hint_label(text: str = "") -> QLabel:
    """Small grey wrapped text under a control, saying what it does."""
    label = QLabel(text)
    label.setWordWrap(True)
    label.setStyleSheet("color: palette(placeholder-text);")
    font = QFont(label.font())
    font.setPointSizeF(font.pointSizeF() * 0.92)
    label.setFont(font)
    return label


def add_form(parent_layout: QVBoxLayout) -> QFormLayout:
    """A label/field form added to `parent_layout`, fields taking the width."""
    form = QFormLayout()
    form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
    form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
    form.setHorizontalSpacing(10)
    form.setVerticalSpacing(8)
    parent_layout.addLayout(form)
    return form


def panel_column(panel: QWidget, margins: tuple[int, int, int, int]) -> tuple[QVBoxLayout, QHBoxLayout]:
    """`panel`'s column and a tight row of buttons for its top (added by the caller when filled)."""
    layout = QVBoxLayout(panel)
    layout.setContentsMargins(*margins)
    layout.setSpacing(6)
    bar = QHBoxLayout()
    bar.setSpacing(2)
    return layout, bar


def field_with_button(field: QWidget, button: QWidget, spacing: int | None = None) -> QHBoxLayout:
    """A form field that takes the width, with its button (Import…, Browse…) beside it."""
    row = QHBoxLayout()
    if spacing is not None:
        row.setSpacing(spacing)
    row.addWidget(field, 1)
    row.addWidget(button)
    return row


def centered(widget: QWidget) -> QHBoxLayout:
    """`widget` at its own width in the middle of a row."""
    row = QHBoxLayout()
    row.addStretch(1)
    row.addWidget(widget)
    row.addStretch(1)
    return row


def model_combo(min_chars: int, tip: str) -> QComboBox:
    """A combo box of model names that shrinks to `min_chars` rather than to its longest name."""
    combo = QComboBox()
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(min_chars)
    combo.setToolTip(tip)
    return combo


def text_button(text: str, tip: str) -> QToolButton:
    button = QToolButton()
    button.setText(text)
    button.setToolTip(tip)
    return button


def splitter(orientation: Qt.Orientation, panes: list[tuple[QWidget, int, bool]], sizes: list[int]) -> QSplitter:
    """A splitter of (widget, stretch, collapsible) panes: what grows with the window, what the
    user may drag shut, and where the handles start."""
    split = QSplitter(orientation)
    for i, (widget, stretch, collapsible) in enumerate(panes):
        split.addWidget(widget)
        split.setStretchFactor(i, stretch)
        split.setCollapsible(i, collapsible)
    split.setSizes(sizes)
    return split
