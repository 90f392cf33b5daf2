"""Finding usable colour photos in a folder, for training and fine-tuning."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from engine.color import rgb_to_lab_np

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".tif", ".tiff", ".webp", ".bmp"}

# A photo whose mean chroma is below this (in Lab units) is greyscale or nearly so: sepia
# prints, toned scans. Training on them teaches the model that brown is always right.
NEAR_GREY_CHROMA = 6.0


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
    return sorted(p for p in Path(folder).glob(pattern) if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())


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


def mean_chroma(rgb: np.ndarray) -> float:
    lab = rgb_to_lab_np(rgb[::2, ::2].astype(np.float32) / 255.0)
    return float(np.hypot(lab[..., 1], lab[..., 2]).mean())


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
        if mean_chroma(rgb) < NEAR_GREY_CHROMA:
            scan.skipped.append((path, "greyscale or nearly so"))
            continue
        scan.usable.append(path)
        if keep_pixels:
            pixels.append(rgb)
    return (scan, pixels) if keep_pixels else scan
