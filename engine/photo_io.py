"""Reading photos into full-resolution lightness, and writing colour results safely.

Every failure becomes a `PhotoError` whose message is one plain sentence a user can act on.
Outputs are written to a hidden temporary file beside the destination and renamed into
place, so a crash, a cancel or a full disk never leaves a half-written photo.

Importing this loads no torch (the app lists, checks and writes photos before the model has
loaded): `engine.color`, which computes the lightness, is imported when a photo is first read.
"""

from __future__ import annotations

import contextlib
import errno
import html
import io
import os
import re
import stat
import struct
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
from PIL import Image, ImageCms, ImageOps, PngImagePlugin, UnidentifiedImageError

from engine.errors import DiskFull, OutputExists, PhotoError, UnreadablePhoto
from engine.files import NameTaken, atomic_write
from engine.files import is_partial_name as is_partial_name  # noqa: F401 - importers expect it here
from engine.files import remove_stale_partials as remove_stale_partials  # noqa: F401
from engine.options import DEFAULT_MAX_PIXELS, FORMATS, output_format_for
from engine.options import READABLE_SUFFIXES as READABLE_SUFFIXES  # noqa: F401 - importers expect it here
from engine.output_label import (
    JPEG_XMP_LIMIT,
    OutputLabel,
    is_colorizer_software,
    is_colorizer_xmp,
    labelled_exif,
    labelled_xmp,
)

# We check sizes ourselves (with a clear message and an override) instead of Pillow's
# global decompression-bomb guard, which raises a cryptic error half-way through a batch.
Image.MAX_IMAGE_PIXELS = None
_ORIENTATION_TAG = 0x0112
# For a TIFF, Pillow's "EXIF" is the whole first directory, with tags that describe how *that*
# file's pixels are laid out (size, bits, strips, compression...). Copied into an output they
# would contradict its real layout (a TIFF written with them cannot even be opened again).
_TIFF_LAYOUT_TAGS = frozenset({
    254, 255, 256, 257, 258, 259, 262, 263, 266, 273, 277, 278, 279, 280, 281, 284, 317, 320,
    322, 323, 324, 325, 338, 339, 340, 341, 347, 513, 514, 530, 531, 532, 34675,
})
# Colour images whose mean |a|,|b| chroma is under this are treated as grey scans.
_COLOUR_THRESHOLD = 4.0


_TRUNCATED = "the file is truncated (incomplete download or copy?)"
# Decoder messages that mean nothing to a user, in words that say what is wrong with the file.
_PLAIN_REASONS = (
    (re.compile(r"decoder error|decoding error|broken data stream|invalid (code|block|distance)|"
                r"incorrect (header|data) check", re.I),
     "the image data is damaged: its compressed pixels cannot be decoded (a corrupt copy?)"),
    (re.compile(r"Decompressed data too large|too much memory used in text chunks", re.I),
     "the file carries a text block too large to read safely (damaged, or built to exhaust memory)"),
    (re.compile(r"Unable to seek to frame|seek (beyond|outside)|no more images", re.I),
     "the file is damaged: its first image cannot be found where the file says it is"),
)


def _plain_reason(exc: BaseException) -> str | None:
    text = f"{exc}"
    for pattern, reason in _PLAIN_REASONS:
        if pattern.search(text):
            return reason
    return None


class Stopwatch:
    """Adds elapsed seconds per stage into an optional dict (the benchmark's breakdown)."""

    def __init__(self, timings: dict[str, float] | None) -> None:
        self.timings = timings
        self.last = time.perf_counter()

    def restart(self) -> None:
        self.last = time.perf_counter()

    def lap(self, stage: str) -> None:
        if self.timings is not None:
            now = time.perf_counter()
            self.timings[stage] = self.timings.get(stage, 0.0) + now - self.last
            self.last = now


@dataclass
class Photo:
    lightness: np.ndarray          # (H, W) float32, CIE L in 0..100, orientation applied
    alpha: np.ndarray | None = None  # (H, W) uint8 or uint16, kept in outputs that allow it
    bit_depth: int = 8
    exif: bytes | None = None      # with the orientation reset, since pixels are now upright
    icc_profile: bytes | None = None  # an RGB profile worth copying to an RGB output
    source_format: str = "png"     # one of FORMATS, for "same format as the input"
    was_colour: bool = False       # any colour at all, a sepia or blue tone included
    in_colour: bool = False        # a real colour photo, not a toned print (engine.photo_folder)
    path: Path | None = None
    notes: list[str] = field(default_factory=list)
    xmp: bytes | None = None       # the source's XMP packet, kept (and labelled) in outputs
    iptc: bytes | None = None      # the source's IPTC-IIM record (captions, keywords, credits), raw

    @property
    def size(self) -> tuple[int, int]:
        h, w = self.lightness.shape
        return w, h


def _open(path: Path) -> Image.Image:
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode) and not stat.S_ISDIR(info.st_mode):
            # Opening a named pipe would wait forever for a writer; a device is not a photo.
            raise UnreadablePhoto("this is not a regular file (a named pipe, socket or device), so it was not read")
        if info.st_size == 0:
            raise UnreadablePhoto("the file is empty (0 bytes)")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Pillow warns (then copes) on damaged EXIF at open
            return Image.open(path)
    except PhotoError:
        raise
    except FileNotFoundError as exc:
        raise UnreadablePhoto("the file does not exist") from exc
    except IsADirectoryError as exc:
        raise UnreadablePhoto("this is a folder, not a photo") from exc
    except PermissionError as exc:
        raise UnreadablePhoto("permission denied: this file cannot be read") from exc
    except UnidentifiedImageError as exc:
        raise UnreadablePhoto("not an image in a format Colorizer can read") from exc
    except (OSError, EOFError) as exc:
        if (plain := _plain_reason(exc)) is not None:
            raise UnreadablePhoto(plain) from exc
        if isinstance(exc, EOFError) or "truncated" in str(exc).lower():
            raise UnreadablePhoto(_TRUNCATED) from exc
        raise UnreadablePhoto(f"the file cannot be read ({getattr(exc, 'strerror', None) or exc})") from exc
    except Exception as exc:  # noqa: BLE001 - a format plugin choking on a damaged header
        if (plain := _plain_reason(exc)) is not None:
            raise UnreadablePhoto(plain) from exc
        raise UnreadablePhoto(f"the file is damaged or not an image ({type(exc).__name__}: {exc})") from exc


