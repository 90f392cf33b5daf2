"""What the Colorize tab says about the batch, in words (no Qt, so it is tested directly)."""

from __future__ import annotations

from colorizer_gui.workspace.batch_controller import Overall, format_duration
from colorizer_gui.workspace.photo_queue import PhotoStatus

_COUNTED = ((PhotoStatus.DONE, "done"), (PhotoStatus.QUEUED, "waiting"), (PhotoStatus.FAILED, "failed"),
            (PhotoStatus.CANCELLED, "cancelled"), (PhotoStatus.SKIPPED, "skipped"))


def describe_overall(o: Overall, *, photos: int, counts: dict[PhotoStatus, int], running: bool, paused: bool,
                     model_ready: bool) -> str:
    """The line under the queue: the batch's progress and time left while it runs, else the counts."""
    if running and o.total:
        current = min(o.total, o.finished + 1)
        text = f"Paused · {o.finished} of {o.total} finished" if paused else f"Colorizing {current} of {o.total}"
        if not paused and o.eta_seconds is not None:
            text += f" · about {format_duration(o.eta_seconds)} left"
        if not model_ready:
            text += " · waiting for the model"
        return text
    if not photos:
        return ""
    parts = [_count(photos, "photo")]
    parts += [f"{counts[status]} {word}" for status, word in _COUNTED if counts.get(status)]
    return " · ".join(parts)


def describe_added(added: int, skipped: int) -> str:
    """The status line after photos were added: "Added 3 photos; skipped 1 file (see Activity)"."""
    parts = []
    if added:
        parts.append(f"Added {_count(added, 'photo')}")
    if skipped:
        parts.append(f"{'skipped' if added else 'Skipped'} {_count(skipped, 'file')} (see Activity)")
    return "; ".join(parts)


def ask_colour_photos(n: int) -> str:
    """The question asked once per batch about photos left as they are for being in colour:
    "3 photos are already in colour: colorize them anyway?"."""
    if n == 1:
        return "1 photo is already in colour, so it was left as it is: colorize it anyway?"
    return f"{_count(n, 'photo')} are already in colour, so they were left as they are: colorize them anyway?"


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"
