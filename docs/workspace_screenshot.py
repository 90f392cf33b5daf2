"""Colorize a folder of photos in the real app and save a screenshot of the result (README).

The photos are copied into a scratch "Family scans" folder first, so nothing is written
beside the originals. Run under a display or Xvfb:

    xvfb-run -a -s "-screen 0 1600x1000x24" python docs/workspace_screenshot.py \\
        docs/screenshots/before-after.png ../shared/data/bw-samples/deoldify__*.jpg \\
        --show "Cork1905.jpg"

`--empty` grabs the window before any photo is added (the drop target), `--mid-batch N` grabs
it once N photos are done while the rest are still queued or working.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

from app_driver import open_window, save_screenshot, wait


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("photos", nargs="*", type=Path)
    parser.add_argument("--show", help="file name of the photo to select (default: the last)")
    parser.add_argument("--size", default="1280x820")
    parser.add_argument("--mode", default="split", choices=("split", "side_by_side", "after"))
    parser.add_argument("--strength", type=int, help="move the shown photo's Strength slider to this %% first")
    parser.add_argument("--empty", action="store_true", help="the window as it opens, before any photo")
    parser.add_argument("--mid-batch", type=int, metavar="N", help="grab once N photos are done, mid-batch")
    args = parser.parse_intermixed_args()   # photos may come after the options
    if not args.empty and not args.photos:
        parser.error("give photos, or --empty")

    from colorizer_gui.workspace.photo_queue import PhotoStatus

    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch) / "Family scans"
        folder.mkdir()
        for photo in args.photos:
            # "deoldify__1907Cowboys.jpg" -> "1907Cowboys.jpg": the sample sets' source prefixes
            shutil.copy2(photo, folder / photo.name.split("__")[-1])
        app, window = open_window(args.size, auto_start=True)
        tab = window.colorize_tab
        if args.empty:
            save_screenshot(app, window, args.out)
            window.close()
            return 0
        started = time.perf_counter()
        items = window.add_paths([folder])
        finished = (PhotoStatus.DONE, PhotoStatus.FAILED, PhotoStatus.SKIPPED)
        if args.mid_batch is not None:
            wait(app, lambda: sum(item.status is PhotoStatus.DONE for item in items) >= args.mid_batch)
            tab.select_item(next(i for i in items if i.status is PhotoStatus.DONE))
            save_screenshot(app, window, args.out)
            window.ask_unsaved_changes = lambda items: "discard"
            window.close()
            return 0
        wait(app, lambda: all(item.status in finished for item in items))
        print(f"{len(items)} photos colorized in {time.perf_counter() - started:.1f} s")
        shown = next((i for i in items if i.path.name == args.show), items[-1])
        tab.select_item(shown)
        tab.viewer.set_mode(args.mode)
        wait(app, lambda: shown.chroma is not None and tab.viewer.has_after())
        if args.strength is not None:   # as a user would: the slider, for the selected photo only
            tab.settings_panel.strength_slider.setValue(args.strength)
            wanted = round(args.strength / 100, 4)
            wait(app, lambda: tab.display.after_state is not None and tab.display.after_state[0] == wanted)
        save_screenshot(app, window, args.out)
        window.ask_unsaved_changes = lambda items: "discard"   # the script's change, not the user's
        window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
