"""Per-photo adjustments (colour hints and strength) with one undo/redo history per photo.

Plain Python; the Qt side listens via a callback. The adjustments themselves live on each
photo's queue entry (`PhotoItem.hints`, `PhotoItem.strength`), which is what the batch and the
save code read; this module only records how they got there. Every edit is a whole new state
(hints are a handful of points, plus one number), so undo/redo is a pair of stacks of tuples.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from engine.files import atomic_write
from engine.hints import Hint, hints_from_json, hints_to_json

MAX_UNDO = 200
MAX_RECENT = 8
PROJECT_VERSION = 1


_State = tuple[tuple[Hint, ...], float]   # (hints, strength) of one photo


@dataclass
class _History:
    undo: list[tuple[_State, str]] = field(default_factory=list)  # (state before, label)
    redo: list[tuple[_State, str]] = field(default_factory=list)


def _strength(item) -> float:
    return float(getattr(item, "strength", 1.0))   # plain test objects may have hints only


def _state(item) -> _State:
    return tuple(item.hints), _strength(item)


class HintStore:
    """Edits the hints and strength of photo items, remembering each photo's undo/redo history.

    `on_change(item)` is called after every change (edit, undo, redo, clear).
    """

    def __init__(self, on_change: Callable[[object], None] | None = None) -> None:
        self._histories: dict[int, _History] = {}
        self.on_change = on_change
        self.recent_colors: list[str] = []

    def _history(self, item) -> _History:
        return self._histories.setdefault(item.id, _History())

    def forget(self, item_id: int) -> None:
        self._histories.pop(item_id, None)

    # --- edits -----------------------------------------------------------------------------------

    def set_hints(self, item, hints: list[Hint] | tuple[Hint, ...], label: str = "Edit hints") -> bool:
        new = tuple(hints)
        old = tuple(item.hints)
        if new == old:
            return False
        self._push(item, (old, _strength(item)), label)
        item.hints = list(new)
        self._changed(item)
        return True

    def record_strength(self, item, before: float, label: str = "Strength change") -> bool:
        """Remember a strength change already made to `item` (the slider sets it live while dragging)."""
        if abs(float(before) - _strength(item)) < 1e-6:
            return False
        self._push(item, (tuple(item.hints), float(before)), label)
        self._changed(item)
        return True

    def _push(self, item, before: _State, label: str) -> None:
        h = self._history(item)
        h.undo.append((before, label))
        del h.undo[:-MAX_UNDO]
        h.redo.clear()

    def add(self, item, hint: Hint) -> int:
        self.set_hints(item, [*item.hints, hint], "Add hint")
        self.remember_color(hint.color)
        return len(item.hints) - 1

    def move(self, item, index: int, x: float, y: float) -> None:
        hints = list(item.hints)
        hints[index] = replace(hints[index], x=float(x), y=float(y))
        self.set_hints(item, hints, "Move hint")

    def recolor(self, item, index: int, color: str) -> None:
        hints = list(item.hints)
        hints[index] = replace(hints[index], color=color.lower())
        self.set_hints(item, hints, "Change hint colour")
        self.remember_color(color)

    def remove(self, item, index: int) -> None:
        hints = list(item.hints)
        del hints[index]
        self.set_hints(item, hints, "Remove hint")

    def clear(self, item) -> None:
        self.set_hints(item, [], "Clear hints")

    # --- history ------------------------------------------------------------------------------------

    def can_undo(self, item) -> bool:
        return item is not None and bool(self._history(item).undo)

    def can_redo(self, item) -> bool:
        return item is not None and bool(self._history(item).redo)

    def undo_label(self, item) -> str:
        h = self._history(item)
        return h.undo[-1][1] if h.undo else ""

    def redo_label(self, item) -> str:
        h = self._history(item)
        return h.redo[-1][1] if h.redo else ""

    def undo(self, item) -> bool:
        h = self._history(item)
        return self._step(item, h.undo, h.redo)

    def redo(self, item) -> bool:
        h = self._history(item)
        return self._step(item, h.redo, h.undo)

    def _step(self, item, source: list, target: list) -> bool:
        """Restore the newest state of `source`, keeping the present one on `target` to go back to."""
        if not source:
            return False
        (hints, strength), label = source.pop()
        target.append((_state(item), label))
        item.hints, item.strength = list(hints), strength
        self._changed(item)
        return True

    def remember_color(self, color: str) -> None:
        color = color.lower()
        self.recent_colors = [color] + [c for c in self.recent_colors if c != color]
        del self.recent_colors[MAX_RECENT:]

    def _changed(self, item) -> None:
        if self.on_change is not None:
            self.on_change(item)


# --- files ------------------------------------------------------------------------------------------


def hints_file_name(photo: Path) -> str:
    """The name `colorize --hints-dir` looks for: <photo stem>.json."""
    return f"{Path(photo).stem}.json"


def project_to_json(items) -> dict:
    """A project: every photo in the queue with its hints and strength."""
    return {"colorizer_project": PROJECT_VERSION,
            "photos": [{"path": str(item.path), "strength": round(float(item.strength), 4),
                        **hints_to_json(list(item.hints))} for item in items]}


def save_project(items, path: Path) -> None:
    with atomic_write(path, "w") as f:
        f.write(json.dumps(project_to_json(items), indent=2) + "\n")


def load_project(path: Path) -> list[tuple[Path, list[Hint], float]]:
    """[(photo path, hints, strength)]; relative photo paths are relative to the project file."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not isinstance(data.get("photos"), list):
        raise ValueError("not a Colorizer project file")
    out = []
    for entry in data["photos"]:
        photo = Path(entry["path"])
        if not photo.is_absolute():
            photo = Path(path).parent / photo
        out.append((photo, hints_from_json(entry), float(entry.get("strength", 1.0))))
    return out
