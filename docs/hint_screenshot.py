"""Place colour hints on a photo in the real app, as a user would, and save a screenshot.

Clicks go through the viewer (hint mode on, a mouse click per hint); only the colour chooser is
answered by the script. Run under a display or Xvfb:

    xvfb-run -a -s "-screen 0 1600x1000x24" python docs/hint_screenshot.py \\
        "../shared/data/bw-samples/deoldify__HelenKeller.jpg" docs/screenshots/hints.png \\
        315,522,#6f9fd8 722,548,#7a1f2b 120,156,#5d7a5a

Each hint is x,y,#rrggbb in the photo's own pixels.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _wait(app, condition, timeout: float = 120.0) -> None:
    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > end:
            raise TimeoutError("the app did not get there in time")
        app.processEvents()
        time.sleep(0.02)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("photo", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("hints", nargs="+", help="x,y,#rrggbb")
    parser.add_argument("--size", default="1500x950")
    parser.add_argument("--side-by-side", action="store_true")
    args = parser.parse_args()

    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from colorizer_gui.hint_controller import viewer_point
    from colorizer_gui.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv)
    window = MainWindow()
    # Colorize only on request, so that nothing is written next to the photo.
    window.colorize_tab.settings.auto_start = False
    width, height = (int(v) for v in args.size.split("x"))
    window.resize(width, height)
    window.show()
    tab = window.colorize_tab
    tab.act_toggle_log.setChecked(False)  # more room for the photo
    _wait(app, lambda: tab.controller.model_ready)
    item = tab.add_paths([args.photo])[0]
    tab.select_item(item)
    _wait(app, lambda: item.chroma is not None and tab.viewer.has_after())
    if args.side_by_side:
        tab.viewer.set_mode("side_by_side")
    hints = tab.hints
    hints.act_mode.setChecked(True)
    started = time.perf_counter()
    for spec in args.hints:
        x, y, colour = spec.split(",")
        hints.choose_color = lambda *_, c=colour: c
        _wait(app, lambda: hints.worker.idle())
        pos = viewer_point(tab.viewer, float(x), float(y)).toPoint()
        QTest.mouseClick(tab.viewer, Qt.MouseButton.LeftButton, pos=pos)
    _wait(app, lambda: hints.worker.idle() and item.chroma_key == tab.controller.chroma_key(item))
    for _ in range(20):
        app.processEvents()
        time.sleep(0.02)
    print(f"{len(item.hints)} hints placed; last preview {hints.last_latency:.2f} s after release; "
          f"{time.perf_counter() - started:.1f} s in all")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    window.grab().save(str(args.out))
    print(f"saved {args.out}")
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
