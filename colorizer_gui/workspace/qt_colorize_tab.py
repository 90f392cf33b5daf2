"""The Colorize tab: toolbar, queue, before/after viewer, settings and activity log."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from PySide6.QtCore import QItemSelectionModel, QProcess, QSize, Qt, QTimer, QUrl, Signal, Slot
from PySide6.QtGui import QAction, QActionGroup, QDesktopServices, QFont, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMenu,
    QMessageBox,
    QProgressBar,
    QSizePolicy,
    QSplitter,
    QStackedWidget,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from colorizer_gui.folders import remember_folder, start_folder
from colorizer_gui.hints.controller import HintController
from colorizer_gui.settings import GuiSettings
from colorizer_gui.widgets import icons
from colorizer_gui.widgets.qt_empty_state import EmptyState
from colorizer_gui.widgets.qt_log_panel import LogPanel
from colorizer_gui.workspace.batch_controller import BatchController, format_duration
from colorizer_gui.workspace.photo_queue import PhotoItem, PhotoStatus, QueueModel, describe_size
from colorizer_gui.workspace.previews import (
    BeforeLoaded,
    ImageLoader,
    LruCache,
    PreviewRenderer,
    SourceLoaded,
    ThumbnailLoaded,
)
from colorizer_gui.workspace.qt_compare_view import CompareMode, CompareView
from colorizer_gui.workspace.qt_queue_view import QueueView
from colorizer_gui.workspace.qt_settings_panel import SettingsPanel, effective_model
from engine.catalog import list_models, user_data_dir
from engine.files import atomic_write
from engine.options import FORMATS, READABLE_SUFFIXES
from engine.resources import resource_path

PHOTO_FILTER = ("Photos (" + " ".join(f"*{s}" for s in sorted(READABLE_SUFFIXES)) + ");;All files (*)")
FULL_RENDER_DELAY_MS = 180


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


def reveal_in_folder(path: Path) -> None:
    """Show a file in the system's file manager (selected where the platform allows)."""
    if sys.platform == "win32":
        QProcess.startDetached("explorer", ["/select,", str(path)])
    elif sys.platform == "darwin":
        QProcess.startDetached("open", ["-R", str(path)])
    else:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(path.parent)))


