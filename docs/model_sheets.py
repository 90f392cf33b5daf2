"""Contact sheets for the model card: real old photos (input | output) and validation photos by group.

    python docs/model_sheets.py --model resources/models/colorizer-base.safetensors \
        --bw ../shared/data/bw-samples --val ../shared/data/val --out resources/models

Writes `colorizer-base-bw-samples.jpg` (every photo of --bw, input beside output, numbered so
the card can name them) and `colorizer-base-val-grid.jpg` (two photos per group of --val:
grey input | output | ground truth). Look at both before shipping a model.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.evaluate import load_truth  # noqa: E402
from engine.infer import DEFAULT_RENDER_SIZE, Colorizer  # noqa: E402
from engine.photo_folder import group_of, list_images, read_groups  # noqa: E402
from engine.photo_io import read_photo  # noqa: E402


def _tile(arr: np.ndarray, tile: int) -> Image.Image:
    im = Image.fromarray(arr if arr.dtype == np.uint8 else (arr // 257).astype(np.uint8))
    im.thumbnail((tile, tile), Image.Resampling.LANCZOS)
    return im


def _paste_centered(sheet: Image.Image, im: Image.Image, x: int, y: int, tile: int) -> None:
    sheet.paste(im, (x + (tile - im.width) // 2, y + (tile - im.height) // 2))


def bw_sheet(colorizer: Colorizer, paths: list[Path], tile: int, columns: int, render_size: int) -> Image.Image:
    rows = (len(paths) + columns - 1) // columns
    sheet = Image.new("RGB", (columns * 2 * tile, rows * tile), "white")
    draw = ImageDraw.Draw(sheet)
    for i, path in enumerate(paths):
        photo = read_photo(path)
        out = colorizer.colorize(photo, None, render_size).rgb
        grey = colorizer.render(photo.lightness, colorizer.predict_chroma(photo, None, render_size), strength=0.0)
        x, y = (i % columns) * 2 * tile, (i // columns) * tile
        _paste_centered(sheet, _tile(grey, tile), x, y, tile)
        _paste_centered(sheet, _tile(out, tile), x + tile, y, tile)
        draw.rectangle((x, y, x + 22, y + 14), fill="black")
        draw.text((x + 3, y + 2), str(i + 1), fill="white")
        print(f"{i + 1:3d} {path.name}", flush=True)
    return sheet


def val_sheet(colorizer: Colorizer, folder: Path, per_group: int, tile: int, render_size: int) -> Image.Image:
    manifest = read_groups(folder)
    by_group: dict[str, list[Path]] = {}
    for p in list_images(folder):
        by_group.setdefault(group_of(p, folder, manifest), []).append(p)
    chosen = []
    for group in sorted(by_group):
        paths = by_group[group]
        step = max(1, len(paths) // per_group)
        chosen += [(group, p) for p in paths[::step][:per_group]]
    columns = 2  # two (grey | output | truth) triples side by side
    rows = (len(chosen) + columns - 1) // columns
    sheet = Image.new("RGB", (columns * 3 * tile, rows * tile), "white")
    draw = ImageDraw.Draw(sheet)
    for i, (group, path) in enumerate(chosen):
        photo = read_photo(path)
        out = colorizer.colorize(photo, None, render_size).rgb
        grey = colorizer.render(photo.lightness, colorizer.predict_chroma(photo, None, render_size), strength=0.0)
        x, y = (i % columns) * 3 * tile, (i // columns) * tile
        for col, arr in enumerate((grey, out, load_truth(path))):
            _paste_centered(sheet, _tile(arr, tile), x + col * tile, y, tile)
        draw.rectangle((x, y, x + 8 * len(group), y + 14), fill="black")
        draw.text((x + 3, y + 2), group, fill="white")
    return sheet


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default=None)
    p.add_argument("--bw", type=Path, default=Path("../shared/data/bw-samples"))
    p.add_argument("--val", type=Path, default=Path("../shared/data/val"))
    p.add_argument("--out", type=Path, default=Path("resources/models"))
    p.add_argument("--prefix", default="colorizer-base")
    p.add_argument("--render-size", type=int, default=DEFAULT_RENDER_SIZE)
    p.add_argument("--tile", type=int, default=192)
    args = p.parse_args()
    colorizer = Colorizer(args.model, device="cpu")
    args.out.mkdir(parents=True, exist_ok=True)
    if args.bw.is_dir():
        sheet = bw_sheet(colorizer, list_images(args.bw), args.tile, 4, args.render_size)
        sheet.save(args.out / f"{args.prefix}-bw-samples.jpg", quality=85)
    if args.val.is_dir():
        sheet = val_sheet(colorizer, args.val, 2, args.tile, args.render_size)
        sheet.save(args.out / f"{args.prefix}-val-grid.jpg", quality=85)
    print(f"sheets written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
