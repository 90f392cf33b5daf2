"""A batch's counts, fraction and time left (batch_progress: no Qt objects, no engine)."""

from __future__ import annotations

from pathlib import Path

from colorizer_gui.workspace.batch_progress import count_batch, finished_message, format_duration
from colorizer_gui.workspace.photo_queue import PhotoItem, PhotoStatus


def photo(status: PhotoStatus, *, seconds: float = 0.0, size=(2000, 1000), progress: float = 0.0,
          in_batch: bool = True) -> PhotoItem:
    return PhotoItem(Path(f"/photos/{status.value}.jpg"), status=status, seconds=seconds, size=size,
                     progress=progress, in_batch=in_batch)


def count(items, *, running=True, paused=False, now=100.0, photo_started=90.0):
    return count_batch(items, running=running, paused=paused, batch_started=40.0, photo_started=photo_started,
                       now=now)


def test_counts_and_fraction_take_the_running_photo_in_part():
    items = [photo(PhotoStatus.DONE, seconds=8.0), photo(PhotoStatus.FAILED), photo(PhotoStatus.SKIPPED),
             photo(PhotoStatus.CANCELLED), photo(PhotoStatus.WORKING, progress=0.5), photo(PhotoStatus.QUEUED),
             photo(PhotoStatus.DONE, in_batch=False)]        # from an earlier batch: not counted
    o = count(items)
    assert (o.total, o.done, o.failed, o.skipped, o.cancelled, o.finished) == (6, 1, 1, 1, 1, 4)
    assert o.fraction == (4 + 0.5) / 6
    assert o.elapsed == 60.0
    # 8 s for 2 MP done: 4 s/MP times the waiting photo's 2 MP, plus the running photo at its own
    # pace: half done in 10 s, so 10 s more.
    assert o.eta_seconds == 4.0 * 2.0 + 10.0


def test_time_left_from_the_running_photo_only_once_it_is_well_in():
    assert count([photo(PhotoStatus.WORKING, progress=0.1), photo(PhotoStatus.QUEUED)]).eta_seconds is None
    o = count([photo(PhotoStatus.WORKING, progress=0.5), photo(PhotoStatus.QUEUED)])
    assert o.eta_seconds == 10.0 / 0.5 / 2.0 * (1.0 + 2.0)    # 10 s for half of 2 MP
    assert count([photo(PhotoStatus.DONE, seconds=8.0), photo(PhotoStatus.QUEUED)], paused=True).eta_seconds is None
    o = count([photo(PhotoStatus.DONE, seconds=8.0)], running=False)
    assert (o.elapsed, o.eta_seconds, o.fraction) == (0.0, None, 1.0)


def test_the_finished_line_names_only_what_happened():
    o = count([photo(PhotoStatus.DONE, seconds=3.0), photo(PhotoStatus.FAILED)], now=40.0 + 65)
    assert finished_message(o) == f"Finished: 1 colorized, 1 failed in {format_duration(65.0)}"
    assert finished_message(count([])) == f"Finished: 0 colorized in {format_duration(60.0)}"
    assert format_duration(None) == "" and format_duration(-3) == format_duration(0)


def test_time_left_for_a_big_scan_is_weighed_by_its_megapixels_while_it_is_saved():
    """Issue 23: small photos done, then an 8000 x 6000 scan: not "about 0 s left" while it is written."""
    small = [photo(PhotoStatus.DONE, seconds=0.5, size=(1000, 1000)) for _ in range(3)]   # 0.5 s/MP
    scan = photo(PhotoStatus.WORKING, size=(8000, 6000), progress=0.1)   # being read, 2 s in
    assert count([*small, scan], photo_started=98.0).eta_seconds == 0.5 * 48 - 2
    saving = photo(PhotoStatus.WORKING, size=(8000, 6000), progress=0.75)   # being written, 9 s in
    assert count([*small, saving], photo_started=91.0).eta_seconds == 9 / 0.75 * 0.25
    # Its size not known yet (the thumbnail is loading): it counts as the photos whose size is known.
    unknown = photo(PhotoStatus.QUEUED, size=None)
    scans = [photo(PhotoStatus.DONE, seconds=24.0, size=(8000, 6000)), unknown]
    assert count(scans).eta_seconds == 24.0
