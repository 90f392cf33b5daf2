"""Hint edit latency: mouse release -> updated viewer preview, for a 12 MP photo on this CPU.

What the app does after a hint edit: one network pass on the photo's cached render-scale
lightness (`HintSession.predict`), then a re-render of the viewing-size preview (long side
1600, `Colorizer.render`) and its QImage. The one-off cost of preparing a photo (reading and
scaling the 12 MP scan, done when hint mode is switched on) is printed separately.

    python bench/hint_latency.py [--model NAME] [--render-size 512] [--repeats 8] [--threads 0]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from colorizer_gui.workspace.engine_worker import PREVIEW_LONG_SIDE, qimage_from_rgb, scaled_lightness  # noqa: E402
from engine.hint_suggestions import HintSession  # noqa: E402
from engine.hints import Hint  # noqa: E402
from engine.infer import DEFAULT_RENDER_SIZE, Colorizer  # noqa: E402
from engine.photo_io import read_photo  # noqa: E402


def make_12mp(path: Path) -> None:
    rng = np.random.default_rng(0)
    h, w = 3000, 4000
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    grey = 60 + 120 * (x / w) * 0.6 + 120 * (y / h) * 0.4 + 25 * np.sin(x / 90) * np.cos(y / 70)
    grey += rng.normal(0, 6, (h, w))
    Image.fromarray(np.clip(grey, 0, 255).astype(np.uint8), "L").save(path, quality=92)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--model")
    p.add_argument("--photo", type=Path, help="default: a synthetic 4000x3000 JPEG")
    p.add_argument("--render-size", type=int, default=DEFAULT_RENDER_SIZE)
    p.add_argument("--repeats", type=int, default=8)
    p.add_argument("--threads", type=int, default=0)
    args = p.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as tmp:
        path = args.photo or Path(tmp) / "twelve.jpg"
        if args.photo is None:
            make_12mp(path)
        colorizer = Colorizer(args.model, device="cpu")
        t0 = time.perf_counter()
        photo = read_photo(path)
        t1 = time.perf_counter()
        session = HintSession(colorizer, photo, args.render_size)
        preview_L = scaled_lightness(photo.lightness, PREVIEW_LONG_SIDE)
        t2 = time.perf_counter()
        w, h = photo.size
        print(f"photo {w}x{h} ({w * h / 1e6:.1f} MP), model {colorizer.name}, render size {args.render_size} "
              f"-> {session.dims[0]}x{session.dims[1]}, torch threads {torch.get_num_threads()}")
        print(f"one-off per photo: read {t1 - t0:.3f} s, prepare (render-scale + preview lightness) {t2 - t1:.3f} s")
        session.predict([])  # warm-up
        rng = np.random.default_rng(1)
        net_s, render_s, total_s = [], [], []
        hints: list[Hint] = []
        for _ in range(args.repeats):
            hints = hints[-2:] + [Hint(float(rng.uniform(0, w)), float(rng.uniform(0, h)), "#3366cc")]
            start = time.perf_counter()
            pred = session.predict(hints)
            mid = time.perf_counter()
            qimage_from_rgb(colorizer.render(preview_L, pred.chroma, 1.0))
            end = time.perf_counter()
            net_s.append(mid - start)
            render_s.append(end - mid)
            total_s.append(end - start)
        for name, values in (("network", net_s), ("preview render", render_s), ("release -> preview", total_s)):
            print(f"{name:20s} median {statistics.median(values):.3f} s   max {max(values):.3f} s")
        print(f"target < 0.5 s: {'met' if statistics.median(total_s) < 0.5 else 'NOT met'} (median)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
