"""The choices a user is offered (formats, sizes, strength, devices) and their limits.

Importing this loads neither numpy nor torch, so `colorize --help` and argument checks answer
at once; the modules that do the work import these names from here.
"""

from __future__ import annotations

from pathlib import Path

FORMATS = {  # --format name -> (Pillow format, file suffix)
    "png": ("PNG", ".png"),
    "jpg": ("JPEG", ".jpg"),
    "tiff": ("TIFF", ".tif"),
    "webp": ("WEBP", ".webp"),
}
_SUFFIX_TO_FORMAT = {".png": "png", ".jpg": "jpg", ".jpeg": "jpg", ".tif": "tiff", ".tiff": "tiff",
                     ".webp": "webp"}
READABLE_SUFFIXES = {".jpg", ".jpeg", ".png", ".tif", ".tiff", ".webp", ".bmp", ".gif"}  # photos to colorize
# Photos to learn colours from: not GIF, whose 256-colour palette (dithered) is no true colour to teach.
TRAINING_SUFFIXES = READABLE_SUFFIXES - {".gif"}
# Over this, a photo is refused unless allowed (--allow-huge): a decompression bomb or a typo.
DEFAULT_MAX_PIXELS = 150_000_000

DEFAULT_RENDER_SIZE = 256
MIN_RENDER_SIZE = 64
MAX_STRENGTH = 2.0

# resume: a photo whose result is already there is done (a re-run finishes what is left);
# rename: always a new, numbered copy; skip: leave any name already taken; overwrite: replace.
IF_EXISTS = ("resume", "rename", "skip", "overwrite")
DEVICE_CHOICES = ("auto", "cpu", "cuda", "mps")


def output_format_for(path: Path) -> str:
    """The output format that matches an input's own (PNG for formats we do not write)."""
    return _SUFFIX_TO_FORMAT.get(Path(path).suffix.lower(), "png")
