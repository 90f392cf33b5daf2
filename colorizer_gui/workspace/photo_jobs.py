"""One photo's colorizing job: what it is (where its result goes, with which settings, hints and
preview colours) and what its end means for the photo's row: done (its file and colours are
kept), skipped (its result's name was taken, or it is already a colour photo), failed (with
the reason), cancelled, or back to waiting after a pause.

The batch (batch_controller.py) decides which photo runs when; this builds that photo's
JobTask and records how it went. No widgets here.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from colorizer_gui.workspace.engine_worker import JobOutcome, JobTask
from colorizer_gui.workspace.photo_queue import ChromaKey, PhotoItem, PhotoStatus
from colorizer_gui.workspace.saving import same_file
from engine.errors import UnreadablePhoto
from engine.options import output_format_for

if TYPE_CHECKING:
    from colorizer_gui.workspace.batch_controller import BatchController

IN_COLOUR = "Already in colour: left as it is"  # the row's text; the tab offers to colorize it anyway


class PhotoJobs:
    def __init__(self, controller: BatchController) -> None:
        self._c = controller
        # Photo id -> its earlier result, which its next job writes over (Save after new hints,
        # or Retry with "Replace it"); otherwise a re-run gets a name of its own.
        self.rerun_dest: dict[int, Path] = {}

    def task_for(self, item: PhotoItem) -> JobTask:
        """The job for this photo now. Raises UsageError when its result has nowhere to go."""
        c = self._c
        settings = c.batch_settings(item.strength)
        job = c.plan(item, settings)
        rerun = self.rerun_dest.pop(item.id, None)
        if rerun is not None and not same_file(rerun, item.path):
            job.dest, job.fmt = rerun, output_format_for(rerun)
            settings.if_exists = "overwrite"
        job.hints = list(item.hints) or None
        settings.include_colour = item.include_colour
        return JobTask(item.id, job, settings, model_id=c.model_id, chroma=c.current_chroma(item))

    def started(self, item: PhotoItem) -> None:
        item.status, item.progress, item.stage, item.message = PhotoStatus.WORKING, 0.0, "reading", ""
        if not item.in_batch:
            item.in_batch = True
        self._c.queue.refresh(item, structural=True)
        self._c.progress_changed.emit()

    def on_progress(self, item_id: int, fraction: float, stage: str) -> None:
        c = self._c
        item = c.queue.item_by_id(item_id)
        if item is None or item.status is not PhotoStatus.WORKING:
            return
        if c.tasks.is_running(JobTask) and c.tasks.current.cancel.is_set():
            return   # it is stopping: its row says so until it has
        item.progress, item.stage = fraction, stage
        c.queue.refresh(item)
        c.progress_changed.emit()

    def finish(self, item: PhotoItem, status: PhotoStatus, message: str = "") -> None:
        c = self._c
        item.status, item.message, item.progress, item.stage = status, message, 0.0, ""
        c.queue.refresh(item, structural=True)
        if status is PhotoStatus.FAILED:
            c.log.emit("error", f"Failed {item.name}: {message}")
        c.item_finished.emit(item.id)
        c.progress_changed.emit()

    def on_outcome(self, outcome: JobOutcome) -> None:
        c = self._c
        task, result = outcome.task, outcome.result
        item = c.queue.item_by_id(task.item_id)
        if item is None:
            return
        if outcome.size is not None:
            item.size = outcome.size
        reason = getattr(task, "reason", "")
        if result.status == "cancelled":
            if reason == "pause" or (reason == "" and c.paused):
                item.status, item.progress, item.stage, item.message = PhotoStatus.QUEUED, 0.0, "", ""
                c.queue.refresh(item, structural=True)
                c.progress_changed.emit()
                c.item_finished.emit(item.id)
                return
            self.finish(item, PhotoStatus.CANCELLED, "cancelled")
            return
        item.seconds = result.seconds
        item.notes = list(result.notes)
        if result.status == "done":
            item.output = result.output
            item.chroma = outcome.chroma
            item.chroma_key = ChromaKey(task.model_id, task.settings.render_size, tuple(task.job.hints or ()))
            item.saved_strength = task.settings.strength
            item.saved_hints = tuple(task.job.hints or ())
            item.saved_key = item.chroma_key
            if outcome.colour_thumbnail is not None:
                item.colour_thumbnail = outcome.colour_thumbnail
            if outcome.preview is not None:
                c.sources.put(item.id, outcome.preview)
            note = f" ({'; '.join(result.notes)})" if result.notes else ""
            c.log.emit("info", f"Saved {item.name} → {result.output} in {result.seconds:.1f} s{note}")
            self.finish(item, PhotoStatus.DONE)
        elif result.in_colour:
            c.log.emit("warning", f"Left {item.name} as it is: it is already a colour photo")
            self.finish(item, PhotoStatus.SKIPPED, IN_COLOUR)
            c.colour_photo_skipped.emit(item.id)
        elif result.status == "skipped":
            item.output = result.output
            c.log.emit("warning", f"Skipped {item.name}: {result.output.name if result.output else 'its result'} "
                                  "already exists")
            self.finish(item, PhotoStatus.SKIPPED, "a file with its result's name already exists")
        else:
            if result.failed_with(UnreadablePhoto):
                item.readable = False   # no point previewing it; "Retry" still tries again
                c.outputs.withdraw(item)   # it claims no result name now
            self.finish(item, PhotoStatus.FAILED, result.message or "failed")
