"""Fine-tune the bundled model in the real app until it gets worse, and save a screenshot.

Shows what the Fine-tune tab says when training made the colours of the held-out photos worse
(issue 13): the verdict in plain words, the base model kept in use, and the previews of each
held-out photo before and after, side by side. The photo folder is made up for it: the photos
trained on are blue, the held-out ones orange, so learning "blue" must hurt the held-out ones.
User folders are temporary, so no real model is added. Run under a display or Xvfb:

    xvfb-run -a -s "-screen 0 1600x1000x24" python docs/finetune_screenshot.py docs/screenshots/finetune-worse.png
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import numpy as np
from app_driver import save_screenshot, wait
from PIL import Image


def make_folder(folder: Path, n: int = 20, val_share: float = 0.2) -> None:
    """Blue photos to train on, orange held-out ones (train() holds out a seeded permutation)."""
    folder.mkdir(parents=True)
    held = set(np.random.default_rng(0).permutation(n)[: round(n * val_share)].tolist())
    w, h = 320, 240
    y, x = np.mgrid[0:h, 0:w].astype(float)
    rng = np.random.default_rng(1)
    for i in range(n):
        sun = ((x - w * (0.2 + 0.03 * i)) ** 2 + (y - h * 0.35) ** 2) < (h * 0.18) ** 2
        lightness = 0.3 + 0.55 * (0.6 * x / w + 0.4 * y / h) + 0.25 * sun
        colour = np.array((0.95, 0.55, 0.15)) if i in held else np.array((0.15, 0.35, 0.95))
        img = np.clip(lightness[..., None] * colour + rng.normal(0, 0.02, (h, w, 3)), 0, 1)
        Image.fromarray((img * 255).astype(np.uint8)).save(folder / f"photo_{i:02d}.jpg", quality=92)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--size", default="1280x820")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch:
        os.environ["COLORIZER_DATA_DIR"] = str(Path(scratch) / "data")
        os.environ["COLORIZER_CONFIG_DIR"] = str(Path(scratch) / "config")
        from PySide6.QtWidgets import QApplication

        from colorizer_gui.finetune.run import RunState
        from colorizer_gui.qt_main_window import MainWindow

        folder = Path(scratch) / "Summer 1962"
        make_folder(folder)
        app = QApplication.instance() or QApplication(sys.argv)
        window = MainWindow(load_model=False)
        width, height = (int(v) for v in args.size.split("x"))
        window.resize(width, height)
        window.show()
        tab = window.finetune_tab
        window.tabs.setCurrentWidget(tab)
        tab.set_folder(folder)
        wait(app, lambda: tab.scan is not None)
        tab.advanced_toggle.setChecked(True)
        tab.steps_spin.setValue(40)
        tab.crop_combo.setCurrentIndex(tab.crop_combo.findData(96))
        tab.batch_spin.setValue(8)
        tab.val_spin.setValue(20)
        tab.lr_combo.setCurrentText("0.01")
        tab.advanced_toggle.setChecked(False)
        tab.start()
        wait(app, lambda: tab.state in (RunState.FINISHED, RunState.FAILED, RunState.STOPPED), timeout=1200)
        comparison = tab.session.comparison if tab.session else None
        print(f"state {tab.state}, comparison {comparison}")
        save_screenshot(app, window, args.out)
        window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
