"""How long something takes, in words: the one formatter for the CLI, fine-tuning and the app."""

from __future__ import annotations

import math

__all__ = ["format_duration"]


def format_duration(seconds: float | None, *, with_seconds: bool = False, compact: bool = False) -> str:
    """"45 s", "12 min", "1 h 05 min"; "unknown" when there is no number (None, NaN, negative).

    Minutes are rounded: an estimate is not more precise than that. `with_seconds` keeps the
    seconds under ten minutes ("3 min 05 s"), for a count-down that should visibly move.
    `compact` is for log lines: "3m05s", "1h02m", and "?" when unknown.
    """
    if seconds is None or not math.isfinite(seconds) or seconds < 0:
        return "?" if compact else "unknown"
    if compact:
        h, rem = divmod(int(seconds), 3600)
        m, s = divmod(rem, 60)
        return f"{h}h{m:02d}m" if h else f"{m}m{s:02d}s"
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    if with_seconds and whole < 600:
        return f"{whole // 60} min {whole % 60:02d} s"
    minutes = whole // 60 if with_seconds else round(whole / 60)
    if minutes < 60:
        return f"{minutes} min"
    h, m = divmod(minutes, 60)
    return f"{h} h {m:02d} min"