def _read_exif(im: Image.Image, notes: list[str]) -> tuple[Image.Exif | None, int]:
    try:
        exif = im.getexif()
        return exif, exif.get(_ORIENTATION_TAG, 1)
    except Exception:  # noqa: BLE001 - any damage in the EXIF block means "no usable EXIF"
        notes.append("damaged EXIF data was dropped")
        return None, 1


def _exif_to_copy(im: Image.Image, exif: Image.Exif | None, notes: list[str]) -> bytes | None:
    """The EXIF outputs should carry: the orientation reset (pixels are upright by now)."""
    if exif is None:
        return None
    if not exif:
        if im.info.get("exif"):
            notes.append("damaged EXIF data was dropped")
        return None
    try:
        for tag in _TIFF_LAYOUT_TAGS.intersection(exif):
            del exif[tag]
        exif[_ORIENTATION_TAG] = 1
        return exif.tobytes()
    except Exception:  # noqa: BLE001 - one malformed field: find it below
        pass
    try:
        dropped = _drop_unwritable_exif_fields(exif)
        data = exif.tobytes()
    except Exception:  # noqa: BLE001
        notes.append("damaged EXIF data was dropped")
        return None
    fields = ", ".join(dropped)
    notes.append(f"its malformed EXIF field{'s' if len(dropped) > 1 else ''} {fields} could not be kept; "
                 "the rest of its EXIF data was")
    return data


_SUB_IFDS = (0x8769, 0x8825)  # Exif (capture date, exposure) and GPS: the fields archives value most
_INTEROP_IFD = 0xA005         # inside the Exif IFD: an offset into the source's own EXIF block


def _drop_unwritable_exif_fields(exif: Image.Exif) -> list[str]:
    """Delete, in place, each field that cannot be written on its own (an XResolution stored
    as text, say), so that one bad field costs only itself. Returns the dropped fields' names."""
    from PIL import TiffImagePlugin, TiffTags

    def writable(tag: int, value: object, group: int | None) -> bool:
        probe = TiffImagePlugin.ImageFileDirectory_v2(group=group)
        try:
            probe[tag] = value
            probe.tobytes(8)
            return True
        except Exception:  # noqa: BLE001 - whatever the writer refuses
            return False

    dropped: list[str] = []
    for group in _SUB_IFDS:
        if group not in exif:
            continue
        try:
            fields = exif.get_ifd(group)
        except Exception:  # noqa: BLE001 - the sub-IFD itself is unreadable
            del exif[group]
            dropped.append(TiffTags.lookup(group).name)
            continue
        for tag in list(fields):
            if tag == _INTEROP_IFD or not writable(tag, fields[tag], group):
                del fields[tag]
                if tag != _INTEROP_IFD:
                    dropped.append(TiffTags.lookup(tag, group).name)
    for tag in list(exif):
        if tag not in _SUB_IFDS and not writable(tag, exif[tag], None):
            del exif[tag]
            dropped.append(TiffTags.lookup(tag).name)
    return dropped


def _exif_and_upright(im: Image.Image, notes: list[str]) -> tuple[Image.Image, bytes | None]:
    exif, orientation = _read_exif(im, notes)
    try:
        upright = ImageOps.exif_transpose(im) if orientation not in (1, None) else im
    except Exception:  # noqa: BLE001
        notes.append("damaged EXIF orientation was ignored")
        upright = im
    return upright, _exif_to_copy(im, exif, notes)


def _upright_array(arr: np.ndarray, orientation: int | None) -> np.ndarray:
    """The numpy twin of ImageOps.exif_transpose, for pixels decoded outside Pillow."""
    turns = {2: lambda a: a[:, ::-1], 3: lambda a: a[::-1, ::-1], 4: lambda a: a[::-1],
             5: lambda a: a.swapaxes(0, 1), 6: lambda a: np.rot90(a, -1),
             7: lambda a: a.swapaxes(0, 1)[::-1, ::-1], 8: lambda a: np.rot90(a, 1)}
    turn = turns.get(orientation or 1)
    return np.ascontiguousarray(turn(arr)) if turn else arr


# libtiff prints its warnings straight to the process's stderr (file descriptor 2), where
# hundreds of them would scroll past a batch unattached to any photo. They are caught while
# a TIFF is decoded or encoded and only kept to explain a failure; one lock, because the
# redirection is process-wide.
_STDERR_LOCK = threading.Lock()


@contextlib.contextmanager
def _captured_stderr() -> Iterator[list[str]]:
    lines: list[str] = []
    with _STDERR_LOCK, tempfile.TemporaryFile() as sink:
        try:
            sys.stderr.flush()
            saved = os.dup(2)
        except (OSError, ValueError, AttributeError):  # no usable stderr (a windowed app): nothing to catch
            yield lines
            return
        os.dup2(sink.fileno(), 2)
        try:
            yield lines
        finally:
            with contextlib.suppress(Exception):
                sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            text = sink.read(64 * 1024).decode("utf-8", "replace")
            lines.extend(line.strip() for line in text.splitlines() if line.strip())


def _with_library_words(message: str, lines: list[str]) -> str:
    return f"{message}; the TIFF library said: {lines[0][:200]}" if lines else message


_EIGHT_BITS_NOTE = ("its 16 bits per channel could not be decoded ({}), so it was read, colorized and saved "
                    "at 8 bits per channel")


def _deep_pixels(path: Path, im: Image.Image, container: str | None, notes: list[str]
                 ) -> tuple[np.ndarray, np.ndarray | None, bool] | None:
    """16-bit colour pixels that Pillow would cut to 8 bits, at full depth (see `_deep_tiff_pixels`)."""
    if container == "TIFF":
        return _deep_tiff_pixels(path, im, notes)
    if container == "PNG":
        return _deep_png_pixels(path, im, notes)
    return None


