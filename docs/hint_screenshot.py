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

from app_driver import open_window, save_screenshot, wait


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

    from colorizer_gui.hints.qt_overlay import viewer_point

    # Colorize only on request, so that nothing is written next to the photo.
    app, window = open_window(args.size, auto_start=False)
    tab = window.colorize_tab
    tab.act_toggle_log.setChecked(False)  # more room for the photo
    item = tab.add_paths([args.photo])[0]
    tab.select_item(item)
    wait(app, lambda: item.chroma is not None and tab.viewer.has_after())
    if args.side_by_side:
        tab.viewer.set_mode("side_by_side")
    hints = tab.hints
    hints.act_mode.setChecked(True)
    started = time.perf_counter()
    for spec in args.hints:
        x, y, colour = spec.split(",")
        hints.choose_color = lambda *_, c=colour: c
        wait(app, lambda: hints.worker.idle())
        pos = viewer_point(tab.viewer, float(x), float(y)).toPoint()
        QTest.mouseClick(tab.viewer, Qt.MouseButton.LeftButton, pos=pos)
    wait(app, lambda: hints.worker.idle() and item.chroma_key == tab.controller.chroma_key(item))
    print(f"{len(item.hints)} hints placed; last preview {hints.last_latency:.2f} s after release; "
          f"{time.perf_counter() - started:.1f} s in all")
    save_screenshot(app, window, args.out)
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
