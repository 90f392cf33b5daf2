"""The hidden temporary file of an atomic write never outlives a stop that lands the moment it is made."""

from __future__ import annotations

import os

import pytest

from engine.files import atomic_write


def test_a_stop_just_after_the_temporary_file_is_made_leaves_nothing(tmp_path, monkeypatch):
    """Ctrl-C or kill (raised as KeyboardInterrupt) can land between the file's creation and the
    writer learning its name; with other threads holding the GIL (a batch reading its next
    photo) that gap lasts milliseconds. The file must still be removed."""
    real_open = os.open

    def open_then_stop(path, flags, mode=0o777, *args, **kwargs):
        fd = real_open(path, flags, mode, *args, **kwargs)
        if str(path).endswith(".partial"):
            os.close(fd)
            raise KeyboardInterrupt
        return fd

    monkeypatch.setattr(os, "open", open_then_stop)
    with pytest.raises(KeyboardInterrupt), atomic_write(tmp_path / "out" / "photo_color.jpg") as handle:
        handle.write(b"never")
    monkeypatch.undo()
    assert not (tmp_path / "out").exists() or list((tmp_path / "out").iterdir()) == []
