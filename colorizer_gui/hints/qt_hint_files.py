"""Hint files and project files, with the dialogs that choose them (File and Hints menus).

Export/import use the CLI's `--hints-dir` format: one <photo stem>.json per photo, so hints
placed in the app colour the same photo the same way from the command line. A project file
keeps every photo of the queue with its hints and strength (the format is in project_files.py).

Imported hints and an opened project's hints are edits in the undo history like any other
(`HintStore.set_hints`), so a wrong import can be taken back.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QMessageBox

from colorizer_gui.folders import in_start_folder, remember_folder, start_folder
from colorizer_gui.hints.edit_history import HintStore
from colorizer_gui.hints.project_files import (
    ProjectError,
    hints_file_name,
    load_project,
    outside_folder,
    save_project,
)
from engine.errors import HintError
from engine.hint_files import load_hints, save_hints

PROJECT_FILTER = "Colorizer projects (*.colorizer.json *.json)"


class HintFiles:
    """Reads and writes the hints of a `ColorizeTab`'s queue; says what it did in the tab's log."""

    def __init__(self, tab, store: HintStore) -> None:
        self.tab = tab
        self.store = store

    # --- hint files (colorize --hints-dir) ---------------------------------------------------------------

    def export_hints_to(self, folder: Path, items: Iterable | None = None) -> list[Path]:
        """Write <photo stem>.json for every photo with hints; returns the files written."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        written, seen = [], {}
        for item in items if items is not None else self.tab.queue.items:
            if not item.hints:
                continue
            name = hints_file_name(item.path)
            if name in seen:
                self.tab.activity.report("warning", f"{item.path} and {seen[name]} share the hint file name {name}; "
                                                  "only the first was exported")
                continue
            seen[name] = item.path
            path = folder / name
            save_hints(list(item.hints), path)
            written.append(path)
        return written

    def import_hints_from(self, folder: Path) -> int:
        """Read <photo stem>.json for the queue's photos; returns how many photos got hints."""
        count = 0
        for item in self.tab.queue.items:
            path = Path(folder) / hints_file_name(item.path)
            if not path.is_file():
                continue
            try:
                hints = load_hints(path)
            except HintError as exc:
                self.tab.activity.report("warning", str(exc))
                continue
            self.store.set_hints(item, hints, "Import hints")
            count += 1
        return count

    def export_hints(self) -> None:
        folder = QFileDialog.getExistingDirectory(self.tab, "Export hints to folder", start_folder())
        if folder:
            remember_folder(folder)
            written = self.export_hints_to(Path(folder))
            self.tab.activity.report("info", f"Exported hints of {len(written)} photo(s) to {folder} "
                                           f"(use: colorize … --hints-dir \"{folder}\")")

    def import_hints(self) -> None:
        folder = QFileDialog.getExistingDirectory(self.tab, "Import hints from folder", start_folder())
        if folder:
            remember_folder(folder)
            n = self.import_hints_from(Path(folder))
            self.tab.activity.report("info", f"Imported hints for {n} photo(s) from {folder}")

    # --- project files (the queue with hints and strengths) -------------------------------------------------

    def save_project_to(self, path: Path) -> None:
        save_project(self.tab.queue.items, path)

    def open_project_from(self, path: Path) -> int:
        """Add the project's photos (those still there) with their hints and strengths; returns how many.

        Raises ProjectError, changing nothing, for a file that is not a usable project. Photos
        outside the project's folder are named and added only if `confirm_outside` agrees.
        """
        entries = load_project(path)
        outside = outside_folder(entries, path)
        if outside and not self.confirm_outside(outside):
            for p in outside:
                self.tab.activity.report("warning", f"Project photo outside the project's folder not opened: {p}")
            entries = [e for e in entries if e[0] not in outside]
        missing = [p for p, _, _ in entries if not p.is_file()]
        for p in missing:
            self.tab.activity.report("warning", f"Project photo not found: {p}")
        self.tab.add_paths([p for p, _, _ in entries if p.is_file()])
        by_path = {Path(i.path).resolve(): i for i in self.tab.queue.items}
        count = 0
        for p, hints, strength in entries:
            item = by_path.get(p.resolve())
            if item is None:
                continue
            item.strength = strength
            if hints:
                self.store.set_hints(item, hints, "Open project")
            count += 1
        current = self.tab.current_item()
        if current is not None:
            self.tab.settings_panel.set_strength(current.strength)
        return count

    def confirm_outside(self, photos: list[Path]) -> bool:
        """Ask before opening photos a project names outside its own folder (their results
        would be saved beside them). Tests replace this, as the window's other questions."""
        names = "\n".join(str(p) for p in photos[:8]) + (f"\n… and {len(photos) - 8} more" if len(photos) > 8 else "")
        answer = QMessageBox.question(
            self.tab, "Open project",
            f"This project names {len(photos)} photo(s) outside its own folder:\n\n{names}\n\n"
            "Their colorized results would be saved beside them. Open them too?")
        return answer == QMessageBox.StandardButton.Yes

    def save_project_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self.tab, "Save project", in_start_folder("photos.colorizer.json"),
                                              PROJECT_FILTER)
        if path:
            remember_folder(path)
            self.save_project_to(Path(path))
            self.tab.activity.report("info", f"Saved the project to {path}")

    def open_project_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.tab, "Open project", start_folder(), PROJECT_FILTER)
        if path:
            remember_folder(path)
            try:
                n = self.open_project_from(Path(path))
            except (OSError, ProjectError, HintError) as exc:
                QMessageBox.warning(self.tab, "Open project", f"This project can't be opened: {exc}")
                return
            self.tab.activity.report("info", f"Opened {n} photo(s) from {path}")
