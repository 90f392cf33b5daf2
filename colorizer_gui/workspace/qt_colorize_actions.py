"""Every command of the Colorize tab as a QAction (menus, toolbar, shortcuts, context menu), and
when each may be used."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QAction, QActionGroup, QFont, QKeySequence
from PySide6.QtWidgets import QMenu, QToolBar, QWidget

from colorizer_gui.widgets import icons
from colorizer_gui.workspace.photo_queue import PhotoItem, PhotoStatus
from colorizer_gui.workspace.qt_compare_view import CompareMode


def make_action(owner: QWidget, text: str, icon_name: str | None = None, shortcut=None, tip: str = "",
                slot: Callable | None = None, *, icon_text: str | None = None, checkable: bool = False) -> QAction:
    """An action on `owner` (so its shortcut works there), its tooltip naming the keys."""
    action = QAction(text, owner)
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
    owner.addAction(action)
    return action


class ColorizeActions:
    """The tab's actions, made on `tab` and triggering its methods; `update()` enables them."""

    def __init__(self, tab) -> None:
        A, K, viewer = (lambda *a, **k: make_action(tab, *a, **k)), QKeySequence, lambda: tab.viewer
        c = tab.controller
        self.act_open_files = A("Open photos…", "add-photos", K.StandardKey.Open, "Add photos to the queue",
                                tab.open_files_dialog, icon_text="Add photos")
        self.act_open_folder = A("Open folder…", "add-folder", "Ctrl+Shift+O",
                                 "Add every photo in a folder and its subfolders", tab.open_folder_dialog,
                                 icon_text="Add folder")
        self.act_start = A("Colorize", "start", "Ctrl+Return", "Colorize and save every waiting photo", tab.start)
        self.act_pause = A("Pause", "pause", "Ctrl+Shift+P", "Pause after stopping the current photo", c.pause)
        self.act_cancel = A("Cancel", "cancel", "Ctrl+.", "Stop the batch; finished photos are kept", c.cancel)
        self.act_save = A("Save", "save", K.StandardKey.Save,
                          "Save the selected photo (again, after changing its strength)", tab.save_current)
        self.act_save_as = A("Save as…", None, K.StandardKey.SaveAs, "Save a copy of the selected photo elsewhere",
                             tab.save_current_as)
        self.act_save_all = A("Save all", "save-all", "Ctrl+Alt+S",
                              "Save every changed photo and colorize the waiting ones", tab.save_all)
        self.act_remove = A("Remove from queue", "remove", K.StandardKey.Delete,
                            "Remove the selected photos from the queue (files are not deleted)",
                            tab.remove_selected, icon_text="Remove")
        self.act_remove.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.act_retry = A("Retry", "retry", "Ctrl+R", "Colorize the selected photos again", tab.retry_selected)
        self.act_move_up = A("Move up", "up", "Ctrl+Up", "Colorize the selected photos earlier",
                             lambda: tab.move_selected(-1))
        self.act_move_down = A("Move down", "down", "Ctrl+Down", "Colorize the selected photos later",
                               lambda: tab.move_selected(1))
        self.act_clear_finished = A("Clear finished", None, None, "Remove finished photos from the list",
                                    tab.clear_finished)
        self.act_open_output = A("Open result", "open-output", "Ctrl+E", "Open the colorized photo",
                                 tab.open_output)
        self.act_show_in_folder = A("Show in folder", "show-folder", "Ctrl+Shift+E",
                                    "Show the colorized photo in its folder", tab.show_in_folder)
        self.act_mode_split = A("Split view", "mode-split", "1", "Before and after with a divider",
                                lambda: viewer().set_mode(CompareMode.SPLIT), checkable=True, icon_text="Split")
        self.act_mode_side = A("Side by side", "mode-side", "2", "Before and after next to each other",
                               lambda: viewer().set_mode(CompareMode.SIDE_BY_SIDE), checkable=True)
        self.act_mode_after = A("After only", "mode-after", "3", "Only the colorized photo",
                                lambda: viewer().set_mode(CompareMode.AFTER), checkable=True)
        group = QActionGroup(tab)
        for a in (self.act_mode_split, self.act_mode_side, self.act_mode_after):
            group.addAction(a)
        self.act_cycle_mode = A("Next comparison mode", None, "M", "Switch between split, side by side and after",
                                lambda: viewer().cycle_mode())
        self.act_fit = A("Fit to window", "fit", "Ctrl+0", "Show the whole photo", lambda: viewer().fit_to_window(),
                         icon_text="Fit")
        self.act_actual = A("Actual size (100 %)", "actual-size", "Ctrl+1", "One photo pixel per screen pixel",
                            lambda: viewer().actual_pixels(), icon_text="100 %")
        self.act_zoom_in = A("Zoom in", None, [K(K.StandardKey.ZoomIn), K("Ctrl+=")], "Zoom in",
                             lambda: viewer().zoom_by(1.25))
        self.act_zoom_out = A("Zoom out", None, K.StandardKey.ZoomOut, "Zoom out", lambda: viewer().zoom_by(0.8))
        self.act_toggle_log = A("Activity log", "log", "Ctrl+L", "Show or hide the activity log", checkable=True)
        self.act_toggle_log.setChecked(True)

    def toolbar(self) -> QToolBar:
        """The tab's toolbar: adding photos, running the batch, saving, the result; Colorize in bold."""
        bar = QToolBar("Colorize")
        bar.setIconSize(QSize(20, 20))
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        bar.setMovable(False)
        for group in ((self.act_open_files, self.act_open_folder), (self.act_start, self.act_pause, self.act_cancel),
                      (self.act_save, self.act_save_all), (self.act_open_output, self.act_show_in_folder)):
            if bar.actions():
                bar.addSeparator()
            for a in group:
                bar.addAction(a)
        start_button = bar.widgetForAction(self.act_start)
        if start_button is not None:
            font = QFont(start_button.font())
            font.setBold(True)
            start_button.setFont(font)
        return bar

    def queue_menu(self, parent: QWidget) -> QMenu:
        """The right-click menu of a photo in the queue."""
        menu = QMenu(parent)
        for a in (self.act_open_output, self.act_show_in_folder, None, self.act_save, self.act_save_as, None,
                  self.act_retry, self.act_move_up, self.act_move_down, None, self.act_remove):
            if a is None:
                menu.addSeparator()
            else:
                menu.addAction(a)
        return menu

    def all(self) -> dict[str, QAction]:
        return {name: a for name, a in vars(self).items() if name.startswith("act_")}

    def show_mode(self, mode: CompareMode) -> None:
        self.act_mode_split.setChecked(mode is CompareMode.SPLIT)
        self.act_mode_side.setChecked(mode is CompareMode.SIDE_BY_SIDE)
        self.act_mode_after.setChecked(mode is CompareMode.AFTER)

    def update(self, c, queue, item: PhotoItem | None, selected: list[PhotoItem]) -> None:
        """Enable what makes sense for the batch controller `c`, the current and the selected photos."""
        waiting = bool(queue.with_status(PhotoStatus.QUEUED))
        self.act_start.setEnabled(c.model_ready and ((c.running and c.paused) or (not c.running and waiting)))
        self.act_start.setText("Resume" if c.running and c.paused else "Colorize")
        self.act_pause.setEnabled(c.running and not c.paused)
        self.act_cancel.setEnabled(c.running or c.has_work_in_progress())
        can_save = item is not None and c.model_ready and (
            item.has_unsaved_changes or (item.status in (PhotoStatus.QUEUED, PhotoStatus.CANCELLED,
                                                         PhotoStatus.FAILED) and item.readable))
        self.act_save.setEnabled(bool(can_save))
        self.act_save_as.setEnabled(item is not None and item.chroma is not None and c.model_ready)
        changed = any(i.has_unsaved_changes for i in queue.items)
        self.act_save_all.setEnabled(c.model_ready and (waiting or changed))
        self.act_remove.setEnabled(bool(selected))
        self.act_retry.setEnabled(any(i.finished and c._retryable(i) for i in selected))
        self.act_retry.setText("Colorize again" if selected and all(i.status is PhotoStatus.DONE for i in selected)
                               else "Retry")
        self.act_move_up.setEnabled(bool(selected) and len(queue) > 1)
        self.act_move_down.setEnabled(bool(selected) and len(queue) > 1)
        self.act_clear_finished.setEnabled(any(i.status in (PhotoStatus.DONE, PhotoStatus.SKIPPED)
                                               for i in queue.items))
        has_output = item is not None and item.output is not None and item.status is PhotoStatus.DONE
        self.act_open_output.setEnabled(has_output)
        self.act_show_in_folder.setEnabled(has_output)
