"""One task at a time for one view; the newest request wins (see __init__)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QMetaMethod, QObject, QThreadPool, Signal

from colorizer_gui.workers._generator_worker import GeneratorWorker, wait_for

log = logging.getLogger(__name__)


class LatestOnly(QObject):
    """Runs requests one after another on its own thread, keeping at most one waiting.

    `submit()` while a task runs replaces the waiting request (a burst of slider moves or edits
    costs the task in progress plus one, for the newest state); the running task is asked to quit
    at its next yield. Every task's outcome is delivered, with `current` saying whether it is the
    newest request: a view may still show a stale result while a newer one is computed.

    Signals
    -------
    returned(object ticket, object value, bool current)
    yielded(object ticket, object value, bool current)
    errored(object ticket, object exception, bool current)
    """

    returned = Signal(object, object, bool)
    yielded = Signal(object, object, bool)
    errored = Signal(object, object, bool)

    def __init__(self, parent: QObject | None = None, *, name: str = "") -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        if name:
            self._pool.setObjectName(name)
        self._ticket = 0
        self._running: GeneratorWorker | None = None
        self._waiting: tuple[int, Callable[..., Any], tuple, dict] | None = None
        self._closed = False

    @property
    def latest(self) -> int:
        """The newest request's ticket (0 before the first)."""
        return self._ticket

    def is_current(self, ticket: int) -> bool:
        return ticket == self._ticket

    @property
    def busy(self) -> bool:
        """A task runs or waits (its outcome may not have been delivered yet)."""
        return self._running is not None or self._waiting is not None

    @property
    def waiting(self) -> int | None:
        """The waiting request's ticket, if any."""
        return self._waiting[0] if self._waiting else None

    def submit(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> int:
        """Run `fn(*args, **kwargs)` after the task in progress, replacing any request still waiting.
        Returns the request's ticket."""
        self._ticket += 1
        if self._closed:
            return self._ticket
        self._waiting = (self._ticket, fn, args, kwargs)
        if self._running is not None:
            self._running.quit()
        self._start_next()
        return self._ticket

    def discard(self) -> None:
        """Forget the waiting request and make the running one stale (another photo was chosen)."""
        self._ticket += 1
        self._waiting = None
        if self._running is not None:
            self._running.quit()

    def close(self, timeout: float = 30.0) -> None:
        """Stop taking requests and wait for the task in progress."""
        self._closed = True
        self.discard()
        running = self._running
        if running is not None:
            running.wait(timeout)
        self._pool.waitForDone(int(timeout * 1000))

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Block until nothing runs or waits (the last outcome may still be in the event queue)."""
        return wait_for(lambda: self._waiting is None and (self._running is None or self._running.is_done),
                        timeout)

    def _start_next(self) -> None:
        if self._running is not None or self._waiting is None or self._closed:
            return
        (ticket, fn, args, kwargs), self._waiting = self._waiting, None
        worker = GeneratorWorker(fn, *args, **kwargs)
        worker.returned.connect(lambda value: self.returned.emit(ticket, value, self.is_current(ticket)))
        worker.yielded.connect(lambda value: self.yielded.emit(ticket, value, self.is_current(ticket)))
        worker.errored.connect(lambda exc: self._on_errored(ticket, exc))
        worker.finished.connect(lambda: self._on_finished(worker))
        self._running = worker
        worker.start(self._pool)

    def _on_errored(self, ticket: int, exc: BaseException) -> None:
        if not self.isSignalConnected(QMetaMethod.fromSignal(self.errored)):
            log.error("background work failed", exc_info=exc)  # nobody else will say so
        self.errored.emit(ticket, exc, self.is_current(ticket))

    def _on_finished(self, worker: GeneratorWorker) -> None:
        if self._running is worker:
            self._running = None
        self._start_next()
