"""Background helpers for what the user sees: thumbnails, the "before" image, live re-renders.

Two small pools (colorizer_gui.workers), separate from the engine thread so they stay quick
while a batch runs:

- `ImageLoader` decodes originals with Pillow (JPEG draft mode makes big scans cheap) into
  thumbnails for the queue and viewing-size "before" images (the newest selection wins).
- `PreviewRenderer` re-renders the selected photo from its cached chroma when the strength
  changes. Only the newest request matters: while one render runs, a newer request replaces
  any waiting one, so dragging the slider never builds a backlog.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image, ImageOps
from PySide6.QtCore import QObject, QThreadPool, Signal
from PySide6.QtGui import QImage

from colorizer_gui.workers import LatestOnly, create_worker
from colorizer_gui.workspace.engine_worker import PREVIEW_LONG_SIDE, PreviewSource, preview_source, qimage_from_rgb
from engine.photo_io import PhotoError, read_photo

if TYPE_CHECKING:  # engine.infer loads torch, which the engine thread imports, not the window
    from engine.infer import Chroma

THUMB_SIZE = 128
_SIXTEEN_BIT = ("I;16", "I;16B", "I;16L", "I;16N", "I")


@dataclass
class ThumbnailLoaded:
    item_id: int
    thumbnail: QImage | None
    size: tuple[int, int] | None
    file_bytes: int | None
    error: str = ""


@dataclass
class BeforeLoaded:
    item_id: int
    image: QImage | None
    error: str = ""


@dataclass
class SourceLoaded:
    item_id: int
    source: PreviewSource | None
    error: str = ""


def _display_image(im: Image.Image) -> Image.Image:
    """Any Pillow image as 8-bit L or RGB for the screen."""
    if im.mode in _SIXTEEN_BIT or im.mode == "F":
        arr = np.asarray(im, dtype=np.float32)
        top = 65535.0 if arr.max(initial=0) > 255 else 255.0
        if im.mode == "F" and arr.max(initial=0) <= 1.0:
            top = 1.0
        return Image.fromarray(np.clip(arr * (255.0 / top), 0, 255).astype(np.uint8), "L")
    if im.mode in ("RGBA", "LA", "PA", "P", "RGBa", "La"):
        rgba = im.convert("RGBA")
        backdrop = Image.new("RGBA", rgba.size, (128, 128, 128, 255))
        return Image.alpha_composite(backdrop, rgba).convert("RGB")
    if im.mode in ("L", "RGB"):
        return im
    if im.mode == "1":
        return im.convert("L")
    return im.convert("RGB")


def _qimage(im: Image.Image) -> QImage:
    if im.mode == "L":
        arr = np.ascontiguousarray(np.asarray(im))
        h, w = arr.shape
        return QImage(arr.data, w, h, w, QImage.Format.Format_Grayscale8).copy()
    return qimage_from_rgb(np.asarray(im.convert("RGB")))


def load_display_image(path: Path, long_side: int) -> tuple[QImage, tuple[int, int]]:
    """The photo, upright, with its long side at most `long_side`; and its full (w, h)."""
    with Image.open(path) as im:
        full = im.size
        orientation = im.getexif().get(0x0112, 1) if hasattr(im, "getexif") else 1
        if im.format == "JPEG":
            im.draft(im.mode if im.mode in ("L", "RGB") else None, (long_side, long_side))
        im.load()
        try:
            im = ImageOps.exif_transpose(im)
        except Exception:  # noqa: BLE001 - damaged EXIF: show the photo as stored
            pass
        if orientation in (5, 6, 7, 8):
            full = (full[1], full[0])
        im = _display_image(im)
        im.thumbnail((long_side, long_side), Image.Resampling.BILINEAR, reducing_gap=2.0)
        return _qimage(im), full


def _decode_before(item_id: int, path: Path) -> BeforeLoaded:
    try:
        return BeforeLoaded(item_id, load_display_image(path, PREVIEW_LONG_SIDE)[0])
    except Exception as exc:  # noqa: BLE001 - shown as "cannot show this photo" in the viewer
        return BeforeLoaded(item_id, None, error=str(exc) or type(exc).__name__)


class ImageLoader(QObject):
    """Thumbnails and viewing-size originals, decoded on a background pool.

    Signals
    -------
    thumbnail_loaded(ThumbnailLoaded), before_loaded(BeforeLoaded), source_loaded(SourceLoaded)
    """

    thumbnail_loaded = Signal(object)
    before_loaded = Signal(object)
    source_loaded = Signal(object)

    def __init__(self, parent: QObject | None = None, *, workers: int = 1) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)              # thumbnails: every one is wanted
        self._pool.setMaxThreadCount(workers)
        self._before = LatestOnly(self, name="colorizer-before")   # the viewer's photo: the newest wins
        self._before.returned.connect(self._on_before)
        self._source_pool = QThreadPool(self)       # the viewer's lightness for re-rendering
        self._source_pool.setMaxThreadCount(1)
        self._closed = False

    def load_thumbnail(self, item_id: int, path: Path) -> None:
        if not self._closed:
            create_worker(self._thumbnail, item_id, path, _pool=self._pool,
                          _connect={"yielded": self.thumbnail_loaded})

    def load_before(self, item_id: int, path: Path) -> None:
        """Only the newest request is decoded and shown; older ones still waiting are dropped."""
        if not self._closed:
            self._before.submit(_decode_before, item_id, path)

    def load_source(self, item_id: int, path: Path, max_pixels: int | None) -> None:
        """The photo's lightness at viewing size (engine.photo_io decodes it), for re-rendering."""
        if not self._closed:
            create_worker(self._source, item_id, path, max_pixels, _pool=self._source_pool,
                          _connect={"yielded": self.source_loaded})

    def close(self) -> None:
        self._closed = True
        self._before.close()
        for pool in (self._pool, self._source_pool):
            pool.clear()          # requests not started are dropped
            pool.waitForDone()

    # Each loader is a generator that yields its result (delivered as a signal on the UI thread) or
    # nothing, when the request went stale or the loader closed while it waited.

    def _thumbnail(self, item_id: int, path: Path) -> Iterator[ThumbnailLoaded]:
        try:
            file_bytes = os.stat(path).st_size
        except OSError:
            file_bytes = None
        try:
            image, size = load_display_image(path, THUMB_SIZE)
            result = ThumbnailLoaded(item_id, image, size, file_bytes)
        except Exception as exc:  # noqa: BLE001 - a file Pillow cannot open just has no thumbnail
            result = ThumbnailLoaded(item_id, None, None, file_bytes, error=str(exc) or type(exc).__name__)
        if not self._closed:
            yield result

    def _on_before(self, _ticket: int, result: BeforeLoaded, current: bool) -> None:
        if current and not self._closed:
            self.before_loaded.emit(result)

    def _source(self, item_id: int, path: Path, max_pixels: int | None) -> Iterator[SourceLoaded]:
        if self._closed:
            return
        try:
            result = SourceLoaded(item_id, preview_source(read_photo(path, max_pixels=max_pixels)))
        except (PhotoError, MemoryError) as exc:
            result = SourceLoaded(item_id, None, str(exc) or "not enough memory")
        if not self._closed:
            yield result


