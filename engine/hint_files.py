"""Colour hints as plain data: the `Hint` point and the JSON files that hold hints.

Importing this loads neither numpy nor torch, so the app can show, move, save and load hints
before the model (and torch) has loaded; what the network does with a hint is in
`engine.hints`, which re-exports these names.

Stored as JSON `{"points": [{"x": px, "y": px, "color": "#rrggbb"}]}`, the same files the
GUI exports and `colorize --hints-dir` reads.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path

from engine.errors import HintError
from engine.files import atomic_write

_HEX = re.compile(r"^#?([0-9a-fA-F]{6})$")
# Each hint costs a pass over the photo when its colour is spread (engine.hints): 100,000
# points took 237 s and 5.9 GB for a 384x256 photo. A hint colours a whole object, so a few
# dozen are plenty; a thousand is far past any real use.
MAX_HINTS = 1000


@dataclass(frozen=True)
class Hint:
    x: float
    y: float
    color: str  # "#rrggbb"

    def ab(self) -> tuple[float, float]:
        from engine.hints import color_ab  # torch: only once a hint's colour is computed with

        return color_ab(self.color)


def parse_color(text: str) -> tuple[int, int, int]:
    m = _HEX.match(text.strip())
    if not m:
        raise HintError(f"not a #rrggbb colour: {text!r}")
    v = int(m.group(1), 16)
    return (v >> 16) & 255, (v >> 8) & 255, v & 255


def check_hint_count(count: int) -> None:
    """Refuse more hints than any real photo needs (HintError): their cost grows with each."""
    if count > MAX_HINTS:
        raise HintError(f"{count:,} colour hints for one photo; at most {MAX_HINTS:,} can be used "
                        "(a hint colours a whole object, so a few dozen are plenty)")


def usable_hints(hints: list[Hint] | None, photo_size: tuple[int, int]) -> list[Hint]:
    """The hints that fall on the photo (finite coordinates inside it); the rest do nothing."""
    w, h = photo_size
    return [hint for hint in hints or () if math.isfinite(hint.x) and math.isfinite(hint.y)
            and 0 <= hint.x < w and 0 <= hint.y < h]


def hints_from_json(data: dict) -> list[Hint]:
    if not isinstance(data, dict) or not isinstance(data.get("points"), list):
        raise HintError('hint file must look like {"points": [{"x": 10, "y": 20, "color": "#aabbcc"}]}')
    check_hint_count(len(data["points"]))
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
        # utf-8-sig: Notepad starts the files it saves with a byte-order mark
        return hints_from_json(json.loads(Path(path).read_text(encoding="utf-8-sig")))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise HintError(f"cannot read hints from {Path(path).name}: {exc}") from exc


def hints_to_json(hints: list[Hint]) -> dict:
    return {"points": [{"x": round(h.x, 2), "y": round(h.y, 2), "color": h.color} for h in hints]}


def save_hints(hints: list[Hint], path: Path) -> None:
    with atomic_write(path, "w") as f:
        f.write(json.dumps(hints_to_json(hints), indent=2) + "\n")
