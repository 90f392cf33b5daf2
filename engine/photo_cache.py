"""The last photo decoded, kept so that one view of a photo decodes its file once.

The app predicts a photo's colours for the viewer, may colorize it in a batch, and saves it
again after the strength changes: each step needs the full-resolution lightness, and a
12 MP JPEG costs a quarter of a second (a 16-bit TIFF far more) to decode. `LastPhoto` keeps
the one most recently decoded, keyed by the file's identity (path, inode, size, modification and change
times) and the pixel limit it was read with, so an edited or replaced file is read again.
"""

from __future__ import annotations

import os
from pathlib import Path

from engine.options import DEFAULT_MAX_PIXELS
from engine.photo_io import Photo, read_photo

# Above this a photo is not kept: holding its lightness (4 bytes a pixel) between steps would
# cost more memory than decoding it again costs time.
KEEP_MAX_PIXELS = 50_000_000


def _identity(path: Path, max_pixels: int | None) -> tuple | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    # ctime and inode too: a file replaced by another of the same size with its time kept (cp -p)
    # is still a new file.
    return str(Path(path).resolve()), st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns, max_pixels


class LastPhoto:
    """One decoded photo, reused while its file is unchanged. Not thread-safe: one owner thread."""

    def __init__(self, keep_max_pixels: int = KEEP_MAX_PIXELS) -> None:
        self.keep_max_pixels = keep_max_pixels
        self._key: tuple | None = None
        self._photo: Photo | None = None
        self.decodes = 0   # files actually decoded (tests, benchmarks)

    def get(self, path: Path, max_pixels: int | None = DEFAULT_MAX_PIXELS) -> Photo | None:
        """The kept photo if it is this file as it is now, read with this limit; else None."""
        return self._match(_identity(path, max_pixels))

    def read(self, path: Path, max_pixels: int | None = DEFAULT_MAX_PIXELS) -> Photo:
        """The photo, decoded only if it is not the one kept (raises what read_photo raises)."""
        # The identity is taken before decoding: a file replaced meanwhile is read again next time.
        key = _identity(path, max_pixels)
        photo = self._match(key)
        if photo is None:
            photo = read_photo(path, max_pixels=max_pixels)
            self.decodes += 1
            self._keep(key, photo)
        return photo

    def clear(self) -> None:
        self._key, self._photo = None, None

    def _match(self, key: tuple | None) -> Photo | None:
        return self._photo if key is not None and key == self._key else None

    def _keep(self, key: tuple | None, photo: Photo) -> None:
        w, h = photo.size
        if key is None or w * h > self.keep_max_pixels:
            self.clear()
        else:
            self._key, self._photo = key, photo
