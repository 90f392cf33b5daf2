"""The Colorize workspace's brain: the queue, the engine thread, and what runs next.

One engine task is in flight at a time. When it ends, `_dispatch` picks the next one in this
order: a model to load, a file to save, a preview the user is waiting for, then the first
waiting photo of the batch. Choosing one photo at a time (instead of handing the engine a
fixed list) is what lets the user append, reorder, remove, pause and resume freely.

No widgets here: the tab wires this to the views, and the tests drive it directly.
"""

from __future__ import annotations

import os
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal, Slot

from colorizer_gui.settings import GuiSettings
from colorizer_gui.workspace.engine_worker import (
    EngineThread,
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
from colorizer_gui.workspace.photo_queue import ChromaKey, PhotoItem, PhotoStatus, QueueModel
from colorizer_gui.workspace.previews import LruCache
from engine.batch import BatchSettings, Job, UsageError, collect_inputs, is_image_name
from engine.durations import format_duration as engine_format_duration
from engine.errors import NoSuchModel, UnreadablePhoto
from engine.hint_files import Hint
from engine.photo_io import DEFAULT_MAX_PIXELS, FORMATS, output_format_for

if TYPE_CHECKING:  # engine.infer loads torch, which the engine thread imports, not the window
    from engine.infer import Chroma

PREVIEW_CACHE = 6  # photos whose viewing-size lightness stays in memory (~8 MB each)


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


@dataclass
class Skipped:
    path: str
    reason: str


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

    def __init__(self, settings: GuiSettings, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.queue = QueueModel(self)
        self.engine = EngineThread(self)
        self.engine.finished.connect(self._on_engine_finished)
        self.engine.progress.connect(self._on_engine_progress)
        self.sources: LruCache = LruCache(PREVIEW_CACHE)   # item id -> PreviewSource
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
        self._current: object | None = None
        self._current_started = 0.0
        self._pending_load: LoadModelTask | None = None
        self._pending_preview: PreviewTask | None = None
        self._pending_saves: deque[SaveTask] = deque()
        self._priority: deque[int] = deque()   # photos to colorize now, batch running or not
        self._rerun_dest: dict[int, Path] = {}
        self._batch_started = 0.0
        self._closed = False

    # --- model ----------------------------------------------------------------------------------

    def load_model(self, model: str | None, device: str) -> None:
        self.requested_model = (model, device)
        self._pending_load = LoadModelTask(model, device)
        self.model_loading = True
        self.model_state_changed.emit()
        if isinstance(self._current, PreviewTask):
            self._current.cancel.set()
        self._dispatch()

    # --- adding photos --------------------------------------------------------------------------------

    def add_paths(self, paths: list[str | Path]) -> tuple[list[PhotoItem], list[Skipped]]:
        """Add files and folders (searched recursively). Returns (added, skipped with reasons)."""
        skipped: list[Skipped] = []
        wanted: list[Path] = []
        for raw in paths:
            path = Path(raw)
            if path.is_file() and not is_image_name(path):
                suffix = path.suffix.lower() or "no extension"
                skipped.append(Skipped(str(path), f"not a photo Colorizer can read ({suffix})"))
            elif path.is_dir():
                wanted.append(path)
                skipped.extend(self._other_files_in(path))
            else:
                wanted.append(path)
        inputs, problems = collect_inputs(wanted, recursive=True)
        skipped.extend(Skipped(p, reason) for p, reason in problems)
        items: list[PhotoItem] = []
        seen = set()
        for found in inputs:
            key = os.path.normcase(str(found.path.resolve()))
            if key in seen or self.queue.contains_path(found.path):
                skipped.append(Skipped(str(found.path), "already in the queue"))
                continue
            seen.add(key)
            items.append(PhotoItem(found.path, root=found.root, strength=self.settings.strength,
                                   in_batch=self.running))
        self.queue.add(items)
        for s in skipped:
            self.log.emit("warning", f"Skipped {s.path}: {s.reason}")
        if items:
            self.log.emit("info", f"Added {len(items)} photo{'s' if len(items) != 1 else ''}")
        self.progress_changed.emit()
        if self.running:
            self._dispatch()
        return items, skipped

    @staticmethod
    def _other_files_in(folder: Path, limit: int = 10_000) -> list[Skipped]:
        """Files in a dropped folder that are not photos, so they are reported rather than ignored."""
        others = []
        try:
            for n, path in enumerate(folder.rglob("*")):
                if n > limit:
                    break
                if path.is_file() and not is_image_name(path) and not path.name.startswith("."):
                    suffix = path.suffix.lower() or "no extension"
                    others.append(Skipped(str(path), f"not a photo Colorizer can read ({suffix})"))
        except OSError:
            pass
        return others

    def add_skipped_rows(self, skipped: list[Skipped]) -> list[PhotoItem]:
        """Show files the user picked that cannot be colorized as rows marked "Skipped"."""
        rows = []
        for s in skipped:
            if s.reason == "already in the queue" or not Path(s.path).is_file():
                continue
            item = PhotoItem(Path(s.path), status=PhotoStatus.SKIPPED, message=s.reason, readable=False)
            rows.append(item)
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
            self._dispatch()
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
        self._dispatch()
        return True

    def pause(self) -> None:
        """Stop soon; the photo being colorized goes back to waiting and starts again on resume."""
        if not self.running or self.paused:
            return
        self.paused = True
        if isinstance(self._current, JobTask):
            self._cancel_current("pause")
        self.log.emit("info", "Paused")
        self.batch_state_changed.emit()

    def cancel(self) -> None:
        """Stop the batch: the running photo is abandoned (nothing half-written), the rest cancelled."""
        if not self.running and not self._priority and not isinstance(self._current, JobTask):
            return
        self.running = self.paused = False
        self._priority.clear()
        if isinstance(self._current, JobTask):
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
                self._rerun_dest[item.id] = item.output
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
                self._dispatch()
        return count

    @staticmethod
    def _retryable(item: PhotoItem) -> bool:
        return not (item.status is PhotoStatus.SKIPPED and not item.readable)

    def remove(self, ids: list[int]) -> None:
        if isinstance(self._current, JobTask) and self._current.item_id in ids:
            self._cancel_current("remove")
        if isinstance(self._current, PreviewTask) and self._current.item_id in ids:
            self._current.cancel.set()
        if self._pending_preview is not None and self._pending_preview.item_id in ids:
            self._pending_preview = None
        for item_id in ids:
            self.sources.pop(item_id, None)
            self._rerun_dest.pop(item_id, None)
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
        self._dispatch()

    def _cancel_current(self, reason: str) -> None:
        task = self._current
        if task is None:
            return
        task.reason = reason
        cancel = getattr(task, "cancel", None)   # a model load cannot be interrupted; it just ends
        if cancel is not None:
            cancel.set()
        if isinstance(task, JobTask):
            item = self.queue.item_by_id(task.item_id)
            if item is not None:
                item.stage = {"pause": "pausing", "cancel": "cancelling"}.get(reason, "stopping")
                self.queue.refresh(item)

    # --- previews and saving ---------------------------------------------------------------------------

    def chroma_key(self, item: PhotoItem) -> ChromaKey:
        return ChromaKey(self.model_id, self.settings.render_size, tuple(item.hints))

    def current_chroma(self, item: PhotoItem) -> Chroma | None:
        """The photo's preview chroma if it is still what the network would predict now.

        That is, it was made by this model at this render size for exactly these hints (a
        hint edit or a settings change since makes it stale, and the photo is predicted again).
        """
        if item.chroma is None or item.chroma_key != self.chroma_key(item):
            return None
        return item.chroma

    def needs_preview(self, item: PhotoItem) -> bool:
        if not item.readable or item.status is PhotoStatus.WORKING:
            return False
        if item.chroma is None or item.chroma_key is None:
            return True
        # A done photo too: after a new Detail (render size) or model its preview is predicted again,
        # and it counts as changed until saved (issue 13: changing Detail did nothing visible).
        return item.chroma_key != self.chroma_key(item)

    def request_preview(self, item: PhotoItem) -> bool:
        """Predict the photo's colours for the viewer (newest request wins). False if not needed."""
        if not self.needs_preview(item) or self._closed:
            return False
        if isinstance(self._current, PreviewTask):
            if self._current.item_id == item.id and self._current.key == self.chroma_key(item):
                return True
            self._current.cancel.set()
        self._pending_preview = PreviewTask(item.id, item.path, list(item.hints), self.settings.render_size,
                                            self._max_pixels(), key=self.chroma_key(item))
        self._dispatch()
        return True

    def save(self, item: PhotoItem) -> bool:
        """Write the photo where the settings say (again, if its strength or hints changed)."""
        if item.status is PhotoStatus.DONE and item.output is not None and item.chroma is not None:
            if not item.has_unsaved_changes:
                return False
            hints = tuple(item.hints)
            stale = item.chroma_key is None or item.chroma_key.hints != hints
            if stale or (hints != item.saved_hints and self.current_chroma(item) is None):
                # New hints need a prediction made for them with today's model and render
                # size; the hint preview's is used when it is that (see `current_chroma`).
                self.colorize_now(item)
                return True
            if self._same_file(item.output, item.path):
                self.log.emit("error", f"Not saved: {item.output} is the original photo")
                return False
            fmt = output_format_for(item.output)
            self._queue_save(item, item.output, fmt, overwrite=True)
            return True
        if item.status in (PhotoStatus.QUEUED, PhotoStatus.CANCELLED, PhotoStatus.FAILED):
            self.colorize_now(item)
            return True
        return False

    def save_as(self, item: PhotoItem, dest: Path, fmt: str | None = None) -> str | None:
        """Write a copy of the result at `dest`. Returns a reason when that is not allowed."""
        if item.chroma is None:
            return "this photo has not been colorized yet"
        dest = Path(dest)
        if any(self._same_file(dest, other.path) for other in self.queue.items):
            return "that file is one of your original photos; choose another name"
        fmt = fmt or output_format_for(dest)
        if fmt not in FORMATS:
            return f"unknown format {dest.suffix}"
        self._queue_save(item, dest, fmt, overwrite=True)
        return None

    def save_all(self) -> int:
        """Save every photo with unsaved changes and colorize all waiting ones. Returns how many."""
        changed = [i for i in self.queue.items if i.has_unsaved_changes]
        for item in changed:
            self.save(item)
        waiting = len(self.queue.with_status(PhotoStatus.QUEUED))
        if waiting:
            self.start()
        return len(changed) + waiting

    def _queue_save(self, item: PhotoItem, dest: Path, fmt: str, overwrite: bool) -> None:
        self._pending_saves.append(SaveTask(item.id, item.path, item.chroma, item.strength, dest, fmt,
                                            self.settings.quality, overwrite, self._max_pixels(),
                                            hints=self._chroma_hints(item), key=item.chroma_key))
        self._dispatch()

    @staticmethod
    def _chroma_hints(item: PhotoItem) -> tuple[Hint, ...]:
        """The hints the chroma was predicted with: what the file will show (a preview for the
        newest edit may still be on its way), so the photo stays marked unsaved until it is."""
        return item.chroma_key.hints if item.chroma_key is not None else tuple(item.hints)

    @staticmethod
    def _same_file(a: Path, b: Path) -> bool:
        try:
            return a.resolve() == b.resolve()
        except OSError:
            return False

    # --- numbers --------------------------------------------------------------------------------------

    def overall(self) -> Overall:
        batch = [i for i in self.queue.items if i.in_batch]
        o = Overall(total=len(batch))
        done_seconds = done_mp = 0.0
        remaining_mp = 0.0
        current = None
        for item in batch:
            if item.status is PhotoStatus.DONE:
                o.done += 1
                done_seconds += item.seconds
                done_mp += item.megapixels
            elif item.status is PhotoStatus.FAILED:
                o.failed += 1
            elif item.status is PhotoStatus.CANCELLED:
                o.cancelled += 1
            elif item.status is PhotoStatus.SKIPPED:
                o.skipped += 1
            elif item.status is PhotoStatus.WORKING:
                current = item
            elif item.status is PhotoStatus.QUEUED:
                remaining_mp += item.megapixels
        o.finished = o.done + o.failed + o.cancelled + o.skipped
        partial = current.progress if current is not None else 0.0
        o.fraction = (o.finished + partial) / o.total if o.total else 0.0
        if self.running:
            o.elapsed = time.monotonic() - self._batch_started
        if self.running and not self.paused:
            rate = None
            if done_mp > 0:
                rate = done_seconds / done_mp
            elif current is not None and current.progress > 0.15:
                rate = (time.monotonic() - self._current_started) / current.progress / current.megapixels
            if rate is not None:
                left = remaining_mp
                if current is not None:
                    left += current.megapixels * (1 - current.progress)
                o.eta_seconds = rate * left
        return o

    def is_busy(self) -> bool:
        return self._current is not None

    def computing(self) -> bool:
        """A photo is being colorized or saved, or the batch will start the next one at once.

        Read from the hint preview thread too (plain attributes only), which then computes on
        one thread so as not to fight the engine thread for the cores.
        """
        return isinstance(self._current, (JobTask, SaveTask)) or (self.running and not self.paused)

    def has_work_in_progress(self) -> bool:
        """A batch is running or a photo is being colorized or saved (closing would interrupt it)."""
        return (self.running and bool(self.queue.with_status(PhotoStatus.QUEUED, PhotoStatus.WORKING))) or \
            isinstance(self._current, (JobTask, SaveTask)) or bool(self._pending_saves) or bool(self._priority)

    # --- engine plumbing ------------------------------------------------------------------------------

    def _max_pixels(self) -> int | None:
        return None if self.settings.allow_huge else DEFAULT_MAX_PIXELS

    def batch_settings(self, strength: float | None = None) -> BatchSettings:
        s = self.settings
        out_dir = Path(s.output_dir) if s.output_mode == "folder" and s.output_dir else None
        return BatchSettings(output_dir=out_dir, suffix=s.suffix, format=s.format or None,
                             render_size=s.render_size, strength=s.strength if strength is None else strength,
                             if_exists=s.if_exists, max_pixels=self._max_pixels(), quality=s.quality)

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
            settings = self.batch_settings(item.strength)
            try:
                job = self.plan(item, settings)
            except UsageError as exc:
                self._finish(item, PhotoStatus.FAILED, str(exc))
                continue
            rerun = self._rerun_dest.pop(item.id, None)
            if rerun is not None and not self._same_file(rerun, item.path):
                job.dest, job.fmt = rerun, output_format_for(rerun)
                settings.if_exists = "overwrite"
            job.hints = list(item.hints) or None
            return JobTask(item.id, job, settings, model_id=self.model_id, chroma=self.current_chroma(item))

    def _dispatch(self) -> None:
        if self._current is not None or self._closed:
            return
        task: object | None = None
        if self._pending_load is not None:
            task, self._pending_load = self._pending_load, None
        elif not self.model_ready:
            return
        elif self._pending_saves:
            task = self._pending_saves.popleft()
        elif self._pending_preview is not None:
            task, self._pending_preview = self._pending_preview, None
        else:
            task = self._next_job()
            if task is None:
                if self.running and not self.paused and self.queue.next_queued() is None:
                    self._finish_batch()
                return
            item = self.queue.item_by_id(task.item_id)
            item.status, item.progress, item.stage, item.message = PhotoStatus.WORKING, 0.0, "reading", ""
            if not item.in_batch:
                item.in_batch = True
            self.queue.refresh(item, structural=True)
            self.progress_changed.emit()
        self._current = task
        self._current_started = time.monotonic()
        self.engine.submit(task)

    def _finish_batch(self) -> None:
        o = self.overall()
        self.running = self.paused = False
        parts = [f"{o.done} colorized"]
        if o.failed:
            parts.append(f"{o.failed} failed")
        if o.skipped:
            parts.append(f"{o.skipped} skipped")
        if o.cancelled:
            parts.append(f"{o.cancelled} cancelled")
        self.log.emit("info", f"Finished: {', '.join(parts)} in {format_duration(o.elapsed)}")
        self.batch_state_changed.emit()
        self.progress_changed.emit()

    def _finish(self, item: PhotoItem, status: PhotoStatus, message: str = "") -> None:
        item.status, item.message, item.progress, item.stage = status, message, 0.0, ""
        self.queue.refresh(item, structural=True)
        if status is PhotoStatus.FAILED:
            self.log.emit("error", f"Failed {item.name}: {message}")
        self.item_finished.emit(item.id)
        self.progress_changed.emit()

    @Slot(int, float, str)
    def _on_engine_progress(self, item_id: int, fraction: float, stage: str) -> None:
        item = self.queue.item_by_id(item_id)
        if item is None or item.status is not PhotoStatus.WORKING:
            return
        if isinstance(self._current, JobTask) and self._current.cancel.is_set():
            return
        item.progress, item.stage = fraction, stage
        self.queue.refresh(item)
        self.progress_changed.emit()

    @Slot(object)
    def _on_engine_finished(self, outcome: object) -> None:
        self._current = None
        if self._closed:
            return
        handler = {ModelLoaded: self._on_model_loaded, JobOutcome: self._on_job_outcome,
                   PreviewOutcome: self._on_preview_outcome, SaveOutcome: self._on_save_outcome,
                   TaskCrashed: self._on_task_crashed}[type(outcome)]
        handler(outcome)
        self._dispatch()

    def _on_model_loaded(self, outcome: ModelLoaded) -> None:
        self.model_loading = self._pending_load is not None
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

    def _on_job_outcome(self, outcome: JobOutcome) -> None:
        task, result = outcome.task, outcome.result
        item = self.queue.item_by_id(task.item_id)
        if item is None:
            return
        if outcome.size is not None:
            item.size = outcome.size
        reason = getattr(task, "reason", "")
        if result.status == "cancelled":
            if reason == "pause" or (reason == "" and self.paused):
                item.status, item.progress, item.stage, item.message = PhotoStatus.QUEUED, 0.0, "", ""
                self.queue.refresh(item, structural=True)
                self.progress_changed.emit()
                self.item_finished.emit(item.id)
                return
            self._finish(item, PhotoStatus.CANCELLED, "cancelled")
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
                self.sources.put(item.id, outcome.preview)
            note = f" ({'; '.join(result.notes)})" if result.notes else ""
            self.log.emit("info", f"Saved {item.name} → {result.output} in {result.seconds:.1f} s{note}")
            self._finish(item, PhotoStatus.DONE)
        elif result.status == "skipped":
            item.output = result.output
            self.log.emit("warning", f"Skipped {item.name}: {result.output.name if result.output else 'its result'} "
                                     "already exists")
            self._finish(item, PhotoStatus.SKIPPED, "a file with its result's name already exists")
        else:
            if result.failed_with(UnreadablePhoto):
                item.readable = False   # no point previewing it; "Retry" still tries again
                self.outputs.withdraw(item)   # it claims no result name now
            self._finish(item, PhotoStatus.FAILED, result.message or "failed")

    def _on_preview_outcome(self, outcome: PreviewOutcome) -> None:
        task = outcome.task
        item = self.queue.item_by_id(task.item_id)
        if item is None or outcome.cancelled:
            return
        if outcome.chroma is None:
            self.preview_failed.emit(item.id, outcome.message)
            return
        if item.status is PhotoStatus.WORKING:
            return
        item.chroma, item.chroma_key = outcome.chroma, task.key
        if outcome.preview is not None:
            self.sources.put(item.id, outcome.preview)
            item.size = outcome.preview.size
        self.queue.refresh(item)
        self.preview_ready.emit(item.id)

    def _on_save_outcome(self, outcome: SaveOutcome) -> None:
        task = outcome.task
        item = self.queue.item_by_id(task.item_id)
        name = item.name if item else task.source.name
        if outcome.ok:
            is_main_output = item is not None and item.output is not None and self._same_file(task.dest, item.output)
            if is_main_output:
                item.saved_strength, item.saved_hints = task.strength, task.hints
                item.saved_key = task.key or item.saved_key
                self.queue.refresh(item, structural=True)
            note = f" ({'; '.join(outcome.notes)})" if outcome.notes else ""
            self.log.emit("info", f"Saved {name} → {task.dest}{note}")
        elif not outcome.cancelled:
            self.log.emit("error", f"Could not save {name}: {outcome.message}")
        self.save_finished.emit(task.item_id, outcome.ok, outcome.message)

    def _on_task_crashed(self, outcome: TaskCrashed) -> None:
        task = outcome.task
        self.log.emit("error", f"{outcome.message}\n{outcome.details.rstrip()}")
        if isinstance(task, LoadModelTask):
            self.model_loading = self._pending_load is not None
            self.model_error = outcome.message
            self.model_problem.emit("model", outcome.message)
            self.model_state_changed.emit()
        elif isinstance(task, JobTask):
            item = self.queue.item_by_id(task.item_id)
            if item is not None:
                self._finish(item, PhotoStatus.FAILED, outcome.message)
        elif isinstance(task, PreviewTask):
            self.preview_failed.emit(task.item_id, outcome.message)
        elif isinstance(task, SaveTask):
            self.save_finished.emit(task.item_id, False, outcome.message)

    # --- shutting down ------------------------------------------------------------------------------

    def shutdown(self) -> None:
        """Stop everything cleanly: the running photo is abandoned, nothing half-written is left."""
        if self._closed:
            return
        if self._current is not None:
            self._cancel_current("shutdown")
        self._pending_saves.clear()
        self._pending_preview = None
        self._pending_load = None
        was_running = self.running
        self.running = self.paused = False
        self._closed = True
        self.engine.stop()
        for item in self.queue.with_status(PhotoStatus.WORKING, PhotoStatus.QUEUED):
            if item.status is PhotoStatus.WORKING or (was_running and item.in_batch):
                item.status, item.message, item.stage = PhotoStatus.CANCELLED, "cancelled", ""
        self._current = None


def format_duration(seconds: float | None) -> str:
    """Elapsed and remaining batch time: the seconds stay under ten minutes, so a count-down moves."""
    return "" if seconds is None else engine_format_duration(max(0.0, seconds), with_seconds=True)
