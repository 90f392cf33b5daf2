"""Off-thread, coalescing re-colorization after hint edits.

One background worker (colorizer_gui.workers) and one slot for "the latest request per photo": a burst of edits (a drag,
quick clicks, undo pressed five times) costs at most the computation in progress plus one
more, for the newest state. Older requests are dropped, never computed (the idea behind
Orange's ConcurrentMixin and napari's slicer).

The worker keeps each recently edited photo's lightness at render scale (`HintSession`), so
an edit costs one network pass (~0.1-0.3 s at render size 512 on a CPU), however big the
scan is. Only the first request for a photo reads it; `prepare` does that ahead of time.

While a batch or a fine-tune training is computing, a preview runs on one CPU thread
(`BUSY_THREADS`). Both would otherwise start a full team of threads on the same cores, and
OpenMP threads that wait for cores the other team holds slow both down. A preview is one
network pass at render size, so one thread still answers a hint edit while the batch or
the training keeps its cores. The limit is set on the preview thread only, for the length
of one computation (`engine.devices.thread_limit`), so the engine thread's count is untouched.

Importing this loads no torch: the worker thread imports it with its first request.
"""

from __future__ import annotations

import threading
import time
import traceback
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import shiboken6
from PySide6.QtCore import QObject, QThreadPool, Signal

from colorizer_gui.workers import create_worker
from engine.hint_files import Hint
from engine.photo_io import PhotoError, read_photo

if TYPE_CHECKING:
    from engine.hint_suggestions import HintSession, Prediction
    from engine.infer import Colorizer

SESSIONS_KEPT = 4
BUSY_THREADS = 1   # torch threads for a preview while a batch or training is computing


@dataclass
class HintRequest:
    item_id: int
    path: Path
    hints: tuple[Hint, ...]
    render_size: int
    max_pixels: int | None = None
    model_id: str = ""
    predict: bool = True          # False: only read and prepare the photo
    submitted: float = field(default_factory=time.perf_counter)


@dataclass
class HintResult:
    request: HintRequest
    prediction: Prediction | None
    message: str = ""
    seconds: float = 0.0          # request submitted -> prediction ready
    computed: int = 0             # predictions made so far (for tests and the bench)


