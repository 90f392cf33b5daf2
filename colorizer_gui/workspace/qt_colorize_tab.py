"""The Colorize tab: toolbar, queue, before/after viewer, settings and activity log.

The tab lays out its panels and turns the user's commands into calls on the batch controller
(`batch_controller.py`: run, pause, cancel a batch; save). What the viewer shows for the selected
photo is `photo_display.py`; the commands themselves and when they are enabled are
`qt_colorize_actions.py`; colour hints are `colorizer_gui/hints/`.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QItemSelectionModel, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QMessageBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from colorizer_gui.activity_log import ActivityLog
from colorizer_gui.folders import remember_folder
from colorizer_gui.hints.controller import HintController
from colorizer_gui.settings import GuiSettings
from colorizer_gui.widgets.qt_empty_state import EmptyState
from colorizer_gui.widgets.qt_form_parts import splitter
from colorizer_gui.widgets.qt_layout_state import restore_splitter_states, splitter_states
from colorizer_gui.widgets.qt_log_panel import LogPanel
from colorizer_gui.widgets.qt_message_bar import MessageBar
from colorizer_gui.workspace.batch_controller import BatchController
from colorizer_gui.workspace.photo_display import PhotoDisplay
from colorizer_gui.workspace.photo_queue import PhotoItem, PhotoStatus, QueueModel
from colorizer_gui.workspace.previews import ImageLoader, ThumbnailLoaded
from colorizer_gui.workspace.qt_colorize_actions import ColorizeActions
from colorizer_gui.workspace.qt_photo_files import (
    ask_folder,
    ask_photos,
    ask_save_as,
    copy_samples,
    open_in_viewer,
    reveal_in_folder,
    sample_files,
)
from colorizer_gui.workspace.qt_queue_panel import QueuePanel
from colorizer_gui.workspace.qt_settings_panel import SettingsPanel, effective_model
from colorizer_gui.workspace.qt_viewer_panel import ViewerPanel
from colorizer_gui.workspace.words import ask_colour_photos, describe_added, describe_overall
from engine.catalog import list_models


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
        self._closed = False
        self._strength_before: dict[int, float] = {}   # while the strength slider is dragged
        self._colour_photos: list[int] = []   # left as they are in this batch, not yet answered for

        # Every command is a QAction, reachable as tab.act_<name> (menus, tests).
        self.commands = ColorizeActions(self)
        for name, action in self.commands.all().items():
            setattr(self, name, action)
        self._build_ui()
        self.display = PhotoDisplay(self.controller, self.loader, self.viewer, self.info_label,
                                    self.settings_panel.set_strength, self)
        self._connect()
        self.viewer.set_mode(settings.compare_mode)
        self.commands.show_mode(self.viewer.mode())
        self._update_workspace()
        self._update_actions()
        self._update_overall()
        self.hints = HintController(self)  # colour hints (issue #6): toolbar, viewer overlay, Hints menu

    # --- construction -----------------------------------------------------------------------------

    def _build_ui(self) -> None:
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)

        self.toolbar = self.commands.toolbar()
        outer.addWidget(self.toolbar)
        # Asks once per batch, with one count, instead of a dialog per colour photo mid-batch.
        self.colour_bar = MessageBar()
        outer.addWidget(self.colour_bar)

        self.queue_panel = QueuePanel(self.queue, [self.act_move_up, self.act_move_down, self.act_retry,
                                                   self.act_remove])
        self.queue_view = self.queue_panel.view
        self.queue_view.addAction(self.act_remove)
        self.overall_label = self.queue_panel.overall_label
        viewer_panel = ViewerPanel([self.act_mode_split, self.act_mode_side, self.act_mode_after],
                                   [self.act_fit, self.act_actual])
        self.viewer, self.info_label = viewer_panel.viewer, viewer_panel.info_label

        self.work_splitter = splitter(Qt.Orientation.Horizontal,
                                      [(self.queue_panel, 0, False), (viewer_panel, 1, False)], [320, 640])

        self.empty_state = EmptyState(samples_available=bool(sample_files()))
        self.stack = QStackedWidget()
        self.stack.addWidget(self.empty_state)
        self.stack.addWidget(self.work_splitter)

        self.settings_panel = SettingsPanel(self.settings)
        self.main_splitter = splitter(Qt.Orientation.Horizontal,
                                      [(self.stack, 1, False), (self.settings_panel, 0, False)], [960, 300])

        self.log_panel = LogPanel()
        self.log_panel.setMinimumHeight(70)
        self.activity = ActivityLog()   # report here: the log file and this panel both get the line
        self.log_panel.follow(self.activity)
        # the Activity log may be dragged shut; the work above it never
        self.vertical_splitter = splitter(Qt.Orientation.Vertical,
                                          [(self.main_splitter, 1, False), (self.log_panel, 0, True)], [600, 110])
        outer.addWidget(self.vertical_splitter, 1)

    def _connect(self) -> None:
        c = self.controller
        c.log.connect(self.activity.report)
        c.batch_state_changed.connect(self._on_controller_batch_state_changed)
        c.progress_changed.connect(self._update_overall)
        c.item_finished.connect(self._update_actions)
        c.preview_ready.connect(self._update_actions)
        c.model_state_changed.connect(self._on_controller_model_state_changed)
        c.model_problem.connect(self._on_controller_model_problem)
        c.save_finished.connect(self._on_controller_save_finished)
        c.colour_photo_skipped.connect(self._on_controller_colour_photo_skipped)
        self.queue.items_changed.connect(self._on_queue_items_changed)
        self.queue.rowsInserted.connect(self._update_workspace)
        self.queue_view.selectionModel().currentChanged.connect(self._on_queue_current_changed)
        self.queue_view.selectionModel().selectionChanged.connect(lambda *_: self._update_actions())
        self.queue_view.activated_item.connect(self._on_queue_activated)
        self.queue_view.customContextMenuRequested.connect(self._on_queue_context_menu)
        self.loader.thumbnail_loaded.connect(self._on_loader_thumbnail_loaded)
        self.viewer.mode_changed.connect(self._on_viewer_mode_changed)
        self.settings_panel.strength_changed.connect(self._on_panel_strength_changed)
        self.settings_panel.model_choice_changed.connect(self._on_panel_model_choice_changed)
        self.settings_panel.setting_changed.connect(self._on_panel_setting_changed)
        self.settings_panel.import_model_requested.connect(self.import_model_requested)
        self.empty_state.open_files_requested.connect(self.open_files_dialog)
        self.empty_state.open_folder_requested.connect(self.open_folder_dialog)
        self.empty_state.open_samples_requested.connect(self.add_samples)
        self.act_toggle_log.toggled.connect(self.log_panel.setVisible)
        self.log_panel.hide_requested.connect(lambda: self.act_toggle_log.setChecked(False))

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

    def colorize_colour_photos(self) -> int:
        """The answer "Colorize them anyway" to the question about photos already in colour."""
        ids, self._colour_photos = self._colour_photos, []
        self.colour_bar.hide()
        return self.controller.colorize_colour_photos(ids)

    def leave_colour_photos(self) -> None:
        self._colour_photos = []
        self.colour_bar.hide()

    @Slot(int)
    def _on_controller_colour_photo_skipped(self, item_id: int) -> None:
        self._colour_photos.append(item_id)
        self.colour_bar.show_message(ask_colour_photos(len(self._colour_photos)), "warning",
                                     [("Colorize them anyway" if len(self._colour_photos) > 1 else "Colorize it anyway",
                                       self.colorize_colour_photos), ("Leave as is", self.leave_colour_photos)])

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
        if items or skipped:
            self.status_message.emit(describe_added(len(items), len(skipped)), 6000)
        if skipped and not self.act_toggle_log.isChecked():
            self.act_toggle_log.setChecked(True)
        if items and self.queue_view.currentIndex().row() < 0:
            self.select_item(items[0])
        elif items:  # added below the rows in view: show them (the last, then as many before it as fit)
            self.queue_view.scrollTo(self.queue.index_of(items[-1].id))
            self.queue_view.scrollTo(self.queue.index_of(items[0].id))
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
        files = ask_photos(self)
        if files:
            self.add_paths(files)

    def open_folder_dialog(self) -> None:
        folder = ask_folder(self)
        if folder:
            self.add_paths([folder])

    def add_samples(self) -> None:
        copies = copy_samples()
        if copies:
            self.add_paths(copies)

    def start(self) -> None:
        if not self.controller.start():
            self.status_message.emit("No photos are waiting. Add some with Add photos or by dropping them here.",
                                     5000)

    def move_selected(self, delta: int) -> None:
        ids = [i.id for i in self.selected_items()]
        current = self.current_item()
        self.queue.move_by(ids, delta)
        if current is not None:
            self.queue_view.scrollTo(self.queue.index_of(current.id))

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
        dest_path = ask_save_as(self, item, self.settings)
        if dest_path is None:
            return
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
        self.display.forget(ids)
        if len(self.queue):
            self.select_item(self.queue.item(min(row, len(self.queue) - 1)))
        else:
            self.display.show(None)

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
            open_in_viewer(item.output)

    def show_in_folder(self) -> None:
        item = self.current_item()
        if item is not None and item.output is not None and item.output.exists():
            reveal_in_folder(item.output)

    def close_down(self) -> None:
        """Stop the engine and the helper pools (the window is closing)."""
        if self._closed:
            return
        self._closed = True
        self.settings.compare_mode = self.viewer.mode().value
        self.settings.layout_state.update(self.layout_state())
        self.controller.shutdown()
        self.hints.close()
        self.display.close()
        self.loader.close()
        self.activity.close()

    def _splitters(self) -> dict:
        return {"work": self.work_splitter, "main": self.main_splitter, "vertical": self.vertical_splitter}

    def layout_state(self) -> dict:
        return {**splitter_states(self._splitters()), "log_visible": self.act_toggle_log.isChecked()}

    def restore_layout(self, state: dict) -> None:
        restore_splitter_states(self._splitters(), state)
        if isinstance(state.get("log_visible"), bool):
            self.act_toggle_log.setChecked(state["log_visible"])

    # --- state -> widgets ---------------------------------------------------------------------------

    def _update_workspace(self) -> None:
        self.stack.setCurrentIndex(1 if len(self.queue) else 0)

    def _update_actions(self) -> None:
        c = self.controller
        selected = self.selected_items()
        self.commands.update(c, self.queue, self.current_item(), selected)
        self.settings_panel.set_model_controls_enabled(not c.running)
        self.settings_panel.set_strength_target(len(selected))
        self.queue_panel.show_count(len(self.queue))

    def _update_overall(self) -> None:
        c, o = self.controller, self.controller.overall()
        counts = {s: len(self.queue.with_status(s)) for s in PhotoStatus}
        text = describe_overall(o, photos=len(self.queue), counts=counts, running=c.running, paused=c.paused,
                                model_ready=c.model_ready)
        self.queue_panel.show_overall(o.fraction, o.total > 0, text)

    # --- slots ------------------------------------------------------------------------------------

    @Slot()
    def _on_controller_batch_state_changed(self) -> None:
        self._update_actions()
        self._update_overall()

    @Slot()
    def _on_controller_model_state_changed(self) -> None:
        if self.controller.model_ready:
            self.settings_panel.list_devices()   # once: asking needs torch, loaded with the model
        self._update_actions()
        item = self.current_item()
        if item is not None:
            self.display.show(item)

    @Slot(str, str)
    def _on_controller_model_problem(self, kind: str, message: str) -> None:
        entries = list_models()
        missing = not any(e.error is None for e in entries) or kind == "missing"
        self.model_problem.emit(message, missing)

    @Slot(int, bool, str)
    def _on_controller_save_finished(self, item_id: int, ok: bool, message: str) -> None:
        self._update_actions()
        if ok:
            item = self.queue.item_by_id(item_id)
            self.status_message.emit(f"Saved {item.name if item else ''}", 4000)

    @Slot()
    def _on_queue_items_changed(self) -> None:
        self._update_workspace()
        self._update_actions()
        self._update_overall()

    def _on_queue_current_changed(self, current, previous) -> None:
        item = current.data(QueueModel.ItemRole) if current.isValid() else None
        self.display.show(item)
        self._update_actions()

    def _on_queue_activated(self, item_id: int) -> None:
        item = self.queue.item_by_id(item_id)
        if item is not None and item.status is PhotoStatus.DONE:
            self.open_output()

    def _on_queue_context_menu(self, pos) -> None:
        if not self.queue_view.indexAt(pos).isValid():
            return
        menu = self.commands.queue_menu(self)
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
            self.display.photo_size_known(item)
        self.queue.refresh(item)

    def _on_viewer_mode_changed(self, mode: str) -> None:
        self.settings.compare_mode = mode
        self.commands.show_mode(self.viewer.mode())

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
        self.display.strength_moved(final)
        self._update_actions()

    def on_item_adjusted(self, item: PhotoItem) -> None:
        """A photo's hints or strength changed (an edit, undo or redo): show it everywhere."""
        self.queue.refresh(item, structural=True)
        self.display.item_adjusted(item)
        self._update_actions()

    def _on_panel_model_choice_changed(self) -> None:
        entries = list_models()
        self.controller.load_model(effective_model(self.settings, entries), self.settings.device)

    def _on_panel_setting_changed(self, name: str) -> None:
        if name == "render_size":
            self.display.show(self.current_item())