def _deep_png_pixels(path: Path, im: Image.Image, notes: list[str]
                     ) -> tuple[np.ndarray, np.ndarray | None, bool] | None:
    """A 16-bit RGB(A) PNG's pixels: Pillow has no 16-bit colour mode, libpng (imagecodecs) has."""
    if im.mode not in ("RGB", "RGBA"):
        return None
    with open(path, "rb") as f:
        head = f.read(26)
    # IHDR is always the first chunk: bit depth at byte 24, colour type (2 RGB, 6 RGBA) at 25
    if len(head) < 26 or head[12:16] != b"IHDR" or head[24] != 16 or head[25] not in (2, 6):
        return None
    try:
        import imagecodecs

        arr = imagecodecs.png_decode(path.read_bytes())
    except MemoryError:
        raise
    except Exception as exc:  # noqa: BLE001 - no codec or a damaged stream: Pillow's 8 bits beat no photo
        notes.append(_EIGHT_BITS_NOTE.format(exc))
        return None
    if arr.dtype != np.uint16 or arr.ndim != 3 or arr.shape[2] not in (3, 4):
        return None
    alpha = arr[..., 3] if arr.shape[2] == 4 else None
    rgb = arr[..., :3]
    key = im.info.get("transparency")
    if alpha is None and isinstance(key, tuple) and len(key) == 3:  # tRNS colour key, in 16-bit values
        alpha = np.where((rgb != np.asarray(key, dtype=np.uint16)).any(axis=2), 65535, 0).astype(np.uint16)
    return np.ascontiguousarray(rgb), (np.ascontiguousarray(alpha) if alpha is not None else None), False


