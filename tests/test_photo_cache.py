"""One decode per photo in view (engine/photo_cache.py): the engine thread reuses it while the file is unchanged."""

from __future__ import annotations

import os

import numpy as np
import pytest
from conftest import grey_gradient
from PIL import Image

from engine.errors import PhotoError
from engine.photo_cache import LastPhoto


def _write(path, seed=0, size=(64, 48)):
    Image.fromarray(grey_gradient(*size, seed=seed)).save(path)
    return path


def test_the_same_file_is_decoded_once_and_an_edited_one_again(tmp_path):
    src = _write(tmp_path / "a.png")
    photos = LastPhoto()
    first = photos.read(src)
    assert photos.read(src) is first and photos.get(src) is first and photos.decodes == 1

    _write(src, seed=1)                        # replaced by other pixels (size and time change)
    st = os.stat(src)
    os.utime(src, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    assert photos.get(src) is None
    again = photos.read(src)
    assert photos.decodes == 2 and not np.array_equal(again.lightness, first.lightness)

    assert photos.read(src, max_pixels=10_000) is not again        # another limit: another decode
    assert photos.decodes == 3


def test_a_file_replaced_by_one_of_the_same_size_and_time_is_read_again(tmp_path):
    src, other = _write(tmp_path / "a.bmp"), _write(tmp_path / "b.bmp", seed=3)   # BMP: no compression
    assert src.stat().st_size == other.stat().st_size    # same size: only the pixels differ
    photos = LastPhoto()
    first = photos.read(src)
    st = os.stat(src)
    os.replace(other, src)                               # as `cp -p` or a sync tool would leave it
    os.utime(src, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert not np.array_equal(photos.read(src).lightness, first.lightness) and photos.decodes == 2


def test_only_one_photo_is_kept_and_big_ones_not_at_all(tmp_path):
    a, b = _write(tmp_path / "a.png"), _write(tmp_path / "b.png", seed=2)
    photos = LastPhoto(keep_max_pixels=64 * 48)
    photos.read(a)
    photos.read(b)
    assert photos.get(a) is None and photos.get(b) is not None
    big = _write(tmp_path / "big.png", size=(65, 48))
    photos.read(big)
    assert photos.get(big) is None and photos.get(b) is None   # nothing held for it, nor stale


def test_an_unreadable_file_raises_and_keeps_nothing(tmp_path):
    good, bad = _write(tmp_path / "a.png"), tmp_path / "bad.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    photos = LastPhoto()
    photos.read(good)
    with pytest.raises(PhotoError):
        photos.read(bad)
    assert photos.get(bad) is None and photos.decodes == 1


def test_preview_colorize_and_save_of_one_photo_decode_it_once(tmp_path, tiny_model_path, qapp):
    from colorizer_gui.workspace.engine_worker import EngineWorker, JobTask, LoadModelTask, PreviewTask, SaveTask
    from engine.batch import BatchSettings, Job
    from engine.photo_io import read_photo

    src = _write(tmp_path / "photo.png", size=(96, 64))
    worker = EngineWorker()
    outcomes: list = []
    worker.finished.connect(outcomes.append)
    worker.execute(LoadModelTask(str(tiny_model_path), "cpu"))
    worker.execute(PreviewTask(1, src, [], 256, None))
    chroma = outcomes[-1].chroma
    worker.execute(JobTask(1, Job(src, tmp_path / "photo_color.png", "png"), BatchSettings(max_pixels=None),
                           chroma=chroma))
    assert outcomes[-1].result.status == "done", outcomes[-1].result.message
    worker.execute(SaveTask(1, src, chroma, 0.5, tmp_path / "photo_half.png", "png", 90, False, None))
    assert outcomes[-1].ok, outcomes[-1].message
    assert worker.photos.decodes == 1

    # What was saved is what a fresh decode gives: the kept photo was not changed on the way.
    expected = worker.colorizer.render(read_photo(src, max_pixels=None).lightness, chroma, 0.5)
    with Image.open(tmp_path / "photo_half.png") as im:
        assert np.array_equal(np.asarray(im.convert("RGB")), expected)
