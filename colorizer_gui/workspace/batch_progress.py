"""A batch's numbers: how many photos are done, failed, skipped or cancelled, how far it is
(counting the running photo's progress), the time it has taken and the time left.

No Qt objects: counted from the queue's photos and the controller's clock readings, so the
ETA rules are tested directly.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from colorizer_gui.workspace.photo_queue import PhotoStatus
from engine.durations import format_duration as engine_format_duration

if TYPE_CHECKING:
    from colorizer_gui.workspace.photo_queue import PhotoItem

# Until a photo of the batch is done, the running one's pace is trusted from this far in.
ETA_FROM_PROGRESS = 0.15


@dataclass
class Overall:
    total: int = 0          # photos in the current batch
    finished: int = 0
    done: int = 0
    failed: int = 0
    cancelled: int = 0
    skipped: int = 0
    fraction: float = 0.0   # 0..1, including the running photo's progress
    eta_seconds: float | None = None
    elapsed: float = 0.0


def count_batch(items: Iterable[PhotoItem], *, running: bool, paused: bool, batch_started: float,
                photo_started: float, now: float) -> Overall:
    """The numbers for the photos counted in the current batch (`in_batch`); the times are
    time.monotonic() readings: when the batch and its running photo started, and now.

    The time left is the seconds per megapixel of the photos done so far (else the running
    photo's pace, once it is ETA_FROM_PROGRESS in) times the megapixels waiting, plus the running
    photo's own time left; there is none while paused, and none before anything can be measured.
    """
    batch = [i for i in items if i.in_batch]
    o = Overall(total=len(batch))
    # A photo whose size is not known yet (its thumbnail is still loading) counts as the
    # average of those known, not as 1 MP: a folder of 48 MP scans is not 1 MP photos.
    known = [i.megapixels for i in batch if i.size]
    typical = sum(known) / len(known) if known else 1.0

    def megapixels(item: PhotoItem) -> float:
        return item.megapixels if item.size else typical

    done_seconds = done_mp = remaining_mp = 0.0
    current = None
    for item in batch:
        if item.status is PhotoStatus.DONE:
            o.done += 1
            done_seconds += item.seconds
            done_mp += megapixels(item)
        elif item.status is PhotoStatus.FAILED:
            o.failed += 1
        elif item.status is PhotoStatus.CANCELLED:
            o.cancelled += 1
        elif item.status is PhotoStatus.SKIPPED:
            o.skipped += 1
        elif item.status is PhotoStatus.WORKING:
            current = item
        elif item.status is PhotoStatus.QUEUED:
            remaining_mp += megapixels(item)
    o.finished = o.done + o.failed + o.cancelled + o.skipped
    partial = current.progress if current is not None else 0.0
    o.fraction = (o.finished + partial) / o.total if o.total else 0.0
    if running:
        o.elapsed = now - batch_started
    if running and not paused:
        rate = None
        if done_mp > 0:
            rate = done_seconds / done_mp
        elif current is not None and current.progress > ETA_FROM_PROGRESS:
            rate = (now - photo_started) / current.progress / megapixels(current)
        if rate is not None:
            o.eta_seconds = rate * remaining_mp
            if current is not None:
                # The running photo by its own pace once it is well in (its progress counts reading
                # and saving too), else by what photos of its size took: a 48 MP scan after small
                # photos is not "about 0 s left", nor the small photos' per-photo overhead times 48.
                on_it = now - photo_started
                if current.progress > ETA_FROM_PROGRESS:
                    o.eta_seconds += on_it / current.progress * (1 - current.progress)
                else:
                    o.eta_seconds += max(rate * megapixels(current) - on_it, 0.0)
    return o


def finished_message(o: Overall) -> str:
    """The log line at a batch's end: "Finished: 9 colorized, 1 failed in 2 min 5 s"."""
    parts = [f"{o.done} colorized"]
    if o.failed:
        parts.append(f"{o.failed} failed")
    if o.skipped:
        parts.append(f"{o.skipped} skipped")
    if o.cancelled:
        parts.append(f"{o.cancelled} cancelled")
    return f"Finished: {', '.join(parts)} in {format_duration(o.elapsed)}"


def format_duration(seconds: float | None) -> str:
    """Elapsed and remaining batch time: the seconds stay under ten minutes, so a count-down moves."""
    return "" if seconds is None else engine_format_duration(max(0.0, seconds), with_seconds=True)
