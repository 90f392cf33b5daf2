"""Issue 13, as a newcomer finds the app: controls do what their labels say.

Real window, real engine thread, real tiny model, offscreen: strength is the selected photo's
own (new photos start at a separate default), one undo history per photo in the Edit menu,
no shortcut bound twice, Detail re-renders, Retry keeps both files, the quit prompt names the
actual change, and the menus hold what a newcomer looks for.
"""
# ruff: noqa: F811 - the window fixtures come from test_gui_workspace and are parameters here

from __future__ import annotations

import re

import pytest
from PySide6.QtGui import QAction, QKeySequence
from test_gui_workspace import make_window, user_model, wait_batch_end  # noqa: F401 - fixtures

from colorizer_gui.folders import start_folder
from colorizer_gui.qt_dialogs import ShortcutsDialog, about_text, describe_unsaved
from colorizer_gui.workspace.photo_queue import PhotoItem, PhotoStatus, adjustments_text
from engine.hints import Hint
from engine.options import DEFAULT_RENDER_SIZE


def menu(window, title: str):
    for action in window.menuBar().actions():
        if action.text().replace("&", "") == title:
            return action.menu()
    raise AssertionError(f"no {title} menu")


def texts(m) -> list[str]:
    return [a.text() for a in m.actions() if not a.isSeparator()]


def test_strength_is_the_selected_photos_own_and_new_photos_start_at_the_default(qtbot, make_window,
                                                                                 make_photo):
    window = make_window()
    tab, c, panel = window.colorize_tab, window.colorize_tab.controller, window.colorize_tab.settings_panel
    first = tab.add_paths([make_photo("first.png", size=(120, 90))])[0]
    c.start()
    wait_batch_end(qtbot, c)
    tab.select_item(first)
    assert "selected photo" in panel.strength_note.text()
    panel.strength_slider.setValue(154)                       # as with the keyboard: one final change
    assert first.strength == pytest.approx(1.54)
    assert adjustments_text(first) == "strength 154 %"        # what the queue row shows
    assert first.has_unsaved_changes and first.saved_strength == pytest.approx(1.0)

    # Two more photos dropped in afterwards start at the default, and are saved at it.
    more = tab.add_paths([make_photo("second.png"), make_photo("third.png")])
    assert [i.strength for i in more] == [1.0, 1.0] and adjustments_text(more[0]) == ""
    c.start()
    wait_batch_end(qtbot, c)
    assert [i.saved_strength for i in more] == [1.0, 1.0]
    assert first.strength == pytest.approx(1.54) and first.saved_strength == pytest.approx(1.0)

    # The default is a setting of its own: changing it touches no photo already in the list.
    panel.default_strength.setValue(120)
    assert window.settings.strength == pytest.approx(1.2)
    assert first.strength == pytest.approx(1.54) and more[0].strength == 1.0
    fourth = tab.add_paths([make_photo("fourth.png")])[0]
    assert fourth.strength == pytest.approx(1.2)

    tab.select_item(more[0])                                   # the slider shows each photo's own value
    assert panel.strength_slider.value() == 100
    tab.select_item(first)
    assert panel.strength_slider.value() == 154

    # Undo, in the Edit menu, takes back the newest change first: the default is a window setting.
    hints = tab.hints
    assert hints.act_undo in menu(window, "Edit").actions()
    assert hints.act_undo.text() == "Undo new photos' strength change"
    hints.act_undo.trigger()
    assert window.settings.strength == 1.0 and panel.default_strength.value() == 100
    assert first.strength == pytest.approx(1.54) and panel.strength_slider.value() == 154  # the photo keeps its own

    # Then the photo's own history.
    assert hints.act_undo.text() == "Undo strength change" and hints.act_undo.isEnabled()
    hints.act_undo.trigger()
    assert first.strength == pytest.approx(1.0) and panel.strength_slider.value() == 100
    assert not first.has_unsaved_changes
    hints.act_redo.trigger()
    assert first.strength == pytest.approx(1.54) and panel.strength_slider.value() == 154
    tab.select_item(more[0])
    assert not hints.act_undo.isEnabled()                     # that photo has its own (empty) history


