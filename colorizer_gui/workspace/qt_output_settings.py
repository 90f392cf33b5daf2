"""The Saving section of the settings panel: where results go, their format, name ending, and
what to do when a file of that name is already there."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtWidgets import QComboBox, QFileDialog, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from colorizer_gui.folders import remember_folder, start_folder
from colorizer_gui.settings import GuiSettings
from colorizer_gui.widgets.qt_form_parts import add_form, hint_label
from engine.options import FORMATS

FORMAT_LABELS = {"": "Same as the original", "png": "PNG (lossless)", "jpg": "JPEG", "tiff": "TIFF",
                 "webp": "WebP"}
IF_EXISTS_LABELS = {"rename": "Keep both", "skip": "Skip the photo", "overwrite": "Replace it"}
IF_EXISTS_TIPS = {"rename": "Save the new result with a number added (photo_color-1.jpg)",
                  "skip": "Leave the existing file and do not colorize the photo",
                  "overwrite": "Replace the existing file (never an original photo)"}


class OutputSettings(QWidget):
    """Edits the output fields of a `GuiSettings` in place.

    Signals
    -------
    changed(str name, bool merge)
        the user set `name`; `merge` when it continues an edit (typing a name ending).
    """

    changed = Signal(str, bool)

    def __init__(self, settings: GuiSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._settings = settings
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        form = self._form = add_form(layout)
        self.where_combo = QComboBox()
        self.where_combo.addItem("Next to each original", "beside")
        self.where_combo.addItem("In one folder…", "folder")
        form.addRow("Save to", self.where_combo)
        self.folder_edit = QLineEdit()
        self.folder_edit.setReadOnly(True)
        self.folder_edit.setAcceptDrops(False)
        self.folder_edit.setPlaceholderText("Choose a folder")
        self.folder_button = QPushButton("Browse…")
        row = QHBoxLayout()
        row.setSpacing(6)
        row.addWidget(self.folder_edit, 1)
        row.addWidget(self.folder_button)
        self.folder_row = QWidget()
        self.folder_row.setLayout(row)
        row.setContentsMargins(0, 0, 0, 0)
        form.addRow("Folder", self.folder_row)
        self.format_combo = QComboBox()
        for fmt, label in FORMAT_LABELS.items():
            if fmt == "" or fmt in FORMATS:
                self.format_combo.addItem(label, fmt)
        form.addRow("Format", self.format_combo)
        self.suffix_edit = QLineEdit()
        self.suffix_edit.setAcceptDrops(False)
        self.suffix_edit.setMaxLength(40)
        self.suffix_edit.setToolTip("Added to the end of each saved photo's name")
        form.addRow("Name ending", self.suffix_edit)
        self.exists_combo = QComboBox()
        for key, label in IF_EXISTS_LABELS.items():
            self.exists_combo.addItem(label, key)
            self.exists_combo.setItemData(self.exists_combo.count() - 1, IF_EXISTS_TIPS[key],
                                          Qt.ItemDataRole.ToolTipRole)
        self.exists_combo.setToolTip("What to do when a file with the saved photo's name is already there")
        form.addRow("If it exists", self.exists_combo)
        self.example = hint_label()
        layout.addWidget(self.example)
        self.warning = QLabel()
        self.warning.setWordWrap(True)
        self.warning.setStyleSheet("color: #c0392b;")
        self.warning.hide()
        layout.addWidget(self.warning)
        layout.addWidget(hint_label("Your originals are never changed."))

        self.where_combo.activated.connect(self._on_where_combo_activated)
        self.folder_button.clicked.connect(self._on_folder_button_clicked)
        self.format_combo.activated.connect(self._on_format_combo_activated)
        self.suffix_edit.textEdited.connect(self._on_suffix_edit_edited)
        self.exists_combo.activated.connect(self._on_exists_combo_activated)

    def load(self) -> None:
        """Show the settings' values (without emitting changes)."""
        s = self._settings
        for combo, value in ((self.where_combo, s.output_mode), (self.format_combo, s.format),
                             (self.exists_combo, s.if_exists)):
            blocker = QSignalBlocker(combo)
            combo.setCurrentIndex(max(0, combo.findData(value)))
            del blocker
        self.folder_edit.setText(s.output_dir)
        self.suffix_edit.setText(s.suffix)
        self._update()

    def set_output_folder(self, folder: str) -> None:
        """Save into `folder` (used by tests and by the Preferences dialog)."""
        self._settings.output_dir = folder
        self._settings.output_mode = "folder"
        self.folder_edit.setText(folder)
        blocker = QSignalBlocker(self.where_combo)
        self.where_combo.setCurrentIndex(self.where_combo.findData("folder"))
        del blocker
        self._update()
        self.changed.emit("output_dir", False)

    def _update(self) -> None:
        s = self._settings
        self.folder_row.setVisible(s.output_mode == "folder")
        label = self._form.labelForField(self.folder_row)
        if label is not None:
            label.setVisible(s.output_mode == "folder")
        ext = FORMATS[s.format][1] if s.format else ".jpg"
        where = (f"in {Path(s.output_dir).name or s.output_dir}" if s.output_mode == "folder" and s.output_dir
                 else "next to it")
        self.example.setText(f"Example: scan.jpg → {('scan' + s.suffix + ext)} ({where})")
        problem = ""
        if s.output_mode == "folder" and not s.output_dir:
            problem = "Choose the folder to save into."
        elif s.output_mode == "beside" and not s.suffix and not s.format:
            problem = ("With no name ending, results next to the originals would have the same names. "
                       "Add an ending (like _color), choose a folder or a different format.")
        self.warning.setText(problem)
        self.warning.setVisible(bool(problem))

    def _on_where_combo_activated(self, index: int) -> None:
        mode = self.where_combo.itemData(index)
        if mode == "folder" and not self._settings.output_dir:
            if not self._choose_folder(announce=False):   # folder and mode change as one undo step
                blocker = QSignalBlocker(self.where_combo)
                self.where_combo.setCurrentIndex(self.where_combo.findData(self._settings.output_mode))
                del blocker
                return
        self._settings.output_mode = mode
        self._update()
        self.changed.emit("output_mode", False)

    def _on_folder_button_clicked(self) -> None:
        if self._choose_folder():
            self._update()

    def _choose_folder(self, *, announce: bool = True) -> bool:
        start = self._settings.output_dir if Path(self._settings.output_dir or "/nonexistent").is_dir() \
            else start_folder()
        folder = QFileDialog.getExistingDirectory(self, "Save colorized photos in", start)
        if not folder:
            return False
        remember_folder(folder)
        self._settings.output_dir = folder
        self.folder_edit.setText(folder)
        if announce:
            self.changed.emit("output_dir", False)
        return True

    def _on_format_combo_activated(self, index: int) -> None:
        self._settings.format = self.format_combo.itemData(index)
        self._update()
        self.changed.emit("format", False)

    def _on_suffix_edit_edited(self, text: str) -> None:
        cleaned = "".join(c for c in text if c not in '/\\:*?"<>|')
        if cleaned != text:
            self.suffix_edit.setText(cleaned)
        self._settings.suffix = cleaned
        self._update()
        self.changed.emit("suffix", True)

    def _on_exists_combo_activated(self, index: int) -> None:
        self._settings.if_exists = self.exists_combo.itemData(index)
        self.changed.emit("if_exists", False)
