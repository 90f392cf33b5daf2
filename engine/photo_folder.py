"""Finding usable colour photos in a folder, for training and fine-tuning; telling a colour
photo from a black-and-white or toned one (also for what `colorize` leaves alone).

Importing this loads no torch (the Fine-tune tab lists a folder before the model has loaded);
`engine.color` is imported when a photo's colours are first looked at.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from engine.options import TRAINING_SUFFIXES

# Monochrome photos (grey, sepia or otherwise toned) teach the model that brown is always
# right, so training skips them. A muted colour photo (a street in overcast light, snow) is
# *not* monochrome and must stay: skipping those taught the model to paint every street.
# What sets a toned print apart is that its colour is a function of its lightness alone (one
# tint per grey level) and weak; measured on train/ v2, the old rule (mean chroma under 6)
# dropped 77 % of camvid and 33 % of pedestrian-streets, this one 0 % of either, while
# catching every synthetic sepia, cream and blue-toned print with sensor noise.
TONED_RESIDUAL = 4.5    # 95th percentile of |ab - mean ab at that lightness|, Lab units
TONED_MAX_CHROMA = 25.0  # no lightness level of a toned print is more saturated than this
# A colour photo added to a batch by mistake (is_colour_photo): see its docstring for the data.
COLOUR_RESIDUAL = 12.5     # the aged prints of bw-samples reach 11.8; colour photos' median is 21
SECOND_HUE_CHROMA = 8.0    # a clear colour, not paper tone or JPEG noise
SECOND_HUE_DEGREES = 30.0  # this far in hue from the print's tint
SECOND_HUE_SHARE = 0.03    # of the photo; stains and bluish shadows on the prints of bw-samples: 1.8 % at most


@dataclass
class FolderScan:
    usable: list[Path] = field(default_factory=list)
    skipped: list[tuple[Path, str]] = field(default_factory=list)

    def skip_reasons(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for _, reason in self.skipped:
            counts[reason] = counts.get(reason, 0) + 1
        return counts


def list_images(folder: Path, recursive: bool = True) -> list[Path]:
    pattern = "**/*" if recursive else "*"
    return sorted(p for p in Path(folder).glob(pattern) if p.suffix.lower() in TRAINING_SUFFIXES and p.is_file())


def read_groups(folder: Path) -> dict[str, str]:
    """Relative path -> group, from the folder's MANIFEST.tsv (a `file` and a `group` column).

    Our data sets say what kind of photo each file is (portrait, street, ...), so training can
    sample and evaluation can report by group instead of letting the largest one dominate.
    """
    manifest = Path(folder) / "MANIFEST.tsv"
    if not manifest.is_file():
        return {}
    lines = manifest.read_text(encoding="utf-8", errors="replace").splitlines()
    if not lines:
        return {}
    head = lines[0].split("\t")
    if "file" not in head or "group" not in head:
        return {}
    fi, gi = head.index("file"), head.index("group")
    rows = (line.split("\t") for line in lines[1:])
    return {r[fi]: r[gi] for r in rows if len(r) > max(fi, gi)}


def group_of(path: Path, folder: Path, manifest: dict[str, str]) -> str:
    """A photo's group: its MANIFEST.tsv row, else its first sub-folder, else the folder's name."""
    rel = Path(path).relative_to(folder).as_posix()
    return manifest.get(rel) or (rel.split("/")[0] if "/" in rel else Path(folder).name)


def load_small_rgb(path: Path, short_side: int) -> np.ndarray:
    """Decode at roughly `short_side` (JPEG draft mode decodes at 1/2, 1/4 ... for speed)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with Image.open(path) as im:
            im.draft("RGB", (short_side, short_side))
            im = im.convert("RGB")
            w, h = im.size
            scale = short_side / min(w, h)
            if scale < 1:
                size = (max(1, round(w * scale)), max(1, round(h * scale)))
                im = im.resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0)
            return np.asarray(im, dtype=np.uint8)


