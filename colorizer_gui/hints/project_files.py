"""Hint files and projects on disk: the name `colorize --hints-dir` looks for, and a project
(every photo in the queue with its hints and strength) saved and opened from the File menu."""

from __future__ import annotations

import json
from pathlib import Path

from engine.errors import HintError
from engine.files import atomic_write
from engine.hint_files import Hint, hints_from_json, hints_to_json
from engine.options import MAX_STRENGTH

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


class ProjectError(ValueError):
    """A project file that cannot be opened; the message is one plain line for the dialog."""


def load_project(path: Path) -> list[tuple[Path, list[Hint], float]]:
    """[(photo path, hints, strength)]; relative photo paths are relative to the project file.

    Everything is checked before anything is used, so a damaged or hostile file gives one
    ProjectError and changes nothing: each photo needs a text path, its strength a number
    from 0 to MAX_STRENGTH, its hints the hint-file form.
    """
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8-sig"))
    except RecursionError as exc:
        raise ProjectError("it is nested too deeply to be a Colorizer project") from exc
    except (OSError, ValueError) as exc:  # JSON and UTF-8 errors are ValueErrors
        raise ProjectError(f"it cannot be read ({exc})") from exc
    if not isinstance(data, dict) or not isinstance(data.get("photos"), list):
        raise ProjectError("it is not a Colorizer project file")
    out = []
    for number, entry in enumerate(data["photos"], 1):
        if not isinstance(entry, dict) or not isinstance(entry.get("path"), str) or not entry["path"]:
            raise ProjectError(f"photo {number} in it has no file path")
        strength = entry.get("strength", 1.0)
        if isinstance(strength, bool) or not isinstance(strength, (int, float)) \
                or not 0 <= strength <= MAX_STRENGTH:  # NaN fails both comparisons
            raise ProjectError(f"photo {number} in it has a strength that is not a number from 0 to {MAX_STRENGTH:g}")
        try:
            hints = hints_from_json({"points": entry.get("points", [])})
        except HintError as exc:
            raise ProjectError(f"photo {number} in it has unusable hints ({exc})") from exc
        photo = Path(entry["path"])
        if not photo.is_absolute():
            photo = Path(path).parent / photo
        out.append((photo, hints, float(strength)))
    return out


def outside_folder(entries: list[tuple[Path, list[Hint], float]], project: Path) -> list[Path]:
    """The project's photos that are not in its folder (or below it): a project from someone
    else may name any file, and the photo's result is saved beside it."""
    folder = Path(project).resolve().parent
    return [photo for photo, _, _ in entries if not photo.resolve().is_relative_to(folder)]
