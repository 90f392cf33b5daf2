"""The app's log: a rotating file in the user log folder, with crashes in it.

A windowed (and frozen) app has no terminal, so without this a crash leaves no trace. The
engine logs through `logging.getLogger(__name__)` and never configures logging itself (the CLI
and a server decide for themselves); the app does it here, once, at startup.
"""

from __future__ import annotations

import logging
import sys
import threading
from logging.handlers import RotatingFileHandler
from pathlib import Path
from types import TracebackType

LOG_FILE = "colorizer.log"
MAX_BYTES = 1_000_000  # about a month of ordinary use; five of them are kept
BACKUPS = 4
_FORMAT = "%(asctime)s %(levelname)-8s %(name)s [%(threadName)s] %(message)s"

log = logging.getLogger(__name__)


def setup_logging(folder: Path | None = None) -> Path | None:
    """Log our own packages (INFO and up) and everyone's warnings to `folder`/colorizer.log.

    Also routes uncaught exceptions (the main thread's and other threads') into the log before
    the usual handling. Returns the log file, or None when the folder cannot be written: a
    read-only home must not stop the app from starting. Calling it again changes nothing.
    """
    from engine.catalog import user_log_dir

    root = logging.getLogger()
    for handler in root.handlers:
        if getattr(handler, "_colorizer", False):
            return Path(handler.baseFilename)
    folder = Path(folder) if folder is not None else user_log_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handler = RotatingFileHandler(folder / LOG_FILE, maxBytes=MAX_BYTES, backupCount=BACKUPS,
                                      encoding="utf-8", delay=False)
    except OSError as exc:
        print(f"colorizer: cannot keep a log in {folder} ({exc.strerror or exc})", file=sys.stderr)
        return None
    handler._colorizer = True  # type: ignore[attr-defined] - finds it again on a second call
    handler.setFormatter(logging.Formatter(_FORMAT))
    root.addHandler(handler)
    if root.level == logging.NOTSET or root.level > logging.WARNING:
        root.setLevel(logging.WARNING)  # other libraries: only what went wrong
    for ours in ("engine", "colorizer_gui"):
        logging.getLogger(ours).setLevel(logging.INFO)
    _log_crashes()
    from engine import __version__

    log.info("Colorizer %s started (Python %s, %s)", __version__, sys.version.split()[0], sys.platform)
    return Path(handler.baseFilename)


def _log_crashes() -> None:
    previous = sys.excepthook
    previous_thread = threading.excepthook

    def excepthook(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
        if not issubclass(kind, KeyboardInterrupt):
            log.critical("Crash: uncaught %s", kind.__name__, exc_info=(kind, value, tb))
        previous(kind, value, tb)

    def thread_excepthook(args: threading.ExceptHookArgs) -> None:
        if args.exc_type is not SystemExit:
            name = args.thread.name if args.thread is not None else "?"
            log.critical("Crash in thread %s: uncaught %s", name, args.exc_type.__name__,
                         exc_info=(args.exc_type, args.exc_value, args.exc_traceback))
        previous_thread(args)

    sys.excepthook = excepthook
    threading.excepthook = thread_excepthook