@dataclass
class RenderRequest:
    item_id: int
    lightness: np.ndarray
    chroma: Chroma
    strength: float
    fast: bool
    generation: int = 0


class PreviewRenderer(QObject):
    """Re-renders the viewer's "after" image on its own thread; the newest request wins.

    Signals
    -------
    rendered(int item_id, QImage image, float strength, bool fast)
    """

    rendered = Signal(int, QImage, float, bool)

    def __init__(self, render: Callable[[np.ndarray, Chroma, float], np.ndarray | None],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._render = render
        self._latest = LatestOnly(self, name="colorizer-preview")
        self._latest.returned.connect(self._on_rendered)
        self._requests: dict[int, RenderRequest] = {}   # by ticket, until rendered or replaced
        self._closed = False

    def request(self, item_id: int, lightness: np.ndarray, chroma: Chroma, strength: float, *,
                fast: bool = False) -> None:
        if self._closed:
            return
        request = RenderRequest(item_id, lightness, chroma, strength, fast)
        request.generation = self._latest.submit(self._work, request)
        self._requests = {t: r for t, r in self._requests.items() if t == self._latest.waiting or r is request}
        self._requests[request.generation] = request

    def discard(self) -> None:
        """Forget waiting requests and ignore the running one (another photo was selected)."""
        self._latest.discard()

    @property
    def busy(self) -> bool:
        return self._latest.busy

    def close(self) -> None:
        self._closed = True
        self._latest.close()

    def _work(self, request: RenderRequest) -> tuple[RenderRequest, QImage | None]:
        try:
            rgb = self._render(request.lightness, request.chroma, request.strength)
            image = qimage_from_rgb(rgb) if rgb is not None else None
        except Exception:  # noqa: BLE001 - a failed preview just keeps the previous image
            image = None
        return request, image

    def _on_rendered(self, _ticket: int, outcome: tuple[RenderRequest, QImage | None], current: bool) -> None:
        request, image = outcome
        if self._closed:
            return
        # While the slider is dragged a newer request for the same photo is usually waiting:
        # show this one meanwhile, so the picture follows the slider.
        waiting = self._requests.get(self._latest.waiting) if self._latest.waiting is not None else None
        same_photo_waiting = waiting is not None and waiting.item_id == request.item_id
        if image is not None and (current or same_photo_waiting):
            self.rendered.emit(request.item_id, image, request.strength, request.fast)


class LruCache(OrderedDict):
    """A tiny least-recently-used cache for viewing-size images and lightness maps."""

    def __init__(self, capacity: int) -> None:
        super().__init__()
        self.capacity = capacity

    def get(self, key, default=None):
        if key in self:
            self.move_to_end(key)
            return self[key]
        return default

    def put(self, key, value) -> None:
        self[key] = value
        self.move_to_end(key)
        while len(self) > self.capacity:
            self.popitem(last=False)