def _deep_tiff_pixels(path: Path, im: Image.Image, notes: list[str]
                      ) -> tuple[np.ndarray, np.ndarray | None, bool] | None:
    """16-bit RGB(A)/CMYK TIFF pixels at full depth: (rgb uint16, alpha or None, was CMYK).

    Pillow decodes these to 8 bits per channel; tifffile keeps all 16 (with imagecodecs for
    LZW, the usual scanner and Photoshop setting). None for every other TIFF, which Pillow
    reads as it is; a note says so when 16 bits could not be kept.
    """
    bits = im.tag_v2.get(258) if hasattr(im, "tag_v2") else None
    bits = bits if isinstance(bits, tuple) else (bits,)
    if im.mode not in ("RGB", "RGBA", "RGBa", "RGBX", "CMYK") or not bits or any(b != 16 for b in bits):
        return None
    import tifffile

    try:
        with tifffile.TiffFile(path) as tif:
            page = tif.pages[0]
            arr, axes = page.asarray(), page.axes
            extra = tuple(page.extrasamples or ())
            photometric = int(page.photometric)
    except MemoryError:
        raise
    except Exception as exc:  # noqa: BLE001 - a compression tifffile cannot decode: Pillow's 8 bits beat no photo
        notes.append(_EIGHT_BITS_NOTE.format(exc))
        return None
    if axes.startswith("S") and arr.ndim == 3:  # planar files come channel first
        arr = np.moveaxis(arr, 0, -1)
    if arr.dtype != np.uint16 or arr.ndim != 3:
        return None
    if photometric == 5:  # separated (CMYK): the same ink-to-light mapping Pillow uses
        if arr.shape[2] < 4:
            return None
        c, m, y, k = (arr[..., i].astype(np.uint32) for i in range(4))
        white = 65535 - k
        rgb = np.dstack([white - (ch * white + 32767) // 65535 for ch in (c, m, y)]).astype(np.uint16)
        return rgb, None, True
    if arr.shape[2] < 3:
        return None
    rgb, alpha = arr[..., :3], (arr[..., 3] if arr.shape[2] > 3 and extra else None)
    if alpha is not None and extra[0] == 1:  # associated (premultiplied) alpha: undo it
        a = alpha.astype(np.uint32)[..., None]
        rgb = np.where(a > 0, (rgb.astype(np.uint32) * 65535 + a // 2) // np.maximum(a, 1), 0)
        rgb = np.minimum(rgb, 65535).astype(np.uint16)
    return np.ascontiguousarray(rgb), (np.ascontiguousarray(alpha) if alpha is not None else None), False


def _to_srgb_from_cmyk(im: Image.Image, notes: list[str]) -> Image.Image:
    icc = im.info.get("icc_profile")
    if icc:
        try:
            src = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            return ImageCms.profileToProfile(im, src, ImageCms.createProfile("sRGB"), outputMode="RGB")
        except (ImageCms.PyCMSError, OSError, ValueError):
            notes.append("its CMYK colour profile could not be used; converted without it")
    return im.convert("RGB")


_COLOUR_NOTE = "the photo already has colour; it was re-colorized from its lightness"
_TONED_NOTE = "the photo is toned (sepia or similar); it was colorized from its lightness"


def _colour_kind(rgb: np.ndarray) -> tuple[bool, bool]:
    """(has any colour, is a real colour photo rather than a toned print)."""
    if not _is_colour(rgb):
        return False, False
    from engine.photo_folder import is_colour_photo

    small = Image.fromarray(rgb if rgb.dtype == np.uint8 else (rgb >> 8).astype(np.uint8))
    # The size the rule was measured at (engine.photo_folder.load_small_rgb): at full size a
    # scan's grain and JPEG noise would read as colour.
    scale = 224 / min(small.size)
    if scale < 1:
        small = small.resize((max(1, round(small.width * scale)), max(1, round(small.height * scale))),
                             Image.Resampling.BILINEAR, reducing_gap=2.0)
    return True, is_colour_photo(np.asarray(small))


def _is_colour(rgb: np.ndarray) -> bool:
    step = max(1, int(np.sqrt(rgb.shape[0] * rgb.shape[1] / 250_000)))
    sample = rgb[::step, ::step].astype(np.int16)
    spread = np.abs(sample[..., 0] - sample[..., 1]) + np.abs(sample[..., 1] - sample[..., 2])
    return float(spread.mean()) > _COLOUR_THRESHOLD * (255 / 100 if rgb.dtype == np.uint8 else 65535 / 100)


# Peak memory per pixel while a photo is colorized: decoded pixels, float32 lightness, Lab and
# RGB planes at full resolution. An estimate on the generous side of what one run measured.
_BYTES_PER_PIXEL = 24


def _memory_available() -> int | None:
    """Bytes of memory this process could still use, or None where that cannot be asked."""
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, OSError, ValueError):
        return None


def _check_memory_for(w: int, h: int) -> None:
    """Past the pixel limit (--allow-huge) a small file can claim a size that needs more
    memory than the computer has, and the kernel then ends the whole batch: refuse that
    photo instead, before anything is decoded."""
    needed = w * h * _BYTES_PER_PIXEL
    available = _memory_available()
    if available is not None and needed > available:
        raise PhotoError(f"the image is {w}x{h} ({w * h / 1e6:,.0f} megapixels) and needs about "
                         f"{needed / 2**30:,.0f} GB of memory to colorize; {available / 2**30:,.1f} GB is free")


def read_photo(path: Path | str, *, max_pixels: int | None = DEFAULT_MAX_PIXELS,
               timings: dict[str, float] | None = None) -> Photo:
    """Read a photo into full-resolution lightness, upright, with what outputs should keep.

    Raises PhotoError with a one-line reason for anything unreadable. `timings`, when given,
    gains the seconds spent in "decode" and "colour conversion".
    """
    path = Path(path)
    clock = Stopwatch(timings)
    notes: list[str] = []
    im = _open(path)
    library_lines: list[str] = []
    try:
        w, h = im.size
        if max_pixels and w * h > max_pixels:
            raise PhotoError(f"the image is {w}x{h} ({w * h / 1e6:.0f} megapixels), over the "
                             f"{max_pixels / 1e6:.0f} MP safety limit (a decompression bomb?); "
                             "allow it with --allow-huge")
        if not max_pixels:
            _check_memory_for(w, h)
        frames = getattr(im, "n_frames", 1) if getattr(im, "is_animated", False) else 1
        if frames > 1:
            notes.append(f"an animation of {frames} frames: only its first frame was colorized")
        source_format = output_format_for(path)
        container = im.format  # exif_transpose returns an image without it
        capture = _captured_stderr() if container == "TIFF" else contextlib.nullcontext([])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                with capture as library_lines:
                    deep = _deep_pixels(path, im, container, notes)
                    if deep is None:
                        im.load()
                if deep is not None:
                    exif, orientation = _read_exif(im, notes)
                    return _photo_from_deep_rgb(deep, orientation, _exif_to_copy(im, exif, notes), im, path,
                                                source_format, notes, clock)
                im, exif = _exif_and_upright(im, notes)
                return _photo_from_image(im, exif, path, source_format, notes, container=container, clock=clock)
            except PhotoError:
                raise
            except MemoryError as exc:
                raise PhotoError("not enough memory to open this image") from exc
            except (OSError, SyntaxError, ValueError, EOFError) as exc:
                if (plain := _plain_reason(exc)) is not None:
                    raise UnreadablePhoto(_with_library_words(plain, library_lines)) from exc
                msg = str(exc).lower()
                if "truncated" in msg or isinstance(exc, EOFError):
                    raise UnreadablePhoto(_with_library_words(_TRUNCATED, library_lines)) from exc
                raise UnreadablePhoto(_with_library_words(f"the image data is damaged ({exc})", library_lines)) from exc
            except Exception as exc:  # noqa: BLE001 - decoders raise assorted errors on damaged data
                raise UnreadablePhoto(_with_library_words(f"the image data is damaged ({type(exc).__name__}: {exc})",
                                                     library_lines)) from exc
    finally:
        im.close()


def _photo_from_deep_rgb(deep: tuple[np.ndarray, np.ndarray | None, bool], orientation: int | None,
                         exif: bytes | None, im: Image.Image, path: Path, source_format: str,
                         notes: list[str], clock: Stopwatch) -> Photo:
    rgb, alpha, was_cmyk = deep
    rgb = _upright_array(rgb, orientation)
    alpha = _upright_array(alpha, orientation) if alpha is not None else None
    icc = im.info.get("icc_profile")
    if was_cmyk:
        if icc:
            notes.append("its CMYK colour profile was not applied, to keep all 16 bits")
        icc = None
    clock.lap("decode")
    was_colour, in_colour = _colour_kind(rgb)
    if was_colour:
        notes.append(_COLOUR_NOTE if in_colour else _TONED_NOTE)
    from engine.color import lightness_from_rgb  # torch: only once a photo is read, not to list or write one

    L = lightness_from_rgb(rgb, levels=65536)
    clock.lap("colour conversion")
    return Photo(lightness=np.ascontiguousarray(L, dtype=np.float32), alpha=alpha, bit_depth=16, exif=exif,
                 icc_profile=icc, source_format=source_format, was_colour=was_colour, in_colour=in_colour, path=path,
                 notes=notes, xmp=_xmp_of(im), iptc=_iptc_of(im))


def _colour_key_alpha(im: Image.Image) -> np.ndarray | None:
    """Alpha from a PNG tRNS colour key: pixels of exactly that value are transparent."""
    key = im.info.get("transparency")
    if key is None or isinstance(key, bytes) or im.mode not in ("RGB", "L", "I", "I;16", "I;16B", "I;16L"):
        return None
    arr = np.asarray(im)
    if im.mode == "RGB":
        if not isinstance(key, tuple) or len(key) != 3:
            return None
        opaque = (arr != np.asarray(key, dtype=arr.dtype)).any(axis=2)
    else:
        if not isinstance(key, int):
            return None
        opaque = arr != key
    if im.mode == "L" or im.mode == "RGB":
        return np.where(opaque, 255, 0).astype(np.uint8)
    return np.where(opaque, 65535, 0).astype(np.uint16)


def _photo_from_image(im: Image.Image, exif: bytes | None, path: Path, source_format: str,
                      notes: list[str], *, container: str | None = None, clock: Stopwatch | None = None) -> Photo:
    icc = im.info.get("icc_profile")
    xmp, iptc = _xmp_of(im), _iptc_of(im)
    alpha = _colour_key_alpha(im)
    mode = im.mode
    if mode in ("P", "PA"):
        im = im.convert("RGBA" if ("transparency" in im.info or mode == "PA") else "RGB")
        mode = im.mode
    if mode == "CMYK":
        im = _to_srgb_from_cmyk(im, notes)
        icc, mode = None, "RGB"
    if mode in ("YCbCr", "LAB", "HSV"):
        im, mode, icc = im.convert("RGB"), "RGB", None
    if mode == "1":
        im, mode = im.convert("L"), "L"
    if mode in ("LA", "La"):
        alpha = np.asarray(im.getchannel("A"))
        im, mode = im.convert("L"), "L"
    if mode in ("RGBA", "RGBa"):
        alpha = np.asarray(im.getchannel("A"))
        im, mode = im.convert("RGB"), "RGB"
    # A grey or CMYK profile cannot describe an RGB output; only RGB profiles are kept.
    if icc and mode != "RGB":
        icc = None

    clock = clock or Stopwatch(None)
    clock.lap("decode")
    from engine.color import lightness_from_grey, lightness_from_rgb  # torch: only once a photo is read

    bit_depth, was_colour, in_colour = 8, False, False
    if mode == "L":
        L = lightness_from_grey(np.asarray(im))
    elif mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        arr = np.asarray(im)
        if mode == "I" and arr.max(initial=0) <= 255 and container not in ("PNG", "TIFF"):
            L = lightness_from_grey(arr.clip(0, 255).astype(np.uint8))
        else:
            bit_depth = 16
            L = lightness_from_grey(arr.clip(0, 65535).astype(np.uint16), levels=65536)
    elif mode == "F":
        arr = np.asarray(im, dtype=np.float32)
        scale = 1.0 if arr.max(initial=0) <= 1.0 else 255.0
        L = lightness_from_grey(np.clip(arr / scale * 65535, 0, 65535).astype(np.uint16), levels=65536)
        bit_depth = 16
    elif mode == "RGB":
        rgb = np.asarray(im)
        was_colour, in_colour = _colour_kind(rgb)
        L = lightness_from_rgb(rgb)
    else:
        raise UnreadablePhoto(f"images in {mode} mode are not supported")
    if was_colour:
        notes.append(_COLOUR_NOTE if in_colour else _TONED_NOTE)
    if alpha is not None and alpha.dtype != np.uint8 and bit_depth == 8:
        alpha = (alpha // 257).astype(np.uint8)
    clock.lap("colour conversion")
    return Photo(lightness=np.ascontiguousarray(L, dtype=np.float32), alpha=alpha, bit_depth=bit_depth,
                 exif=exif, icc_profile=icc, source_format=source_format, was_colour=was_colour,
                 in_colour=in_colour, path=path, notes=notes, xmp=xmp, iptc=iptc)


def _iptc_of(im: Image.Image) -> bytes | None:
    """The IPTC-IIM record older archive software wrote (JPEG Photoshop block, TIFF tag 33723)."""
    photoshop = im.info.get("photoshop")
    if isinstance(photoshop, dict) and isinstance(photoshop.get(_IPTC_RESOURCE), bytes):
        return photoshop[_IPTC_RESOURCE] or None
    tags = getattr(im, "tag_v2", None)
    value = tags.get(_IPTC_TAG) if tags is not None else None
    if isinstance(value, tuple) and all(isinstance(v, int) for v in value):  # typed LONG, as Photoshop writes it
        return struct.pack(f"{getattr(tags, '_endian', '<')}{len(value)}I", *value) or None
    return bytes(value) if isinstance(value, (bytes, bytearray)) and value else None


def _app13(iptc: bytes) -> bytes:
    """A JPEG APP13 segment holding an IPTC-IIM record, as Photoshop and exiftool write it."""
    resource = b"8BIM" + struct.pack(">HxxI", _IPTC_RESOURCE, len(iptc)) + iptc + b"\0" * (len(iptc) % 2)
    payload = b"Photoshop 3.0\0" + resource
    return b"\xff\xed" + struct.pack(">H", len(payload) + 2) + payload


def _xmp_of(im: Image.Image) -> bytes | None:
    """The XMP packet Pillow found (JPEG APP1, PNG iTXt, TIFF tag 700, WebP chunk), as bytes."""
    xmp = im.info.get("xmp")
    if isinstance(xmp, str):
        xmp = xmp.encode("utf-8")
    return bytes(xmp) if isinstance(xmp, (bytes, bytearray)) and xmp.strip() else None


def _save_kwargs(fmt: str, photo: Photo | None, quality: int) -> dict:
    kw: dict = {}
    if fmt == "jpg":
        kw.update(quality=quality, subsampling=0 if quality >= 95 else 2, optimize=False)
    elif fmt == "png":
        kw.update(compress_level=3)
    elif fmt == "tiff":
        kw.update(compression="tiff_deflate")
    elif fmt == "webp":
        kw.update(quality=quality, method=4)
    if photo is not None:
        if photo.exif and fmt in ("jpg", "png", "tiff", "webp"):
            kw["exif"] = photo.exif
        if photo.icc_profile:
            kw["icc_profile"] = photo.icc_profile
        if photo.xmp and fmt in ("jpg", "webp"):
            kw["xmp"] = photo.xmp
        elif photo.xmp and fmt == "png":
            info = PngImagePlugin.PngInfo()
            info.add_itxt("XML:com.adobe.xmp", photo.xmp.decode("utf-8", "replace"), zip=False)
            kw["pnginfo"] = info
        elif (photo.xmp or photo.iptc) and fmt == "tiff":  # Pillow writes these to a TIFF only as tags
            exif = Image.Exif()
            if kw.get("exif"):
                exif.load(kw["exif"])
            if photo.xmp:
                exif[_XMP_TAG] = photo.xmp
            if photo.iptc:
                exif[_IPTC_TAG] = photo.iptc
            kw["exif"] = exif.tobytes()
        if photo.iptc and fmt == "jpg":
            kw["extra"] = _app13(photo.iptc)  # Pillow's way to add a marker segment of one's own
    return kw


_XMP_TAG = 700
_SOFTWARE_TAG = 305
_IPTC_TAG = 33723
_IPTC_RESOURCE = 0x0404  # the Photoshop image resource that holds IPTC-IIM
_JPEG_SEGMENT_LIMIT = 65_000


def _without_xmp_tag(exif: bytes) -> bytes:
    """A TIFF's EXIF without its XMP tag (700), for other formats: they carry the XMP in a
    place of its own, and a large packet inside JPEG's EXIF segment failed the save."""
    try:
        parsed = Image.Exif()
        parsed.load(exif)
        if _XMP_TAG not in parsed:
            return exif
        del parsed[_XMP_TAG]
        return parsed.tobytes()
    except Exception:  # noqa: BLE001 - EXIF Pillow cannot rewrite: left as it was, the fallbacks deal with it
        return exif


def _output_metadata(photo: Photo | None, label: OutputLabel | None, fmt: str, notes: list[str]) -> Photo | None:
    """The photo with the metadata its output should carry: the source's, plus our label.

    A copy (the pixels are shared), so the caller's Photo can be saved again another way.
    """
    if photo is not None and photo.iptc:
        if fmt in ("png", "webp"):
            notes.append(f"its IPTC data (captions, keywords) has no place in {fmt.upper()} and was not copied; "
                         "JPEG and TIFF keep it")
            photo = replace(photo, iptc=None)
        elif fmt == "jpg" and len(photo.iptc) > _JPEG_SEGMENT_LIMIT:
            notes.append("the photo's IPTC data is too large for JPEG and was not copied")
            photo = replace(photo, iptc=None)
    if photo is not None and photo.exif and fmt != "tiff":
        photo = replace(photo, exif=_without_xmp_tag(photo.exif))
    if label is None:
        if photo is not None and photo.xmp and fmt == "jpg" and len(photo.xmp) > JPEG_XMP_LIMIT:
            notes.append("the photo's XMP data is too large for JPEG and was not copied")
            return replace(photo, xmp=None)
        return photo
    source = photo if photo is not None else Photo(lightness=np.zeros((0, 0), np.float32))
    try:
        exif = labelled_exif(source.exif, label)
    except Exception:  # noqa: BLE001 - EXIF a later tool cannot parse: the label still goes on
        notes.append("the photo's EXIF data could not be read back and was not copied")
        exif = labelled_exif(None, label)
    xmp = labelled_xmp(source.xmp, label, source.path.name if source.path else None,
                       limit=JPEG_XMP_LIMIT if fmt == "jpg" else None, notes=notes)
    return replace(source, exif=exif, xmp=xmp)


def is_colorizer_output(path: Path | str) -> bool:
    """Whether a file is one of our results, by the label `write_photo` puts on it.

    Reads only the file's header. Anything unreadable is "not ours" (it fails later, with
    its reason, if it is colorized).
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(path) as im:
                if is_colorizer_xmp(_xmp_of(im)):
                    return True
                # Only EXIF found in the header: im.getexif() would decode a whole PNG to look further.
                if im.format == "TIFF":
                    return is_colorizer_software(im.tag_v2.get(_SOFTWARE_TAG))
                raw = im.info.get("exif")
                if not isinstance(raw, bytes):
                    return False
                exif = Image.Exif()
                exif.load(raw)
                return is_colorizer_software(exif.get(_SOFTWARE_TAG))
    except Exception:  # noqa: BLE001 - a damaged or foreign file is simply not one of ours
        return False


_SOURCE_PATH_RE = re.compile(rb"<stRef:filePath>([^<]{1,4096})</stRef:filePath>")


def colorizer_source_name(path: Path | str) -> str | None:
    """The name of the photo a Colorizer result was made from (its label's `DerivedFrom`);
    None for anything else, or a result whose label names no source.

    A pattern, not an XML parser: only our own packets are looked for, and a hostile file's
    deep nesting or entities cost nothing here.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(path) as im:
                xmp = _xmp_of(im) or b""
    except Exception:  # noqa: BLE001 - damaged or foreign: not a result we can match
        return None
    match = _SOURCE_PATH_RE.search(xmp) if is_colorizer_xmp(xmp) else None
    return html.unescape(match.group(1).decode("utf-8", "replace")) if match else None


def encode_image(rgb: np.ndarray, fmt: str, photo: Photo | None = None, quality: int = 95,
                 notes: list[str] | None = None) -> Image.Image | None:
    """Build the Pillow image to save, attaching alpha where the format can hold it."""
    alpha = photo.alpha if photo is not None else None
    if rgb.dtype == np.uint16:
        return None  # written by _write_16bit
    if rgb.dtype != np.uint8 or rgb.ndim != 3 or rgb.shape[2] != 3:
        raise ValueError(f"expected (height, width, 3) uint8 pixels, got {rgb.dtype} {rgb.shape}")
    rgb = np.ascontiguousarray(rgb)
    if alpha is None or fmt == "jpg":  # share the pixels instead of copying 36 MB for 12 MP
        im = Image.frombuffer("RGB", (rgb.shape[1], rgb.shape[0]), rgb, "raw", "RGB", 0, 1)
    else:
        im = Image.fromarray(rgb, "RGB")
    if alpha is not None:
        if fmt == "jpg":
            if notes is not None:
                notes.append("transparency dropped: JPEG cannot store it")
        else:
            a = alpha if alpha.dtype == np.uint8 else (alpha // 257).astype(np.uint8)
            im.putalpha(Image.fromarray(a, "L"))
    return im


# EXIF fields that are also plain TIFF tags, so a 16-bit TIFF (written by tifffile, which
# cannot embed an EXIF block) still says when, with what and by whom the photo was taken.
_TIFF_TEXT_TAGS = (270, 271, 272, 305, 306, 315, 33432)  # description, make, model, software, date, artist, copyright
_WEBP_MAX_SIDE = 16383


def _tiff_text_tags(exif: bytes | None) -> list[tuple]:
    if not exif:
        return []
    try:
        parsed = Image.Exif()
        parsed.load(exif)
        items = [(tag, parsed.get(tag)) for tag in _TIFF_TEXT_TAGS]
    except Exception:  # noqa: BLE001 - damaged EXIF: keep the pixels, drop the text
        return []
    return [(tag, "s", 0, value, True) for tag, value in items if isinstance(value, str) and value.isascii()]


def _exif_tags(exif: bytes) -> set[int]:
    try:
        parsed = Image.Exif()
        parsed.load(exif)
        return set(parsed)
    except Exception:  # noqa: BLE001 - damaged EXIF: all of it is lost
        return {-1}


def _split_sub_ifds(exif: bytes | None) -> tuple[bytes | None, dict[int, dict]]:
    """EXIF without its Exif and GPS sub-IFDs, and those sub-IFDs' fields.

    Neither TIFF writer can put a sub-IFD in (Pillow hands it to libtiff, which refuses the
    whole EXIF; tifffile has no way to), so `_with_sub_ifds` adds them to the written file.
    """
    if not exif:
        return exif, {}
    try:
        parsed = Image.Exif()
        parsed.load(exif)
        subs = {}
        for tag in _SUB_IFDS:
            if tag in parsed:
                fields = {k: v for k, v in parsed.get_ifd(tag).items() if k != _INTEROP_IFD}
                del parsed[tag]
                if fields:
                    subs[tag] = fields
        return (parsed.tobytes() if subs else exif), subs
    except Exception:  # noqa: BLE001 - damaged: the writers' own fallbacks deal with it
        return exif, {}


def _with_sub_ifds(tiff: bytes, subs: dict[int, dict]) -> bytes:
    """A written classic TIFF with EXIF sub-IFDs added: each sub-IFD and a copy of the first IFD
    with pointers to them go at the end, and the header points to that copy. Nothing before
    moves, so every offset in the file stays valid."""
    from PIL import TiffImagePlugin

    order = tiff[:2]
    e = "<" if order == b"II" else ">"
    if order not in (b"II", b"MM") or struct.unpack(e + "H", tiff[2:4])[0] != 42:
        raise ValueError("not a classic TIFF")
    first = struct.unpack(e + "I", tiff[4:8])[0]
    (count,) = struct.unpack(e + "H", tiff[first:first + 2])
    end_of_entries = first + 2 + 12 * count
    entries = {struct.unpack(e + "H", tiff[i:i + 2])[0]: tiff[i:i + 12] for i in range(first + 2, end_of_entries, 12)}
    next_ifd = tiff[end_of_entries:end_of_entries + 4]
    out = bytearray(tiff)
    for tag, fields in subs.items():
        out += b"\0" * (len(out) % 2)  # IFDs start on a word boundary
        ifd = TiffImagePlugin.ImageFileDirectory_v2(ifh=order + tiff[2:4] + b"\0\0\0\0", group=tag)
        for key, value in fields.items():
            ifd[key] = value
        entries[tag] = struct.pack(e + "HHII", tag, 4, 1, len(out))  # one LONG: the sub-IFD's offset
        out += ifd.tobytes(len(out))
    out += b"\0" * (len(out) % 2)
    header = len(out)
    out += struct.pack(e + "H", len(entries)) + b"".join(entries[t] for t in sorted(entries)) + next_ifd
    out[4:8] = struct.pack(e + "I", header)
    return bytes(out)


def _write_with_sub_ifds(handle, subs: dict[int, dict], write, notes: list[str]) -> None:
    """write(target) writes a file; a TIFF reaches `handle` with the EXIF sub-IFDs in `subs` added
    (`subs` is empty for every other format)."""
    if not subs:
        write(handle)
        return
    buffer = io.BytesIO()
    write(buffer)
    data = buffer.getvalue()
    try:
        data = _with_sub_ifds(data, subs)
    except (ValueError, struct.error):  # a BigTIFF (over 4 GB) has another layout
        notes.append("the capture (Exif) and GPS fields of its EXIF data could not be added to this TIFF")
    handle.write(data)


def _write_16bit_tiff(rgb16: np.ndarray, photo: Photo | None, handle, notes: list[str]) -> None:
    import tifffile

    alpha = photo.alpha if photo is not None else None
    data = rgb16
    if alpha is not None:
        data = np.dstack((rgb16, alpha.astype(np.uint16) * (257 if alpha.dtype == np.uint8 else 1)))
    extra: dict = {}
    if photo is not None and photo.icc_profile:
        extra["iccprofile"] = photo.icc_profile
    subs: dict[int, dict] = {}
    if photo is not None and photo.exif:
        extra["extratags"] = _tiff_text_tags(photo.exif)
        _, subs = _split_sub_ifds(photo.exif)
        kept = {tag for tag, *_ in extra["extratags"]} | set(subs)
        if _exif_tags(photo.exif) - kept:  # only say so when something is lost
            notes.append("16-bit TIFF keeps the date, camera, copyright, capture (Exif) and GPS fields of the "
                         "EXIF data, not all of it")
    if photo is not None and photo.xmp:
        extra.setdefault("extratags", []).append((_XMP_TAG, "B", len(photo.xmp), photo.xmp, True))
    if photo is not None and photo.iptc:
        extra.setdefault("extratags", []).append((_IPTC_TAG, 7, len(photo.iptc), photo.iptc, True))
    # tifffile writes its own Software tag and refuses a second one in extratags.
    software = [t for t in extra.get("extratags", []) if t[0] == _SOFTWARE_TAG]
    extra["software"] = software[0][3] if software else False
    if software:
        extra["extratags"].remove(software[0])
    def write(target) -> None:  # a BytesIO: tifffile wants a named file; an os.fdopen handle's name is a number
        buffer = io.BytesIO()
        tifffile.imwrite(buffer, data, photometric="rgb", compression="zlib",
                         extrasamples=("unassalpha",) if alpha is not None else None, **extra)
        target.write(buffer.getbuffer())

    _write_with_sub_ifds(handle, subs, write, notes)


def write_photo(rgb: np.ndarray, dest: Path | str, fmt: str, photo: Photo | None = None, *,
                quality: int = 95, overwrite: bool = False, rename: bool = False,
                timings: dict[str, float] | None = None, label: OutputLabel | None = None,
                placed: list[Path] | None = None) -> list[str]:
    """Write atomically. Returns notes (e.g. what the format could not keep).

    The photo's EXIF, XMP and ICC profile are kept where the format allows; `label` adds
    what was done (see `engine.output_label`), so the file says it is a colorized copy.

    rgb: (H, W, 3) uint8, or uint16 for 16-bit sources (kept at 16 bits in TIFF only).
    The pixels go to a hidden temporary file in the destination folder, which is renamed into
    place only once complete; on any failure it is removed, as are the folders made for it,
    and a PhotoError says why. `timings`, when given, gains the seconds spent in "encode".

    A file already named `dest` is replaced only with `overwrite`; with `rename` the result
    takes the first free numbered name (`numbered_names`), else OutputExists is raised. The
    name is claimed at the moment of renaming, so a file another run saved meanwhile is never
    replaced. The name used is appended to `placed`.
    """
    dest = Path(dest)
    too_long = name_too_long(dest)
    if too_long:
        raise PhotoError(too_long)
    clock = Stopwatch(timings)
    if fmt not in FORMATS:
        raise PhotoError(f"unknown output format {fmt!r}")
    if fmt == "webp" and max(rgb.shape[:2]) > _WEBP_MAX_SIDE:
        raise PhotoError(f"WebP cannot hold images over {_WEBP_MAX_SIDE} pixels a side "
                         f"({rgb.shape[1]}x{rgb.shape[0]}); choose --format png, jpg or tiff")
    notes: list[str] = []
    photo = _output_metadata(photo, label, fmt, notes)
    if rgb.dtype == np.uint16 and fmt != "tiff":
        notes.append("saved at 8 bits per channel (choose TIFF output to keep 16 bits)")
        rgb = ((rgb.astype(np.uint32) * 255 + 32767) // 65535).astype(np.uint8)
    exists = "replace" if overwrite else "number" if rename else "fail"
    if exists == "fail" and dest.exists():  # the common case, before the encoding work
        raise OutputExists(f"{dest.name} already exists")
    try:
        with atomic_write(dest, exists=exists, placed=placed) as handle:
            _encode_into(handle, rgb, fmt, photo, quality, notes)
    except NameTaken as exc:
        raise OutputExists(f"{dest.name} already exists (saved by something else meanwhile)") from exc
    except FileExistsError as exc:  # making the folders: a file has the folder's name
        raise PhotoError(f"cannot create the folder {dest.parent}: a file has that name") from exc
    except OSError as exc:
        raise _write_error(exc, dest.parent) from exc
    except Exception as exc:  # noqa: BLE001 - an encoder refusing these pixels or settings
        raise PhotoError(f"could not save as {fmt.upper()} ({exc})") from exc
    clock.lap("encode")
    return notes


def _is_disk_error(exc: BaseException) -> bool:
    """A real I/O failure (full disk, no permission), as opposed to an encoder refusing metadata."""
    return isinstance(exc, OSError) and exc.errno is not None


def _label_tags(exif: bytes) -> dict[int, object]:
    """Our Software tag and a TIFF's XMP (tag 700) from an EXIF block: the label outlives a fallback."""
    try:
        parsed = Image.Exif()
        parsed.load(exif)
    except Exception:  # noqa: BLE001 - damaged: nothing to carry over
        return {}
    kept = {tag: parsed[tag] for tag in (_XMP_TAG,) if tag in parsed}
    if is_colorizer_software(parsed.get(_SOFTWARE_TAG)):
        kept[_SOFTWARE_TAG] = parsed[_SOFTWARE_TAG]
    return kept


def _exif_with(tags: dict[int, object]) -> bytes:
    exif = Image.Exif()
    exif.update(tags)
    return exif.tobytes()


def _metadata_fallbacks(kw: dict, photo: Photo | None) -> list[tuple[dict, str]]:
    """Ever smaller sets of metadata to try when an encoder rejects what the source carried."""
    steps: list[tuple[dict, str]] = []
    if "exif" in kw:
        label = _label_tags(kw["exif"])
        text = _tiff_text_tags(kw["exif"])
        if text:
            small = Image.Exif()
            for tag, _type, _count, value, _ in text:
                small[tag] = value
            small.update(label)
            steps.append(({**kw, "exif": small.tobytes()},
                          "only its date, camera and copyright fields were kept"))
        bare = {k: v for k, v in kw.items() if k != "exif"}
        if label:
            bare["exif"] = _exif_with(label)
        steps.append((bare, "saved without its EXIF data"))
    if "icc_profile" in kw:
        bare = {k: v for k, v in kw.items() if k not in ("exif", "icc_profile")}
        if label := _label_tags(kw["exif"]) if "exif" in kw else {}:
            bare["exif"] = _exif_with(label)
        steps.append((bare, "saved without its EXIF data and colour profile"))
    return steps


def _encode_into(handle, rgb: np.ndarray, fmt: str, photo: Photo | None, quality: int, notes: list[str]) -> None:
    if rgb.dtype == np.uint16:
        with _captured_stderr() as lines:
            try:
                _write_16bit_tiff(rgb, photo, handle, notes)
            except Exception as exc:
                if _is_disk_error(exc):
                    raise
                raise RuntimeError(_with_library_words(str(exc), lines)) from exc
        return
    im = encode_image(rgb, fmt, photo, quality, notes)
    kw = _save_kwargs(fmt, photo, quality)
    subs: dict[int, dict] = {}
    if fmt == "tiff" and kw.get("exif"):
        kw["exif"], subs = _split_sub_ifds(kw["exif"])
    capture = _captured_stderr() if fmt == "tiff" else contextlib.nullcontext([])
    with capture as lines:
        try:
            _write_with_sub_ifds(handle, subs, lambda target: im.save(target, format=FORMATS[fmt][0], **kw), notes)
            return
        except MemoryError:
            raise
        except Exception as exc:
            if _is_disk_error(exc):
                raise
            first = exc
        # The photo matters more than metadata the encoder rejects (a TIFF's odd tags, a
        # BigTIFF's 8-byte offsets, EXIF too long for a JPEG): retry with less, and say so.
        for smaller, what in _metadata_fallbacks(kw, photo):
            handle.seek(0)
            handle.truncate()
            try:
                im.save(handle, format=FORMATS[fmt][0], **smaller)
            except MemoryError:
                raise
            except Exception as exc:
                if _is_disk_error(exc):
                    raise
                continue
            notes.append(f"its metadata could not be written into the {fmt.upper()} ({first}); {what}")
            return
    raise RuntimeError(_with_library_words(str(first), lines)) from first


_NAME_MAX = 255  # bytes in one file name on every common file system (ext4, APFS, NTFS in UTF-16 units)


def name_too_long(dest: Path) -> str | None:
    """Why `dest`'s name cannot be created (over 255 bytes), in plain words; None when it can.

    Asked before anything is read, so that photo fails with one line instead of the file
    system's "File name too long" surfacing wherever the name is first touched.
    """
    size = len(os.fsencode(dest.name))
    if size <= _NAME_MAX:
        return None
    return (f"the output name would be {size} bytes long, over the file system's limit of {_NAME_MAX} "
            f"({_shown_name(dest.name)}); rename the photo or choose a shorter --suffix")


def _shown_name(name: str) -> str:
    return name if len(name) <= 40 else f"{name[:24]}…{name[-12:]}"


def _write_error(exc: OSError, folder: Path) -> PhotoError:
    if exc.errno == errno.ENAMETOOLONG:
        return PhotoError("the output name is too long for the file system; "
                          "rename the photo or choose a shorter --suffix")
    if exc.errno == errno.ENOSPC:
        return DiskFull(f"the disk is full: no room to save in {folder}")
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return PhotoError(f"permission denied: cannot write in {folder}")
    return PhotoError(f"could not save ({exc.strerror or exc})")