class HintPreviewWorker(QObject):
    """Signals: ready(HintResult) for the newest state of a photo; failed(HintResult).

    `busy()`, asked on the worker thread before each computation, says whether a batch or a
    training is using the CPU now (a snapshot: it must only read plain attributes).
    """

    ready = Signal(object)
    failed = Signal(object)

    def __init__(self, colorizer: Callable[[], Colorizer | None], parent: QObject | None = None,
                 busy: Callable[[], bool] | None = None) -> None:
        super().__init__(parent)
        self._colorizer = colorizer
        self._busy_elsewhere = busy or (lambda: False)
        self.last_threads: int | None = None   # torch threads the last computation ran with
        self._cond = threading.Condition()
        self._pending: OrderedDict[int, HintRequest] = OrderedDict()
        self._sessions: OrderedDict[tuple, HintSession] = OrderedDict()
        self._latest: dict[int, Prediction] = {}
        self._busy = False
        self._stop = False
        self.computed = 0
        # Its own thread: the loop lives as long as this object. Not a Qt child of it: a pool's
        # destructor waits for its work, and the loop ends only once this object is gone.
        self._pool = QThreadPool()
        self._pool.setMaxThreadCount(1)
        self._worker = create_worker(self._serve, _pool=self._pool, _connect={"yielded": self._on_computed})

    # --- UI thread ------------------------------------------------------------------------------

    def request(self, req: HintRequest) -> None:
        """Queue the newest hint state of a photo, replacing any not yet started."""
        with self._cond:
            old = self._pending.pop(req.item_id, None)
            if old is not None and old.predict and not req.predict:
                req = old
            self._pending[req.item_id] = req
            self._cond.notify()

    def prepare(self, item_id: int, path: Path, render_size: int, max_pixels: int | None = None,
                model_id: str = "") -> None:
        with self._cond:
            if item_id in self._pending or self._session_key(item_id, render_size, model_id) in self._sessions:
                return
        self.request(HintRequest(item_id, Path(path), (), render_size, max_pixels, model_id, predict=False))

    def session(self, item_id: int) -> HintSession | None:
        with self._cond:
            for key, s in reversed(self._sessions.items()):
                if key[0] == item_id:
                    return s
        return None

    def latest(self, item_id: int) -> Prediction | None:
        with self._cond:
            return self._latest.get(item_id)

    def idle(self) -> bool:
        with self._cond:
            return not self._busy and not self._pending

    def wait_idle(self, timeout: float = 30.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.idle():
                return True
            time.sleep(0.005)
        return False

    def forget(self, item_id: int) -> None:
        with self._cond:
            self._pending.pop(item_id, None)
            self._latest.pop(item_id, None)
            for key in [k for k in self._sessions if k[0] == item_id]:
                del self._sessions[key]

    def reset(self) -> None:
        """The model changed: every prepared photo and prediction is stale."""
        with self._cond:
            self._sessions.clear()
            self._latest.clear()

    def threads_for_preview(self) -> int | None:
        """The torch thread limit for the next computation: `BUSY_THREADS` while others compute."""
        return BUSY_THREADS if self._busy_elsewhere() else None

    def close(self) -> None:
        with self._cond:
            self._stop = True
            self._pending.clear()
            self._cond.notify()
        self._worker.quit()
        self._worker.wait(timeout=10)
        # wait() ends when the loop has; its thread still sends `finished` after that, and doing so
        # while the interpreter shuts down (the window closed last, with no model ever loaded) crashed.
        self._pool.waitForDone(10_000)

    def _on_computed(self, result: HintResult) -> None:
        (self.ready if result.prediction is not None else self.failed).emit(result)

    # --- worker thread --------------------------------------------------------------------------------

    @staticmethod
    def _session_key(item_id: int, render_size: int, model_id: str) -> tuple:
        return (item_id, render_size, model_id)

    def _serve(self) -> Iterator[HintResult]:
        """The worker's loop (colorizer_gui.workers): each result it yields reaches `ready` or
        `failed` on the UI thread; close() ends it."""
        # Named so that logs, and tests telling preview passes from others, can tell it apart. The
        # name is given back when the loop ends: Python keeps a Qt thread's name after the thread is
        # gone, for the next thread the system gives the same id (the engine's, say).
        thread = threading.current_thread()
        before, thread.name = thread.name, "colorizer-hints"
        try:
            yield from self._requests()
        finally:
            thread.name = before

    def _requests(self) -> Iterator[HintResult]:
        while True:
            with self._cond:
                while not self._pending and not self._stop and shiboken6.isValid(self):
                    self._cond.wait(timeout=0.5)
                if self._stop or not shiboken6.isValid(self):
                    return  # closed, or deleted with its tab without close()
                _, req = self._pending.popitem(last=False)
                self._busy = True
            try:
                from engine.devices import thread_limit  # torch: on this thread, with the first request

                with thread_limit(self.threads_for_preview()) as threads:
                    self.last_threads = threads
                    result = self._compute(req)
            except Exception as exc:  # noqa: BLE001 - reported, never fatal
                result = HintResult(req, None, f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}")
            with self._cond:
                self._busy = False
                superseded = req.item_id in self._pending and self._pending[req.item_id].predict
            if not req.predict or superseded:
                continue  # a newer state of this photo is queued: only that one is shown
            yield result

    def _compute(self, req: HintRequest) -> HintResult:
        colorizer = self._colorizer()
        if colorizer is None:
            return HintResult(req, None, "no colour model is loaded")
        key = self._session_key(req.item_id, req.render_size, req.model_id)
        with self._cond:
            session = self._sessions.get(key)
            if session is not None:
                self._sessions.move_to_end(key)
        if session is None or session.colorizer is not colorizer:
            try:
                photo = read_photo(req.path, max_pixels=req.max_pixels)
            except PhotoError as exc:
                return HintResult(req, None, str(exc))
            from engine.hint_suggestions import HintSession

            session = HintSession(colorizer, photo, req.render_size)
            del photo
            with self._cond:
                self._sessions[key] = session
                while len(self._sessions) > SESSIONS_KEPT:
                    self._sessions.popitem(last=False)
        if not req.predict:
            return HintResult(req, None)
        prediction = session.predict(req.hints)
        with self._cond:
            self.computed += 1
            self._latest[req.item_id] = prediction
        return HintResult(req, prediction, seconds=time.perf_counter() - req.submitted, computed=self.computed)