def test_window_settings_are_undone_in_turn_with_the_photos_edits(qtbot, make_window, make_photo, tmp_path):
    window = make_window()
    tab, c, panel = window.colorize_tab, window.colorize_tab.controller, window.colorize_tab.settings_panel
    hints, s = tab.hints, window.settings
    item = tab.add_paths([make_photo("wide.png", size=(400, 300))])[0]
    c.start()
    wait_batch_end(qtbot, c)
    tab.select_item(item)

    panel.detail_combo.setCurrentIndex(panel.detail_combo.findData(384))   # as the user picks it
    panel.detail_combo.activated.emit(panel.detail_combo.currentIndex())
    qtbot.waitUntil(lambda: item.chroma_key is not None and item.chroma_key.render_size == 384, timeout=30_000)
    tab.hints.store.add(item, Hint(200.0, 150.0, "#3060c0"))              # then a photo edit
    assert hints.act_undo.text() == "Undo add hint"
    hints.act_undo.trigger()
    assert item.hints == [] and hints.act_undo.text() == "Undo detail change"
    hints.act_undo.trigger()                                            # the window's Detail comes back...
    assert s.render_size == DEFAULT_RENDER_SIZE
    assert panel.detail_combo.currentData() == DEFAULT_RENDER_SIZE
    qtbot.waitUntil(lambda: item.chroma_key.render_size == DEFAULT_RENDER_SIZE, timeout=30_000)  # ...re-predicted
    assert not hints.act_undo.isEnabled() and hints.act_redo.text() == "Redo detail change"
    hints.act_redo.trigger()
    assert s.render_size == 384 and panel.detail_combo.currentData() == 384
    assert hints.act_redo.text() == "Redo add hint"

    # Typing a name ending is one step, and undo works with no photo selected.
    tab.queue_view.clearSelection()
    tab.queue_view.setCurrentIndex(tab.queue.index(-1, 0))
    for text in ("_c", "_cx", "_cx2"):
        panel.saving.suffix_edit.setText(text)
        panel.saving.suffix_edit.textEdited.emit(text)
    assert s.suffix == "_cx2" and hints.act_undo.text() == "Undo name ending change"
    hints.act_undo.trigger()
    assert s.suffix == "_color" and panel.saving.suffix_edit.text() == "_color"
    assert "scan_color" in panel.saving.example.text()

    # Choosing a folder to save in is one step: undo puts the results back beside the originals.
    panel.set_output_folder(str(tmp_path / "out"))
    assert (s.output_mode, hints.act_undo.text()) == ("folder", "Undo save location change")
    hints.act_undo.trigger()
    assert (s.output_mode, s.output_dir) == ("beside", "")
    assert panel.saving.where_combo.currentData() == "beside" and not panel.saving.folder_row.isVisibleTo(panel)


def test_no_two_actions_share_a_shortcut(qtbot, make_window):
    window = make_window(wait_model=False)
    actions = set(window.all_actions()) | set(window.findChildren(QAction))
    owners: dict[str, str] = {}
    for action in actions:
        for key in action.shortcuts():
            if key.isEmpty():
                continue
            name = key.toString(QKeySequence.SequenceFormat.PortableText)
            assert name not in owners, f"{name} is bound to both {owners[name]!r} and {action.text()!r}"
            owners[name] = action.text()
    assert owners["Ctrl+Shift+S"] == "Save as…"
    assert "Ctrl+," in owners and owners["Ctrl+Z"].startswith("Undo")
    rows = dict(window.shortcut_table())
    assert rows["Save as"] == QKeySequence("Ctrl+Shift+S").toString(QKeySequence.SequenceFormat.NativeText)
    dialog = ShortcutsDialog(window.shortcut_table(), window)
    qtbot.addWidget(dialog)
    assert dialog.table.topLevelItemCount() == len(rows) >= 20


def test_menus_hold_what_a_newcomer_looks_for(qtbot, make_window):
    window = make_window(wait_model=False)
    file_items = texts(menu(window, "File"))
    assert "Open project…" in file_items and "Save project…" in file_items
    assert "Open project…" not in texts(menu(window, "Hints"))
    assert texts(menu(window, "Help"))[:2] == ["Quick guide", "Keyboard shortcuts"]
    assert not window.window_actions.preferences.shortcut().isEmpty()    # the menu shows a key for it
    assert "MODEL_CARD.md" in about_text("colorizer-base 0.3") and "<a href=" in about_text("")


