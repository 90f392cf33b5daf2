"""The folder every file dialog starts in: the one last used in any of them, for the whole app.

No Qt: the dialogs, the drop handler and the model manager only ask and tell it.
"""

from __future__ import annotations

from pathlib import Path

_last_folder = ""


def start_folder() -> str:
    """Where file dialogs open: the folder last used in any of them (or the home folder)."""
    return _last_folder if _last_folder and Path(_last_folder).is_dir() else str(Path.home())


def last_folder() -> str:
    """The folder last used in a file dialog or drop ("" when none yet)."""
    return _last_folder


def remember_folder(path: str | Path) -> None:
    """Note the folder of a file or folder the user just chose (file dialogs start there next)."""
    global _last_folder
    p = Path(path)
    folder = p if p.is_dir() else p.parent
    if str(folder) and folder.is_dir():
        _last_folder = str(folder)


def in_start_folder(name: str) -> str:
    """A suggested file name inside the start folder (for save dialogs)."""
    return str(Path(start_folder()) / name)
