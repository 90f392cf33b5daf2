"""One place that finds shipped files, from a source checkout and inside a PyInstaller bundle."""

from __future__ import annotations

import sys
from pathlib import Path


def resource_root() -> Path:
    # In a PyInstaller bundle, data files live under sys._MEIPASS (_internal/ in one-folder builds).
    return Path(getattr(sys, "_MEIPASS", Path(__file__).resolve().parents[1])) / "resources"


def resource_path(name: str) -> Path:
    if Path(name).is_absolute() or ".." in Path(name).parts:
        raise ValueError(f"not a resource name: {name}")
    return resource_root() / name
