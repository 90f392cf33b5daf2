"""The engine thread: one loaded model; tasks run one at a time and answer with signals.

The UI thread builds a small task object (a photo to colorize, a preview to predict, a file
to save), sends it with `EngineThread.submit`, and gets exactly one outcome object back on
`finished`. Each task carries its own cancel flag, which the engine checks between steps
(before predicting, between full-resolution strips, before writing), so a cancel takes
effect within about a second and never leaves a half-written file: outputs are written to a
temporary name and renamed into place by `engine.photo_io.write_photo`.

Nothing here touches a widget. Outcomes are plain objects; `QImage`s made here are safe to
create off the UI thread.

Importing this loads no torch: the first task (loading the model) imports it on the engine
thread, so the window is shown and painted while torch and the model load.
"""

from __future__ import annotations

import threading
import time
import traceback
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image
from PySide6.QtCore import QObject, QThreadPool, Signal, Slot
from PySide6.QtGui import QImage

from colorizer_gui.workers import create_worker
from engine.batch import BatchSettings, Job, JobResult, colorize_job
from engine.errors import Cancelled
from engine.hint_files import Hint
from engine.photo_cache import LastPhoto
from engine.photo_io import Photo, PhotoError, write_photo
from engine.weights import ModelError, ModelInfo

if TYPE_CHECKING:
    from engine.infer import Chroma, Colorizer

PREVIEW_LONG_SIDE = 1600   # the viewer's "after" image; the full photo is never put on screen
FAST_LONG_SIDE = 640       # rendered while the strength slider is being dragged
THUMB_LONG_SIDE = 128


# --- what travels between the threads ------------------------------------------------------------


@dataclass
class PreviewSource:
    """A photo's lightness at viewing sizes: what the live strength slider re-renders."""

    lightness: np.ndarray       # (h, w) float32, long side <= PREVIEW_LONG_SIDE
    fast_lightness: np.ndarray  # the same, long side <= FAST_LONG_SIDE
    size: tuple[int, int]       # the full photo's (w, h)


@dataclass
class LoadModelTask:
    model: str | None    # None: the default model; else a name or a .safetensors path
    device: str = "auto"


@dataclass
class ModelLoaded:
    task: LoadModelTask
    ok: bool
    name: str = ""
    description: str = ""       # "colorizer-base on CPU (2 threads)"
    device_label: str = ""
    info: ModelInfo | None = None
    path: Path | None = None
    model_id: str = ""          # changes whenever a different model/device is loaded
    message: str = ""           # why it failed, in plain words
    error_type: type[Exception] | None = None  # what loading raised (e.g. NoSuchModel)


@dataclass
class JobTask:
    item_id: int
    job: Job
    settings: BatchSettings
    cancel: threading.Event = field(default_factory=threading.Event)
    model_id: str = ""
    # The photo's preview chroma when it was predicted for exactly this job's model, render
    # size and hints: saving then only renders it (the user saves what they previewed, and
    # does not wait for the network a second time).
    chroma: Chroma | None = None


@dataclass
class JobOutcome:
    task: JobTask
    result: JobResult
    chroma: Chroma | None = None
    preview: PreviewSource | None = None
    colour_thumbnail: QImage | None = None
    size: tuple[int, int] | None = None


@dataclass
class PreviewTask:
    """Predict a photo's colours for the viewer without saving anything."""

    item_id: int
    path: Path
    hints: list[Hint]
    render_size: int
    max_pixels: int | None
    key: object = None
    cancel: threading.Event = field(default_factory=threading.Event)


@dataclass
class PreviewOutcome:
    task: PreviewTask
    chroma: Chroma | None = None
    preview: PreviewSource | None = None
    message: str = ""           # why it failed
    cancelled: bool = False


@dataclass
class SaveTask:
    """Write a photo with an already predicted chroma (after a strength change, or Save as…)."""

    item_id: int
    source: Path
    chroma: Chroma
    strength: float
    dest: Path
    fmt: str
    quality: int
    overwrite: bool
    max_pixels: int | None
    hints: tuple[Hint, ...] = ()
    key: object = None          # the ChromaKey of `chroma`: what the file will have been made with
    cancel: threading.Event = field(default_factory=threading.Event)


@dataclass
class SaveOutcome:
    task: SaveTask
    ok: bool
    notes: list[str] = field(default_factory=list)
    message: str = ""
    cancelled: bool = False


@dataclass
class TaskCrashed:
    """A bug, reported as a message instead of taking the app down."""

    task: object
    message: str
    details: str


