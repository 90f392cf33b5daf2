"""The Colorize tab's dealings with files outside the queue: the Open and Save as dialogs, the
bundled sample photos, and showing a result in the system's viewer or file manager."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from PySide6.QtCore import QProcess, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QFileDialog, QWidget

from colorizer_gui.folders import remember_folder, start_folder
from colorizer_gui.settings import GuiSettings
from colorizer_gui.workspace.photo_queue import PhotoItem
from engine.catalog import user_data_dir
from engine.files import atomic_write
from engine.options import FORMATS, READABLE_SUFFIXES
from engine.resources import resource_path

PHOTO_FILTER = ("Photos (" + " ".join(f"*{s}" for s in sorted(READABLE_SUFFIXES)) + ");;All files (*)")


def ask_photos(parent: QWidget) -> list[str]:
    files, _ = QFileDialog.getOpenFileNames(parent, "Add photos", start_folder(), PHOTO_FILTER)
    if files:
        remember_folder(files[0])
    return files


def ask_folder(parent: QWidget) -> str:
    return QFileDialog.getExistingDirectory(parent, "Add a folder of photos", start_folder())


def ask_save_as(parent: QWidget, item: PhotoItem, settings: GuiSettings) -> Path | None:
    """Where to save a copy of `item`: the dialog starts at the name the batch would give it."""
    fmt = settings.format or ("png" if item.path.suffix.lower() in (".bmp", ".gif") else None)
    suffix = FORMATS[fmt][1] if fmt else item.path.suffix
    folder = item.output.parent if item.output else item.path.parent
    start = folder / f"{item.path.stem}{settings.suffix}{suffix}"
    filters = ";;".join(f"{name.upper()} (*{ext})" for name, (_, ext) in FORMATS.items())
    dest, _ = QFileDialog.getSaveFileName(parent, "Save colorized photo as", str(start), filters)
    if not dest:
        return None
    remember_folder(dest)
    dest_path = Path(dest)
    if dest_path.suffix.lower() not in {ext for _, ext in FORMATS.values()} | {".jpeg", ".tiff"}:
        dest_path = dest_path.with_suffix(suffix)   # a name typed without a known ending gets the format's
    return dest_path


def sample_files() -> list[Path]:
    folder = resource_path("samples")
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in READABLE_SUFFIXES)


def copy_samples() -> list[Path]:
    """The bundled sample photos, copied to a user folder: results are saved beside them, and the
    app's own folder may be read-only."""
    target = user_data_dir() / "samples"
    target.mkdir(parents=True, exist_ok=True)
    copies = []
    for src in sample_files():
        dest = target / src.name
        if not dest.exists():  # atomic: a copy cut short would pass this test forever after
            with atomic_write(dest) as out, open(src, "rb") as inp:
                shutil.copyfileobj(inp, out)
        copies.append(dest)
    return copies


def open_in_viewer(path: Path) -> None:
    QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))


def reveal_in_folder(path: Path) -> None:
    """Show a file in the system's file manager (selected where the platform allows)."""
    if sys.platform == "win32":
        QProcess.startDetached("explorer", ["/select,", str(path)])
    elif sys.platform == "darwin":
        QProcess.startDetached("open", ["-R", str(path)])
    else:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(path.parent)))
