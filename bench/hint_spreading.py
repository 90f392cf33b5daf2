"""How far should a hint's colour be carried? Measures PSNR with random true-colour hints.

The network runs once per photo and hint set; every spreading setting (engine.hints.spread_hints:
mode, spatial sigma, lightness sigma) is then applied to the same raw prediction, so the
settings are compared side by side in one run. Tune on training photos, not on `val/`, so
that the reported validation numbers stay honest:

    python bench/hint_spreading.py ../shared/data/train --limit 80 --hints 10
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.evaluate import load_truth, random_true_hints  # noqa: E402
from engine.hints import SPREAD_EDGE, SPREAD_LIGHTNESS, SPREAD_MODE, SPREAD_SPACE, spread_hints  # noqa: E402
from engine.infer import DEFAULT_RENDER_SIZE, Colorizer  # noqa: E402
from engine.metrics import psnr  # noqa: E402
from engine.photo_folder import list_images  # noqa: E402
from engine.photo_io import read_photo  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--model", default=None)
    parser.add_argument("--limit", type=int, default=80)
    parser.add_argument("--hints", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--spaces", default="0.03,0.05,0.1,0.15,0.25")
    parser.add_argument("--lightness", default="8,16,1000", help="sigmas of lightness difference (L units)")
    parser.add_argument("--edges", default="30,60,120", help="geodesic: L change that costs one sigma")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    rng = np.random.default_rng(args.seed)
    paths = sorted(list_images(args.folder))
    paths = [paths[i] for i in sorted(rng.choice(len(paths), min(args.limit, len(paths)), replace=False))]
    colorizer = Colorizer(args.model, device="cpu")
    spaces = [float(v) for v in args.spaces.split(",")]
    lightness = [float(v) for v in args.lightness.split(",")]
    settings = [("none", 0.0, 0.0, 0.0)]
    settings += [("blend", s, v, 0.0) for s, v in itertools.product(spaces, lightness)]
    settings += [("geodesic", s, v, float(e))
                 for s, v, e in itertools.product(spaces, lightness, args.edges.split(","))]
    totals = dict.fromkeys(settings, 0.0)
    no_hints = 0.0
    start = time.perf_counter()
    for path in paths:
        truth = load_truth(path)
        photo = read_photo(path)
        L, L_small = colorizer.working_lightness(photo, DEFAULT_RENDER_SIZE)
        auto, _ = colorizer.predict_from_lightness(L, L_small, photo.size)
        no_hints += psnr(colorizer.render(photo.lightness, auto), truth)
        hints = random_true_hints(truth, args.hints, rng)
        raw, _ = colorizer.predict_from_lightness(L, L_small, photo.size, hints, spread=False)
        for setting in settings:
            mode, space, lightness_sigma, edge = setting
            chroma = raw
            if mode != "none":
                ab = spread_hints(raw.ab, L_small, hints, photo.size, space=space,
                                  lightness_sigma=lightness_sigma, edge=edge or None, mode=mode)
                chroma = dataclasses.replace(raw, ab=ab)
            totals[setting] += psnr(colorizer.render(photo.lightness, chroma), truth)
    n = len(paths)
    print(f"{n} photos from {args.folder}, {args.hints} random true-colour hints, "
          f"model {colorizer.name}, {time.perf_counter() - start:.0f} s")
    print(f"current default: mode={SPREAD_MODE} space={SPREAD_SPACE} lightness={SPREAD_LIGHTNESS} "
          f"edge={SPREAD_EDGE}")
    print(f"{'mode':8} {'space':>6} {'L sigma':>7} {'edge':>5} {'PSNR':>7} {'gain':>6}")
    print(f"{'(no hints)':29} {no_hints / n:7.2f} {0:6.2f}")
    for setting in sorted(settings, key=lambda k: -totals[k]):
        mode, space, lightness_sigma, edge = setting
        value = totals[setting] / n
        print(f"{mode:8} {space:6.2f} {lightness_sigma:7.0f} {edge:5.0f} {value:7.2f} {value - no_hints / n:+6.2f}")


if __name__ == "__main__":
    main()
