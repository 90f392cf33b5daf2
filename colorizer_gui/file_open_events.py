"""Photos opened from the desktop while the app runs or starts: macOS "Open With" and Dock drops.

macOS does not pass such files on the command line; it sends the application a FileOpen event,
often before the main window exists (the app is still starting). Paths that arrive early are
kept and handed over once a receiver is attached, so none is lost.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QFileOpenEvent


class FileOpenForwarder(QObject):
    """Application-wide event filter that turns FileOpen events into calls of `receiver(paths)`."""

    def __init__(self, app: QObject) -> None:
        super().__init__(app)
        self._pending: list[str] = []
        self._receiver: Callable[[list[str]], object] | None = None
        app.installEventFilter(self)

    def attach(self, receiver: Callable[[list[str]], object]) -> None:
        self._receiver = receiver
        if self._pending:
            pending, self._pending = self._pending, []
            receiver(pending)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() != QEvent.Type.FileOpen or not isinstance(event, QFileOpenEvent):
            return False
        path = event.file() or event.url().toLocalFile()
        if not path:
            return False
        if self._receiver is None:
            self._pending.append(path)
        else:
            self._receiver([path])
        return True
