"""The Colorize workspace's brain: the queue, the model, and the batch (start, pause, resume,
cancel, retry, remove, colorize one photo now).

The engine runs one task at a time; `engine_dispatch.EngineDispatch` picks which (a model to
load, a file to save, a preview, then the batch's next photo, which `_next_job` here chooses:
one asked for now first, else the first waiting one while the batch runs). The rest lives
beside this: a photo's job and what its end means in `photo_jobs`, the viewer's predictions
in `preview_requests`, Save / Save as / Save all in `saving`, which dropped files become rows
in `adding_photos`, the result names in `output_plan`, the counts and time left in
`batch_progress`.

No widgets here: the tab wires this to the views, and the tests drive it directly.
"""

from __future__ import annotations

import time
from collections import deque
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from colorizer_gui.settings import GuiSettings
from colorizer_gui.workspace import adding_photos
from colorizer_gui.workspace.adding_photos import Skipped
from colorizer_gui.workspace.batch_progress import Overall, count_batch, finished_message
from colorizer_gui.workspace.batch_progress import format_duration as format_duration  # noqa: F401 - imported from here
from colorizer_gui.workspace.engine_dispatch import EngineDispatch
from colorizer_gui.workspace.engine_worker import (
    JobOutcome,
    JobTask,
    LoadModelTask,
    ModelLoaded,
    PreviewOutcome,
    PreviewTask,
    SaveOutcome,
    SaveTask,
    TaskCrashed,
)
from colorizer_gui.workspace.output_plan import OutputPlan
from colorizer_gui.workspace.photo_jobs import PhotoJobs
from colorizer_gui.workspace.photo_queue import ChromaKey, PhotoItem, PhotoStatus, QueueModel
from colorizer_gui.workspace.preview_requests import PreviewRequests
from colorizer_gui.workspace.previews import LruCache
from colorizer_gui.workspace.saving import Saving
from engine.batch import BatchSettings, Job, UsageError, existing_result
from engine.errors import NoSuchModel
from engine.options import DEFAULT_MAX_PIXELS

if TYPE_CHECKING:  # engine.infer loads torch, which the engine thread imports, not the window
    from engine.infer import Chroma

PREVIEW_CACHE = 6  # photos whose viewing-size lightness stays in memory (~8 MB each)


