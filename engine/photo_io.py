"""Reading photos into full-resolution lightness, and writing colour results safely.

Every failure becomes a `PhotoError` whose message is one plain sentence a user can act on.
Outputs are written to a hidden temporary file beside the destination and renamed into
place, so a crash, a cancel or a full disk never leaves a half-written photo.
"""

from __future__ import annotations

import errno
import io
import os
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from engine.color import lightness_from_grey, lightness_from_rgb

# We check sizes ourselves (with a clear message and an override) instead of Pillow's
# global decompression-bomb guard, which raises a cryptic error half-way through a batch.
Image.MAX_IMAGE_PIXELS = None
DEFAULT_MAX_PIXELS = 150_000_000

FORMATS = {  # --format name -> (Pillow format, file suffix)
    "png": ("PNG", ".png"),
    "jpg": ("JPEG", ".jpg"),
    "tiff": ("TIFF", ".tif"),
    "webp": ("WEBP", ".webp"),
}
_SUFFIX_TO_FORMAT = {".png": "png", ".jpg": "jpg", ".jpeg": "jpg", ".tif": "tiff", ".tiff": "tiff",
                     ".webp": "webp"}
READABLE_SUFFIXES = {".jpg", ".jpeg", ".png", ".tif", ".tiff", ".webp", ".bmp", ".gif"}
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


class PhotoError(Exception):
    """A photo that cannot be read or written; the message is meant for the user."""


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
    was_colour: bool = False
    path: Path | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def size(self) -> tuple[int, int]:
        h, w = self.lightness.shape
        return w, h


def output_format_for(path: Path) -> str:
    return _SUFFIX_TO_FORMAT.get(path.suffix.lower(), "png")


def _open(path: Path) -> Image.Image:
    try:
        if path.stat().st_size == 0:
            raise PhotoError("the file is empty (0 bytes)")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Pillow warns (then copes) on damaged EXIF at open
            return Image.open(path)
    except PhotoError:
        raise
    except FileNotFoundError as exc:
        raise PhotoError("the file does not exist") from exc
    except IsADirectoryError as exc:
        raise PhotoError("this is a folder, not a photo") from exc
    except PermissionError as exc:
        raise PhotoError("permission denied: this file cannot be read") from exc
    except UnidentifiedImageError as exc:
        raise PhotoError("not an image in a format Colorizer can read") from exc
    except (OSError, EOFError) as exc:
        if isinstance(exc, EOFError) or "truncated" in str(exc).lower():
            raise PhotoError(_TRUNCATED) from exc
        raise PhotoError(f"the file cannot be read ({getattr(exc, 'strerror', None) or exc})") from exc
    except Exception as exc:  # noqa: BLE001 - a format plugin choking on a damaged header
        raise PhotoError(f"the file is damaged or not an image ({type(exc).__name__}: {exc})") from exc


def _exif_and_upright(im: Image.Image, notes: list[str]) -> tuple[Image.Image, bytes | None]:
    try:
        exif = im.getexif()
        orientation = exif.get(_ORIENTATION_TAG, 1)
    except Exception:  # noqa: BLE001 - any damage in the EXIF block means "no usable EXIF"
        notes.append("damaged EXIF data was dropped")
        return im, None
    try:
        upright = ImageOps.exif_transpose(im) if orientation not in (1, None) else im
    except Exception:  # noqa: BLE001
        notes.append("damaged EXIF orientation was ignored")
        upright = im
    if not exif:
        if im.info.get("exif"):
            notes.append("damaged EXIF data was dropped")
        return upright, None
    try:
        for tag in _TIFF_LAYOUT_TAGS.intersection(exif):
            del exif[tag]
        exif[_ORIENTATION_TAG] = 1
        return upright, exif.tobytes()
    except Exception:  # noqa: BLE001
        notes.append("damaged EXIF data was dropped")
        return upright, None


def _to_srgb_from_cmyk(im: Image.Image, notes: list[str]) -> Image.Image:
    icc = im.info.get("icc_profile")
    if icc:
        try:
            src = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            return ImageCms.profileToProfile(im, src, ImageCms.createProfile("sRGB"), outputMode="RGB")
        except (ImageCms.PyCMSError, OSError, ValueError):
            notes.append("its CMYK colour profile could not be used; converted without it")
    return im.convert("RGB")


def _is_colour(rgb: np.ndarray) -> bool:
    step = max(1, int(np.sqrt(rgb.shape[0] * rgb.shape[1] / 250_000)))
    sample = rgb[::step, ::step].astype(np.int16)
    spread = np.abs(sample[..., 0] - sample[..., 1]) + np.abs(sample[..., 1] - sample[..., 2])
    return float(spread.mean()) > _COLOUR_THRESHOLD * (255 / 100 if rgb.dtype == np.uint8 else 65535 / 100)


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
    try:
        w, h = im.size
        if max_pixels and w * h > max_pixels:
            raise PhotoError(f"the image is {w}x{h} ({w * h / 1e6:.0f} megapixels), over the "
                             f"{max_pixels / 1e6:.0f} MP safety limit (a decompression bomb?); "
                             "allow it with --allow-huge")
        source_format = output_format_for(path)
        container = im.format  # exif_transpose returns an image without it
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                im.load()
                im, exif = _exif_and_upright(im, notes)
                return _photo_from_image(im, exif, path, source_format, notes, container=container, clock=clock)
            except PhotoError:
                raise
            except MemoryError as exc:
                raise PhotoError("not enough memory to open this image") from exc
            except (OSError, SyntaxError, ValueError, EOFError) as exc:
                msg = str(exc).lower()
                if "truncated" in msg or isinstance(exc, EOFError):
                    raise PhotoError(_TRUNCATED) from exc
                raise PhotoError(f"the image data is damaged ({exc})") from exc
            except Exception as exc:  # noqa: BLE001 - decoders raise assorted errors on damaged data
                raise PhotoError(f"the image data is damaged ({type(exc).__name__}: {exc})") from exc
    finally:
        im.close()


