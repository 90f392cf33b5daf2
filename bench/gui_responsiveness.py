"""GUI responsiveness during a batch: how late does a 10 ms UI timer fire while 12 MP photos run?

Opens the real main window (offscreen unless a display is set), queues synthetic 4000 x 3000
scans, starts the batch and, on the UI thread, measures every tick of a 10 ms QTimer: lateness
= time since the previous tick - 10 ms. While it runs it behaves like a user: it selects a
different photo every 0.7 s (before/after previews load and render) and nudges the strength
slider every 0.3 s (live re-renders). Target: p99 lateness under 50 ms.

    python bench/gui_responsiveness.py [--photos 4] [--megapixels 12] [--model NAME_OR_FILE] [--no-interact]

Settings and user folders are redirected to a temporary folder; nothing of yours is touched.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

TICK_MS = 10


def make_scan(path: Path, megapixels: float, seed: int) -> None:
    """A photo-like grey scan: smooth shading, some structure and film grain."""
    w = int(round((megapixels * 1e6 * 4 / 3) ** 0.5))
    h = int(round(w * 3 / 4))
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    grey = 60 + 110 * (x / w) * 0.6 + 110 * (y / h) * 0.4 + 25 * np.sin(x / (70 + seed * 5)) * np.cos(y / 60)
    grey += rng.normal(0, 6, (h, w)).astype(np.float32)
    Image.fromarray(np.clip(grey, 0, 255).astype(np.uint8), "L").save(path, quality=92)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--photos", type=int, default=4)
    p.add_argument("--megapixels", type=float, default=12.0)
    p.add_argument("--model", help="model name or .safetensors file (default: the bundled model)")
    p.add_argument("--no-interact", action="store_true", help="only run the batch, no simulated user")
    args = p.parse_args()

    work = Path(tempfile.mkdtemp(prefix="colorizer-gui-bench-"))
    os.environ["COLORIZER_CONFIG_DIR"] = str(work / "config")
    os.environ["COLORIZER_DATA_DIR"] = str(work / "data")
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

    photos_dir = work / "photos"
    photos_dir.mkdir()
    t0 = time.perf_counter()
    photos = []
    for i in range(args.photos):
        path = photos_dir / f"scan{i:02d}.jpg"
        make_scan(path, args.megapixels, i)
        photos.append(path)
    print(f"made {len(photos)} scans of {args.megapixels:g} MP in {time.perf_counter() - t0:.1f} s", flush=True)

    from PySide6.QtCore import Qt, QTimer
    from PySide6.QtWidgets import QApplication

    from colorizer_gui.app import create_application
    from colorizer_gui.qt_main_window import MainWindow
    from colorizer_gui.settings import GuiSettings
    from colorizer_gui.workspace.photo_queue import PhotoStatus

    app = create_application()
    settings = GuiSettings(model=args.model or "", auto_start=False, output_mode="folder",
                           output_dir=str(work / "out"))
    window = MainWindow(settings)
    window.ask_stop_batch = lambda: True
    window.ask_unsaved_changes = lambda n: "discard"
    window.show()
    tab = window.colorize_tab
    c = tab.controller
    try:

        deadline = time.monotonic() + 120
        while not c.model_ready and time.monotonic() < deadline:
            app.processEvents()
            if c.model_error:
                print(f"model could not be loaded: {c.model_error}", file=sys.stderr)
                return 1
            time.sleep(0.01)
        print(f"model: {c.model_description}", flush=True)

        lateness: list[float] = []
        last = [0.0]

        def on_tick() -> None:
            now = time.perf_counter()
            if last[0]:
                lateness.append(max(0.0, (now - last[0]) * 1000 - TICK_MS))
            last[0] = now

        ticker = QTimer()
        ticker.setTimerType(Qt.TimerType.PreciseTimer)
        ticker.setInterval(TICK_MS)
        ticker.timeout.connect(on_tick)

        step = [0]

        def select_next() -> None:
            items = c.queue.items
            if items:
                step[0] += 1
                tab.select_item(items[step[0] % len(items)])

        def nudge_strength() -> None:
            slider = tab.settings_panel.strength_slider
            slider.setValue(80 if slider.value() != 80 else 120)

        interactions = []
        if not args.no_interact:
            for interval, fn in ((700, select_next), (300, nudge_strength)):
                timer = QTimer()
                timer.setInterval(interval)
                timer.timeout.connect(fn)
                interactions.append(timer)

        from PySide6.QtCore import QEventLoop

        loop = QEventLoop()
        finished: list[float] = []

        def on_batch_state() -> None:
            if not c.running:
                finished.append(time.perf_counter())
                loop.quit()

        c.batch_state_changed.connect(on_batch_state)
        QTimer.singleShot(30 * 60 * 1000, loop.quit)  # a safety net
        tab.add_paths(photos)
        start = time.perf_counter()
        ticker.start()
        for timer in interactions:
            timer.start()
        c.start()
        loop.exec()  # the real event loop, as in the app
        ticker.stop()
        for timer in interactions:
            timer.stop()
        elapsed = (finished[0] if finished else time.perf_counter()) - start

        done = [i for i in c.queue.items if i.status is PhotoStatus.DONE]
        print(f"batch: {len(done)}/{len(photos)} done in {elapsed:.1f} s "
              f"({elapsed / max(1, len(done)):.1f} s per photo), interaction {'off' if args.no_interact else 'on'}")
        print(f"UI timer ({TICK_MS} ms) lateness over {len(lateness)} ticks: "
              f"p50 {statistics.median(lateness):.1f} ms, p99 {percentile(lateness, 99):.1f} ms, "
              f"max {max(lateness):.1f} ms  (target p99 < 50 ms)")
        print(f"cpu cores: {os.cpu_count()}, load average: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    finally:
        window.close()
        QApplication.processEvents()
    return 0


if __name__ == "__main__":
    sys.exit(main())
