"""Measuring a model on colour photos it has not seen, always beside the "predict grey" baseline.

Each photo is turned grey (its own lightness), colorized, and compared with the original at
the photo's own size. The hint sweep gives the model a few true colours at random points,
as a user would, to show how well it follows hints.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from engine.hints import Hint
from engine.infer import DEFAULT_RENDER_SIZE, Colorizer
from engine.metrics import all_metrics, colourfulness
from engine.photo_io import read_photo

METRIC_NAMES = ("psnr", "ssim", "ciede2000", "colourfulness")


@dataclass
class EvalRow:
    label: str
    metrics: dict[str, float]          # means over photos
    colourfulness_ratio: float         # mean output colourfulness / mean ground-truth colourfulness


@dataclass
class EvalReport:
    photos: int
    rows: list[EvalRow] = field(default_factory=list)
    truth_colourfulness: float = 0.0

    def row(self, label: str) -> EvalRow:
        return next(r for r in self.rows if r.label == label)

    def to_json(self) -> dict:
        return {"photos": self.photos, "truth_colourfulness": self.truth_colourfulness,
                "rows": [{"label": r.label, **r.metrics, "colourfulness_ratio": r.colourfulness_ratio}
                         for r in self.rows]}

    def table(self) -> str:
        head = f"{'':24s} {'PSNR dB':>8s} {'SSIM':>7s} {'CIEDE2000':>10s} {'colourful':>10s} {'ratio':>6s}"
        lines = [head, "-" * len(head)]
        for r in self.rows:
            m = r.metrics
            lines.append(f"{r.label:24s} {m['psnr']:8.2f} {m['ssim']:7.4f} {m['ciede2000']:10.2f} "
                         f"{m['colourfulness']:10.2f} {r.colourfulness_ratio:6.2f}")
        lines.append(f"{'ground truth':24s} {'':8s} {'':7s} {'':10s} {self.truth_colourfulness:10.2f} {1.0:6.2f}")
        lines.append(f"({self.photos} photos; colourfulness: Hasler-Süsstrunk M3 on sRGB 0-255; "
                     "ratio = mean output / mean ground truth)")
        return "\n".join(lines)


def load_truth(path: Path) -> np.ndarray:
    with Image.open(path) as im:
        return np.asarray(ImageOps.exif_transpose(im).convert("RGB"))


def random_true_hints(truth: np.ndarray, count: int, rng: np.random.Generator, patch: int = 5) -> list[Hint]:
    """Hints with the photo's true colour (a small patch's mean) at random points, biased to the centre."""
    h, w = truth.shape[:2]
    hints = []
    for _ in range(count):
        y = int(np.clip(rng.normal(h / 2, h / 4), 0, h - 1))
        x = int(np.clip(rng.normal(w / 2, w / 4), 0, w - 1))
        y0, x0 = max(0, y - patch // 2), max(0, x - patch // 2)
        r, g, b = truth[y0 : y0 + patch, x0 : x0 + patch].reshape(-1, 3).mean(axis=0).round().astype(int)
        hints.append(Hint(float(x), float(y), f"#{r:02x}{g:02x}{b:02x}"))
    return hints


def evaluate(colorizer: Colorizer, paths: Sequence[Path], *, hint_counts: Sequence[int] = (0,),
             render_size: int = DEFAULT_RENDER_SIZE, temperatures: Sequence[float] | None = None,
             seed: int = 0, progress: Callable[[int, int], None] | None = None) -> EvalReport:
    """Metrics for grey, the model at each temperature (no hints) and each hint count."""
    base_temperature = colorizer.info.temperature
    temperatures = list(temperatures or [base_temperature])
    configs: list[tuple[str, float, int]] = [(f"model T={t:g}" if len(temperatures) > 1 else "model", t, 0)
                                             for t in temperatures]
    configs += [(f"model + {n} hint{'s' if n != 1 else ''}", base_temperature, n) for n in hint_counts if n > 0]
    sums: dict[str, dict[str, float]] = {"grey (a=b=0)": dict.fromkeys(METRIC_NAMES, 0.0)}
    sums.update({label: dict.fromkeys(METRIC_NAMES, 0.0) for label, _, _ in configs})
    truth_colour = 0.0
    rng = np.random.default_rng(seed)
    try:
        for i, path in enumerate(paths):
            truth = load_truth(path)
            photo = read_photo(path)
            truth_colour += colourfulness(truth)
            grey = colorizer.render(photo.lightness, colorizer.predict_chroma(photo), strength=0.0)
            _accumulate(sums["grey (a=b=0)"], all_metrics(grey, truth))
            for label, t, n_hints in configs:
                colorizer.info.temperature = t
                hints = random_true_hints(truth, n_hints, rng) if n_hints else None
                out = colorizer.colorize(photo, hints, render_size).rgb
                _accumulate(sums[label], all_metrics(out, truth))
            if progress is not None:
                progress(i + 1, len(paths))
    finally:
        colorizer.info.temperature = base_temperature
    n = max(len(paths), 1)
    report = EvalReport(photos=len(paths), truth_colourfulness=truth_colour / n)
    for label, s in sums.items():
        means = {k: v / n for k, v in s.items()}
        report.rows.append(EvalRow(label, means, means["colourfulness"] / max(report.truth_colourfulness, 1e-9)))
    return report


def _accumulate(total: dict[str, float], values: dict[str, float]) -> None:
    for k, v in values.items():
        total[k] += v


def comparison_grid(colorizer: Colorizer, paths: Sequence[Path], *, with_truth: bool = True,
                    tile: int = 256, render_size: int = DEFAULT_RENDER_SIZE) -> Image.Image:
    """One row per photo: grey input | model output | ground truth (when with_truth)."""
    columns = 3 if with_truth else 2
    grid = Image.new("RGB", (columns * tile, len(paths) * tile), "white")
    for row, path in enumerate(paths):
        photo = read_photo(path)
        out = colorizer.colorize(photo, None, render_size).rgb
        grey = colorizer.render(photo.lightness, colorizer.predict_chroma(photo), strength=0.0)
        tiles = [grey, out] + ([load_truth(path)] if with_truth else [])
        for col, arr in enumerate(tiles):
            im = Image.fromarray(arr if arr.dtype == np.uint8 else (arr // 257).astype(np.uint8))
            im.thumbnail((tile, tile), Image.Resampling.LANCZOS)
            grid.paste(im, (col * tile + (tile - im.width) // 2, row * tile + (tile - im.height) // 2))
    return grid
