"""Preferences, About, the question before quitting mid-batch, and the dialog that explains a
missing or broken model."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QUrl, Signal, Slot
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from colorizer_gui.settings import GuiSettings
from engine import __version__
from engine.catalog import user_config_dir, user_models_dir
from engine.options import DEFAULT_MAX_PIXELS
from engine.resources import resource_path

if TYPE_CHECKING:
    from colorizer_gui.workspace.batch_controller import BatchController


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


def model_card_path() -> Path:
    return resource_path("models/MODEL_CARD.md")


def about_text(model_description: str) -> str:
    model = _escape(model_description) if model_description else "no model loaded"
    card = model_card_path()
    card_link = (f"<a href=\"{QUrl.fromLocalFile(str(card)).toString()}\">model card</a>" if card.is_file()
                 else "model card")
    return (f"<h3>Colorizer {__version__}</h3>"
            "<p>Brings colour to black-and-white photos, entirely on your computer: "
            "nothing is uploaded.</p>"
            f"<p><b>Model:</b> {model}</p>"
            f"<p>How the built-in model was trained and measured, and its terms: the {card_link}.</p>"
            "<p>Your originals are never changed; results are saved as new files.</p>"
            "<p>Code under the MIT licence.</p>")


GUIDE_TITLE = "<b>Colorizer in five steps</b>"
GUIDE_TEXT = (
    "<ol>"
    "<li><b>Add photos</b>: drop photos or folders on the window, or use <i>File → Open photos…</i>. "
    "They are colorized and saved at once (turn that off in Preferences).</li>"
    "<li><b>Compare</b>: drag the divider; press 1, 2, 3 for split, side by side, after only; "
    "the mouse wheel zooms.</li>"
    "<li><b>Adjust</b>: the Strength slider changes the selected photo only; "
    "<i>New photos start at</i> sets it for photos you add later.</li>"
    "<li><b>Hints</b>: press H, click where you know the colour, pick it. The photo follows.</li>"
    "<li><b>Save</b>: Ctrl+S writes the changed photo again. Ctrl+Z undoes the last change: "
    "a photo's hints or strength, or a setting such as Detail.</li>"
    "</ol>"
    "<p>Results are new files next to the originals (or in the folder under <i>Saving</i>); "
    "originals are never changed. The <i>Fine-tune</i> tab teaches the model your own colour photos.</p>")


class ShortcutsDialog(QDialog):
    """Every keyboard shortcut of the window, as a two-column list."""

    def __init__(self, rows: list[tuple[str, str]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        self.resize(460, 520)
        layout = QVBoxLayout(self)
        self.table = QTreeWidget()
        self.table.setHeaderLabels(["Action", "Keys"])
        self.table.setRootIsDecorated(False)
        self.table.setAlternatingRowColors(True)
        for action, keys in sorted(rows, key=lambda r: r[0].lower()):
            self.table.addTopLevelItem(QTreeWidgetItem([action, keys]))
        self.table.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.header().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.table.header().setStretchLastSection(False)
        layout.addWidget(self.table)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)


def describe_unsaved(items) -> tuple[str, str]:
    """(question, details) for closing with unsaved photos: names what changed (hints, strength)."""
    def changes(item) -> list[str]:
        out = []
        if tuple(item.hints) != (item.saved_hints or ()):
            out.append("colour hints")
        if item.saved_strength is not None and abs(item.strength - item.saved_strength) > 1e-6:
            out.append(f"strength ({round(item.saved_strength * 100)} % → {round(item.strength * 100)} %)")
        saved, now = item.saved_key, item.chroma_key
        if saved is not None and now is not None:
            if saved.render_size != now.render_size:
                out.append(f"detail ({saved.render_size} → {now.render_size} px)")
            if saved.model != now.model:
                out.append("model")
        return out or ["changes"]

    n = len(items)
    if n == 1:
        item = items[0]
        what = " and ".join(changes(item))
        return (f"{item.name} has unsaved changes.",
                f"Its {what} changed since it was saved; its file still has the earlier result.")
    kinds = sorted({c.split(" (")[0] for i in items for c in changes(i)})
    names = ", ".join(i.name for i in items[:3]) + (f" and {n - 3} more" if n > 3 else "")
    return (f"{n} photos have unsaved changes.",
            f"Their {' and '.join(kinds)} changed since they were saved ({names}); "
            "their files still have the earlier results.")


class StopBatchBox(QMessageBox):
    """"Stop colorizing?" before quitting mid-batch. The batch runs on behind it, so its count
    follows the batch, and says so when the batch has ended meanwhile."""

    def __init__(self, controller: BatchController, parent: QWidget | None = None) -> None:
        super().__init__(QMessageBox.Icon.Question, "Stop colorizing?", "Photos are still being colorized.",
                         QMessageBox.StandardButton.Cancel, parent)
        self._controller = controller
        self.stop_button = self.addButton("Stop and quit", QMessageBox.ButtonRole.DestructiveRole)
        self.setDefaultButton(QMessageBox.StandardButton.Cancel)
        controller.progress_changed.connect(self.update_count)   # a slot of this box: gone with it
        self.update_count()

    @Slot()
    def update_count(self) -> None:
        o = self._controller.overall()
        if not self._controller.has_work_in_progress():
            self.setText("All photos are colorized.")
            self.setInformativeText(f"{o.finished} of {o.total} are finished and saved; nothing is lost by "
                                    "quitting now.")
            return
        self.setInformativeText(f"{o.finished} of {o.total} are finished and saved. If you quit now, the photo "
                                "being worked on is abandoned (nothing half-written is left) and the rest are "
                                "not colorized.")
