"""A generator function run on a thread pool, its yields turned into signals (see __init__)."""

from __future__ import annotations

import inspect
import logging
import threading
import time
from collections.abc import Callable, Generator
from typing import Any

from PySide6.QtCore import QMetaMethod, QObject, QRunnable, QThreadPool, Signal

log = logging.getLogger(__name__)

# Workers that were started and have not finished: the pool holds only the C++ runnable, so
# without this the Python objects (and their signals) could be collected mid-run.
_running: set[GeneratorWorker] = set()
_running_lock = threading.Lock()


class _Runnable(QRunnable):
    def __init__(self, worker: GeneratorWorker) -> None:
        super().__init__()
        self._worker = worker
        self.setAutoDelete(True)

    def run(self) -> None:
        self._worker.work()


class GeneratorWorker(QObject):
    """Runs `fn(*args, **kwargs)` off the UI thread.

    Signals
    -------
    started()
    yielded(object)
        each value the generator yields.
    returned(object)
        the generator's return value (a plain function's result); not emitted after `quit()`.
    errored(object)
        the exception it raised; logged with its traceback when nothing is connected.
    aborted()
        `quit()` was called and the generator stopped at a yield.
    finished()
        always last, whichever way it ended.
    """

    started = Signal()
    yielded = Signal(object)
    returned = Signal(object)
    errored = Signal(object)
    aborted = Signal()
    finished = Signal()

    def __init__(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        super().__init__()
        self._fn, self._args, self._kwargs = fn, args, kwargs
        self._abort = threading.Event()
        self._done = threading.Event()
        self._has_error_handler = False

    @property
    def abort_requested(self) -> bool:
        return self._abort.is_set()

    @property
    def is_done(self) -> bool:
        return self._done.is_set()

    def quit(self) -> None:
        """Ask the generator to stop: it does at its next yield (a plain function runs to the end)."""
        self._abort.set()

    def start(self, pool: QThreadPool | None = None) -> None:
        """Run on `pool` (Qt's global pool by default)."""
        with _running_lock:
            _running.add(self)
        self.finished.connect(self._forget)
        # Decided now, on the UI thread: connections are made before a worker starts.
        self._has_error_handler = self.isSignalConnected(QMetaMethod.fromSignal(self.errored))
        (pool or QThreadPool.globalInstance()).start(_Runnable(self))

    def wait(self, timeout: float = 30.0) -> bool:
        """Block until the work is done (not until its signals were delivered): tests and close()."""
        return self._done.wait(timeout)

    def work(self) -> None:
        """The loop, on the pool's thread (tests may call it directly to run it on their own)."""
        self.started.emit()
        try:
            result = self._fn(*self._args, **self._kwargs)
            if inspect.isgenerator(result):
                result = self._drain(result)
                if result is _ABORTED:
                    self.aborted.emit()
                    return
            self.returned.emit(result)
        except Exception as exc:  # noqa: BLE001 - handed to the UI thread, never lost
            if not self._has_error_handler:
                log.error("background work %s failed", getattr(self._fn, "__qualname__", self._fn),
                          exc_info=exc)
            self.errored.emit(exc)
        finally:
            self._done.set()
            self.finished.emit()

    def _drain(self, gen: Generator) -> Any:
        while True:
            if self._abort.is_set():
                gen.close()
                return _ABORTED
            try:
                value = next(gen)
            except StopIteration as stop:
                return stop.value
            self.yielded.emit(value)

    def _forget(self) -> None:
        with _running_lock:
            _running.discard(self)


_ABORTED = object()


def create_worker(fn: Callable[..., Any], *args: Any, _start: bool = True, _pool: QThreadPool | None = None,
                  _connect: dict[str, Callable] | None = None, **kwargs: Any) -> GeneratorWorker:
    """A `GeneratorWorker` for `fn(*args, **kwargs)`, its signals connected from `_connect`
    ({"yielded": slot, ...}), started on `_pool` unless `_start` is False."""
    worker = GeneratorWorker(fn, *args, **kwargs)
    for name, slot in (_connect or {}).items():
        getattr(worker, name).connect(slot)
    if _start:
        worker.start(_pool)
    return worker


def wait_for(condition: Callable[[], bool], timeout: float = 30.0) -> bool:
    """Poll `condition` without an event loop (close() paths and benchmarks)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.005)
    return condition()
