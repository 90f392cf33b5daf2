"""The app keeps a rotating log in the user log folder, crashes included (colorizer_gui/app_logging.py)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _run(code: str, log_dir: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLORIZER_LOG_DIR": str(log_dir), "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout)


def test_engine_messages_and_a_crash_reach_the_log_file(tmp_path):
    logs = tmp_path / "logs"
    run = _run(f"""
        from pathlib import Path
        from colorizer_gui.app_logging import setup_logging
        from engine.batch import BatchSettings, Job, colorize_job

        path = setup_logging()
        assert setup_logging() == path  # a second call adds no second handler
        bad = Path({str(tmp_path / "bad.jpg")!r})
        bad.write_bytes(b"not a photo")
        colorize_job(Job(bad, bad.with_name("out.jpg"), "jpg"), None, BatchSettings())
        raise ValueError("boom at the top level")
    """, logs)
    assert run.returncode == 1 and "boom at the top level" in run.stderr  # the usual handling still runs
    text = (logs / "colorizer.log").read_text(encoding="utf-8")
    assert "INFO     colorizer_gui.app_logging [MainThread] Colorizer 0.1.0 started" in text
    assert "WARNING  engine.batch" in text and "bad.jpg" in text and "UnreadablePhoto" in text
    assert "CRITICAL colorizer_gui.app_logging [MainThread] Crash: uncaught ValueError" in text
    assert "Traceback (most recent call last)" in text and text.count("ValueError: boom at the top level") == 1


def test_a_crash_in_another_thread_is_logged(tmp_path):
    run = _run("""
        import threading
        from colorizer_gui.app_logging import setup_logging

        setup_logging()
        t = threading.Thread(target=lambda: 1 / 0, name="preview-worker")
        t.start()
        t.join()
    """, tmp_path)
    assert run.returncode == 0
    text = (tmp_path / "colorizer.log").read_text(encoding="utf-8")
    assert "Crash in thread preview-worker: uncaught ZeroDivisionError" in text


def test_the_app_logs_from_startup_and_an_exception_in_a_qt_slot(tmp_path):
    """The real entry point (colorizer_gui.app.main) with a real window: a slot that raises is logged."""
    run = _run("""
        from PySide6.QtCore import QTimer
        from PySide6.QtWidgets import QApplication
        from colorizer_gui import app

        qt = app.create_application()  # main() reuses it; the timers fire once its loop runs

        def boom():
            raise RuntimeError("boom from a slot")

        def close_when_shown():  # timers also fire while the splash screen spins events, before the window
            if any(w.isVisible() and w.inherits("QMainWindow") for w in QApplication.topLevelWidgets()):
                QApplication.closeAllWindows()
                QApplication.quit()

        QTimer.singleShot(0, boom)
        closer = QTimer()
        closer.timeout.connect(close_when_shown)
        closer.start(200)   # again until it takes: a quit() before the loop runs is lost
        raise SystemExit(app.main([]))
    """, tmp_path, timeout=240)
    text = (tmp_path / "colorizer.log").read_text(encoding="utf-8")
    assert "Colorizer 0.1.0 started" in text, run.stderr
    assert "Crash: uncaught RuntimeError" in text and "boom from a slot" in text, run.stderr


def test_an_unwritable_log_folder_does_not_stop_the_app(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    run = _run("""
        from colorizer_gui.app_logging import setup_logging
        print(setup_logging())
    """, blocker / "logs")
    assert run.returncode == 0 and run.stdout.strip() == "None"
    assert "cannot keep a log" in run.stderr


def test_the_activity_panel_is_fed_from_logging_and_the_log_file_keeps_its_lines(tmp_path):
    logs = tmp_path / "logs"
    run = _run(f"""
        import threading
        from pathlib import Path
        from PySide6.QtWidgets import QApplication
        from colorizer_gui.app_logging import setup_logging
        from colorizer_gui.qt_main_window import MainWindow

        setup_logging()
        app = QApplication([])
        first, second = MainWindow(load_model=False), MainWindow(load_model=False)
        tab = first.colorize_tab
        tab.add_paths([Path({str(tmp_path / "notes.txt")!r})])    # skipped, reported by the batch controller
        tab.activity.report("error", "Could not save x.jpg: the disk is full")
        worker = threading.Thread(target=lambda: tab.activity.report("info", "from a worker thread"))
        worker.start(); worker.join()
        for _ in range(20):
            app.processEvents()
        panel = tab.log_panel.plain_text()
        print("PANEL", repr(panel), tab.log_panel.errors)
        print("OTHER", repr(second.colorize_tab.log_panel.plain_text()))
        for w in (first, second):
            w.ask_unsaved_changes = lambda items: "discard"
            w.close()
    """, logs)
    assert run.returncode == 0, run.stderr
    lines = dict(line.split(" ", 1) for line in run.stdout.splitlines() if line.startswith(("PANEL", "OTHER")))
    panel, other = lines["PANEL"], lines["OTHER"]
    assert "Could not save x.jpg: the disk is full" in panel and "from a worker thread" in panel
    assert "notes.txt" in panel
    assert "disk is full" not in other and "worker thread" not in other   # each window shows its own
    text = (logs / "colorizer.log").read_text(encoding="utf-8")
    assert "ERROR    colorizer_gui.activity [MainThread] Could not save x.jpg: the disk is full" in text
    assert "colorizer_gui.activity [Thread" in text and "from a worker thread" in text
    assert "notes.txt" in text
