"""What the user is told in the Activity panel, sent through `logging` first.

So every line the panel shows (saved, skipped, failed, imported...) is also in the rotating log
file (app_logging.py) with its time, and a report from any thread reaches the panel safely. Each
window has its own `ActivityLog`: its panel shows the lines of that window only, which matters
when two windows exist at once (tests, a restart dialog).
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable

LOGGER = "colorizer_gui.activity"
LEVELS = {"info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR}
_NAMES = {number: name for name, number in LEVELS.items()}
_ids = itertools.count(1)

logging.getLogger(LOGGER).setLevel(logging.INFO)   # the panel shows info lines even where nobody set up logging


class _Feed(logging.Handler):
    def __init__(self, activity_id: int, sink: Callable[[str, str], None]) -> None:
        super().__init__(logging.INFO)
        self.activity_id = activity_id
        self.sink = sink

    def emit(self, record: logging.LogRecord) -> None:
        if getattr(record, "activity_id", None) == self.activity_id:
            level = _NAMES.get(record.levelno, "error" if record.levelno > logging.ERROR else "info")
            self.sink(level, record.getMessage())


class ActivityLog:
    """One window's activity: `report()` logs a line, `feed(sink)` passes this window's lines on."""

    def __init__(self) -> None:
        self.id = next(_ids)
        self._feeds: list[_Feed] = []

    def report(self, level: str, text: str) -> None:
        """`level` is "info", "warning" or "error", as the panel colours them."""
        logging.getLogger(LOGGER).log(LEVELS.get(level, logging.INFO), "%s", text, extra={"activity_id": self.id})

    def feed(self, sink: Callable[[str, str], None]) -> None:
        """Call `sink(level, text)` for each line this log reports from now on (on the reporting thread)."""
        handler = _Feed(self.id, sink)
        logging.getLogger(LOGGER).addHandler(handler)
        self._feeds.append(handler)

    def close(self) -> None:
        for handler in self._feeds:
            logging.getLogger(LOGGER).removeHandler(handler)
        self._feeds.clear()