def _photo_from_image(im: Image.Image, exif: bytes | None, path: Path, source_format: str,
                      notes: list[str], *, container: str | None = None, clock: Stopwatch | None = None) -> Photo:
    icc = im.info.get("icc_profile")
    alpha = None
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
    bit_depth, was_colour = 8, False
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
        was_colour = _is_colour(rgb)
        L = lightness_from_rgb(rgb)
    else:
        raise PhotoError(f"images in {mode} mode are not supported")
    if was_colour:
        notes.append("the photo already has colour (or a sepia tone); it was re-colorized from its lightness")
    if alpha is not None and alpha.dtype != np.uint8 and bit_depth == 8:
        alpha = (alpha // 257).astype(np.uint8)
    clock.lap("colour conversion")
    return Photo(lightness=np.ascontiguousarray(L, dtype=np.float32), alpha=alpha, bit_depth=bit_depth,
                 exif=exif, icc_profile=icc, source_format=source_format, was_colour=was_colour,
                 path=path, notes=notes)


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
    return kw


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


def _write_16bit_tiff(rgb16: np.ndarray, photo: Photo | None, handle, notes: list[str]) -> None:
    import tifffile

    alpha = photo.alpha if photo is not None else None
    data = rgb16
    if alpha is not None:
        data = np.dstack((rgb16, alpha.astype(np.uint16) * (257 if alpha.dtype == np.uint8 else 1)))
    extra: dict = {}
    if photo is not None and photo.icc_profile:
        extra["iccprofile"] = photo.icc_profile
    if photo is not None and photo.exif:
        extra["extratags"] = _tiff_text_tags(photo.exif)
        notes.append("16-bit TIFF keeps the date, camera and copyright fields of the EXIF data, not all of it")
    buffer = io.BytesIO()  # tifffile wants a named file; an os.fdopen handle's name is a number
    tifffile.imwrite(buffer, data, photometric="rgb", compression="zlib",
                     extrasamples=("unassalpha",) if alpha is not None else None, **extra)
    handle.write(buffer.getbuffer())


def write_photo(rgb: np.ndarray, dest: Path | str, fmt: str, photo: Photo | None = None, *,
                quality: int = 95, overwrite: bool = False, timings: dict[str, float] | None = None) -> list[str]:
    """Write atomically. Returns notes (e.g. what the format could not keep).

    rgb: (H, W, 3) uint8, or uint16 for 16-bit sources (kept at 16 bits in TIFF only).
    The pixels go to a hidden temporary file in the destination folder, which is renamed into
    place only once complete; on any failure it is removed and a PhotoError says why.
    `timings`, when given, gains the seconds spent in "encode".
    """
    dest = Path(dest)
    clock = Stopwatch(timings)
    if fmt not in FORMATS:
        raise PhotoError(f"unknown output format {fmt!r}")
    if fmt == "webp" and max(rgb.shape[:2]) > _WEBP_MAX_SIDE:
        raise PhotoError(f"WebP cannot hold images over {_WEBP_MAX_SIDE} pixels a side "
                         f"({rgb.shape[1]}x{rgb.shape[0]}); choose --format png, jpg or tiff")
    notes: list[str] = []
    if rgb.dtype == np.uint16 and fmt != "tiff":
        notes.append("saved at 8 bits per channel (choose TIFF output to keep 16 bits)")
        rgb = ((rgb.astype(np.uint32) * 255 + 32767) // 65535).astype(np.uint8)
    if dest.exists() and not overwrite:
        raise PhotoError(f"{dest.name} already exists")
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.stem}.", suffix=".partial", dir=dest.parent)
    except FileExistsError as exc:
        raise PhotoError(f"cannot create the folder {dest.parent}: a file has that name") from exc
    except OSError as exc:
        raise PhotoError(_write_error_text(exc, dest.parent)) from exc
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            _encode_into(handle, rgb, fmt, photo, quality, notes)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o666 & ~_current_umask())  # mkstemp makes 0600; outputs are ordinary files
        os.replace(tmp, dest)
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise PhotoError(_write_error_text(exc, dest.parent)) from exc
        if isinstance(exc, Exception):  # an encoder refusing these pixels or settings
            raise PhotoError(f"could not save as {fmt.upper()} ({exc})") from exc
        raise
    clock.lap("encode")
    return notes


def _encode_into(handle, rgb: np.ndarray, fmt: str, photo: Photo | None, quality: int, notes: list[str]) -> None:
    if rgb.dtype == np.uint16:
        _write_16bit_tiff(rgb, photo, handle, notes)
    else:
        im = encode_image(rgb, fmt, photo, quality, notes)
        im.save(handle, format=FORMATS[fmt][0], **_save_kwargs(fmt, photo, quality))


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _write_error_text(exc: OSError, folder: Path) -> str:
    if exc.errno == errno.ENOSPC:
        return f"the disk is full: no room to save in {folder}"
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"permission denied: cannot write in {folder}"
    return f"could not save ({exc.strerror or exc})"
