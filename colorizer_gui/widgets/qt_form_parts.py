"""The pieces the side panels are built from, so every section looks the same."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QFormLayout, QLabel, QVBoxLayout


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
