"""Which dropped files and folders become queue rows, and why the others are skipped
(adding_photos: no Qt objects, no engine)."""

from __future__ import annotations

from colorizer_gui.workspace.adding_photos import ALREADY_QUEUED, photos_to_add, skipped_rows
from colorizer_gui.workspace.photo_queue import PhotoStatus, path_key


def test_photos_become_rows_and_the_rest_say_why(make_photo, tmp_path):
    a = make_photo("a.jpg")
    b = make_photo("b.png", folder=tmp_path / "roll" / "sub")
    (tmp_path / "roll" / "notes.txt").write_text("x")
    (tmp_path / "readme").write_text("x")
    queued = {path_key(tmp_path / "roll" / ".." / "a.jpg")}   # the same file, named another way
    items, skipped = photos_to_add([a, tmp_path / "roll", tmp_path / "readme", tmp_path / "missing.jpg", b],
                                   queued=queued, strength=0.7, in_batch=True)
    assert [(i.path, i.root, i.strength, i.in_batch) for i in items] == [(b, tmp_path / "roll", 0.7, True)]
    reasons = {s.path: s.reason for s in skipped}
    assert reasons[str(a)] == ALREADY_QUEUED
    assert str(b) not in reasons                                       # named twice, added once
    assert reasons[str(tmp_path / "roll" / "notes.txt")] == "not a photo Colorizer can read (.txt)"
    assert reasons[str(tmp_path / "readme")] == "not a photo Colorizer can read (no extension)"
    assert reasons[str(tmp_path / "missing.jpg")] == "no such file or folder"
    rows = skipped_rows(skipped)   # the files picked that cannot be colorized, not the queued or missing
    assert sorted(r.path.name for r in rows) == ["notes.txt", "readme"]
    assert all(r.status is PhotoStatus.SKIPPED and not r.readable for r in rows)
