"""A folder the app has seen before (issue 23 item 1): its results are not colorized again,
and a photo whose result is there is shown as done, with Colorize again still possible.

Real windows under QT_QPA_PLATFORM=offscreen, real drops, real files.
"""

from __future__ import annotations

from pathlib import Path

import test_gui_workspace
from test_gui_workspace import drop, rows, wait_batch_end

from colorizer_gui.workspace.photo_queue import PhotoStatus

make_window, user_model = test_gui_workspace.make_window, test_gui_workspace.user_model   # the fixtures


def _files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.is_file())


def test_adding_a_folder_again_colorizes_nothing_twice(qtbot, make_window, make_photo, tmp_path):
    folder = tmp_path / "album"
    make_photo("abe.jpg", size=(120, 96), folder=folder)
    make_photo("locomotive.png", size=(96, 80), folder=folder)
    first = make_window()
    drop(first, [folder])
    first.colorize_tab.act_start.trigger()
    wait_batch_end(qtbot, first.colorize_tab.controller)
    assert _files(folder) == ["abe.jpg", "abe_color.jpg", "locomotive.png", "locomotive_color.png"]
    first.close()

    window = make_window(auto_start=True)
    tab = window.colorize_tab
    drop(window, [folder])
    names = rows(window)
    # The results are not new work (no abe_color_color.jpg), and the originals are done.
    assert set(names) == {"abe.jpg", "locomotive.png"}
    for name, result in (("abe.jpg", "abe_color.jpg"), ("locomotive.png", "locomotive_color.png")):
        item = names[name]
        assert item.status is PhotoStatus.DONE and item.output == folder / result
        assert item.status_text() == "Already done" and result in item.message
    assert "a Colorizer result" in tab.log_panel.plain_text()
    tab.queue_view.grab()   # the rows paint with their second line
    wait_batch_end(qtbot, tab.controller)
    assert _files(folder) == ["abe.jpg", "abe_color.jpg", "locomotive.png", "locomotive_color.png"]

    # The user can still choose Colorize again: a new copy beside the old one.
    tab.select_item(names["abe.jpg"])
    tab._update_actions()
    assert tab.act_retry.text() == "Colorize again"
    tab.act_retry.trigger()
    wait_batch_end(qtbot, tab.controller)
    assert names["abe.jpg"].status is PhotoStatus.DONE and names["abe.jpg"].output == folder / "abe_color-1.jpg"
    assert _files(folder) == ["abe.jpg", "abe_color-1.jpg", "abe_color.jpg", "locomotive.png",
                              "locomotive_color.png"]


def test_a_result_picked_by_name_is_listed_as_skipped_and_can_be_colorized_again(qtbot, make_window, make_photo,
                                                                                 tmp_path):
    photo = make_photo("abe.jpg", size=(120, 96))
    first = make_window()
    drop(first, [photo])
    first.colorize_tab.act_start.trigger()
    wait_batch_end(qtbot, first.colorize_tab.controller)
    first.close()
    window = make_window()
    drop(window, [tmp_path / "abe_color.jpg"])
    item = rows(window)["abe_color.jpg"]
    assert item.status is PhotoStatus.SKIPPED and "Colorizer result" in item.message
    assert window.colorize_tab.controller.retry([item.id]) == 1
