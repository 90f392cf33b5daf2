"""The main window's menu bar: the tabs' actions in menus, plus the window's own few."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QApplication, QMainWindow, QMenu


@dataclass
class WindowActions:
    """The actions that belong to the window rather than to a tab."""

    import_model: QAction
    preferences: QAction
    quit: QAction
    select_all: QAction
    guide: QAction
    shortcuts: QAction
    about: QAction

    def all(self) -> tuple[QAction, ...]:
        return (self.import_model, self.preferences, self.quit, self.select_all, self.guide, self.shortcuts,
                self.about)


def _add(menu: QMenu, actions) -> None:
    for a in actions:
        menu.addSeparator() if a is None else menu.addAction(a)


def _action(window: QMainWindow, text: str, slot, keys: QKeySequence | str | None = None,
            role: QAction.MenuRole | None = None) -> QAction:
    a = QAction(text, window)
    a.triggered.connect(slot)
    if keys is not None:
        a.setShortcut(QKeySequence(keys))
    if role is not None:
        a.setMenuRole(role)
    return a


def _preferences_keys() -> list[QKeySequence]:
    # The platform's own key first where it has one (an empty one would hide Ctrl+, in the menu).
    keys = [k for k in QKeySequence.keyBindings(QKeySequence.StandardKey.Preferences) if not k.isEmpty()]
    return keys if QKeySequence("Ctrl+,") in keys else keys + [QKeySequence("Ctrl+,")]


def build_menus(window) -> WindowActions:
    """Fill `window`'s menu bar (a MainWindow with a colorize_tab) and return its own actions."""
    t = window.colorize_tab
    h = t.hints
    own = WindowActions(
        import_model=_action(window, "Import model…", window.import_model),
        preferences=_action(window, "Preferences…", window.show_preferences,
                            role=QAction.MenuRole.PreferencesRole),
        quit=_action(window, "Quit", window.close, QKeySequence.StandardKey.Quit, QAction.MenuRole.QuitRole),
        select_all=_action(window, "Select all photos", t.queue_view.selectAll),
        guide=_action(window, "Quick guide", window.show_guide, QKeySequence.StandardKey.HelpContents),
        shortcuts=_action(window, "Keyboard shortcuts", window.show_shortcuts, "Ctrl+/"),
        about=_action(window, "About Colorizer", window.show_about, role=QAction.MenuRole.AboutRole),
    )
    own.preferences.setShortcuts(_preferences_keys())
    if own.quit.shortcut().isEmpty():
        own.quit.setShortcut(QKeySequence("Ctrl+Q"))

    bar = window.menuBar()
    _add(bar.addMenu("&File"), (t.act_open_files, t.act_open_folder, None, t.act_save, t.act_save_as,
                                t.act_save_all, None, h.act_open_project, h.act_save_project, None,
                                own.import_model, None, own.preferences, None, own.quit))
    _add(bar.addMenu("&Edit"), (h.act_undo, h.act_redo, None, t.act_remove, t.act_retry, None, t.act_move_up,
                                t.act_move_down, None, t.act_clear_finished, own.select_all))
    _add(bar.addMenu("&Batch"), (t.act_start, t.act_pause, t.act_cancel, None, t.act_open_output,
                                 t.act_show_in_folder))
    _add(bar.addMenu("&View"), (t.act_mode_split, t.act_mode_side, t.act_mode_after, t.act_cycle_mode, None,
                                t.act_fit, t.act_actual, t.act_zoom_in, t.act_zoom_out, None, t.act_toggle_log))
    h.populate_menu(bar.addMenu("H&ints"))
    about_qt = _action(window, "About Qt", QApplication.aboutQt, role=QAction.MenuRole.AboutQtRole)
    _add(bar.addMenu("&Help"), (own.guide, own.shortcuts, None, own.about, about_qt))
    for a in own.all():
        if a is not own.about:
            window.addAction(a)   # so the shortcut list and clash check see every window action
    return own
