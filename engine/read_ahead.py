"""Reading the next photo of a batch while this one is colorized and written.

Decoding (Pillow releases the GIL) and the lightness tables run on a helper thread during the
network, the rendering and the encoding of the photo before, so the second core is busy when
one stage alone would leave it idle. At most one photo is read ahead, so memory holds two
decoded photos at most, whatever the batch size. What is written, and the order and content
of results, are the same as reading each photo when its turn comes: a read's error is raised
when that photo's turn comes, from `read`, exactly where `read_photo` would have raised it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from engine.photo_io import Photo, read_photo


class ReadAhead:
    """`read(path, max_pixels)` like `LastPhoto.read`, for `colorize_job(photos=...)`, over a batch
    read in order; `close()` when the batch ends (waits for a read in flight, at most one).

    `sources` are the batch's photos in order; `needed(i)` says whether photo i will be read at
    all (not when its output exists and is to be skipped): photos that will not be are not read ahead.
    """

    def __init__(self, sources: Sequence[Path], needed: Callable[[int], bool] = lambda i: True) -> None:
        self._sources = list(sources)
        self._needed = needed
        self._cursor = 0
        import torch

        # A new thread starts with OpenMP's default count, not the one --threads set on this
        # one: the helper's lightness tiles would take every core of the machine.
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="read-ahead", initializer=torch.set_num_threads,
                                        initargs=(torch.get_num_threads(),))
        self._pending: tuple[Path, int | None, Future[Photo]] | None = None

    def read(self, path: Path, max_pixels: int | None) -> Photo:
        pending, self._pending = self._pending, None
        if pending is not None and pending[:2] == (path, max_pixels):
            future = pending[2]
            self._start_after(path, max_pixels)  # before waiting: the helper goes straight on to the next
            return future.result()
        if pending is not None:
            pending[2].cancel()  # read ahead for a photo that was not read after all (its hints failed)
        self._start_after(path, max_pixels)
        return read_photo(path, max_pixels=max_pixels)

    def close(self) -> None:
        self._pending = None
        self._pool.shutdown(wait=True, cancel_futures=True)

    def _start_after(self, path: Path, max_pixels: int | None) -> None:
        for i in range(self._cursor, len(self._sources)):
            if self._sources[i] == path:
                self._cursor = i + 1
                break
        for i in range(self._cursor, len(self._sources)):
            if self._needed(i):
                self._pending = (self._sources[i], max_pixels,
                                 self._pool.submit(read_photo, self._sources[i], max_pixels=max_pixels))
                return