class ColorizeTab(QWidget):
    """The workspace a user lives in.

    Signals
    -------
    status_message(str text, int timeout_ms)
    model_problem(str message, bool missing)
        a model could not be loaded; the window shows what to do.
    import_model_requested()
    """

    status_message = Signal(str, int)
    model_problem = Signal(str, bool)
    import_model_requested = Signal()

    def __init__(self, settings: GuiSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.controller = BatchController(settings, self)
        self.queue: QueueModel = self.controller.queue
        self.loader = ImageLoader(self)
        self.renderer = PreviewRenderer(self.controller.engine.render, self)
        self._before_images: LruCache = LruCache(8)
        self._before_errors: dict[int, str] = {}
        self._preview_errors: dict[int, str] = {}
        self._loading_sources: set[int] = set()
        self._shown_id: int | None = None
        self._after_state: tuple | None = None
        self._full_render_timer = QTimer(self)
        self._full_render_timer.setSingleShot(True)
        self._full_render_timer.setInterval(FULL_RENDER_DELAY_MS)
        self._closed = False
        self._strength_before: dict[int, float] = {}   # while the strength slider is dragged

        self._build_actions()
        self._build_ui()
        self._connect()
        self.viewer.set_mode(settings.compare_mode)
        self._sync_mode_actions()
        self._update_workspace()
        self._update_actions()
        self._update_overall()
        self.hints = HintController(self)  # colour hints (issue #6): toolbar, viewer overlay, Hints menu

    # --- construction -----------------------------------------------------------------------------

    def _action(self, text: str, icon_name: str | None = None, shortcut=None, tip: str = "",
                slot=None, *, icon_text: str | None = None, checkable: bool = False) -> QAction:
        action = QAction(text, self)
        if icon_name:
            action.setIcon(icons.icon(icon_name))
        if shortcut is not None:
            action.setShortcuts(shortcut if isinstance(shortcut, list) else [QKeySequence(shortcut)])
        if icon_text:
            action.setIconText(icon_text)
        action.setCheckable(checkable)
        keys = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        tip = tip or text.replace("…", "")
        action.setToolTip(f"{tip} ({keys})" if keys else tip)
        action.setStatusTip(tip)
        if slot is not None:
            action.triggered.connect(slot)
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        A, K = self._action, QKeySequence
        self.act_open_files = A("Open photos…", "add-photos", K.StandardKey.Open, "Add photos to the queue",
                                self.open_files_dialog, icon_text="Add photos")
        self.act_open_folder = A("Open folder…", "add-folder", "Ctrl+Shift+O",
                                 "Add every photo in a folder and its subfolders", self.open_folder_dialog,
                                 icon_text="Add folder")
        self.act_start = A("Colorize", "start", "Ctrl+Return", "Colorize and save every waiting photo",
                           self._on_start_action_triggered)
        self.act_pause = A("Pause", "pause", "Ctrl+Shift+P", "Pause after stopping the current photo",
                           self.controller.pause)
        self.act_cancel = A("Cancel", "cancel", "Ctrl+.", "Stop the batch; finished photos are kept",
                            self.controller.cancel)
        self.act_save = A("Save", "save", K.StandardKey.Save,
                          "Save the selected photo (again, after changing its strength)", self.save_current)
        self.act_save_as = A("Save as…", None, K.StandardKey.SaveAs, "Save a copy of the selected photo elsewhere",
                             self.save_current_as)
        self.act_save_all = A("Save all", "save-all", "Ctrl+Alt+S",
                              "Save every changed photo and colorize the waiting ones", self.save_all)
        self.act_remove = A("Remove from queue", "remove", K.StandardKey.Delete,
                            "Remove the selected photos from the queue (files are not deleted)",
                            self.remove_selected, icon_text="Remove")
        self.act_remove.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.act_retry = A("Retry", "retry", "Ctrl+R", "Colorize the selected photos again",
                           self.retry_selected)
        self.act_move_up = A("Move up", "up", "Ctrl+Up", "Colorize the selected photos earlier",
                             lambda: self._move_selected(-1))
        self.act_move_down = A("Move down", "down", "Ctrl+Down", "Colorize the selected photos later",
                               lambda: self._move_selected(1))
        self.act_clear_finished = A("Clear finished", None, None, "Remove finished photos from the list",
                                    self.clear_finished)
        self.act_open_output = A("Open result", "open-output", "Ctrl+E", "Open the colorized photo",
                                 self.open_output)
        self.act_show_in_folder = A("Show in folder", "show-folder", "Ctrl+Shift+E",
                                    "Show the colorized photo in its folder", self.show_in_folder)
        self.act_mode_split = A("Split view", "mode-split", "1", "Before and after with a divider",
                                lambda: self.viewer.set_mode(CompareMode.SPLIT), checkable=True, icon_text="Split")
        self.act_mode_side = A("Side by side", "mode-side", "2", "Before and after next to each other",
                               lambda: self.viewer.set_mode(CompareMode.SIDE_BY_SIDE), checkable=True)
        self.act_mode_after = A("After only", "mode-after", "3", "Only the colorized photo",
                                lambda: self.viewer.set_mode(CompareMode.AFTER), checkable=True)
        group = QActionGroup(self)
        for a in (self.act_mode_split, self.act_mode_side, self.act_mode_after):
            group.addAction(a)
        self.act_cycle_mode = A("Next comparison mode", None, "M", "Switch between split, side by side and after",
                                lambda: self.viewer.cycle_mode())
        self.act_fit = A("Fit to window", "fit", "Ctrl+0", "Show the whole photo", lambda: self.viewer.fit_to_window(),
                         icon_text="Fit")
        self.act_actual = A("Actual size (100 %)", "actual-size", "Ctrl+1", "One photo pixel per screen pixel",
                            lambda: self.viewer.actual_pixels(), icon_text="100 %")
        self.act_zoom_in = A("Zoom in", None, [K(K.StandardKey.ZoomIn), K("Ctrl+=")], "Zoom in",
                             lambda: self.viewer.zoom_by(1.25))
        self.act_zoom_out = A("Zoom out", None, K.StandardKey.ZoomOut, "Zoom out", lambda: self.viewer.zoom_by(0.8))
        self.act_toggle_log = A("Activity log", "log", "Ctrl+L", "Show or hide the activity log",
                                checkable=True)
        self.act_toggle_log.setChecked(True)

    def _build_ui(self) -> None:
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)

        self.toolbar = QToolBar("Colorize")
        self.toolbar.setIconSize(QSize(20, 20))
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.toolbar.setMovable(False)
        for a in (self.act_open_files, self.act_open_folder):
            self.toolbar.addAction(a)
        self.toolbar.addSeparator()
        for a in (self.act_start, self.act_pause, self.act_cancel):
            self.toolbar.addAction(a)
        self.toolbar.addSeparator()
        for a in (self.act_save, self.act_save_all):
            self.toolbar.addAction(a)
        self.toolbar.addSeparator()
        for a in (self.act_open_output, self.act_show_in_folder):
            self.toolbar.addAction(a)
        start_button = self.toolbar.widgetForAction(self.act_start)
        if start_button is not None:
            font = QFont(start_button.font())
            font.setBold(True)
            start_button.setFont(font)
        outer.addWidget(self.toolbar)

        # queue panel
        queue_panel = QWidget()
        qlayout = QVBoxLayout(queue_panel)
        qlayout.setContentsMargins(8, 6, 4, 6)
        qlayout.setSpacing(6)
        header = QHBoxLayout()
        header.setSpacing(2)
        self.queue_title = QLabel("Photos")
        font = QFont(self.queue_title.font())
        font.setBold(True)
        self.queue_title.setFont(font)
        header.addWidget(self.queue_title)
        header.addStretch(1)
        for a in (self.act_move_up, self.act_move_down, self.act_retry, self.act_remove):
            header.addWidget(_tool_button(a))
        qlayout.addLayout(header)
        self.queue_view = QueueView()
        self.queue_view.setModel(self.queue)
        self.queue_view.addAction(self.act_remove)
        qlayout.addWidget(self.queue_view, 1)
        self.overall_bar = QProgressBar()
        self.overall_bar.setRange(0, 1000)
        self.overall_bar.setTextVisible(False)
        self.overall_bar.setFixedHeight(6)
        qlayout.addWidget(self.overall_bar)
        self.overall_label = QLabel()
        self.overall_label.setWordWrap(True)
        qlayout.addWidget(self.overall_label)

        # viewer panel
        viewer_panel = QWidget()
        vlayout = QVBoxLayout(viewer_panel)
        vlayout.setContentsMargins(4, 6, 4, 6)
        vlayout.setSpacing(6)
        bar = QHBoxLayout()
        bar.setSpacing(2)
        for a in (self.act_mode_split, self.act_mode_side, self.act_mode_after):
            bar.addWidget(_tool_button(a, text_beside=True))
        bar.addStretch(1)
        self.zoom_label = QLabel()
        self.zoom_label.setMinimumWidth(48)
        self.zoom_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        bar.addWidget(self.zoom_label)
        for a in (self.act_fit, self.act_actual):
            bar.addWidget(_tool_button(a, text_beside=True))
        vlayout.addLayout(bar)
        self.viewer = CompareView()
        vlayout.addWidget(self.viewer, 1)
        self.info_label = ElidedLabel()
        self.info_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.info_label.setStyleSheet("color: palette(placeholder-text);")
        vlayout.addWidget(self.info_label)

        self.work_splitter = QSplitter(Qt.Orientation.Horizontal)
        self.work_splitter.setChildrenCollapsible(False)
        self.work_splitter.addWidget(queue_panel)
        self.work_splitter.addWidget(viewer_panel)
        self.work_splitter.setStretchFactor(0, 0)
        self.work_splitter.setStretchFactor(1, 1)
        self.work_splitter.setSizes([320, 640])
        queue_panel.setMinimumWidth(240)

        self.empty_state = EmptyState(samples_available=bool(self._sample_files()))
        self.stack = QStackedWidget()
        self.stack.addWidget(self.empty_state)
        self.stack.addWidget(self.work_splitter)

        self.settings_panel = SettingsPanel(self.settings)
        self.main_splitter = QSplitter(Qt.Orientation.Horizontal)
        self.main_splitter.setChildrenCollapsible(False)
        self.main_splitter.addWidget(self.stack)
        self.main_splitter.addWidget(self.settings_panel)
        self.main_splitter.setStretchFactor(0, 1)
        self.main_splitter.setStretchFactor(1, 0)
        self.main_splitter.setSizes([960, 300])

        self.log_panel = LogPanel()
        self.log_panel.setMinimumHeight(70)
        self.vertical_splitter = QSplitter(Qt.Orientation.Vertical)
        self.vertical_splitter.addWidget(self.main_splitter)
        self.vertical_splitter.addWidget(self.log_panel)
        self.vertical_splitter.setStretchFactor(0, 1)
        self.vertical_splitter.setStretchFactor(1, 0)
        self.vertical_splitter.setCollapsible(0, False)
        self.vertical_splitter.setSizes([600, 110])
        outer.addWidget(self.vertical_splitter, 1)

    def _connect(self) -> None:
        c = self.controller
        c.log.connect(self.log_panel.add)
        c.batch_state_changed.connect(self._on_controller_batch_state_changed)
        c.progress_changed.connect(self._on_controller_progress_changed)
        c.item_finished.connect(self._on_controller_item_finished)
        c.preview_ready.connect(self._on_controller_preview_ready)
        c.preview_failed.connect(self._on_controller_preview_failed)
        c.model_state_changed.connect(self._on_controller_model_state_changed)
        c.model_problem.connect(self._on_controller_model_problem)
        c.save_finished.connect(self._on_controller_save_finished)
        self.queue.items_changed.connect(self._on_queue_items_changed)
        self.queue.rowsInserted.connect(self._on_queue_rows_inserted)
        self.queue_view.selectionModel().currentChanged.connect(self._on_queue_current_changed)
        self.queue_view.selectionModel().selectionChanged.connect(lambda *_: self._update_actions())
        self.queue_view.activated_item.connect(self._on_queue_activated)
        self.queue_view.customContextMenuRequested.connect(self._on_queue_context_menu)
        self.loader.thumbnail_loaded.connect(self._on_loader_thumbnail_loaded)
        self.loader.before_loaded.connect(self._on_loader_before_loaded)
        self.loader.source_loaded.connect(self._on_loader_source_loaded)
        self.renderer.rendered.connect(self._on_renderer_rendered)
        self.viewer.mode_changed.connect(self._on_viewer_mode_changed)
        self.viewer.zoom_changed.connect(self._on_viewer_zoom_changed)
        self.settings_panel.strength_changed.connect(self._on_panel_strength_changed)
        self.settings_panel.model_choice_changed.connect(self._on_panel_model_choice_changed)
        self.settings_panel.setting_changed.connect(self._on_panel_setting_changed)
        self.settings_panel.import_model_requested.connect(self.import_model_requested)
        self.empty_state.open_files_requested.connect(self.open_files_dialog)
        self.empty_state.open_folder_requested.connect(self.open_folder_dialog)
        self.empty_state.open_samples_requested.connect(self.add_samples)
        self.act_toggle_log.toggled.connect(self.log_panel.setVisible)
        self.log_panel.hide_requested.connect(lambda: self.act_toggle_log.setChecked(False))
        self._full_render_timer.timeout.connect(self._on_full_render_timer_timeout)

    # --- public API (menus, window, tests) ---------------------------------------------------------

    def start_model(self) -> None:
        """List the models and load the chosen one on the engine thread."""
        entries = list_models()
        self.settings_panel.set_models(entries)
        self.controller.load_model(effective_model(self.settings, entries), self.settings.device)

    def refresh_models(self) -> None:
        """Re-read the model list (a model was imported or fine-tuned); reload if ours went away."""
        entries = list_models()
        self.settings_panel.set_models(entries)
        c = self.controller
        wanted = (effective_model(self.settings, entries), self.settings.device)
        if c.running or wanted == c.requested_model and (c.model_loading or c.model_ready):
            return
        c.load_model(*wanted)

    def add_paths(self, paths: list[str | Path]) -> list[PhotoItem]:
        """Add files and folders. Unsupported files are listed as skipped, with the reason."""
        items, skipped = self.controller.add_paths(paths)
        if paths:  # the Open dialogs start where the last photos came from (drops included)
            first = Path(paths[0])
            self.settings.last_open_dir = str(first if first.is_dir() else first.parent)
            remember_folder(first)
        explicit = [s for s in skipped if s.path in {str(p) for p in paths}]
        self.controller.add_skipped_rows(explicit)
        for item in items:
            self.loader.load_thumbnail(item.id, item.path)
        parts = []
        if items:
            parts.append(f"Added {len(items)} photo{'s' if len(items) != 1 else ''}")
        if skipped:
            parts.append(f"skipped {len(skipped)} file{'s' if len(skipped) != 1 else ''} (see Activity)")
        if parts:
            self.status_message.emit("; ".join(parts), 6000)
        if skipped and not self.act_toggle_log.isChecked():
            self.act_toggle_log.setChecked(True)
        if items and self.queue_view.currentIndex().row() < 0:
            self.select_item(items[0])
        if items and self.settings.auto_start and (self.controller.model_ready or self.controller.model_loading):
            self.controller.start()
        self._update_actions()
        return items

    def select_item(self, item: PhotoItem) -> None:
        index = self.queue.index_of(item.id)
        if index.isValid():
            self.queue_view.selectionModel().setCurrentIndex(
                index, QItemSelectionModel.SelectionFlag.ClearAndSelect)
            self.queue_view.scrollTo(index)

    def current_item(self) -> PhotoItem | None:
        return self.queue_view.current_item()

    def selected_items(self) -> list[PhotoItem]:
        ids = self.queue_view.selected_ids()
        items = [self.queue.item_by_id(i) for i in ids]
        items = [i for i in items if i is not None]
        current = self.current_item()
        if not items and current is not None:
            items = [current]
        return items

    def open_files_dialog(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(self, "Add photos", start_folder(), PHOTO_FILTER)
        if files:
            remember_folder(files[0])
            self.add_paths(files)

    def open_folder_dialog(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Add a folder of photos", start_folder())
        if folder:
            self.add_paths([folder])

    def add_samples(self) -> None:
        """Copy the bundled sample photos to a user folder (results are saved beside them) and add them."""
        target = user_data_dir() / "samples"
        target.mkdir(parents=True, exist_ok=True)
        copies = []
        for src in self._sample_files():
            dest = target / src.name
            if not dest.exists():  # atomic: a copy cut short would pass this test forever after
                with atomic_write(dest) as out, open(src, "rb") as inp:
                    shutil.copyfileobj(inp, out)
            copies.append(dest)
        if copies:
            self.add_paths(copies)

    def save_current(self) -> None:
        item = self.current_item()
        if item is None:
            return
        if not self.controller.save(item):
            self.status_message.emit("Nothing to save: this photo's file is up to date", 4000)
        self._update_actions()

    def save_current_as(self) -> None:
        item = self.current_item()
        if item is None or item.chroma is None:
            return
        fmt = self.settings.format or ("png" if item.path.suffix.lower() in (".bmp", ".gif") else None)
        suffix = FORMATS[fmt][1] if fmt else item.path.suffix
        folder = item.output.parent if item.output else item.path.parent
        start = folder / f"{item.path.stem}{self.settings.suffix}{suffix}"
        filters = ";;".join(f"{name.upper()} (*{ext})" for name, (_, ext) in FORMATS.items())
        dest, _ = QFileDialog.getSaveFileName(self, "Save colorized photo as", str(start), filters)
        if not dest:
            return
        remember_folder(dest)
        dest_path = Path(dest)
        if dest_path.suffix.lower() not in {ext for _, ext in FORMATS.values()} | {".jpeg", ".tiff"}:
            dest_path = dest_path.with_suffix(suffix)
        problem = self.controller.save_as(item, dest_path)
        if problem:
            QMessageBox.warning(self, "Can't save there", problem[:1].upper() + problem[1:] + ".")

    def save_all(self) -> None:
        if not self.controller.save_all():
            self.status_message.emit("Everything is saved", 4000)

    def remove_selected(self) -> None:
        ids = [i.id for i in self.selected_items()]
        if not ids:
            return
        row = min(self.queue.row_of(i) for i in ids)
        self.controller.remove(ids)
        for item_id in ids:
            self._before_images.pop(item_id, None)
        if len(self.queue):
            self.select_item(self.queue.item(min(row, len(self.queue) - 1)))
        else:
            self._show_item(None)

    def retry_selected(self) -> None:
        items = self.selected_items()
        count = self.controller.retry([i.id for i in items])
        if count and not self.controller.running:
            self.controller.start()

    def clear_finished(self) -> None:
        ids = [i.id for i in self.queue.items if i.status in (PhotoStatus.DONE, PhotoStatus.SKIPPED)
               and not i.has_unsaved_changes]
        self.controller.remove(ids)
        if len(self.queue) and self.queue_view.currentIndex().row() < 0:
            self.select_item(self.queue.item(0))

    def open_output(self) -> None:
        item = self.current_item()
        if item is not None and item.output is not None and item.output.exists():
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(item.output)))

    def show_in_folder(self) -> None:
        item = self.current_item()
        if item is not None and item.output is not None and item.output.exists():
            reveal_in_folder(item.output)

    def close_down(self) -> None:
        """Stop the engine and the helper pools (the window is closing)."""
        if self._closed:
            return
        self._closed = True
        self._full_render_timer.stop()
        self.settings.compare_mode = self.viewer.mode().value
        self.settings.layout_state.update(self.layout_state())
        self.controller.shutdown()
        self.hints.close()
        self.renderer.close()
        self.loader.close()

    def layout_state(self) -> dict:
        return {"work": bytes(self.work_splitter.saveState().toBase64()).decode(),
                "main": bytes(self.main_splitter.saveState().toBase64()).decode(),
                "vertical": bytes(self.vertical_splitter.saveState().toBase64()).decode(),
                "log_visible": self.act_toggle_log.isChecked()}

    def restore_layout(self, state: dict) -> None:
        from PySide6.QtCore import QByteArray

        for key, splitter in (("work", self.work_splitter), ("main", self.main_splitter),
                              ("vertical", self.vertical_splitter)):
            value = state.get(key)
            if isinstance(value, str) and value:
                splitter.restoreState(QByteArray.fromBase64(value.encode()))
        if isinstance(state.get("log_visible"), bool):
            self.act_toggle_log.setChecked(state["log_visible"])

    # --- viewer -----------------------------------------------------------------------------------

    def _show_item(self, item: PhotoItem | None) -> None:
        if item is None:
            self._shown_id = None
            self.renderer.discard()
            self.viewer.set_photo(None)
            self.viewer.set_message("")
            self.info_label.set_full_text("")
            return
        if item.id != self._shown_id:
            self._shown_id = item.id
            self.renderer.discard()
            self._full_render_timer.stop()
            self._after_state = None
            self.viewer.set_photo(item.size)
            before = self._before_images.get(item.id)
            if before is not None:
                self.viewer.set_before(before)
            elif item.readable or item.status is not PhotoStatus.SKIPPED:
                self.loader.load_before(item.id, item.path)
            self.settings_panel.set_strength(item.strength)
        self._update_after(item)
        self._update_viewer_message(item)
        self._update_info(item)

    def _update_after(self, item: PhotoItem) -> None:
        if item.chroma is None or item.status is PhotoStatus.WORKING:
            if item.chroma is None and self._after_state is not None:
                self.viewer.set_after(None)
                self._after_state = None
            if item.status is not PhotoStatus.WORKING and self.controller.model_ready:
                self.controller.request_preview(item)
            return
        if self.controller.needs_preview(item) and self.controller.model_ready:
            self.controller.request_preview(item)
        source = self.controller.sources.get(item.id)
        if source is None:
            if item.id not in self._loading_sources:
                self._loading_sources.add(item.id)
                self.loader.load_source(item.id, item.path, self.controller.batch_settings().max_pixels)
            return
        wanted = (round(item.strength, 4), id(item.chroma), False)
        if self._after_state != wanted:
            self._render(item, fast=False)

    def _render(self, item: PhotoItem, *, fast: bool) -> None:
        source = self.controller.sources.get(item.id)
        if source is None or item.chroma is None:
            return
        lightness = source.fast_lightness if fast else source.lightness
        self.renderer.request(item.id, lightness, item.chroma, item.strength, fast=fast)

    def _update_viewer_message(self, item: PhotoItem) -> None:
        status = item.status
        progress = None
        if status is PhotoStatus.WORKING:
            text = f"{(item.stage or 'colorizing').capitalize()}… {item.progress * 100:.0f} %"
            progress = item.progress
        elif status is PhotoStatus.FAILED:
            text = f"Could not colorize: {item.message}"
        elif status is PhotoStatus.SKIPPED:
            text = f"Skipped: {item.message}"
        elif item.id in self._before_errors and not self.viewer.has_before():
            text = "This photo can't be shown; it may be damaged or in an unusual format"
        elif status is PhotoStatus.DONE:
            text = "Changed · press Save to update the file" if item.has_unsaved_changes else ""
        elif item.chroma is not None:
            text = "Preview · not saved yet"
        elif item.id in self._preview_errors:
            text = f"Can't preview: {self._preview_errors[item.id]}"
        elif self.controller.model_loading:
            text = "Loading the colour model…"
        elif not self.controller.model_ready:
            text = "No colour model loaded"
        else:
            text = "Previewing colours…"
        self.viewer.set_message(text, progress)

    def _update_info(self, item: PhotoItem) -> None:
        parts = [item.name]
        size = describe_size(item)
        if size:
            parts.append(size)
        if item.output is not None and item.status in (PhotoStatus.DONE, PhotoStatus.SKIPPED):
            parts.append(f"saved as {item.output}")
        self.info_label.set_full_text("   ·   ".join(parts))

    # --- state -> widgets ---------------------------------------------------------------------------

    def _update_workspace(self) -> None:
        self.stack.setCurrentIndex(1 if len(self.queue) else 0)

    def _update_actions(self) -> None:
        c = self.controller
        item = self.current_item()
        selected = self.selected_items()
        waiting = bool(self.queue.with_status(PhotoStatus.QUEUED))
        self.act_start.setEnabled(c.model_ready and ((c.running and c.paused) or (not c.running and waiting)))
        self.act_start.setText("Resume" if c.running and c.paused else "Colorize")
        self.act_pause.setEnabled(c.running and not c.paused)
        self.act_cancel.setEnabled(c.running or c.has_work_in_progress())
        can_save = item is not None and c.model_ready and (
            item.has_unsaved_changes or (item.status in (PhotoStatus.QUEUED, PhotoStatus.CANCELLED,
                                                         PhotoStatus.FAILED) and item.readable))
        self.act_save.setEnabled(bool(can_save))
        self.act_save_as.setEnabled(item is not None and item.chroma is not None and c.model_ready)
        changed = any(i.has_unsaved_changes for i in self.queue.items)
        self.act_save_all.setEnabled(c.model_ready and (waiting or changed))
        self.act_remove.setEnabled(bool(selected))
        self.act_retry.setEnabled(any(i.finished and c._retryable(i) for i in selected))
        self.act_retry.setText("Colorize again" if selected and all(i.status is PhotoStatus.DONE for i in selected)
                               else "Retry")
        self.act_move_up.setEnabled(bool(selected) and len(self.queue) > 1)
        self.act_move_down.setEnabled(bool(selected) and len(self.queue) > 1)
        self.act_clear_finished.setEnabled(any(i.status in (PhotoStatus.DONE, PhotoStatus.SKIPPED)
                                               for i in self.queue.items))
        has_output = item is not None and item.output is not None and item.status is PhotoStatus.DONE
        self.act_open_output.setEnabled(has_output)
        self.act_show_in_folder.setEnabled(has_output)
        self.settings_panel.set_model_controls_enabled(not c.running)
        self.settings_panel.set_strength_target(len(selected))
        n = len(self.queue)
        self.queue_title.setText(f"Photos ({n})" if n else "Photos")

    def _update_overall(self) -> None:
        c = self.controller
        o = c.overall()
        self.overall_bar.setValue(round(o.fraction * 1000))
        self.overall_bar.setVisible(o.total > 0)
        n = len(self.queue)
        if c.running and o.total:
            current = min(o.total, o.finished + 1)
            text = f"Paused · {o.finished} of {o.total} finished" if c.paused else f"Colorizing {current} of {o.total}"
            if not c.paused and o.eta_seconds is not None:
                text += f" · about {format_duration(o.eta_seconds)} left"
            if not c.model_ready:
                text += " · waiting for the model"
        elif n:
            counts = {s: len(self.queue.with_status(s)) for s in PhotoStatus}
            parts = [f"{n} photo{'s' if n != 1 else ''}"]
            for status, word in ((PhotoStatus.DONE, "done"), (PhotoStatus.QUEUED, "waiting"),
                                 (PhotoStatus.FAILED, "failed"), (PhotoStatus.CANCELLED, "cancelled"),
                                 (PhotoStatus.SKIPPED, "skipped")):
                if counts[status]:
                    parts.append(f"{counts[status]} {word}")
            text = " · ".join(parts)
        else:
            text = ""
        self.overall_label.setText(text)

    # --- slots ------------------------------------------------------------------------------------

    def _on_start_action_triggered(self) -> None:
        if not self.controller.start():
            self.status_message.emit("No photos are waiting. Add some with Add photos or by dropping them here.",
                                     5000)

    @Slot()
    def _on_controller_batch_state_changed(self) -> None:
        self._update_actions()
        self._update_overall()

    @Slot()
    def _on_controller_progress_changed(self) -> None:
        self._update_overall()
        item = self.current_item()
        if item is not None and item.id == self._shown_id and item.status is PhotoStatus.WORKING:
            self._update_viewer_message(item)

    @Slot(int)
    def _on_controller_item_finished(self, item_id: int) -> None:
        self._update_actions()
        if item_id == self._shown_id:
            item = self.queue.item_by_id(item_id)
            if item is not None:
                self._after_state = None if item.status is PhotoStatus.DONE else self._after_state
                self._show_item(item)

    @Slot(int)
    def _on_controller_preview_ready(self, item_id: int) -> None:
        self._preview_errors.pop(item_id, None)
        if item_id == self._shown_id:
            item = self.queue.item_by_id(item_id)
            if item is not None:
                self._after_state = None
                self._show_item(item)
        self._update_actions()

    @Slot(int, str)
    def _on_controller_preview_failed(self, item_id: int, message: str) -> None:
        self._preview_errors[item_id] = message
        if item_id == self._shown_id:
            item = self.queue.item_by_id(item_id)
            if item is not None:
                self._update_viewer_message(item)

    @Slot()
    def _on_controller_model_state_changed(self) -> None:
        if self.controller.model_ready:
            self.settings_panel.list_devices()   # once: asking needs torch, loaded with the model
        self._update_actions()
        item = self.current_item()
        if item is not None:
            self._show_item(item)

    @Slot(str, str)
    def _on_controller_model_problem(self, kind: str, message: str) -> None:
        entries = list_models()
        missing = not any(e.error is None for e in entries) or kind == "missing"
        self.model_problem.emit(message, missing)

    @Slot(int, bool, str)
    def _on_controller_save_finished(self, item_id: int, ok: bool, message: str) -> None:
        self._update_actions()
        item = self.queue.item_by_id(item_id)
        if item is not None and item_id == self._shown_id:
            self._update_viewer_message(item)
        if ok:
            self.status_message.emit(f"Saved {item.name if item else ''}", 4000)

    @Slot()
    def _on_queue_items_changed(self) -> None:
        self._update_workspace()
        self._update_actions()
        self._update_overall()

    def _on_queue_rows_inserted(self, parent, first: int, last: int) -> None:
        self._update_workspace()

    def _on_queue_current_changed(self, current, previous) -> None:
        item = current.data(QueueModel.ItemRole) if current.isValid() else None
        self._show_item(item)
        self._update_actions()

    def _on_queue_activated(self, item_id: int) -> None:
        item = self.queue.item_by_id(item_id)
        if item is not None and item.status is PhotoStatus.DONE:
            self.open_output()

    def _on_queue_context_menu(self, pos) -> None:
        if not self.queue_view.indexAt(pos).isValid():
            return
        menu = QMenu(self)
        for a in (self.act_open_output, self.act_show_in_folder, None, self.act_save, self.act_save_as, None,
                  self.act_retry, self.act_move_up, self.act_move_down, None, self.act_remove):
            if a is None:
                menu.addSeparator()
            else:
                menu.addAction(a)
        menu.popup(self.queue_view.viewport().mapToGlobal(pos))

    @Slot(object)
    def _on_loader_thumbnail_loaded(self, result: ThumbnailLoaded) -> None:
        item = self.queue.item_by_id(result.item_id)
        if item is None:
            return
        item.thumbnail = result.thumbnail
        item.thumbnail_error = result.error
        item.file_bytes = result.file_bytes
        if item.size is None and result.size is not None:
            item.size = result.size
            if item.id == self._shown_id:
                self.viewer.set_photo_size(item.size)
                self._update_info(item)
        self.queue.refresh(item)

    @Slot(object)
    def _on_loader_before_loaded(self, result: BeforeLoaded) -> None:
        if result.image is not None:
            self._before_images.put(result.item_id, result.image)
            self._before_errors.pop(result.item_id, None)
        else:
            self._before_errors[result.item_id] = result.error
        if result.item_id == self._shown_id:
            self.viewer.set_before(result.image)
            item = self.queue.item_by_id(result.item_id)
            if item is not None:
                self._update_viewer_message(item)

    @Slot(object)
    def _on_loader_source_loaded(self, result: SourceLoaded) -> None:
        self._loading_sources.discard(result.item_id)
        if result.source is not None:
            self.controller.sources.put(result.item_id, result.source)
            if result.item_id == self._shown_id:
                item = self.queue.item_by_id(result.item_id)
                if item is not None:
                    self._show_item(item)

    @Slot(int, object, float, bool)
    def _on_renderer_rendered(self, item_id: int, image, strength: float, fast: bool) -> None:
        if item_id != self._shown_id:
            return
        item = self.queue.item_by_id(item_id)
        if item is None:
            return
        self.viewer.set_after(image)
        self._after_state = (round(strength, 4), id(item.chroma), fast)

    def _on_viewer_mode_changed(self, mode: str) -> None:
        self.settings.compare_mode = mode
        self._sync_mode_actions()

    def _sync_mode_actions(self) -> None:
        mode = self.viewer.mode()
        self.act_mode_split.setChecked(mode is CompareMode.SPLIT)
        self.act_mode_side.setChecked(mode is CompareMode.SIDE_BY_SIDE)
        self.act_mode_after.setChecked(mode is CompareMode.AFTER)

    def _on_viewer_zoom_changed(self, scale: float) -> None:
        self.zoom_label.setText(f"{scale * 100:.0f} %")

    def _on_panel_strength_changed(self, strength: float, final: bool) -> None:
        """Live: the selected photos take the new strength; no other photo changes (issue 13).

        A drag is one undo step: the strengths from before it are kept until it is released.
        """
        for item in self.selected_items():
            self._strength_before.setdefault(item.id, item.strength)
            item.strength = strength
            self.queue.refresh(item)
        if final:
            before, self._strength_before = self._strength_before, {}
            for item_id, old in before.items():
                item = self.queue.item_by_id(item_id)
                if item is not None:
                    self.hints.store.record_strength(item, old)   # -> on_item_adjusted
        shown = self.queue.item_by_id(self._shown_id) if self._shown_id is not None else None
        if shown is not None and shown.chroma is not None and shown.status is not PhotoStatus.WORKING:
            if final:
                self._full_render_timer.stop()
                self._render(shown, fast=False)
            else:
                self._render(shown, fast=True)
                self._full_render_timer.start()
            self._update_viewer_message(shown)
        self._update_actions()

    def on_item_adjusted(self, item: PhotoItem) -> None:
        """A photo's hints or strength changed (an edit, undo or redo): show it everywhere."""
        self.queue.refresh(item, structural=True)
        if item.id == self._shown_id:
            self.settings_panel.set_strength(item.strength)
            if item.chroma is not None and item.status is not PhotoStatus.WORKING:
                wanted = (round(item.strength, 4), id(item.chroma), False)
                if self._after_state != wanted:
                    self._render(item, fast=False)
            self._update_viewer_message(item)
        self._update_actions()

    def _on_full_render_timer_timeout(self) -> None:
        shown = self.queue.item_by_id(self._shown_id) if self._shown_id is not None else None
        if shown is not None:
            self._render(shown, fast=False)

    def _on_panel_model_choice_changed(self) -> None:
        entries = list_models()
        self.controller.load_model(effective_model(self.settings, entries), self.settings.device)

    def _on_panel_setting_changed(self, name: str) -> None:
        if name == "render_size":
            item = self.current_item()
            if item is not None:
                self._show_item(item)

    # --- helpers ----------------------------------------------------------------------------------

    def _move_selected(self, delta: int) -> None:
        ids = [i.id for i in self.selected_items()]
        current = self.current_item()
        self.queue.move_by(ids, delta)
        if current is not None:
            self.queue_view.scrollTo(self.queue.index_of(current.id))

    @staticmethod
    def _sample_files() -> list[Path]:
        folder = resource_path("samples")
        if not folder.is_dir():
            return []
        return sorted(p for p in folder.iterdir() if p.suffix.lower() in READABLE_SUFFIXES)


def _tool_button(action, *, text_beside: bool = False) -> QToolButton:
    """A flat toolbar-style button for `action`, as in the panel headers."""
    button = QToolButton()
    button.setDefaultAction(action)
    if text_beside:
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    button.setAutoRaise(True)
    button.setIconSize(QSize(18, 18))
    return button
