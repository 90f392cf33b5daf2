"""Splitter positions as text, for the settings file (so the window opens as it was left)."""

from __future__ import annotations

from PySide6.QtCore import QByteArray
from PySide6.QtWidgets import QSplitter


def splitter_states(splitters: dict[str, QSplitter]) -> dict[str, str]:
    return {name: bytes(s.saveState().toBase64()).decode() for name, s in splitters.items()}


def restore_splitter_states(splitters: dict[str, QSplitter], state: dict) -> None:
    """Put back what `splitter_states` saved; missing or damaged entries leave a splitter as it is."""
    for name, splitter in splitters.items():
        value = state.get(name)
        if isinstance(value, str) and value:
            splitter.restoreState(QByteArray.fromBase64(value.encode()))