class BatchController(QObject):
    """Runs the queue on the engine thread.

    Signals
    -------
    model_state_changed()
        loading started, or a model was loaded, or loading failed (see `model_*` attributes).
    model_problem(str kind, str message)
        a model could not be loaded: the window explains it in a dialog. kind is "missing" when
        no model has the name asked for (engine.errors.NoSuchModel), else "model".
    batch_state_changed()
        started, paused, resumed, cancelled or finished.
    progress_changed()
        a photo's progress or status changed (overall numbers, ETA).
    item_finished(int item_id)
        a photo's job ended (done, failed, skipped or cancelled).
    preview_ready(int item_id)
        a photo's chroma and viewing-size lightness are ready to render.
    preview_failed(int item_id, str message)
    save_finished(int item_id, bool ok, str message)
    log(str level, str text)
        level is "info", "warning" or "error".
    colour_photo_skipped(int item_id)
        a photo was left as it is for being in colour; the tab asks, once per batch, whether to
        colorize such photos anyway (colorize_colour_photos).
    """

    model_state_changed = Signal()
    model_problem = Signal(str, str)
    batch_state_changed = Signal()
    progress_changed = Signal()
    item_finished = Signal(int)
    preview_ready = Signal(int)
    preview_failed = Signal(int, str)
    save_finished = Signal(int, bool, str)
    log = Signal(str, str)
    colour_photo_skipped = Signal(int)

    def __init__(self, settings: GuiSettings, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.queue = QueueModel(self)
        self.tasks = EngineDispatch(model_ready=lambda: self.model_ready, next_job=self._start_next_photo,
                                    parent=self)
        self.engine = self.tasks.engine
        self.sources: LruCache = LruCache(PREVIEW_CACHE)   # item id -> PreviewSource
        self.jobs = PhotoJobs(self)
        self.engine.progress.connect(self.jobs.on_progress)
        self.previews = PreviewRequests(self)
        self.saving = Saving(self)
        self.tasks.handlers = {ModelLoaded: self._on_model_loaded, JobOutcome: self.jobs.on_outcome,
                               PreviewOutcome: self.previews.on_outcome, SaveOutcome: self.saving.on_outcome,
                               TaskCrashed: self._on_task_crashed}
        # Result names, planned once for the queue; rows moved or dropped plan them again.
        self.outputs = OutputPlan()
        self.queue.rowsInserted.connect(lambda _parent, first, _last: self.outputs.rows_inserted(first))
        for changed in (self.queue.rowsRemoved, self.queue.rowsMoved, self.queue.layoutChanged, self.queue.modelReset):
            changed.connect(self.outputs.forget)

        self.model_ready = False
        self.model_loading = False
        self.model_name = ""
        self.model_description = ""
        self.model_device = ""
        self.model_path: Path | None = None
        self.model_id = ""
        self.model_error = ""
        self.requested_model: tuple[str | None, str] | None = None   # the newest load asked for

        self.running = False
        self.paused = False
        self._priority: deque[int] = deque()   # photos to colorize now, batch running or not
        self._batch_started = 0.0

    # --- model ----------------------------------------------------------------------------------

    def load_model(self, model: str | None, device: str) -> None:
        self.requested_model = (model, device)
        self.tasks.pending_load = LoadModelTask(model, device)
        self.model_loading = True
        self.model_state_changed.emit()
        if self.tasks.is_running(PreviewTask):
            self.tasks.current.cancel.set()
        self.tasks.dispatch()

    # --- adding photos --------------------------------------------------------------------------------

    def add_paths(self, paths: list[str | Path]) -> tuple[list[PhotoItem], list[Skipped]]:
        """Add files and folders (searched recursively). Returns (added, skipped with reasons)."""
        items, skipped = adding_photos.photos_to_add(paths, queued=self.queue.path_keys(),
                                                     strength=self.settings.strength, in_batch=self.running)
        self.queue.add(items)
        self._mark_done_before(items)
        for s in skipped:
            self.log.emit("warning", f"Skipped {s.path}: {s.reason}")
        if items:
            self.log.emit("info", f"Added {len(items)} photo{'s' if len(items) != 1 else ''}")
        self.progress_changed.emit()
        if self.running:
            self.tasks.dispatch()
        return items, skipped

    def _mark_done_before(self, items: list[PhotoItem]) -> None:
        """Photos whose result is already where it would be saved (a folder seen before, as
        Lightroom and darktable treat one) are shown as done, not redone; Colorize again
        makes a new one."""
        settings = self.batch_settings()
        done = []
        for item in items:
            try:
                result = existing_result(self.plan(item, settings))
            except UsageError:   # nowhere to save it yet: nothing can be there
                continue
            if result is not None:
                done.append((item, result))
        for item, result in done:
            item.status, item.output, item.in_batch = PhotoStatus.DONE, result, False
            item.message = f"its result {result.name} was already there; Colorize again makes a new one"
            self.queue.refresh(item, structural=True)
        if done:
            self.log.emit("info", f"{len(done)} photo{'s' if len(done) != 1 else ''} already had a result "
                                  "where it would be saved: shown as done, not colorized again")

    def add_skipped_rows(self, skipped: list[Skipped]) -> list[PhotoItem]:
        """Show files the user picked that cannot be colorized as rows marked "Skipped"."""
        rows = adding_photos.skipped_rows(skipped)
        self.queue.add(rows)
        return rows

    # --- batch control --------------------------------------------------------------------------------

    def start(self) -> bool:
        """Start (or resume) colorizing every waiting photo. False when there is nothing to do."""
        waiting = self.queue.with_status(PhotoStatus.QUEUED)
        if self.running and self.paused:
            self.paused = False
            self.log.emit("info", "Resumed")
            self.batch_state_changed.emit()
            self.tasks.dispatch()
            return True
        if self.running:
            return True
        if not waiting:
            return False
        for item in self.queue.items:
            item.in_batch = item.status in (PhotoStatus.QUEUED, PhotoStatus.WORKING)
        self.running, self.paused = True, False
        self._batch_started = time.monotonic()
        self.log.emit("info", f"Colorizing {len(waiting)} photo{'s' if len(waiting) != 1 else ''}")
        self.batch_state_changed.emit()
        self.progress_changed.emit()
        self.tasks.dispatch()
        return True

    def pause(self) -> None:
        """Stop soon; the photo being colorized goes back to waiting and starts again on resume."""
        if not self.running or self.paused:
            return
        self.paused = True
        if self.tasks.is_running(JobTask):
            self._cancel_current("pause")
        self.log.emit("info", "Paused")
        self.batch_state_changed.emit()

    def cancel(self) -> None:
        """Stop the batch: the running photo is abandoned (nothing half-written), the rest cancelled."""
        if not self.running and not self._priority and not self.tasks.is_running(JobTask):
            return
        self.running = self.paused = False
        self._priority.clear()
        if self.tasks.is_running(JobTask):
            self._cancel_current("cancel")
        for item in self.queue.with_status(PhotoStatus.QUEUED):
            if item.in_batch:
                item.status = PhotoStatus.CANCELLED
                item.message = "cancelled"
                self.queue.refresh(item)
        self.log.emit("info", "Cancelled")
        self.queue.items_changed.emit()
        self.batch_state_changed.emit()
        self.progress_changed.emit()

    def colorize_colour_photos(self, ids: list[int]) -> int:
        """Colorize photos that were left as they are for being in colour, as the user asked."""
        for item_id in ids:
            if (item := self.queue.item_by_id(item_id)) is not None:
                item.include_colour = True
        count = self.retry(ids)
        if not self.running:  # the batch they were in has ended: these go now, as Colorize now would
            self._priority.extend(i for i in ids if i not in self._priority)
            self.tasks.dispatch()
        return count

    def retry(self, ids: list[int], *, replace_own: bool | None = None) -> int:
        """Put failed, cancelled, skipped or finished photos back in the queue.

        A finished photo's earlier result is replaced only when `replace_own` (Save does that: it
        updates the file) or, by default, when "If it exists" says "Replace it"; with "Keep both"
        the new result gets a numbered name beside the old one (issue 13).
        """
        if replace_own is None:
            replace_own = self.settings.if_exists == "overwrite"
        count = 0
        for item_id in ids:
            item = self.queue.item_by_id(item_id)
            if item is None or item.status in (PhotoStatus.QUEUED, PhotoStatus.WORKING) or not self._retryable(item):
                continue
            if replace_own and item.status is PhotoStatus.DONE and item.output is not None:
                self.jobs.rerun_dest[item.id] = item.output
            if not item.readable:
                self.outputs.forget()   # it claims a result name again
            item.reset_for_retry()
            item.in_batch = self.running
            self.queue.refresh(item)
            count += 1
        if count:
            self.queue.items_changed.emit()
            self.progress_changed.emit()
            if self.running:
                self.tasks.dispatch()
        return count

    @staticmethod
    def _retryable(item: PhotoItem) -> bool:
        return not (item.status is PhotoStatus.SKIPPED and not item.readable)

    def remove(self, ids: list[int]) -> None:
        current, tasks = self.tasks.current, self.tasks
        if isinstance(current, JobTask) and current.item_id in ids:
            self._cancel_current("remove")
        if isinstance(current, PreviewTask) and current.item_id in ids:
            current.cancel.set()
        if tasks.pending_preview is not None and tasks.pending_preview.item_id in ids:
            tasks.pending_preview = None
        for item_id in ids:
            self.sources.pop(item_id, None)
            self.jobs.rerun_dest.pop(item_id, None)
        self._priority = deque(i for i in self._priority if i not in ids)
        self.queue.remove_ids(ids)
        self.progress_changed.emit()

    def colorize_now(self, item: PhotoItem) -> None:
        """Colorize (and save) one photo right away, whether or not a batch is running.

        A finished photo's own result file is updated (this is how Save applies new hints).
        """
        if item.status is not PhotoStatus.QUEUED:
            if not self.retry([item.id], replace_own=True):
                return
        if item.id not in self._priority:
            self._priority.append(item.id)
        self.tasks.dispatch()

    def _cancel_current(self, reason: str) -> None:
        task = self.tasks.cancel_current(reason)
        if isinstance(task, JobTask):
            item = self.queue.item_by_id(task.item_id)
            if item is not None:
                item.stage = {"pause": "pausing", "cancel": "cancelling"}.get(reason, "stopping")
                self.queue.refresh(item)

    # --- previews and saving (preview_requests.py, saving.py) ---------------------------------------------

    def chroma_key(self, item: PhotoItem) -> ChromaKey:
        return self.previews.chroma_key(item)

    def current_chroma(self, item: PhotoItem) -> Chroma | None:
        """The photo's preview chroma if it is still what the network would predict now."""
        return self.previews.current_chroma(item)

    def needs_preview(self, item: PhotoItem) -> bool:
        return self.previews.needed(item)

    def request_preview(self, item: PhotoItem) -> bool:
        """Predict the photo's colours for the viewer (newest request wins). False if not needed."""
        return self.previews.request(item)

    def save(self, item: PhotoItem) -> bool:
        """Write the photo where the settings say (again, if its strength or hints changed)."""
        return self.saving.save(item)

    def save_as(self, item: PhotoItem, dest: Path, fmt: str | None = None) -> str | None:
        """Write a copy of the result at `dest`. Returns a reason when that is not allowed."""
        return self.saving.save_as(item, dest, fmt)

    def save_all(self) -> int:
        """Save every photo with unsaved changes and colorize all waiting ones. Returns how many."""
        return self.saving.save_all()

    # --- state ----------------------------------------------------------------------------------------

    def overall(self) -> Overall:
        return count_batch(self.queue.items, running=self.running, paused=self.paused,
                           batch_started=self._batch_started, photo_started=self.tasks.current_started,
                           now=time.monotonic())

    def is_busy(self) -> bool:
        return self.tasks.current is not None

    def computing(self) -> bool:
        """A photo is being colorized or saved, or the batch will start the next one at once.

        Read from the hint preview thread too (plain attributes only), which then computes on
        one thread so as not to fight the engine thread for the cores.
        """
        return self.tasks.is_running(JobTask, SaveTask) or (self.running and not self.paused)

    def has_work_in_progress(self) -> bool:
        """A batch is running or a photo is being colorized or saved (closing would interrupt it)."""
        return (self.running and bool(self.queue.with_status(PhotoStatus.QUEUED, PhotoStatus.WORKING))) or \
            self.tasks.is_running(JobTask, SaveTask) or bool(self.tasks.pending_saves) or bool(self._priority)

    # --- the batch's photos on the engine -----------------------------------------------------------------

    def max_pixels(self) -> int | None:
        return None if self.settings.allow_huge else DEFAULT_MAX_PIXELS

    def batch_settings(self, strength: float | None = None) -> BatchSettings:
        s = self.settings
        out_dir = Path(s.output_dir) if s.output_mode == "folder" and s.output_dir else None
        return BatchSettings(output_dir=out_dir, suffix=s.suffix, format=s.format or None,
                             render_size=s.render_size, strength=s.strength if strength is None else strength,
                             if_exists=s.if_exists, max_pixels=self.max_pixels(), quality=s.quality)

    def plan(self, item: PhotoItem, settings: BatchSettings) -> Job:
        """Where this photo's result goes, planned with the whole queue so names never collide."""
        if self.settings.output_mode == "folder" and not self.settings.output_dir:
            raise UsageError("no output folder is chosen; choose one under Saving in the settings")
        return self.outputs.job_for(item, settings, self.queue)

    def _next_job(self) -> JobTask | None:
        while True:
            if self._priority:
                item = self.queue.item_by_id(self._priority.popleft())
                if item is None or item.status is not PhotoStatus.QUEUED:
                    continue
            elif self.running and not self.paused:
                item = self.queue.next_queued()
                if item is None:
                    return None
            else:
                return None
            try:
                return self.jobs.task_for(item)
            except UsageError as exc:
                self.jobs.finish(item, PhotoStatus.FAILED, str(exc))

    def _start_next_photo(self) -> JobTask | None:
        """The engine is free and nothing else waits: the next photo's job, its row marked as
        being colorized; None when no photo is to run (the batch is finished if none waits)."""
        task = self._next_job()
        if task is None:
            if self.running and not self.paused and self.queue.next_queued() is None:
                self._finish_batch()
            return None
        self.jobs.started(self.queue.item_by_id(task.item_id))
        return task

    def _finish_batch(self) -> None:
        o = self.overall()
        self.running = self.paused = False
        self.log.emit("info", finished_message(o))
        self.batch_state_changed.emit()
        self.progress_changed.emit()

    def _on_model_loaded(self, outcome: ModelLoaded) -> None:
        self.model_loading = self.tasks.pending_load is not None
        if outcome.ok:
            self.model_ready = True
            self.model_name, self.model_description = outcome.name, outcome.description
            self.model_device, self.model_path, self.model_id = outcome.device_label, outcome.path, outcome.model_id
            self.model_error = ""
            self.log.emit("info", f"Model ready: {outcome.description}")
        else:
            self.model_error = outcome.message
            self.log.emit("error", f"The model could not be loaded: {outcome.message}")
            if self.running and not self.model_ready:
                self.running = self.paused = False
                self.log.emit("warning", "Colorizing stopped: there is no model to colour the photos with")
                self.batch_state_changed.emit()
            missing = outcome.error_type is not None and issubclass(outcome.error_type, NoSuchModel)
            self.model_problem.emit("missing" if missing else "model", outcome.message)
        self.model_state_changed.emit()

    def _on_task_crashed(self, outcome: TaskCrashed) -> None:
        task = outcome.task
        self.log.emit("error", f"{outcome.message}\n{outcome.details.rstrip()}")
        if isinstance(task, LoadModelTask):
            self.model_loading = self.tasks.pending_load is not None
            self.model_error = outcome.message
            self.model_problem.emit("model", outcome.message)
            self.model_state_changed.emit()
        elif isinstance(task, JobTask):
            item = self.queue.item_by_id(task.item_id)
            if item is not None:
                self.jobs.finish(item, PhotoStatus.FAILED, outcome.message)
        elif isinstance(task, PreviewTask):
            self.preview_failed.emit(task.item_id, outcome.message)
        elif isinstance(task, SaveTask):
            self.save_finished.emit(task.item_id, False, outcome.message)

    # --- shutting down ------------------------------------------------------------------------------

    def shutdown(self) -> None:
        """Stop everything cleanly: the running photo is abandoned, nothing half-written is left."""
        if self.tasks.closed:
            return
        if self.tasks.current is not None:
            self._cancel_current("shutdown")
        was_running = self.running
        self.running = self.paused = False
        self.tasks.close()
        for item in self.queue.with_status(PhotoStatus.WORKING, PhotoStatus.QUEUED):
            if item.status is PhotoStatus.WORKING or (was_running and item.in_batch):
                item.status, item.message, item.stage = PhotoStatus.CANCELLED, "cancelled", ""
