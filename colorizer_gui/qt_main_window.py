"""The main window: menus, tabs (Colorize, and Fine-tune when present), status bar, drops."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QEvent, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QTabWidget,
    QWidget,
)

from colorizer_gui.folders import last_folder, remember_folder, start_folder
from colorizer_gui.qt_dialogs import (
    GUIDE_TEXT,
    GUIDE_TITLE,
    ModelProblemBox,
    PreferencesDialog,
    ShortcutsDialog,
    StopBatchBox,
    about_text,
    describe_unsaved,
)
from colorizer_gui.qt_window_menus import build_menus
from colorizer_gui.settings import GuiSettings, load_settings, save_settings
from colorizer_gui.widgets import icons
from colorizer_gui.widgets.qt_file_drop import FileDrops
from colorizer_gui.workers import Debounced
from colorizer_gui.workspace.photo_queue import PhotoItem, PhotoStatus
from colorizer_gui.workspace.qt_colorize_tab import ColorizeTab
from engine import model_manager
from engine.catalog import user_models_dir
from engine.weights import MODEL_SUFFIX, ModelError, check_model_file

try:  # the Fine-tune tab is built separately; the app works without it
    from colorizer_gui.finetune.qt_finetune_tab import FineTuneTab
except ImportError:
    FineTuneTab = None

DEFAULT_SIZE = (1280, 820)


class MainWindow(QMainWindow):
    """Colorizer's window.

    Signals
    -------
    models_changed()
        the model list was re-read (after an import, or when the Fine-tune tab saved a model).
    """

    models_changed = Signal()

    def __init__(self, settings: GuiSettings | None = None, *, load_model: bool = True,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        problem = None
        if settings is None:
            settings, problem = load_settings()
        self.settings = settings
        if settings.last_open_dir:
            remember_folder(settings.last_open_dir)
        self.setWindowTitle("Colorizer")
        self.setWindowIcon(icons.app_icon())
        self.setMinimumSize(900, 600)
        self._closing = False
        self._close_when_idle = False
        self.model_problem_box: ModelProblemBox | None = None

        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.setTabBarAutoHide(True)
        self.colorize_tab = ColorizeTab(settings, self)
        self.tabs.addTab(self.colorize_tab, icons.icon("mode-split"), "Colorize")
        self.finetune_tab = self._make_finetune_tab()
        if self.finetune_tab is not None:
            # hint previews go easy on the CPU while training runs (see hints/preview_worker.py)
            self.colorize_tab.hints.training_busy = lambda: self.finetune_tab.training
        self.setCentralWidget(self.tabs)
        self.file_drops = FileDrops(self, self.centralWidget)
        self.file_drops.dropped.connect(self.add_paths)
        self.file_drops.dragging.connect(self.colorize_tab.empty_state.set_highlight)

        self.window_actions = build_menus(self)
        self._build_status_bar()
        self.colorize_tab.status_message.connect(self._on_tab_status_message)
        self.colorize_tab.model_problem.connect(self._on_tab_model_problem)
        self.colorize_tab.import_model_requested.connect(self.import_model)
        c = self.colorize_tab.controller
        c.model_state_changed.connect(self._on_controller_model_state_changed)
        c.batch_state_changed.connect(self._on_controller_batch_state_changed)
        self._save_soon = Debounced(self.save_settings, 800, self)   # one write per burst of changes
        self.colorize_tab.settings_panel.setting_changed.connect(self._save_soon.trigger)
        self.colorize_tab.viewer.mode_changed.connect(self._save_soon.trigger)

        app = QApplication.instance()
        if app is not None:  # a quit that bypasses closeEvent (session logout, app.quit()) still stops cleanly
            app.aboutToQuit.connect(self._on_app_about_to_quit)
        self._restore_window()
        if problem:
            self.colorize_tab.activity.report("warning", problem)
        self._on_controller_model_state_changed()
        if load_model:
            self.colorize_tab.start_model()

    # --- building ----------------------------------------------------------------------------------

    def _make_finetune_tab(self) -> QWidget | None:
        if FineTuneTab is None:
            return None
        try:
            tab = FineTuneTab(parent=self)
        except Exception as exc:  # noqa: BLE001 - a problem in that tab must not stop colorizing
            self.colorize_tab.activity.report("error", f"The Fine-tune tab could not be opened: {exc}")
            return None
        self.tabs.addTab(tab, icons.icon("model"), "Fine-tune")
        for name in ("model_saved", "models_changed"):
            signal = getattr(tab, name, None)
            if signal is not None and hasattr(signal, "connect"):
                signal.connect(self.refresh_models)
        return tab

    def all_actions(self) -> list[QAction]:
        """Every action of the window and its tabs (for the shortcut list and its clash test)."""
        seen, out = set(), []
        for owner in (self, self.colorize_tab):
            for a in owner.actions():
                if id(a) not in seen and not a.isSeparator():
                    seen.add(id(a))
                    out.append(a)
        return out

    def shortcut_table(self) -> list[tuple[str, str]]:
        """(what it does, keys) for every action with a shortcut, in menu words."""
        rows = []
        for a in self.all_actions():
            keys = [k.toString(QKeySequence.SequenceFormat.NativeText) for k in a.shortcuts() if not k.isEmpty()]
            if keys:
                rows.append((a.text().replace("&", "").replace("…", ""), ", ".join(keys)))
        return rows

    def _build_status_bar(self) -> None:
        status = self.statusBar()
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)
        self.busy.setFixedSize(90, 12)
        self.busy.setTextVisible(False)
        self.busy.hide()
        self.model_label = QLabel()
        self.model_label.setContentsMargins(8, 0, 8, 0)
        status.addPermanentWidget(self.busy)
        status.addPermanentWidget(self.model_label)

    def _restore_window(self) -> None:
        geometry = self.settings.window_geometry
        restored = False
        if geometry:
            restored = self.restoreGeometry(QByteArray.fromBase64(geometry.encode()))
        if not restored:
            screen = QApplication.primaryScreen()
            w, h = DEFAULT_SIZE
            if screen is not None:
                avail = screen.availableGeometry()
                w, h = min(w, int(avail.width() * 0.92)), min(h, int(avail.height() * 0.9))
                self.resize(w, h)
                self.move(avail.center().x() - w // 2, avail.center().y() - h // 2)
            else:
                self.resize(w, h)
        self.colorize_tab.restore_layout(self.settings.layout_state)

    # --- public -------------------------------------------------------------------------------------

    @Slot()
    def refresh_models(self) -> None:
        """Re-read bundled and user models (call after a model is saved or imported)."""
        self.colorize_tab.refresh_models()
        self.models_changed.emit()

    def add_paths(self, paths: list[str | Path]):
        self.tabs.setCurrentWidget(self.colorize_tab)
        return self.colorize_tab.add_paths(paths)

    def save_settings(self) -> None:
        self.settings.window_geometry = bytes(self.saveGeometry().toBase64()).decode()
        self.settings.layout_state.update(self.colorize_tab.layout_state())
        self.settings.compare_mode = self.colorize_tab.viewer.mode().value
        self.settings.last_open_dir = last_folder() or self.settings.last_open_dir
        try:
            save_settings(self.settings)
        except OSError as exc:
            self.colorize_tab.activity.report("warning", f"Settings could not be saved: {exc}")

    def import_model(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import a colour model", start_folder(),
                                              f"Colorizer models (*{MODEL_SUFFIX})")
        if path:
            remember_folder(path)
            self.import_model_file(Path(path))

    def import_model_file(self, path: Path) -> Path | None:
        """Check a model file and copy it into the user's models folder; select and load it.

        The same import as the model manager's (engine.model_manager): every check a model
        file gets anywhere, and a name that never stands in for a bundled model.
        """
        try:
            if path.resolve().parent == user_models_dir().resolve():
                check_model_file(path)  # already one of the user's models: only select it
                dest = path
            else:
                dest = model_manager.import_model(path)
        except ModelError as exc:
            QMessageBox.warning(self, "Not a usable model", f"{path.name} can't be used: {exc}.")
            return None
        except OSError as exc:
            QMessageBox.warning(self, "Import failed", f"The model could not be copied: {exc}")
            return None
        self.settings.model = str(dest)
        self.colorize_tab.activity.report("info", f"Imported model {dest.stem} → {dest}")
        if self.model_problem_box is not None:
            self.model_problem_box.close()
        self.refresh_models()   # loads it, unless a batch is running (then it is used for the next one)
        self._save_soon.trigger()
        return dest

    def show_preferences(self) -> None:
        dialog = PreferencesDialog(self.settings, self)
        if dialog.exec() == PreferencesDialog.DialogCode.Accepted:
            dialog.apply_to(self.settings)
            self.save_settings()

    def show_about(self) -> None:
        QMessageBox.about(self, "About Colorizer", about_text(self.colorize_tab.controller.model_description))

    def show_shortcuts(self) -> None:
        ShortcutsDialog(self.shortcut_table(), self).exec()

    def show_guide(self) -> None:
        box = QMessageBox(QMessageBox.Icon.NoIcon, "Quick guide", GUIDE_TITLE, QMessageBox.StandardButton.Close,
                          self)
        box.setTextFormat(Qt.TextFormat.RichText)
        box.setInformativeText(GUIDE_TEXT)
        box.exec()

    # --- confirmations (tests replace these) ------------------------------------------------------------

    def ask_stop_batch(self) -> bool:
        box = StopBatchBox(self.colorize_tab.controller, self)
        box.exec()
        return box.clickedButton() is box.stop_button

    def ask_unsaved_changes(self, items: list[PhotoItem]) -> str:
        """"save", "discard" or "cancel"."""
        text, details = describe_unsaved(items)
        box = QMessageBox(QMessageBox.Icon.Question, "Save changes?", text,
                          QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard |
                          QMessageBox.StandardButton.Cancel, self)
        box.setInformativeText(details)
        box.setDefaultButton(QMessageBox.StandardButton.Save)
        answer = box.exec()
        return {QMessageBox.StandardButton.Save: "save",
                QMessageBox.StandardButton.Discard: "discard"}.get(QMessageBox.StandardButton(answer), "cancel")

    # --- events ---------------------------------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        if self._closing:
            event.accept()
            return
        controller = self.colorize_tab.controller
        if self._close_when_idle and controller.has_work_in_progress():
            event.ignore()
            return
        if not self._close_when_idle:
            unsaved = [i for i in controller.queue.items if i.has_unsaved_changes]
            if unsaved:
                answer = self.ask_unsaved_changes(unsaved)
                if answer == "cancel":
                    event.ignore()
                    return
                if answer == "save":
                    for item in unsaved:
                        controller.save(item)
                    self._close_when_idle = True
                    self.statusBar().showMessage("Saving, then closing…")
                    self._wait_then_close()
                    event.ignore()
                    return
            if controller.has_work_in_progress() and not self.ask_stop_batch():
                event.ignore()
                return
        self._closing = True
        self.hide()
        self.save_settings()
        if self.finetune_tab is not None and hasattr(self.finetune_tab, "shutdown"):
            try:
                self.finetune_tab.shutdown()
            except Exception as exc:  # noqa: BLE001 - closing must not fail because of that tab
                self.colorize_tab.activity.report("error", f"Fine-tune tab: {exc}")
        self.colorize_tab.close_down()
        event.accept()

    def _on_app_about_to_quit(self) -> None:
        if not self._closing:
            self._closing = True
            self.save_settings()
            self.colorize_tab.close_down()

    def _wait_then_close(self) -> None:
        if self.colorize_tab.controller.has_work_in_progress():
            QTimer.singleShot(100, self._wait_then_close)
        else:
            self._close_when_idle = False
            self._closing = False
            self.close()

    def changeEvent(self, event) -> None:  # noqa: N802
        if event.type() == QEvent.Type.PaletteChange:
            icons.icon.cache_clear()
        super().changeEvent(event)

    # --- slots -----------------------------------------------------------------------------------------

    def _on_tab_status_message(self, text: str, timeout: int) -> None:
        self.statusBar().showMessage(text, timeout)

    def _on_tab_model_problem(self, message: str, missing: bool) -> None:
        if self._closing:
            return
        if self.model_problem_box is not None:
            self.model_problem_box.close()
        box = ModelProblemBox(message, missing=missing, parent=self)
        box.import_requested.connect(self.import_model)
        self.model_problem_box = box
        box.open()

    def _on_controller_model_state_changed(self) -> None:
        c = self.colorize_tab.controller
        self.busy.setVisible(c.model_loading)
        if c.model_loading:
            self.model_label.setText("Loading the colour model…")
            self.statusBar().showMessage("Loading the colour model…")
        elif c.model_ready:
            self.model_label.setText(f"Model: {c.model_name}   ·   Device: {c.model_device}")
            self.model_label.setToolTip(str(c.model_path or ""))
            self.statusBar().showMessage("Ready", 3000)
        else:
            self.model_label.setText("No colour model loaded")
            self.model_label.setToolTip(c.model_error)
            self.statusBar().clearMessage()

    def _on_controller_batch_state_changed(self) -> None:
        c = self.colorize_tab.controller
        if not c.running:
            done = len(c.queue.with_status(PhotoStatus.DONE))
            if done:
                self.statusBar().showMessage(f"{done} photo{'s' if done != 1 else ''} colorized", 6000)
