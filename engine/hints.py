"""User colour hints: points with a colour, in original pixel coordinates.

The points and their JSON files are `engine.hint_files` (no torch), re-exported here; this
module is what a hint does to a prediction. Only a hint's hue and saturation matter: its
lightness always comes from the photo.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from engine.color import rgb_to_lab
from engine.errors import HintError as HintError  # noqa: F401 - importers expect it here
from engine.hint_files import Hint, parse_color
from engine.hint_files import hints_from_json as hints_from_json  # noqa: F401 - importers expect them here
from engine.hint_files import hints_to_json as hints_to_json  # noqa: F401
from engine.hint_files import load_hints as load_hints  # noqa: F401
from engine.hint_files import save_hints as save_hints  # noqa: F401

HINT_PATCH = 3  # pixels at render scale, the middle of the 1-5 px patches seen in training


def color_ab(text: str) -> tuple[float, float]:
    rgb = torch.tensor(parse_color(text), dtype=torch.float32).view(3, 1, 1) / 255
    lab = rgb_to_lab(rgb)
    return float(lab[1, 0, 0]), float(lab[2, 0, 0])


def rasterize(hints: list[Hint] | None, photo_size: tuple[int, int], render_size: tuple[int, int]
              ) -> tuple[torch.Tensor, torch.Tensor]:
    """Hint maps at render scale: ab (1, 2, h, w) and mask (1, 1, h, w)."""
    w, h = render_size
    hint_ab = torch.zeros(1, 2, h, w)
    mask = torch.zeros(1, 1, h, w)
    pw, ph = photo_size
    for hint in hints or []:
        if not (0 <= hint.x < pw and 0 <= hint.y < ph):
            continue
        cx, cy = int(hint.x * w / pw), int(hint.y * h / ph)
        x0 = int(np.clip(cx - HINT_PATCH // 2, 0, w - HINT_PATCH))
        y0 = int(np.clip(cy - HINT_PATCH // 2, 0, h - HINT_PATCH))
        a, b = hint.ab()
        hint_ab[0, 0, y0 : y0 + HINT_PATCH, x0 : x0 + HINT_PATCH] = a
        hint_ab[0, 1, y0 : y0 + HINT_PATCH, x0 : x0 + HINT_PATCH] = b
        mask[0, 0, y0 : y0 + HINT_PATCH, x0 : x0 + HINT_PATCH] = 1.0
    return hint_ab, mask


# How far a hint's colour is carried beyond what the network does with it: a Gaussian over
# the length of the cheapest path from the hint, where crossing a change of lightness costs
# extra (so colour fills the hinted object and stops at its edges), times a Gaussian over the
# difference from the hint's own lightness (so a dark dress does not tint the light arm beside
# it). "blend" leaves out the path and uses straight-line distance, for comparison.
# Chosen with bench/hint_spreading.py (60 training photos, 10 true-colour hints, model 0.2,
# PSNR gain over no hints): network alone +1.14 dB, the earlier blend 0.05/8 +1.46, this
# +3.53 (straight-line blends of the same reach +3.48, but they tint faces and walls that
# merely share a grey with the hint, where the path cost keeps the colour on the hinted object).
SPREAD_MODE = "geodesic"
SPREAD_SPACE = 0.4  # sigma of distance, share of the long side
SPREAD_LIGHTNESS = 16.0  # sigma of lightness difference to the hint, CIE L units
SPREAD_EDGE = 120.0  # a change of this many L units along the path costs one sigma of distance
_GEODESIC_SWEEPS = 2
GEODESIC_GRID = 128  # cells on the long side at most; see _geodesic_on_coarse_grid


def spread_hints(ab: torch.Tensor, lightness: torch.Tensor, hints: list[Hint] | None,
                 photo_size: tuple[int, int], *, space: float | None = None,
                 lightness_sigma: float | None = None, edge: float | None = None,
                 mode: str | None = None) -> torch.Tensor:
    """Pull predicted chroma (2, h, w) towards each hint's colour around it.

    The network learns to follow hints only slowly on our CPU training budget; this makes a
    hint's colour exact at its point and carries it across the hinted object, so hints are
    dependable in the app and the CLI alike. lightness: (1, h, w) at the same scale.
    """
    mode = SPREAD_MODE if mode is None else mode
    if mode not in ("blend", "geodesic"):
        raise ValueError(f"unknown spreading mode {mode!r}")
    _, h, w = ab.shape
    pw, ph = photo_size
    points = [(hint, hint.x * w / pw - 0.5, hint.y * h / ph - 0.5)
              for hint in hints or [] if 0 <= hint.x < pw and 0 <= hint.y < ph]
    if not points:
        return ab
    space = SPREAD_SPACE if space is None else space
    lightness_sigma = SPREAD_LIGHTNESS if lightness_sigma is None else lightness_sigma
    edge = SPREAD_EDGE if edge is None else edge
    sigma = space * max(h, w)
    cells = [(min(h - 1, max(0, round(cy))), min(w - 1, max(0, round(cx)))) for _, cx, cy in points]
    if mode == "geodesic":
        dist2 = _geodesic_on_coarse_grid(lightness[0], cells, sigma / edge) ** 2
    else:
        ys = torch.arange(h, dtype=torch.float32).view(1, -1, 1)
        xs = torch.arange(w, dtype=torch.float32).view(1, 1, -1)
        dist2 = (xs - torch.tensor([p[1] for p in points]).view(-1, 1, 1)) ** 2 \
            + (ys - torch.tensor([p[2] for p in points]).view(-1, 1, 1)) ** 2
    # Beyond three sigmas nothing changes at all, so a far-away part of the photo keeps exactly
    # the network's colours.
    dist2 = torch.where(dist2 <= (3 * sigma) ** 2, dist2, torch.full_like(dist2, torch.inf))
    l_hint = torch.stack([lightness[0, iy, ix] for iy, ix in cells]).view(-1, 1, 1)
    weight = torch.exp(-dist2 / (2 * sigma**2) - (lightness[0] - l_hint) ** 2 / (2 * lightness_sigma**2))
    colours = torch.tensor([hint.ab() for hint, _, _ in points]).view(-1, 2, 1, 1)
    # How much of the hints' colour a pixel takes is their summed weight; which hint's colour
    # it takes also falls with inverse squared distance, so that each hint keeps its exact
    # colour at its own point however near another hint is.
    mix = weight / (dist2 + 1.0)
    mean_hint = (mix[:, None] * colours).sum(0) / mix.sum(0).clamp(min=1e-12)
    share = weight.sum(0).clamp(max=1.0)
    return ab * (1 - share) + mean_hint * share


def _geodesic_on_coarse_grid(lightness: torch.Tensor, seeds: list[tuple[int, int]], edge_cost: float
                             ) -> torch.Tensor:
    """`geodesic_distance` computed on a grid of at most GEODESIC_GRID cells on the long side.

    The sweeps cost time in proportion to the grid, and at high render sizes (chroma grids of
    256 or 512 cells) that would make a hint edit take seconds; distances of a sigma (40 % of
    the long side) need no finer grid than this.
    """
    h, w = lightness.shape
    factor = -(-max(h, w) // GEODESIC_GRID)
    if factor <= 1:
        return geodesic_distance(lightness, seeds, edge_cost)
    coarse = F.avg_pool2d(lightness[None, None], factor, ceil_mode=True)[0, 0]
    cells = [(y // factor, x // factor) for y, x in seeds]
    dist = geodesic_distance(coarse, cells, edge_cost) * factor
    dist = F.interpolate(dist[None], scale_factor=factor, mode="bilinear", align_corners=False)[0, :, :h, :w]
    # exact at each seed, so that every hint keeps its own colour at its point
    for i, (y, x) in enumerate(seeds):
        dist[i, y, x] = 0.0
    return dist


def geodesic_distance(lightness: torch.Tensor, seeds: list[tuple[int, int]], edge_cost: float) -> torch.Tensor:
    """Path length (n, h, w) from each seed (row, col) over an 8-connected grid of lightness (h, w).

    A step costs its length in pixels (1 or sqrt 2) plus `edge_cost` pixels per L unit of
    change. Computed with alternating directional sweeps, each a loop over rows or columns that
    is vectorised over the other axis and over the seeds, so a 128 x 96 grid takes milliseconds.
    """
    h, w = lightness.shape
    dist = torch.full((len(seeds), h, w), torch.inf)
    for i, (y, x) in enumerate(seeds):
        dist[i, y, x] = 0.0
    diagonal = 2**0.5
    step_down = 1.0 + edge_cost * (lightness[1:] - lightness[:-1]).abs()                    # (h-1, w)
    step_right = 1.0 + edge_cost * (lightness[:, 1:] - lightness[:, :-1]).abs()              # (h, w-1)
    step_down_right = diagonal + edge_cost * (lightness[1:, 1:] - lightness[:-1, :-1]).abs()  # (h-1, w-1)
    step_down_left = diagonal + edge_cost * (lightness[1:, :-1] - lightness[:-1, 1:]).abs()   # (h-1, w-1)

    def relax_row(y: int, src: int, k: int) -> None:
        # k: index of the step arrays between rows src and y (k = min(src, y))
        row, prev = dist[:, y], dist[:, src]
        best = torch.minimum(row, prev + step_down[k])
        best[:, 1:] = torch.minimum(best[:, 1:], prev[:, :-1] + (step_down_right[k] if src < y else step_down_left[k]))
        best[:, :-1] = torch.minimum(best[:, :-1], prev[:, 1:] + (step_down_left[k] if src < y else step_down_right[k]))
        dist[:, y] = best

    for _ in range(_GEODESIC_SWEEPS):
        for y in range(1, h):
            relax_row(y, y - 1, y - 1)
        for y in range(h - 2, -1, -1):
            relax_row(y, y + 1, y)
        for x in range(1, w):
            dist[:, :, x] = torch.minimum(dist[:, :, x], dist[:, :, x - 1] + step_right[:, x - 1])
        for x in range(w - 2, -1, -1):
            dist[:, :, x] = torch.minimum(dist[:, :, x], dist[:, :, x + 1] + step_right[:, x])
    return dist
