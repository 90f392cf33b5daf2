"""Render the app icon from resources/icons/app.svg.

    python packaging/make_icons.py            # resources/icons/app.png (committed; run after editing the SVG)
    python packaging/make_icons.py --out DIR  # also DIR/app.ico and DIR/app.icns (the build does this)

The PNG is drawn by Qt's SVG renderer so it always matches the SVG; the Windows .ico and
macOS .icns are written by Pillow from that PNG at build time and never committed.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ICONS = ROOT / "resources" / "icons"
ICO_SIZES = [(16, 16), (24, 24), (32, 32), (48, 48), (64, 64), (128, 128), (256, 256)]


def render_png(svg: Path, png: Path, size: int = 512) -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication.instance() or QGuiApplication([])
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"cannot read {svg}")
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    if not image.save(str(png)):
        raise SystemExit(f"cannot write {png}")


def write_platform_icons(png: Path, out: Path) -> list[Path]:
    from PIL import Image

    out.mkdir(parents=True, exist_ok=True)
    im = Image.open(png).convert("RGBA")
    ico, icns = out / "app.ico", out / "app.icns"
    im.save(ico, sizes=ICO_SIZES)
    im.save(icns)
    return [ico, icns]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, help="also write app.ico and app.icns here")
    args = parser.parse_args(argv)
    png = ICONS / "app.png"
    if args.out is None or not png.is_file():
        render_png(ICONS / "app.svg", png)
        print(f"wrote {png.relative_to(ROOT)}")
    if args.out is not None:
        for path in write_platform_icons(png, args.out):
            print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
