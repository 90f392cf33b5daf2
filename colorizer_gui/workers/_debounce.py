"""Run something once, shortly after the last of a burst of requests (see __init__)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer


class Debounced(QObject):
    """Calls `fn()` once, `delay_ms` after the last `trigger()` of a burst.

    For work that is worth doing only when the user pauses: settings written 0.8 s after the
    last change, a full-size render once the strength slider rests, a time estimate once the
    form stops changing. The shape of superqt's `qdebounced`, as a QObject owned by its view, so
    a pending call dies with the view instead of firing on a half-destroyed window.
    """

    def __init__(self, fn: Callable[[], object], delay_ms: int, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._fn = fn
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(delay_ms)
        self._timer.timeout.connect(self._fn)

    def trigger(self, *_ignored: object, delay_ms: int | None = None) -> None:
        """(Re)start the wait; extra arguments are ignored so a signal can be connected directly.

        `delay_ms` shortens (or lengthens) this one wait, e.g. when the input is already complete.
        """
        if delay_ms is None:
            self._timer.start()
        else:
            self._timer.start(delay_ms)

    def cancel(self) -> None:
        self._timer.stop()

    @property
    def pending(self) -> bool:
        return self._timer.isActive()

    def flush(self) -> None:
        """Do the pending call now (before closing, say); nothing when none is pending."""
        if self._timer.isActive():
            self._timer.stop()
            self._fn()
