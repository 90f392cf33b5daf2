"""Hint files and projects on disk: the name `colorize --hints-dir` looks for, and a project
(every photo in the queue with its hints and strength) saved and opened from the File menu."""

from __future__ import annotations

import json
from pathlib import Path

from engine.files import atomic_write
from engine.hint_files import Hint, hints_from_json, hints_to_json

PROJECT_VERSION = 1


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
