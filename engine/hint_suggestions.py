"""Interactive colour hints without Qt: fast re-prediction, colour suggestions, reference palettes.

`HintSession` holds one photo's lightness at the network's render scale, so each hint edit
costs only one network pass (no re-reading or re-scaling a 12 MP scan). It computes exactly
what `Colorizer.predict_chroma` computes for the same photo and hints, so the GUI's preview,
its saved file and `colorize --hints-dir` all agree.

Suggestions for a clicked point are the most likely distinct modes of the network's ab
distribution there (plus the current output colour), shown at the photo's own lightness:
a hint only ever sets hue and saturation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from engine.color import clamp_to_gamut, lab_to_rgb, rgb_to_lab
from engine.hints import Hint, color_ab
from engine.infer import DEFAULT_RENDER_SIZE, Chroma, Colorizer
from engine.photo_io import Photo

MIN_MODE_DISTANCE = 15.0  # ab units between two suggested colours


@dataclass
class Prediction:
    chroma: Chroma
    probs: torch.Tensor  # (Q, h, w) softmax over the ab bins, at the chroma's scale
    hints: tuple[Hint, ...]


class HintSession:
    """One photo prepared for repeated predictions with different hints."""

    def __init__(self, colorizer: Colorizer, photo: Photo, render_size: int = DEFAULT_RENDER_SIZE) -> None:
        self.colorizer = colorizer
        self.photo_size = photo.size
        self.render_size = render_size
        self.L, self.L_small = colorizer.working_lightness(photo, render_size)
        self.dims = (self.L.shape[-1], self.L.shape[-2])

    def predict(self, hints: list[Hint] | tuple[Hint, ...] | None = None) -> Prediction:
        """The chroma for these hints (identical to `Colorizer.predict_chroma`) and its distribution.

        Through `Colorizer.predict_from_lightness`, so a preview shares the batch's one-pass-at-a-time
        rule and its CPU fallback when the GPU runs out of memory.
        """
        hints = tuple(hints or ())
        chroma, logits = self.colorizer.predict_from_lightness(self.L, self.L_small, self.photo_size,
                                                               list(hints) or None)
        with torch.inference_mode():
            probs = torch.softmax(logits.float(), dim=1).cpu()[0]
        return Prediction(chroma, probs, hints)

    # --- looking up a point ----------------------------------------------------------------------

    def cell(self, x: float, y: float, shape: tuple[int, int]) -> tuple[int, int]:
        """The (row, col) of a chroma-scale map of `shape` under photo pixel (x, y)."""
        h, w = shape
        pw, ph = self.photo_size
        col = int(np.clip(x * w / pw, 0, w - 1))
        row = int(np.clip(y * h / ph, 0, h - 1))
        return row, col

    def lightness_at(self, x: float, y: float) -> float:
        row, col = self.cell(x, y, tuple(self.L_small.shape[-2:]))
        return float(self.L_small[0, row, col])

    def color_at(self, prediction: Prediction, x: float, y: float) -> str:
        """The colour the model currently gives photo pixel (x, y), as #rrggbb."""
        row, col = self.cell(x, y, tuple(prediction.chroma.ab.shape[-2:]))
        ab = prediction.chroma.ab[:, row, col]
        return lab_hex(self.lightness_at(x, y), float(ab[0]), float(ab[1]))

    def suggestions(self, prediction: Prediction, x: float, y: float, k: int = 6,
                    lightness: float | None = None) -> list[str]:
        """The current colour at (x, y), then the most probable distinct alternatives.

        Drawn at the photo's lightness there, or at `lightness`: in a dark spot the sRGB gamut is
        so small that every colour comes out nearly black, so a chooser may ask for brighter ones.
        """
        row, col = self.cell(x, y, tuple(prediction.probs.shape[-2:]))
        L = self.lightness_at(x, y) if lightness is None else float(lightness)
        current = prediction.chroma.ab[:, row, col]
        modes = distinct_modes(prediction.probs[:, row, col], self.colorizer.net.bins, k,
                               exclude=[(float(current[0]), float(current[1]))])
        first = self.color_at(prediction, x, y) if lightness is None else lab_hex(L, float(current[0]),
                                                                                  float(current[1]))
        colours = [first] + [lab_hex(L, a, b) for a, b in modes]
        return list(dict.fromkeys(colours))[:k]


def distinct_modes(probs: torch.Tensor, bins: torch.Tensor, k: int, min_distance: float = MIN_MODE_DISTANCE,
                   exclude: list[tuple[float, float]] | None = None) -> list[tuple[float, float]]:
    """The k most probable bins (Q,) at least `min_distance` ab apart (and from `exclude`)."""
    chosen: list[tuple[float, float]] = list(exclude or [])
    out: list[tuple[float, float]] = []
    for q in torch.argsort(probs, descending=True).tolist():
        a, b = float(bins[q, 0]), float(bins[q, 1])
        if all((a - ca) ** 2 + (b - cb) ** 2 >= min_distance**2 for ca, cb in chosen):
            chosen.append((a, b))
            out.append((a, b))
            if len(out) >= k:
                break
    return out


def lab_hex(L: float, a: float, b: float) -> str:
    """#rrggbb of a Lab colour, pulled into the sRGB gamut at its lightness."""
    Lt = torch.tensor([[[float(L)]]])
    ab = clamp_to_gamut(Lt, torch.tensor([[[float(a)]], [[float(b)]]]))
    rgb = lab_to_rgb(torch.cat((Lt, ab), dim=0)).clamp(0, 1)
    r, g, bb = (int(round(float(v) * 255)) for v in rgb[:, 0, 0])
    return f"#{r:02x}{g:02x}{bb:02x}"


def with_lightness(color: str, L: float) -> str:
    """A hint colour as it will look on the photo: its hue and saturation at lightness L."""
    a, b = color_ab(color)
    return lab_hex(L, a, b)


def hex_ab(color: str) -> tuple[float, float]:
    return color_ab(color)


def reference_palette(rgb: np.ndarray, k: int = 6, min_chroma: float = 8.0, seed: int = 0) -> list[str]:
    """A few representative colours of a colour photo (H, W, 3 uint8), most common first.

    k-means in ab over the photo's colourful pixels; each colour is returned at its cluster's
    median lightness (only its hue and saturation will be used as a hint).
    """
    rgb = np.asarray(rgb)[..., :3]
    step = max(1, int(np.sqrt(rgb.shape[0] * rgb.shape[1] / 40000)))
    small = torch.from_numpy(np.ascontiguousarray(rgb[::step, ::step])).permute(2, 0, 1).float() / 255
    lab = rgb_to_lab(small).reshape(3, -1).T
    chroma = lab[:, 1:].norm(dim=1)
    lab = lab[chroma >= min_chroma]
    if lab.shape[0] < k:
        return []
    gen = torch.Generator().manual_seed(seed)
    centres = lab[torch.randperm(lab.shape[0], generator=gen)[:k], 1:].clone()
    for _ in range(15):
        assign = torch.cdist(lab[:, 1:], centres).argmin(dim=1)
        for j in range(k):
            members = lab[assign == j, 1:]
            if len(members):
                centres[j] = members.mean(dim=0)
    assign = torch.cdist(lab[:, 1:], centres).argmin(dim=1)
    counts = torch.bincount(assign, minlength=k)
    out = []
    for j in torch.argsort(counts, descending=True).tolist():
        if counts[j] == 0:
            continue
        L = float(lab[assign == j, 0].median())
        out.append(lab_hex(L, float(centres[j, 0]), float(centres[j, 1])))
    return list(dict.fromkeys(out))
