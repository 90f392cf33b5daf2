"""Adding photos to the queue: which of the files and folders dropped or opened become rows,
and which are skipped, each with the reason the user is told (not a photo, already queued...).

No Qt objects: the controller adds the rows this makes to its queue and logs the reasons.
"""

from __future__ import annotations

from collections.abc import Iterable, Set
from dataclasses import dataclass
from pathlib import Path

from colorizer_gui.workspace.photo_queue import PhotoItem, PhotoStatus, path_key
from engine.batch import collect_inputs, is_image_name, split_own_outputs

ALREADY_QUEUED = "already in the queue"
# A result saved earlier (its label says so): colorizing it again would give x_color_color.jpg.
COLORIZER_RESULT = "a Colorizer result, not colorized again (open it on its own, then Retry, to do so)"


@dataclass
class Skipped:
    path: str
    reason: str


def photos_to_add(paths: Iterable[str | Path], *, queued: Set[str], strength: float,
                  in_batch: bool) -> tuple[list[PhotoItem], list[Skipped]]:
    """New rows for the photos among `paths` (folders searched recursively) whose `path_key` is
    not in `queued`, starting at colour `strength`; and what was skipped, with reasons."""
    skipped: list[Skipped] = []
    wanted: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_file() and not is_image_name(path):
            skipped.append(_not_a_photo(path))
        elif path.is_dir():
            wanted.append(path)
            skipped.extend(_other_files_in(path))
        else:
            wanted.append(path)
    inputs, problems = collect_inputs(wanted, recursive=True)
    skipped.extend(Skipped(p, reason) for p, reason in problems)
    inputs, ours = split_own_outputs(inputs)
    skipped.extend(Skipped(str(found.path), COLORIZER_RESULT) for found in ours)
    items: list[PhotoItem] = []
    seen = set(queued)
    for found in inputs:
        key = path_key(found.path)
        if key in seen:
            skipped.append(Skipped(str(found.path), ALREADY_QUEUED))
            continue
        seen.add(key)
        items.append(PhotoItem(found.path, root=found.root, strength=strength, in_batch=in_batch))
    return items, skipped


def skipped_rows(skipped: Iterable[Skipped]) -> list[PhotoItem]:
    """Rows marked "Skipped" for the files the user picked that cannot be colorized, so they
    see why (a file already queued has its row; a folder or a missing name has none). A
    Colorizer result picked by name can still be colorized again from its row."""
    return [PhotoItem(Path(s.path), status=PhotoStatus.SKIPPED, message=s.reason,
                      readable=s.reason == COLORIZER_RESULT)
            for s in skipped if s.reason != ALREADY_QUEUED and Path(s.path).is_file()]


def _not_a_photo(path: Path) -> Skipped:
    return Skipped(str(path), f"not a photo Colorizer can read ({path.suffix.lower() or 'no extension'})")


def _other_files_in(folder: Path, limit: int = 10_000) -> list[Skipped]:
    """Files in a dropped folder that are not photos, so they are reported rather than ignored."""
    others = []
    try:
        for n, path in enumerate(folder.rglob("*")):
            if n > limit:
                break
            if path.is_file() and not is_image_name(path) and not path.name.startswith("."):
                others.append(_not_a_photo(path))
    except OSError:
        pass
    return others
