"""Preferences, About, and the dialog that explains a missing or broken model."""

from __future__ import annotations

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from colorizer_gui.settings import GuiSettings
from engine import __version__
from engine.catalog import user_config_dir, user_models_dir
from engine.photo_io import DEFAULT_MAX_PIXELS


def open_folder(path) -> None:
    path.mkdir(parents=True, exist_ok=True)
    QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))


class PreferencesDialog(QDialog):
    """Less common settings. Edits a copy; `result_settings()` after Accepted."""

    def __init__(self, settings: GuiSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Preferences")
        self.setMinimumWidth(440)
        self._settings = settings
        layout = QVBoxLayout(self)
        form = QFormLayout()
        form.setVerticalSpacing(10)
        self.auto_start = QCheckBox("Start colorizing as soon as photos are added")
        self.auto_start.setChecked(settings.auto_start)
        form.addRow("Batch", self.auto_start)
        self.quality = QSpinBox()
        self.quality.setRange(50, 100)
        self.quality.setValue(settings.quality)
        self.quality.setSuffix(" %")
        self.quality.setToolTip("JPEG and WebP quality; higher keeps more detail in bigger files")
        form.addRow("JPEG / WebP quality", self.quality)
        self.allow_huge = QCheckBox(f"Allow photos over {DEFAULT_MAX_PIXELS // 1_000_000} megapixels")
        self.allow_huge.setToolTip("Very large scans need a lot of memory; leave this off unless you need it")
        self.allow_huge.setChecked(settings.allow_huge)
        form.addRow("Large photos", self.allow_huge)
        layout.addLayout(form)

        folders = QLabel("Your models and settings are kept in your user folders.")
        folders.setWordWrap(True)
        folders.setStyleSheet("color: palette(placeholder-text);")
        layout.addSpacing(6)
        layout.addWidget(folders)
        self.models_button = QPushButton("Open models folder")
        self.settings_button = QPushButton("Open settings folder")
        self.models_button.clicked.connect(lambda: open_folder(user_models_dir()))
        self.settings_button.clicked.connect(lambda: open_folder(user_config_dir()))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.addButton(self.models_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.settings_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addSpacing(8)
        layout.addWidget(buttons)

    def apply_to(self, settings: GuiSettings) -> None:
        settings.auto_start = self.auto_start.isChecked()
        settings.quality = self.quality.value()
        settings.allow_huge = self.allow_huge.isChecked()


class ModelProblemBox(QMessageBox):
    """Says what is wrong with the model and what to do about it. Shown without blocking.

    Signals
    -------
    import_requested()
    """

    import_requested = Signal()

    def __init__(self, message: str, *, missing: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setIcon(QMessageBox.Icon.Warning)
        self.setTextFormat(Qt.TextFormat.RichText)
        if missing:
            self.setWindowTitle("Colour model missing")
            self.setText("<b>Colorizer can't find its colour model</b>")
            self.setInformativeText(
                "Photos can be added, but they can't be coloured until a model is available.<br><br>"
                "<b>What to do:</b> reinstall Colorizer (the model comes with it), or if you were given a "
                "model file (<i>.safetensors</i>), click <b>Import model…</b>.")
        else:
            self.setWindowTitle("Colour model can't be used")
            self.setText("<b>The colour model could not be loaded</b>")
            self.setInformativeText(
                f"{_escape(message[:1].upper() + message[1:])}.<br><br>"
                "<b>What to do:</b> choose another model under <i>Settings → Model</i>, import a working "
                "model file with <b>Import model…</b>, or reinstall Colorizer to restore its built-in model.")
        self.import_button = self.addButton("Import model…", QMessageBox.ButtonRole.ActionRole)
        self.folder_button = self.addButton("Open models folder", QMessageBox.ButtonRole.ActionRole)
        self.addButton(QMessageBox.StandardButton.Close)
        self.import_button.clicked.connect(self.import_requested)
        self.folder_button.clicked.connect(lambda: open_folder(user_models_dir()))
        self.setWindowModality(Qt.WindowModality.WindowModal)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def about_text(model_description: str) -> str:
    model = _escape(model_description) if model_description else "no model loaded"
    return (f"<h3>Colorizer {__version__}</h3>"
            "<p>Brings colour to black-and-white photos, entirely on your computer: "
            "nothing is uploaded.</p>"
            f"<p><b>Model:</b> {model}</p>"
            "<p>Your originals are never changed; results are saved as new files.</p>"
            "<p>Code under the MIT licence. The model's terms are in its model card.</p>")
