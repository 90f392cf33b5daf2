"""User colour hints: points with a colour, in original pixel coordinates.

Stored as JSON `{"points": [{"x": px, "y": px, "color": "#rrggbb"}]}`, the same files the
GUI exports and `colorize --hints-dir` reads. Only a hint's hue and saturation matter: its
lightness always comes from the photo.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from engine.color import rgb_to_lab

_HEX = re.compile(r"^#?([0-9a-fA-F]{6})$")
HINT_PATCH = 3  # pixels at render scale, the middle of the 1-5 px patches seen in training


class HintError(ValueError):
    pass


@dataclass(frozen=True)
class Hint:
    x: float
    y: float
    color: str  # "#rrggbb"

    def ab(self) -> tuple[float, float]:
        return color_ab(self.color)


def parse_color(text: str) -> tuple[int, int, int]:
    m = _HEX.match(text.strip())
    if not m:
        raise HintError(f"not a #rrggbb colour: {text!r}")
    v = int(m.group(1), 16)
    return (v >> 16) & 255, (v >> 8) & 255, v & 255


def color_ab(text: str) -> tuple[float, float]:
    rgb = torch.tensor(parse_color(text), dtype=torch.float32).view(3, 1, 1) / 255
    lab = rgb_to_lab(rgb)
    return float(lab[1, 0, 0]), float(lab[2, 0, 0])


def hints_from_json(data: dict) -> list[Hint]:
    if not isinstance(data, dict) or not isinstance(data.get("points"), list):
        raise HintError('hint file must look like {"points": [{"x": 10, "y": 20, "color": "#aabbcc"}]}')
    hints = []
    for i, p in enumerate(data["points"]):
        try:
            x, y, color = float(p["x"]), float(p["y"]), str(p["color"])
        except (KeyError, TypeError, ValueError) as exc:
            raise HintError(f"hint {i + 1} needs numeric x, y and a color") from exc
        parse_color(color)
        hints.append(Hint(x, y, "#" + color.strip().lstrip("#").lower()))
    return hints


def load_hints(path: Path) -> list[Hint]:
    try:
        return hints_from_json(json.loads(Path(path).read_text(encoding="utf-8")))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise HintError(f"cannot read hints from {Path(path).name}: {exc}") from exc


def hints_to_json(hints: list[Hint]) -> dict:
    return {"points": [{"x": round(h.x, 2), "y": round(h.y, 2), "color": h.color} for h in hints]}


def save_hints(hints: list[Hint], path: Path) -> None:
    Path(path).write_text(json.dumps(hints_to_json(hints), indent=2) + "\n", encoding="utf-8")


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
# distance (as a share of the photo's long side) times one over lightness difference, so the
# colour flows over the hinted object (similar grey) and stops at edges (different grey).
SPREAD_SPACE = 0.05  # sigma, share of the long side
SPREAD_LIGHTNESS = 8.0  # sigma, CIE L units


def spread_hints(ab: torch.Tensor, lightness: torch.Tensor, hints: list[Hint] | None,
                 photo_size: tuple[int, int]) -> torch.Tensor:
    """Pull predicted chroma (2, h, w) towards each hint's colour around it.

    The network learns to follow hints only slowly on our CPU training budget; this makes a
    hint's colour exact at its point and carries it across similar lightness nearby, so hints
    are dependable in the app and the CLI alike. lightness: (1, h, w) at the same scale.
    """
    if not hints:
        return ab
    _, h, w = ab.shape
    pw, ph = photo_size
    sigma = SPREAD_SPACE * max(h, w)
    ys = torch.arange(h, dtype=torch.float32).view(-1, 1)
    xs = torch.arange(w, dtype=torch.float32).view(1, -1)
    total = torch.zeros(h, w)
    pulled = torch.zeros(2, h, w)
    for hint in hints:
        if not (0 <= hint.x < pw and 0 <= hint.y < ph):
            continue
        cx, cy = hint.x * w / pw - 0.5, hint.y * h / ph - 0.5
        d2 = (xs - cx) ** 2 + (ys - cy) ** 2
        l_hint = lightness[0, min(h - 1, max(0, round(cy))), min(w - 1, max(0, round(cx)))]
        weight = torch.exp(-d2 / (2 * sigma**2) - (lightness[0] - l_hint) ** 2 / (2 * SPREAD_LIGHTNESS**2))
        weight = torch.where(d2 <= (3 * sigma) ** 2, weight, torch.zeros_like(weight))
        a, b = hint.ab()
        total += weight
        pulled[0] += weight * a
        pulled[1] += weight * b
    share = total.clamp(max=1.0)
    mean_hint = pulled / total.clamp(min=1e-6)
    return ab * (1 - share) + mean_hint * share