def test_detail_rerenders_a_done_photo_and_save_keeps_it(qtbot, make_window, make_photo):
    window = make_window()
    tab, c, panel = window.colorize_tab, window.colorize_tab.controller, window.colorize_tab.settings_panel
    item = tab.add_paths([make_photo("wide.png", size=(400, 300))])[0]
    c.start()
    wait_batch_end(qtbot, c)
    tab.select_item(item)
    qtbot.waitUntil(lambda: tab.viewer.has_after() and tab.display.after_state is not None, timeout=10_000)
    before = item.chroma
    assert item.saved_key.render_size == DEFAULT_RENDER_SIZE and not item.has_unsaved_changes
    panel.detail_combo.setCurrentIndex(panel.detail_combo.findData(384))
    panel.detail_combo.activated.emit(panel.detail_combo.currentIndex())
    qtbot.waitUntil(lambda: item.chroma is not before and item.chroma_key.render_size == 384, timeout=30_000)
    qtbot.waitUntil(lambda: tab.display.after_state == (1.0, id(item.chroma), False), timeout=10_000)  # re-rendered
    assert item.has_unsaved_changes and "Save" in tab.viewer._message
    assert "detail" in describe_unsaved([item])[1]
    with qtbot.waitSignal(c.save_finished, timeout=20_000):
        tab.act_save.trigger()
    assert not item.has_unsaved_changes and item.saved_key.render_size == 384


def test_retry_keeps_both_files_unless_told_to_replace(qtbot, make_window, make_photo):
    window = make_window()
    tab, c = window.colorize_tab, window.colorize_tab.controller
    photo = make_photo("portrait.png", size=(96, 64))
    item = tab.add_paths([photo])[0]
    c.start()
    wait_batch_end(qtbot, c)
    first = item.output
    tab.select_item(item)
    assert window.settings.if_exists == "rename"               # "Keep both"
    tab.retry_selected()
    wait_batch_end(qtbot, c)
    assert item.status is PhotoStatus.DONE and item.output != first
    assert first.is_file() and item.output.is_file() and item.output.stem == "portrait_color-1"
    window.settings.if_exists = "overwrite"                    # "Replace it": its own result is redone
    tab.retry_selected()
    wait_batch_end(qtbot, c)
    assert len(list(photo.parent.glob("portrait_color*"))) == 2
    assert start_folder() == str(photo.parent)                 # file dialogs open where the photos are


def test_quit_prompt_names_the_unsaved_change(qtbot, make_window, tmp_path):
    def done_item(name: str, **changes) -> PhotoItem:
        item = PhotoItem(tmp_path / name, status=PhotoStatus.DONE, saved_strength=1.0, saved_hints=())
        for key, value in changes.items():
            setattr(item, key, value)
        return item

    hinted = done_item("hinted.jpg", hints=[Hint(4, 5, "#2050d0")])
    stronger = done_item("stronger.jpg", strength=1.5)
    question, details = describe_unsaved([hinted])
    assert "hinted.jpg" in question and "hints" in details and "strength" not in details
    question, details = describe_unsaved([stronger])
    assert "strength (100 % → 150 %)" in details and "hints" not in details
    question, details = describe_unsaved([hinted, stronger])
    assert question.startswith("2 photos") and "colour hints and strength" in details

    window = make_window(wait_model=False)
    asked = []
    window.ask_unsaved_changes = lambda items: asked.append(items) or "cancel"
    window.colorize_tab.queue.add([hinted])
    window.close()
    assert asked == [[hinted]] and window.isVisible()          # cancelled: the window stays
    window.ask_unsaved_changes = lambda items: "discard"


def test_model_manager_rows_agree_with_the_command_line(qtbot):
    from colorizer_gui.finetune.qt_model_manager import describe_entry
    from engine.catalog import list_models

    bundled = next(e for e in list_models() if e.source == "bundled" and e.error is None)
    name, kind, based_on, trained_on, _ = describe_entry(bundled)
    assert kind == "built in" and based_on == ""               # not "Based on: itself"
    shown = re.search(r"([\d,]+) steps", trained_on)
    if shown:   # the step count is the one `colorize --list-models` prints (its description)
        assert f"{shown.group(1)} steps" in bundled.info.description


def test_finetune_folder_box_takes_a_typed_path(qtbot, tmp_path, tiny_model_path):
    from test_finetune import make_collection

    from colorizer_gui.finetune import qt_finetune_tab as ft

    folder = make_collection(tmp_path / "holiday photos")
    tab = ft.FineTuneTab()
    qtbot.addWidget(tab)
    tab.add_base_model(tiny_model_path)
    assert not tab.folder_edit.isReadOnly()
    tab.folder_edit.setText(str(tmp_path / "no such folder"))
    tab.folder_edit.editingFinished.emit()
    assert "There is no folder" in tab.scan_label.text() and not tab.start_button.isEnabled()
    tab.folder_edit.setText(f'"{folder}"')                    # pasted with quotes, as file managers copy it
    tab.folder_edit.editingFinished.emit()
    qtbot.waitUntil(lambda: tab.scan is not None, timeout=30_000)
    assert "10 usable colour photos" in tab.scan_label.text()
    assert tab.options().folder == str(folder) and tab.name_edit.text() == "holiday photos"