# --- helpers usable from any thread --------------------------------------------------------------


def scaled_lightness(lightness: np.ndarray, long_side: int) -> np.ndarray:
    h, w = lightness.shape
    scale = min(1.0, long_side / max(h, w))
    if scale >= 1.0:
        return np.array(lightness, dtype=np.float32, copy=True)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    small = Image.fromarray(lightness, "F").resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0)
    return np.array(small, dtype=np.float32)  # a writable copy (torch warns about read-only arrays)


def preview_source(photo: Photo) -> PreviewSource:
    big = scaled_lightness(photo.lightness, PREVIEW_LONG_SIDE)
    return PreviewSource(big, scaled_lightness(big, FAST_LONG_SIDE), photo.size)


def qimage_from_rgb(rgb: np.ndarray) -> QImage:
    """An owned QImage copy of an (H, W, 3) uint8 array."""
    rgb = np.ascontiguousarray(rgb)
    h, w, _ = rgb.shape
    return QImage(rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()


def render_preview(colorizer_render, lightness: np.ndarray, chroma: Chroma, strength: float) -> QImage:
    rgb = colorizer_render(lightness, chroma, strength)
    return qimage_from_rgb(rgb)


# --- the worker ------------------------------------------------------------------------------------


class EngineWorker(QObject):
    """Lives on the engine thread. Use it through `EngineThread`.

    Signals
    -------
    progress(int item_id, float fraction, str stage)
        throttled progress of the running job.
    finished(object outcome)
        exactly one per task: ModelLoaded, JobOutcome, PreviewOutcome, SaveOutcome or TaskCrashed.
    """

    progress = Signal(int, float, str)
    finished = Signal(object)

    def __init__(self) -> None:
        super().__init__()
        self.colorizer: Colorizer | None = None
        self.model_id = ""
        self._loads = 0
        # Previewing, colorizing and saving the photo in view decode its file once between them.
        self.photos = LastPhoto()

    @Slot(object)
    def execute(self, task: object) -> None:
        handlers = {LoadModelTask: self._load, JobTask: self._job, PreviewTask: self._preview,
                    SaveTask: self._save}
        try:
            outcome = handlers[type(task)](task)
        except Exception as exc:  # noqa: BLE001 - any bug becomes a message in the log, never a crash
            outcome = TaskCrashed(task, f"unexpected error: {type(exc).__name__}: {exc}", traceback.format_exc())
        self.finished.emit(outcome)

    # --- tasks ---------------------------------------------------------------------------------

    def _load(self, task: LoadModelTask) -> ModelLoaded:
        from engine.devices import DeviceError, describe_device  # torch: here, on the engine thread
        from engine.infer import Colorizer

        try:
            colorizer = Colorizer(task.model or None, device=task.device)
        except (ModelError, DeviceError) as exc:
            return ModelLoaded(task, False, message=str(exc), error_type=type(exc))
        except (OSError, RuntimeError, ValueError) as exc:
            return ModelLoaded(task, False, message=f"the model could not be loaded ({exc})", error_type=type(exc))
        self.colorizer = colorizer
        self._loads += 1
        self.model_id = f"{colorizer.model_path}|{colorizer.device}|{self._loads}"
        return ModelLoaded(task, True, name=colorizer.name, description=colorizer.describe(),
                           device_label=describe_device(colorizer.device), info=colorizer.info,
                           path=colorizer.model_path, model_id=self.model_id)

    def _job(self, task: JobTask) -> JobOutcome:
        if self.colorizer is None:
            return JobOutcome(task, JobResult(task.job, "failed", "no colour model is loaded"))
        report = _Throttle(lambda f, s: self.progress.emit(task.item_id, f, s))
        try:
            # The kept result gives the viewer the chroma and decoded photo without a second read.
            result = colorize_job(task.job, self.colorizer, task.settings, cancel=task.cancel.is_set,
                                  progress=report, chroma=task.chroma, keep_result=True,
                                  photos=self.photos)
        except MemoryError:
            result = JobResult(task.job, "failed", "not enough memory for this photo; choose a faster detail setting",
                               error_type=MemoryError)
        kept, result.colorized = result.colorized, None  # the outcome carries what the GUI needs
        outcome = JobOutcome(task, result)
        if kept is not None:
            outcome.size = kept.photo.size
        if result.status == "done" and kept is not None:
            outcome.chroma = kept.chroma
            outcome.preview = preview_source(kept.photo)
            thumb = scaled_lightness(outcome.preview.fast_lightness, THUMB_LONG_SIDE)
            outcome.colour_thumbnail = render_preview(self.colorizer.render, thumb, kept.chroma,
                                                      task.settings.strength)
        return outcome

    def _preview(self, task: PreviewTask) -> PreviewOutcome:
        if self.colorizer is None:
            return PreviewOutcome(task, message="no colour model is loaded")
        if task.cancel.is_set():
            return PreviewOutcome(task, cancelled=True)
        try:
            photo = self.photos.read(task.path, task.max_pixels)
        except PhotoError as exc:
            return PreviewOutcome(task, message=str(exc))
        except MemoryError:
            return PreviewOutcome(task, message="not enough memory to open this photo")
        if task.cancel.is_set():
            return PreviewOutcome(task, cancelled=True)
        chroma = self.colorizer.predict_chroma(photo, task.hints or None, task.render_size)
        return PreviewOutcome(task, chroma=chroma, preview=preview_source(photo))

    def _save(self, task: SaveTask) -> SaveOutcome:
        if self.colorizer is None:
            return SaveOutcome(task, False, message="no colour model is loaded")
        try:
            photo = self.photos.read(task.source, task.max_pixels)
            rgb = self.colorizer.render(photo.lightness, task.chroma, task.strength, bit_depth=photo.bit_depth,
                                        cancel=task.cancel.is_set)
            if task.cancel.is_set():
                raise Cancelled()
            notes = list(photo.notes) + write_photo(rgb, task.dest, task.fmt, photo, quality=task.quality,
                                                    overwrite=task.overwrite,
                                                    label=self.colorizer.label(task.strength, len(task.hints)))
        except Cancelled:
            return SaveOutcome(task, False, message="cancelled", cancelled=True)
        except PhotoError as exc:
            return SaveOutcome(task, False, message=str(exc))
        except MemoryError:
            return SaveOutcome(task, False, message="not enough memory to save this photo")
        return SaveOutcome(task, True, notes=notes)


class _Throttle:
    """Progress callbacks at most ~12 times a second (and always the last one)."""

    def __init__(self, emit, interval: float = 0.08) -> None:
        self._emit, self._interval, self._last, self._stage = emit, interval, 0.0, None

    def __call__(self, fraction: float, stage: str) -> None:
        now = time.monotonic()
        if stage != self._stage or fraction >= 1.0 or now - self._last >= self._interval:
            self._last, self._stage = now, stage
            self._emit(float(fraction), stage)


class EngineThread(QObject):
    """Owns the engine thread and its worker; submit tasks, get outcomes on `finished`.

    Tasks run one after another, in order, on one thread of their own (colorizer_gui.workers):
    the model is loaded once and a batch never competes with itself. A task is stopped through
    its `cancel` event, which the engine checks between stages.

    Signals
    -------
    progress(int, float, str), finished(object): forwarded from the worker, on the UI thread.
    """

    progress = Signal(int, float, str)
    finished = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setObjectName("colorizer-engine")
        self._pool.setMaxThreadCount(1)
        self._pool.setExpiryTimeout(-1)   # one long-lived thread, as the engine always had
        self._stopped = False
        self.worker = EngineWorker()
        # Emitted on the engine thread; forwarded (queued) to the UI thread.
        self.worker.progress.connect(self.progress)
        self.worker.finished.connect(self.finished)

    def submit(self, task: object) -> None:
        if not self._stopped:
            create_worker(self.worker.execute, task, _pool=self._pool)

    @property
    def colorizer(self) -> Colorizer | None:
        """The loaded model (None before the first load), for work that runs beside the queue's:
        hint previews call its thread-safe predict on a thread of their own."""
        return self.worker.colorizer

    def render(self, lightness: np.ndarray, chroma: Chroma, strength: float) -> np.ndarray | None:
        """Re-render a preview (any thread): rendering uses only the chroma, never the network."""
        colorizer = self.colorizer
        return None if colorizer is None else colorizer.render(lightness, chroma, strength)

    @property
    def running(self) -> bool:
        return not self._stopped

    def stop(self) -> None:
        """Let the current task end (cancel it first) and stop the thread. Blocks until it has;
        tasks not yet begun are dropped."""
        self._stopped = True
        self._pool.clear()
        self._pool.waitForDone()


def settings_for_item(settings: BatchSettings, strength: float) -> BatchSettings:
    return replace(settings, strength=strength)
