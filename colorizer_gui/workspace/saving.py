"""Save, Save as and Save all: writing a photo's result again after its strength or hints
changed, writing a copy elsewhere, and saving every changed photo at once.

A save renders the colours already predicted (the preview's chroma) at the photo's strength
and writes the file; the network runs again only when the hints changed since that prediction
(then the photo is colorized anew). Saves wait their turn on the engine (`EngineDispatch`),
before previews and batch photos. An original photo is never written over.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from colorizer_gui.workspace.engine_worker import SaveOutcome, SaveTask
from colorizer_gui.workspace.photo_queue import PhotoItem, PhotoStatus
from engine.options import FORMATS, output_format_for

if TYPE_CHECKING:
    from colorizer_gui.workspace.batch_controller import BatchController
    from engine.hint_files import Hint


class Saving:
    def __init__(self, controller: BatchController) -> None:
        self._c = controller

    def save(self, item: PhotoItem) -> bool:
        """Write the photo where the settings say (again, if its strength or hints changed)."""
        c = self._c
        if item.status is PhotoStatus.DONE and item.output is not None and item.chroma is not None:
            if not item.has_unsaved_changes:
                return False
            hints = tuple(item.hints)
            stale = item.chroma_key is None or item.chroma_key.hints != hints
            if stale or (hints != item.saved_hints and c.current_chroma(item) is None):
                # New hints need a prediction made for them with today's model and render
                # size; the hint preview's is used when it is that (see `current_chroma`).
                c.colorize_now(item)
                return True
            if same_file(item.output, item.path):
                c.log.emit("error", f"Not saved: {item.output} is the original photo")
                return False
            self._queue_save(item, item.output, output_format_for(item.output))
            return True
        if item.status in (PhotoStatus.QUEUED, PhotoStatus.CANCELLED, PhotoStatus.FAILED):
            c.colorize_now(item)
            return True
        return False

    def save_as(self, item: PhotoItem, dest: Path, fmt: str | None = None) -> str | None:
        """Write a copy of the result at `dest`. Returns a reason when that is not allowed."""
        if item.chroma is None:
            return "this photo has not been colorized yet"
        dest = Path(dest)
        if any(same_file(dest, other.path) for other in self._c.queue.items):
            return "that file is one of your original photos; choose another name"
        fmt = fmt or output_format_for(dest)
        if fmt not in FORMATS:
            return f"unknown format {dest.suffix}"
        self._queue_save(item, dest, fmt)
        return None

    def save_all(self) -> int:
        """Save every photo with unsaved changes and colorize all waiting ones. Returns how many."""
        queue = self._c.queue
        changed = [i for i in queue.items if i.has_unsaved_changes]
        for item in changed:
            self.save(item)
        waiting = len(queue.with_status(PhotoStatus.QUEUED))
        if waiting:
            self._c.start()
        return len(changed) + waiting

    def on_outcome(self, outcome: SaveOutcome) -> None:
        task, c = outcome.task, self._c
        item = c.queue.item_by_id(task.item_id)
        name = item.name if item else task.source.name
        if outcome.ok:
            is_main_output = item is not None and item.output is not None and same_file(task.dest, item.output)
            if is_main_output:
                item.saved_strength, item.saved_hints = task.strength, task.hints
                item.saved_key = task.key or item.saved_key
                c.queue.refresh(item, structural=True)
            note = f" ({'; '.join(outcome.notes)})" if outcome.notes else ""
            c.log.emit("info", f"Saved {name} → {task.dest}{note}")
        elif not outcome.cancelled:
            c.log.emit("error", f"Could not save {name}: {outcome.message}")
        c.save_finished.emit(task.item_id, outcome.ok, outcome.message)

    def _queue_save(self, item: PhotoItem, dest: Path, fmt: str) -> None:
        c = self._c
        # Overwrite: the file the user chose for Save as, or the photo's own result.
        c.tasks.pending_saves.append(SaveTask(item.id, item.path, item.chroma, item.strength, dest, fmt,
                                              c.settings.quality, overwrite=True, max_pixels=c.max_pixels(),
                                              hints=_chroma_hints(item), key=item.chroma_key))
        c.tasks.dispatch()


def _chroma_hints(item: PhotoItem) -> tuple[Hint, ...]:
    """The hints the chroma was predicted with: what the file will show (a preview for the
    newest edit may still be on its way), so the photo stays marked unsaved until it is."""
    return item.chroma_key.hints if item.chroma_key is not None else tuple(item.hints)


def same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return False
