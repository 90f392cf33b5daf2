"""Per-photo adjustments (colour hints and strength) with one undo/redo history per photo, and
the window-wide settings (Detail, output, model) with a history of their own.

Plain Python; the Qt side listens via callbacks. The adjustments themselves live on each
photo's queue entry (`PhotoItem.hints`, `PhotoItem.strength`), which is what the batch and the
save code read; this module only records how they got there. Every edit is a whole new state
(hints are a handful of points, plus one number), so undo/redo is a pair of stacks of tuples.

Undo takes back whatever was done last among the selected photo's edits and the window's
settings, so Ctrl+Z after changing Detail restores Detail even though a photo is selected: every
step carries a number from one counter, and the newer of the two candidates wins.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from engine.hint_files import Hint

MAX_UNDO = 200
MAX_RECENT = 8


_State = tuple[tuple[Hint, ...], float]   # (hints, strength) of one photo
_Settings = tuple[tuple[str, object], ...]  # (setting name, value) pairs of the window


@dataclass
class _History:
    undo: list[tuple[object, str, int]] = field(default_factory=list)  # (state before, label, step number)
    redo: list[tuple[object, str, int]] = field(default_factory=list)


def _strength(item) -> float:
    return float(getattr(item, "strength", 1.0))   # plain test objects may have hints only


def _state(item) -> _State:
    return tuple(item.hints), _strength(item)


class HintStore:
    """Edits the hints and strength of photo items, remembering each photo's undo/redo history.

    `on_change(item)` is called after every change (edit, undo, redo, clear);
    `on_settings_restore({name: value})` when undo or redo puts window settings back.
    """

    def __init__(self, on_change: Callable[[object], None] | None = None, *,
                 current_settings: Callable[[], dict[str, object]] | None = None,
                 on_settings_restore: Callable[[dict[str, object]], None] | None = None) -> None:
        self._histories: dict[int, _History] = {}
        self._settings = _History()
        self._steps = itertools.count(1)
        self._newest_step = 0
        self.on_change = on_change
        self.current_settings = current_settings
        self.on_settings_restore = on_settings_restore
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

    def record_settings(self, before: dict[str, object], label: str, *, merge: bool = False) -> None:
        """Remember a change of window settings already made; `before` holds the changed ones' old values.

        With `merge`, a change of the same settings straight after the previous step (nothing
        else done in between) joins it: typing a name ending is one step, not one per key.
        """
        h = self._settings
        if merge and h.undo and h.undo[-1][2] == self._newest_step and dict(h.undo[-1][0]).keys() == before.keys():
            h.redo.clear()
            return
        self._push_to(h, tuple(before.items()), label)

    def _push(self, item, before: _State, label: str) -> None:
        self._push_to(self._history(item), before, label)

    def _push_to(self, h: _History, before: object, label: str) -> None:
        h.undo.append((before, label, self._next_step()))
        del h.undo[:-MAX_UNDO]
        h.redo.clear()

    def _next_step(self) -> int:
        self._newest_step = next(self._steps)
        return self._newest_step

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

    def _newest(self, item, stack: str) -> _History | None:
        """The history whose newest `stack` ('undo' or 'redo') step is the latest: the photo's or the window's."""
        candidates = [h for h in ((self._history(item) if item is not None else None), self._settings)
                      if h is not None and getattr(h, stack)]
        return max(candidates, key=lambda h: getattr(h, stack)[-1][2], default=None)

    def can_undo(self, item) -> bool:
        return self._newest(item, "undo") is not None

    def can_redo(self, item) -> bool:
        return self._newest(item, "redo") is not None

    def undo_label(self, item) -> str:
        h = self._newest(item, "undo")
        return h.undo[-1][1] if h is not None else ""

    def redo_label(self, item) -> str:
        h = self._newest(item, "redo")
        return h.redo[-1][1] if h is not None else ""

    def undo(self, item) -> bool:
        h = self._newest(item, "undo")
        return h is not None and self._step(item, h, h.undo, h.redo)

    def redo(self, item) -> bool:
        h = self._newest(item, "redo")
        return h is not None and self._step(item, h, h.redo, h.undo)

    def _step(self, item, h: _History, source: list, target: list) -> bool:
        """Restore the newest state of `source`, keeping the present one on `target` to go back to.

        The step is renumbered as it moves, so redo after undo (and undo after redo) picks it again.
        """
        state, label, _ = source.pop()
        if h is self._settings:
            values = dict(state)
            now = self.current_settings() if self.current_settings is not None else {}
            target.append((tuple((name, now.get(name)) for name in values), label, self._next_step()))
            if self.on_settings_restore is not None:
                self.on_settings_restore(values)
            return True
        hints, strength = state
        target.append((_state(item), label, self._next_step()))
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
