"""A small manager for colour models: list, rename, delete, export and import.

All file work goes through `engine.model_manager`, which validates imports (no pickles,
plausible architecture, every weight loads) before anything is copied.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QMessageBox,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from colorizer_gui.folders import in_start_folder, remember_folder, start_folder
from engine import model_manager
from engine.catalog import ModelEntry, user_models_dir
from engine.weights import MODEL_SUFFIX, ModelError

_COLUMNS = ("Name", "Kind", "Based on", "Trained on", "Held-out PSNR")


def describe_entry(entry: ModelEntry) -> list[str]:
    """The table row for a model: name, kind, base model, data, PSNR before -> after."""
    if entry.info is None:
        return [entry.name, "unusable", "", entry.error or "", ""]
    t, m = entry.info.training or {}, entry.info.metrics or {}
    kind = "built in" if entry.source == "bundled" else ("fine-tuned" if t.get("fine_tuned") else "imported")
    data = t.get("folder") or ", ".join(t.get("data") or [])
    # A model trained on from itself (the built-in one) records this run's steps as `steps` and
    # all of them as `total_steps`, which is what its description and `colorize --list-models` say.
    own = t.get("base_model") in (None, "", entry.name, entry.info.name)
    steps = t.get("total_steps") if own and not t.get("fine_tuned") and t.get("total_steps") else t.get("steps")
    if t.get("train_photos"):
        data = f"{data} ({t['train_photos']:,} photos, {steps:,} steps)" if isinstance(steps, int) else \
            f"{data} ({t['train_photos']:,} photos)"
    before, after = m.get("held_out_before") or {}, m.get("held_out_after") or {}
    psnr = ""
    if before.get("psnr") is not None and after.get("psnr") is not None:
        psnr = f"{before['psnr']:.2f} → {after['psnr']:.2f} dB"
    return [entry.name, kind, "" if own else t.get("base_model") or "", data, psnr]


class QModelManager(QWidget):
    """The list of models with Import, Export, Rename and Delete.

    Signals
    -------
    models_changed()
        a model was imported, renamed or deleted (the Colorize tab should re-read its list).
    """

    models_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._entries: dict[tuple[str, str], ModelEntry] = {}
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(list(_COLUMNS))
        self.tree.setRootIsDecorated(False)
        self.tree.setAlternatingRowColors(True)
        self.tree.setUniformRowHeights(True)
        self.tree.header().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.tree.header().setStretchLastSection(True)
        self.tree.header().setMinimumSectionSize(90)
        # Room between columns: ResizeToContents alone packs them edge to edge.
        self.tree.setStyleSheet("QTreeWidget::item { padding: 4px 14px 4px 2px; }")
        layout.addWidget(self.tree, 1)

        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message.hide()
        layout.addWidget(self.message)

        row = QHBoxLayout()
        self.import_button = QPushButton("Import…")
        self.import_button.setToolTip("Add a .safetensors model file; it is checked before it is copied.")
        self.export_button = QPushButton("Export…")
        self.export_button.setToolTip("Save a copy of the selected model, to share it or keep a backup.")
        self.rename_button = QPushButton("Rename…")
        self.delete_button = QPushButton("Delete")
        for b in (self.import_button, self.export_button, self.rename_button, self.delete_button):
            row.addWidget(b)
        row.addStretch(1)
        self.folder_label = QLabel()
        self.folder_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        row.addWidget(self.folder_label)
        layout.addLayout(row)

        self.import_button.clicked.connect(self._on_import_clicked)
        self.export_button.clicked.connect(self._on_export_clicked)
        self.rename_button.clicked.connect(self._on_rename_clicked)
        self.delete_button.clicked.connect(self._on_delete_clicked)
        self.tree.currentItemChanged.connect(lambda *_: self._update_buttons())
        self.refresh()

    # --- public ----------------------------------------------------------------------------------------

    def refresh(self, select: str | None = None) -> None:
        current = select or self.selected_name()
        self._entries: dict[tuple[str, str], ModelEntry] = {}
        self.tree.clear()
        for entry in model_manager.list_all():
            item = QTreeWidgetItem(describe_entry(entry))
            item.setData(0, Qt.ItemDataRole.UserRole, entry.name)
            item.setData(1, Qt.ItemDataRole.UserRole, entry.source)
            item.setToolTip(0, str(entry.path))
            if entry.info is not None and entry.info.description:
                item.setToolTip(3, entry.info.description)
            self._entries[(entry.name, entry.source)] = entry
            self.tree.addTopLevelItem(item)
            if entry.name == current:
                self.tree.setCurrentItem(item)
        if self.tree.currentItem() is None and self.tree.topLevelItemCount():
            self.tree.setCurrentItem(self.tree.topLevelItem(0))
        self.folder_label.setText(f"Your models: {user_models_dir()}")
        self._update_buttons()

    def selected_entry(self) -> ModelEntry | None:
        item = self.tree.currentItem()
        if item is None:
            return None
        return self._entries.get((item.data(0, Qt.ItemDataRole.UserRole), item.data(1, Qt.ItemDataRole.UserRole)))

    def selected_name(self) -> str | None:
        item = self.tree.currentItem()
        return item.data(0, Qt.ItemDataRole.UserRole) if item is not None else None

    def import_file(self, path: Path) -> Path | None:
        try:
            dest = model_manager.import_model(Path(path))
        except (ModelError, OSError) as exc:
            self.show_message(f"{Path(path).name} was not imported: {exc}.", error=True)
            return None
        self.show_message(f"Imported “{dest.stem}”. It is now in the Colorize tab's model list.")
        self.refresh(select=dest.stem)
        self.models_changed.emit()
        return dest

    def show_message(self, text: str, *, error: bool = False) -> None:
        self.message.setText(text)
        self.message.setStyleSheet("color: palette(highlight);" if not error else "color: #c62828;")
        self.message.setProperty("error", error)
        self.message.show()

    # --- questions (tests replace these) ---------------------------------------------------------------

    def ask_import_path(self) -> str:
        path, _ = QFileDialog.getOpenFileName(self, "Import a colour model", start_folder(),
                                              f"Colorizer models (*{MODEL_SUFFIX});;All files (*)")
        if path:
            remember_folder(path)
        return path

    def ask_export_path(self, name: str) -> str:
        path, _ = QFileDialog.getSaveFileName(self, "Export the model", in_start_folder(f"{name}{MODEL_SUFFIX}"),
                                              f"Colorizer models (*{MODEL_SUFFIX})")
        if path:
            remember_folder(path)
        return path

    def ask_new_name(self, name: str) -> str | None:
        text, ok = QInputDialog.getText(self, "Rename the model", "New name:", text=name)
        return text if ok else None

    def confirm_delete(self, name: str) -> bool:
        answer = QMessageBox.question(self, "Delete the model?",
                                      f"Delete “{name}”? Its file is removed from your models folder.",
                                      QMessageBox.StandardButton.Cancel | QMessageBox.StandardButton.Yes,
                                      QMessageBox.StandardButton.Cancel)
        return answer == QMessageBox.StandardButton.Yes

    # --- slots -----------------------------------------------------------------------------------------

    def _update_buttons(self) -> None:
        entry = self.selected_entry()
        user = entry is not None and entry.source == "user"
        self.export_button.setEnabled(entry is not None and entry.info is not None)
        self.rename_button.setEnabled(user)
        self.delete_button.setEnabled(user)
        tip = "" if user or entry is None else "Built-in models cannot be changed."
        self.rename_button.setToolTip(tip)
        self.delete_button.setToolTip(tip)

    def _on_import_clicked(self) -> None:
        path = self.ask_import_path()
        if path:
            self.import_file(Path(path))

    def _on_export_clicked(self) -> None:
        entry = self.selected_entry()
        if entry is None:
            return
        dest = self.ask_export_path(entry.name)
        if not dest:
            return
        try:
            out = model_manager.export_model_file(entry.path, Path(dest))
        except (ModelError, OSError) as exc:
            self.show_message(f"Export failed: {exc}.", error=True)
            return
        self.show_message(f"Exported “{entry.name}” to {out}.")

    def _on_rename_clicked(self) -> None:
        name = self.selected_name()
        if not name:
            return
        new = self.ask_new_name(name)
        if not new or new.strip() == name:
            return
        try:
            dest = model_manager.rename_model(name, new)
        except (ModelError, OSError) as exc:
            self.show_message(f"Not renamed: {exc}.", error=True)
            return
        self.show_message(f"Renamed “{name}” to “{dest.stem}”.")
        self.refresh(select=dest.stem)
        self.models_changed.emit()

    def _on_delete_clicked(self) -> None:
        name = self.selected_name()
        if not name or not self.confirm_delete(name):
            return
        try:
            model_manager.delete_model(name)
        except (ModelError, OSError) as exc:
            self.show_message(f"Not deleted: {exc}.", error=True)
            return
        self.show_message(f"Deleted “{name}”.")
        self.refresh()
        self.models_changed.emit()


class ModelManagerDialog(QDialog):
    """QModelManager in a window of its own."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Your colour models")
        self.resize(1020, 400)
        layout = QVBoxLayout(self)
        self.manager = QModelManager(self)
        layout.addWidget(self.manager)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
