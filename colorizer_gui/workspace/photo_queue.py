"""Per-photo state and the queue model the list view shows.

`PhotoItem` is the one place a photo's state lives: its status, output, colour strength, the
colour hints placed on it (issue #6) and the cached chroma prediction that lets the viewer
re-render it in an instant. Items are only ever changed on the UI thread; the engine thread
gets plain copies of what it needs and answers with outcome objects.
"""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass, field
from enum import Enum
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QAbstractListModel, QMimeData, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QImage

from engine.hint_files import Hint

if TYPE_CHECKING:  # engine.infer loads torch, which the engine thread imports, not the window
    from engine.infer import Chroma

_ids = itertools.count(1)
ALREADY_DONE = "Already done"
ID_MIME = "application/x-colorizer-photo-ids"
# The engine's progress stages, in the few words a queue row has room for.
_STAGE_WORDS = {"reading": "Reading", "predicting colours": "Colouring", "rendering": "Rendering", "saving": "Saving",
                "pausing": "Pausing", "cancelling": "Cancelling", "stopping": "Stopping"}


class PhotoStatus(str, Enum):
    QUEUED = "queued"
    WORKING = "working"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"
    SKIPPED = "skipped"

    @property
    def label(self) -> str:
        return {"queued": "Waiting", "working": "Colorizing", "done": "Done", "failed": "Failed",
                "cancelled": "Cancelled", "skipped": "Skipped"}[self.value]


@dataclass(frozen=True)
class ChromaKey:
    """What a chroma prediction depends on; a preview is redone when any of it changes."""

    model: str
    render_size: int
    hints: tuple[Hint, ...]


@dataclass(eq=False)
class PhotoItem:
    path: Path
    root: Path | None = None            # the dropped folder it was found in (mirrored under the output folder)
    id: int = field(default_factory=lambda: next(_ids))
    status: PhotoStatus = PhotoStatus.QUEUED
    message: str = ""                   # failure reason, or what happened
    progress: float = 0.0
    stage: str = ""
    size: tuple[int, int] | None = None  # full-resolution (w, h), once known
    file_bytes: int | None = None
    thumbnail: QImage | None = None      # the original, small
    colour_thumbnail: QImage | None = None
    thumbnail_error: str = ""
    output: Path | None = None
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    strength: float = 1.0
    hints: list[Hint] = field(default_factory=list)
    chroma: Chroma | None = None
    chroma_key: ChromaKey | None = None
    saved_strength: float | None = None  # what the file at `output` was made with
    saved_hints: tuple[Hint, ...] | None = None
    saved_key: ChromaKey | None = None   # model and render size the file's colours were predicted with
    in_batch: bool = False               # counted in the current batch's progress
    readable: bool = True                # False when the engine said the file cannot be read
    include_colour: bool = False         # the user said to colorize it though it is already in colour

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def megapixels(self) -> float:
        return self.size[0] * self.size[1] / 1e6 if self.size else 1.0

    @property
    def has_unsaved_changes(self) -> bool:
        """A finished photo whose strength, hints or preview (a new Detail or model) differ from its file."""
        if self.status is not PhotoStatus.DONE or self.saved_strength is None:
            return False
        if self.saved_key is not None and self.chroma_key is not None and self.chroma_key != self.saved_key:
            return True
        return abs(self.strength - self.saved_strength) > 1e-6 or tuple(self.hints) != self.saved_hints

    @property
    def finished(self) -> bool:
        return self.status in (PhotoStatus.DONE, PhotoStatus.FAILED, PhotoStatus.CANCELLED, PhotoStatus.SKIPPED)

    def reset_for_retry(self) -> None:
        self.status = PhotoStatus.QUEUED
        self.message = ""
        self.progress = 0.0
        self.stage = ""
        self.readable = True

    def status_text(self) -> str:
        if self.status is PhotoStatus.WORKING:
            stage = _STAGE_WORDS.get(self.stage, self.stage.capitalize() or "Colorizing")
            return f"{stage}… {self.progress * 100:.0f} %"
        if self.status is PhotoStatus.DONE and self.has_unsaved_changes:
            return "Unsaved changes"   # short: it shares the row's top line with the name
        if self.status is PhotoStatus.DONE and self.message:
            return ALREADY_DONE   # its result was there when it was added; the second line says which
        if self.status is PhotoStatus.QUEUED and self.message:
            return self.message
        return self.status.label


