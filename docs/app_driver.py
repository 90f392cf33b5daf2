"""Driving the real app from the screenshot scripts in this folder: open the window, wait, grab."""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def wait(app, condition, timeout: float = 600.0) -> None:
    """Spin the event loop until condition() holds, as a user would wait."""
    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > end:
            raise TimeoutError("the app did not get there in time")
        app.processEvents()
        time.sleep(0.02)


def open_window(size: str, *, auto_start: bool):
    """The app and its main window at `size` ("WxH"), shown, with the model loaded."""
    from PySide6.QtWidgets import QApplication

    from colorizer_gui.qt_main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv)
    window = MainWindow()
    window.colorize_tab.settings.auto_start = auto_start
    width, height = (int(v) for v in size.split("x"))
    window.resize(width, height)
    window.show()
    wait(app, lambda: window.colorize_tab.controller.model_ready)
    return app, window


def save_screenshot(app, window, out: Path) -> None:
    """Let the last repaints land, then save the window as `out`."""
    for _ in range(25):
        app.processEvents()
        time.sleep(0.02)
    out.parent.mkdir(parents=True, exist_ok=True)
    window.grab().save(str(out))
    print(f"saved {out}")
