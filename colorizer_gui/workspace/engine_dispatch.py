"""What the engine does next: one task at a time, and which one when the last ends.

When a task ends (or one is asked for while the engine is idle), `dispatch` starts the next in
this order: a model to load, a file to save, a preview the user is waiting for, then the
batch's next photo, asked of `next_job` so that it is chosen only then. Choosing one photo at a
time (instead of handing the engine a fixed list) is what lets the user append, reorder,
remove, pause and resume freely. Saves and previews wait for a loaded model, like photos.

Each outcome goes to the handler for its type, then the next task starts. No widgets here.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

from PySide6.QtCore import QObject, Slot

from colorizer_gui.workspace.engine_worker import EngineThread, JobTask, LoadModelTask, PreviewTask, SaveTask


class EngineDispatch(QObject):
    def __init__(self, *, model_ready: Callable[[], bool], next_job: Callable[[], JobTask | None],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.engine = EngineThread(self)
        self.engine.finished.connect(self._on_finished)
        self._model_ready = model_ready
        self._next_job = next_job
        self.handlers: dict[type, Callable[[object], None]] = {}   # outcome type -> what to do with it
        self.current: object | None = None   # the task the engine is running
        self.current_started = 0.0            # time.monotonic() when it started
        self.pending_load: LoadModelTask | None = None   # only the newest load asked for
        self.pending_preview: PreviewTask | None = None  # only the newest preview: the photo on screen
        self.pending_saves: deque[SaveTask] = deque()    # every save asked for, in order
        self.closed = False

    def is_running(self, *kinds: type) -> bool:
        """The engine is running a task of one of these kinds."""
        return isinstance(self.current, kinds)

    def dispatch(self) -> None:
        """Start the next task if the engine is idle."""
        if self.current is not None or self.closed:
            return
        task: object | None = None
        if self.pending_load is not None:
            task, self.pending_load = self.pending_load, None
        elif not self._model_ready():
            return
        elif self.pending_saves:
            task = self.pending_saves.popleft()
        elif self.pending_preview is not None:
            task, self.pending_preview = self.pending_preview, None
        else:
            task = self._next_job()
            if task is None:
                return
        self.current = task
        self.current_started = time.monotonic()
        self.engine.submit(task)

    def cancel_current(self, reason: str) -> object | None:
        """Ask the running task to stop soon (the engine checks between stages); returns it.

        `reason` ("pause", "cancel", "remove", "shutdown") stays on the task, so its outcome is
        understood: a paused photo goes back to waiting, a cancelled one is marked so.
        """
        task = self.current
        if task is None:
            return None
        task.reason = reason
        cancel = getattr(task, "cancel", None)   # a model load cannot be interrupted; it just ends
        if cancel is not None:
            cancel.set()
        return task

    def close(self) -> None:
        """Drop what waits and stop the engine thread (blocks until the running task has ended;
        cancel it first). Outcomes still on their way are ignored."""
        self.pending_saves.clear()
        self.pending_preview = None
        self.pending_load = None
        self.closed = True
        self.engine.stop()
        self.current = None

    @Slot(object)
    def _on_finished(self, outcome: object) -> None:
        self.current = None
        if self.closed:
            return
        self.handlers[type(outcome)](outcome)
        self.dispatch()
