"""The batch line under the queue (colorizer_gui/workspace/words.py), without Qt widgets."""

from __future__ import annotations

from colorizer_gui.workspace.batch_controller import Overall
from colorizer_gui.workspace.photo_queue import PhotoStatus
from colorizer_gui.workspace.words import describe_added, describe_overall


def test_running_batch_says_which_photo_and_time_left():
    o = Overall(total=13, finished=8, eta_seconds=65.0)
    text = describe_overall(o, photos=13, counts={}, running=True, paused=False, model_ready=True)
    assert text.startswith("Colorizing 9 of 13 · about ") and text.endswith(" left")
    assert "1" in text.split("about ")[1]                          # a minute and some seconds
    assert describe_overall(o, photos=13, counts={}, running=True, paused=True, model_ready=True) == \
        "Paused · 8 of 13 finished"
    assert describe_overall(Overall(total=2), photos=2, counts={}, running=True, paused=False,
                            model_ready=False) == "Colorizing 1 of 2 · waiting for the model"


def test_idle_queue_lists_only_the_counts_it_has():
    counts = {PhotoStatus.DONE: 4, PhotoStatus.FAILED: 1, PhotoStatus.QUEUED: 0}
    assert describe_overall(Overall(), photos=5, counts=counts, running=False, paused=False,
                            model_ready=True) == "5 photos · 4 done · 1 failed"
    assert describe_overall(Overall(), photos=1, counts={PhotoStatus.QUEUED: 1}, running=False, paused=False,
                            model_ready=True) == "1 photo · 1 waiting"
    assert describe_overall(Overall(), photos=0, counts={}, running=False, paused=False, model_ready=True) == ""


def test_added_line_counts_photos_and_skipped_files_and_starts_with_a_capital():
    assert describe_added(3, 0) == "Added 3 photos"
    assert describe_added(1, 1) == "Added 1 photo; skipped 1 file (see Activity)"
    assert describe_added(0, 2) == "Skipped 2 files (see Activity)"