def _tone_residual(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """Lab of every other pixel; how far each pixel's colour is from the mean tint of its
    lightness level; and the strongest tint of a level holding at least 1 % of the photo."""
    from engine.color import rgb_to_lab_np

    lab = rgb_to_lab_np(rgb[::2, ::2].astype(np.float32) / 255.0).reshape(-1, 3)
    levels = np.clip((lab[:, 0] / 5).astype(int), 0, 20)
    counts = np.bincount(levels, minlength=21)
    safe = counts.clip(min=1)
    mean_a = np.bincount(levels, lab[:, 1], 21) / safe
    mean_b = np.bincount(levels, lab[:, 2], 21) / safe
    residual = np.hypot(lab[:, 1] - mean_a[levels], lab[:, 2] - mean_b[levels])
    populated = counts >= 0.01 * len(levels)
    tint = float(np.hypot(mean_a, mean_b)[populated].max(initial=0.0))
    return lab, residual, tint


def is_monochrome(rgb: np.ndarray) -> bool:
    """True for grey and toned (sepia, cyanotype, cream) photos: one tint per lightness level."""
    _, residual, tint = _tone_residual(rgb)
    return float(np.percentile(residual, 95)) < TONED_RESIDUAL and tint < TONED_MAX_CHROMA


def is_colour_photo(rgb: np.ndarray) -> bool:
    """True for a real colour photo (or a hand-tinted print), which colorizing would make worse.

    The same measure as `is_monochrome`, read the other way round: training must keep muted
    colour photos, colorizing must never refuse an old print. A print aged unevenly (a
    yellowed edge, a foxing stain, bluish shadows on a sepia card) breaks "one tint per
    lightness level" without being colour, so it also needs either colours far off one tint
    at its lightness, or a clear second hue (hand-tinted blue clothes, a teal wall). Measured
    on ../shared/data: none of the 38 black-and-white and sepia prints of bw-samples (the two
    Autochrome colour plates there are colour), 81 % of 300 colour photos of val (the rest are
    near-grey or one hue, like a face on a beige wall, and are colorized as before).
    """
    lab, residual, tint = _tone_residual(rgb)
    spread = float(np.percentile(residual, 95))
    if spread < TONED_RESIDUAL and tint < TONED_MAX_CHROMA:  # is_monochrome
        return False
    if spread > COLOUR_RESIDUAL:
        return True
    a, b = lab[:, 1], lab[:, 2]
    chroma = np.hypot(a, b)
    # The print's tint: the chroma-weighted mean hue; a second hue is any clear colour far from it.
    main = np.arctan2(float((chroma * b).sum()), float((chroma * a).sum()))
    off = np.abs(np.angle(np.exp(1j * (np.arctan2(b, a) - main))))
    return float(((chroma > SECOND_HUE_CHROMA) & (off > np.radians(SECOND_HUE_DEGREES))).mean()) > SECOND_HUE_SHARE


def scan_folder(folder: Path, *, min_side: int = 128, short_side: int = 224, keep_pixels: bool = False):
    """Sort a folder's images into usable and skipped (with the reason).

    With keep_pixels, also returns the decoded small RGB arrays of the usable photos, so a
    training run decodes each file only once.
    """
    scan = FolderScan()
    pixels: list[np.ndarray] = []
    for path in list_images(folder):
        try:
            rgb = load_small_rgb(path, short_side)
        except UnidentifiedImageError:
            scan.skipped.append((path, "not a readable image"))
            continue
        except (OSError, ValueError, Image.DecompressionBombError) as exc:
            scan.skipped.append((path, f"unreadable ({type(exc).__name__})"))
            continue
        if min(rgb.shape[:2]) < min(min_side, short_side):
            scan.skipped.append((path, f"too small (under {min_side} px)"))
            continue
        if is_monochrome(rgb):
            scan.skipped.append((path, "greyscale or toned"))
            continue
        scan.usable.append(path)
        if keep_pixels:
            pixels.append(rgb)
    return (scan, pixels) if keep_pixels else scan
