"""How far one colour hint's effect reaches: it should change its object, not the whole photo.

For each photo, one true-colour hint at a random (centre-biased) point; the chroma predicted
with it is compared with the chroma without it, as mean |change in a*b*| in bands of distance
from the hint (a fraction of the photo's long side), for every model given, side by side in one
run. "net" is the network's own response (no spreading), "app" what a user gets (with the
geodesic spreading of engine/hints.py). A local hint has a large change near 0 and almost none
in the far band.
Usage: python bench/hint_reach.py ../shared/data/val --models resources/models/colorizer-base.safetensors,NEW
       [--limit 90] [--seed 0]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.evaluate import load_truth, random_true_hints  # noqa: E402
from engine.infer import Colorizer  # noqa: E402
from engine.photo_folder import list_images  # noqa: E402
from engine.photo_io import read_photo  # noqa: E402

BANDS = ((0.0, 0.05), (0.05, 0.15), (0.15, 0.3), (0.3, 2.0))


def reach(colorizer: Colorizer, paths: list[Path], seed: int, spread: bool) -> np.ndarray:
    rng = np.random.default_rng(seed)
    sums = np.zeros(len(BANDS))
    counts = np.zeros(len(BANDS))
    for path in paths:
        truth = load_truth(path)
        photo = read_photo(path)
        hint = random_true_hints(truth, 1, rng)
        L, L_small = colorizer.working_lightness(photo)
        plain, _ = colorizer.predict_from_lightness(L, L_small, photo.size, spread=spread)
        hinted, _ = colorizer.predict_from_lightness(L, L_small, photo.size, hint, spread=spread)
        change = (hinted.ab - plain.ab).norm(dim=0).numpy()
        h, w = change.shape
        ys, xs = np.mgrid[0:h, 0:w]
        hx, hy = hint[0].x / photo.size[0] * w, hint[0].y / photo.size[1] * h
        dist = np.hypot(xs + 0.5 - hx, ys + 0.5 - hy) / max(h, w)
        for i, (lo, hi) in enumerate(BANDS):
            band = (dist >= lo) & (dist < hi)
            if band.any():
                sums[i] += change[band].mean()
                counts[i] += 1
    return sums / np.maximum(counts, 1)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("folder", type=Path)
    p.add_argument("--models", required=True, help="comma-separated model files or names")
    p.add_argument("--limit", type=int, default=90)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    paths = list_images(args.folder)
    step = len(paths) / min(args.limit, len(paths))
    paths = [paths[int(i * step)] for i in range(min(args.limit, len(paths)))]
    torch.set_grad_enabled(False)
    heads = "".join(f"{f'{lo:g}-{hi:g}' if hi < 2 else f'>{lo:g}':>10s}" for lo, hi in BANDS)
    print(f"one true-colour hint on {len(paths)} photos: mean |change in ab| by distance (share of the long side)")
    print(f"{'model':28s} {'path':4s}{heads}{'far/near':>10s}")
    for model in args.models.split(","):
        colorizer = Colorizer(model, device="cpu")
        for spread in (False, True):
            row = reach(colorizer, paths, args.seed, spread)
            print(f"{Path(model).stem[:28]:28s} {'app' if spread else 'net':4s}"
                  + "".join(f"{v:10.2f}" for v in row) + f"{row[-1] / max(row[0], 1e-9):10.3f}", flush=True)


if __name__ == "__main__":
    main()