class QueueModel(QAbstractListModel):
    """The photos in the queue, in processing order.

    Signals
    -------
    items_changed()
        rows were added, removed or moved, or a status changed (for counts and buttons).
    """

    ItemRole = Qt.ItemDataRole.UserRole + 1
    items_changed = Signal()

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._items: list[PhotoItem] = []

    # --- Qt model interface -------------------------------------------------------------------

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._items)

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self._items):
            return None
        item = self._items[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return item.name
        if role == self.ItemRole:
            return item
        if role == Qt.ItemDataRole.ToolTipRole:
            return tooltip_for(item)
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return f"{item.name}, {item.status_text()}"
        return None

    def flags(self, index):
        base = super().flags(index)
        if index.isValid():
            return base | Qt.ItemFlag.ItemIsDragEnabled
        return base | Qt.ItemFlag.ItemIsDropEnabled

    def supportedDropActions(self):
        return Qt.DropAction.MoveAction

    def mimeTypes(self):
        return [ID_MIME]

    def mimeData(self, indexes):
        mime = QMimeData()
        ids = sorted({self._items[i.row()].id for i in indexes if i.isValid()},
                     key=lambda i: self.row_of(i))
        mime.setData(ID_MIME, ",".join(map(str, ids)).encode())
        return mime

    def canDropMimeData(self, data, action, row, column, parent):
        return data.hasFormat(ID_MIME)

    def dropMimeData(self, data, action, row, column, parent):
        if not data.hasFormat(ID_MIME):
            return False
        try:
            ids = [int(x) for x in bytes(data.data(ID_MIME)).decode().split(",") if x]
        except ValueError:
            return False
        if row < 0:
            row = parent.row() if parent.isValid() else len(self._items)
        self.move_ids_to(ids, row)
        return False  # the move is done; returning False stops the view from removing rows itself

    # --- queue operations -----------------------------------------------------------------------

    @property
    def items(self) -> list[PhotoItem]:
        return list(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def item(self, row: int) -> PhotoItem:
        return self._items[row]

    def item_by_id(self, item_id: int) -> PhotoItem | None:
        for item in self._items:
            if item.id == item_id:
                return item
        return None

    def row_of(self, item_id: int) -> int:
        for row, item in enumerate(self._items):
            if item.id == item_id:
                return row
        return -1

    def index_of(self, item_id: int) -> QModelIndex:
        row = self.row_of(item_id)
        return self.index(row) if row >= 0 else QModelIndex()

    def contains_path(self, path: Path) -> bool:
        key = path_key(path)
        return any(path_key(i.path) == key for i in self._items)

    def path_keys(self) -> set[str]:
        """`path_key` of every queued photo, so adding m photos to n costs m + n resolves, not m x n."""
        return {path_key(i.path) for i in self._items}

    def add(self, items: list[PhotoItem]) -> None:
        if not items:
            return
        first = len(self._items)
        self.beginInsertRows(QModelIndex(), first, first + len(items) - 1)
        self._items.extend(items)
        self.endInsertRows()
        self.items_changed.emit()

    def remove_ids(self, ids: list[int]) -> list[PhotoItem]:
        removed = []
        for item_id in ids:
            row = self.row_of(item_id)
            if row < 0:
                continue
            self.beginRemoveRows(QModelIndex(), row, row)
            removed.append(self._items.pop(row))
            self.endRemoveRows()
        if removed:
            self.items_changed.emit()
        return removed

    def move_ids_to(self, ids: list[int], row: int) -> None:
        """Move the given items (kept in their order) so they start at `row` (a drop position)."""
        chosen = set(ids)
        moving = [i for i in self._items if i.id in chosen]
        if not moving:
            return
        before = [i for i in self._items[:row] if i.id not in chosen]
        after = [i for i in self._items[row:] if i.id not in chosen]
        self._reorder(before + moving + after)

    def move_by(self, ids: list[int], delta: int) -> None:
        """Move items up (delta < 0) or down by whole rows, as one block in their current order."""
        chosen = set(ids)
        moving = [i for i in self._items if i.id in chosen]
        if not moving:
            return
        remaining = [i for i in self._items if i.id not in chosen]
        first = self._items.index(moving[0])
        target = max(0, min(len(remaining), first + delta))
        self._reorder(remaining[:target] + moving + remaining[target:])

    def _reorder(self, new_order: list[PhotoItem]) -> None:
        if [i.id for i in new_order] == [i.id for i in self._items]:
            return
        self.layoutAboutToBeChanged.emit()
        old_rows = {item.id: r for r, item in enumerate(self._items)}
        by_old_row = {r: i for i, r in old_rows.items()}
        persistent = self.persistentIndexList()
        self._items = new_order
        new_rows = {item.id: r for r, item in enumerate(self._items)}
        for index in persistent:
            item_id = by_old_row.get(index.row())
            if item_id is not None:
                self.changePersistentIndex(index, self.index(new_rows[item_id]))
        self.layoutChanged.emit()
        self.items_changed.emit()

    def refresh(self, item: PhotoItem, *, structural: bool = False) -> None:
        """Repaint an item's row; `structural` also updates counts and buttons."""
        row = self.row_of(item.id)
        if row >= 0:
            index = self.index(row)
            self.dataChanged.emit(index, index)
        if structural:
            self.items_changed.emit()

    def next_queued(self) -> PhotoItem | None:
        return next((i for i in self._items if i.status is PhotoStatus.QUEUED), None)

    def with_status(self, *statuses: PhotoStatus) -> list[PhotoItem]:
        return [i for i in self._items if i.status in statuses]


def path_key(path: Path) -> str:
    """One photo's identity in the queue: the same file however it was named (a link, a relative
    path, other letter case where the file system ignores case)."""
    try:
        return os.path.normcase(str(path.resolve()))
    except OSError:
        return os.path.normcase(str(path.absolute()))


def human_bytes(n: int | None) -> str:
    if n is None:
        return ""
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit in ("bytes", "KB") else f"{n:.1f} {unit}"
        n /= 1024
    return ""


def describe_size(item: PhotoItem) -> str:
    parts = []
    if item.size:
        parts.append(f"{item.size[0]} × {item.size[1]}")
    if item.file_bytes is not None:
        parts.append(human_bytes(item.file_bytes))
    return " · ".join(parts)


def adjustments_text(item: PhotoItem) -> str:
    """The photo's own adjustments in a few words ("" when it has none): strength, hints."""
    parts = []
    if abs(item.strength - 1.0) > 1e-6:
        parts.append(f"strength {round(item.strength * 100)} %")
    if item.hints:
        parts.append(f"{len(item.hints)} hint{'s' if len(item.hints) != 1 else ''}")
    return " · ".join(parts)


def tooltip_for(item: PhotoItem) -> str:
    """The row's whole story, for a name or reason the row had to cut short. Rich text, because Qt
    wraps only a rich-text tooltip: a long failure reason in plain text runs off the screen."""
    lines = [f"<b>{escape(item.name)}</b>", escape(str(item.path.parent)), f"Status: {escape(item.status_text())}"]
    if adjustments_text(item):
        lines.append(f"Adjusted: {escape(adjustments_text(item))}")
    if item.message and item.status is not PhotoStatus.QUEUED:
        lines.append(escape(f"Reason: {item.message}" if item.status is PhotoStatus.FAILED else item.message))
    if item.output:
        lines.append(f"Saved as: {escape(str(item.output))}")
    lines.extend(f"Note: {escape(n)}" for n in item.notes)
    return "<p>" + "<br>".join(lines) + "</p>"
