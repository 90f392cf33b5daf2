"""Measuring a model on colour photos it has not seen, always beside the "predict grey" baseline.

Each photo is turned grey (its own lightness), colorized, and compared with the original at
the photo's own size. The hint sweep gives the model a few true colours at random points,
as a user would, to show how well it follows hints.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from engine.hints import Hint
from engine.infer import DEFAULT_RENDER_SIZE, Colorizer
from engine.metrics import all_metrics, colourfulness
from engine.photo_io import read_photo

METRIC_NAMES = ("psnr", "ssim", "ciede2000", "colourfulness", "cast_a", "cast_b")
GREY = "grey (a=b=0)"


@dataclass
class EvalRow:
    label: str
    metrics: dict[str, float]          # means over photos
    colourfulness_ratio: float         # mean output colourfulness / mean ground-truth colourfulness
    photos: int = 0


@dataclass
class _Scored:
    group: str
    truth_colourfulness: float
    metrics: dict[str, dict[str, float]]   # label -> metric -> value


def _summarise(scored: Sequence[_Scored], labels: Sequence[str]) -> list[EvalRow]:
    n = max(len(scored), 1)
    truth = sum(p.truth_colourfulness for p in scored) / n
    rows = []
    for label in labels:
        means = {k: sum(p.metrics[label][k] for p in scored) / n for k in METRIC_NAMES}
        rows.append(EvalRow(label, means, means["colourfulness"] / max(truth, 1e-9), len(scored)))
    return rows


@dataclass
class EvalReport:
    """Per-photo scores, summarised for all photos, per group and as the mean over groups.

    The mean over groups is the headline: one number over all photos lets the largest group
    (faces, once) hide that the model is worse than grey on everything else.
    """

    photos: int
    labels: list[str] = field(default_factory=list)
    scored: list[_Scored] = field(default_factory=list)

    @property
    def rows(self) -> list[EvalRow]:
        return _summarise(self.scored, self.labels)

    @property
    def truth_colourfulness(self) -> float:
        return sum(p.truth_colourfulness for p in self.scored) / max(len(self.scored), 1)

    def row(self, label: str) -> EvalRow:
        return next(r for r in self.rows if r.label == label)

    @property
    def groups(self) -> list[str]:
        return sorted({p.group for p in self.scored})

    def group_rows(self, group: str) -> list[EvalRow]:
        return _summarise([p for p in self.scored if p.group == group], self.labels)

    def mean_over_groups(self) -> list[EvalRow]:
        per_group = [self.group_rows(g) for g in self.groups]
        rows = []
        for i, label in enumerate(self.labels):
            means = {k: float(np.mean([rs[i].metrics[k] for rs in per_group])) for k in METRIC_NAMES}
            ratio = float(np.mean([rs[i].colourfulness_ratio for rs in per_group]))
            rows.append(EvalRow(label, means, ratio, self.photos))
        return rows

    def to_json(self) -> dict:
        def plain(rows: list[EvalRow]) -> list[dict]:
            return [{"label": r.label, **r.metrics, "colourfulness_ratio": r.colourfulness_ratio, "photos": r.photos}
                    for r in rows]

        return {"photos": self.photos, "truth_colourfulness": self.truth_colourfulness,
                "mean_over_groups": plain(self.mean_over_groups()),
                "groups": {g: plain(self.group_rows(g)) for g in self.groups},
                "rows": plain(self.rows)}

    def table(self) -> str:
        """One block per model setting: a row per group, then the mean over groups and all photos,
        each beside grey from the same run."""
        groups = self.groups
        sections = [("mean over groups", self.mean_over_groups())]
        sections += [(g, self.group_rows(g)) for g in groups] if len(groups) > 1 else []
        sections += [("all photos", self.rows)]
        head = (f"{'':18s} {'n':>4s} {'PSNR':>6s} {'vs grey':>8s} {'CIEDE':>6s} {'x grey':>7s} "
                f"{'colour':>7s} {'cast a':>7s} {'cast b':>7s} {'SSIM':>7s}")
        out = []
        for label in self.labels:
            out += ["", label, head, "-" * len(head)]
            i = self.labels.index(label)
            for name, rows in sections:
                r, g = rows[i], rows[0]
                m, gm = r.metrics, g.metrics
                out.append(f"{name:18s} {r.photos:4d} {m['psnr']:6.2f} {m['psnr'] - gm['psnr']:+8.2f} "
                           f"{m['ciede2000']:6.2f} {m['ciede2000'] / max(gm['ciede2000'], 1e-9):7.3f} "
                           f"{r.colourfulness_ratio:7.2f} {m['cast_a']:+7.2f} {m['cast_b']:+7.2f} {m['ssim']:7.4f}")
        out.append("")
        out.append(f"({self.photos} photos in {len(groups)} group(s); 'vs grey' and 'x grey' compare with "
                   f"'{GREY}' in the same run; colour = output / true colourfulness (Hasler-Süsstrunk M3); "
                   "cast = mean a*, b* of output minus truth)")
        return "\n".join(out).lstrip("\n")


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
             render_sizes: Sequence[int] | None = None, groups: Mapping[Path, str] | None = None,
             seed: int = 0, progress: Callable[[int, int], None] | None = None) -> EvalReport:
    """Metrics for grey, the model at each temperature and render size (no hints) and each hint
    count (at the model's own temperature and `render_size`), per photo and group.

    The network runs once per photo and render size; each temperature only decodes again.
    """
    temperatures = list(temperatures or [colorizer.info.temperature])
    sizes = list(render_sizes or [render_size])

    def label(t: float, size: int) -> str:
        parts = ["model"] + ([f"T={t:g}"] if len(temperatures) > 1 else []) + ([f"@{size}"] if len(sizes) > 1 else [])
        return " ".join(parts)

    plain = [(label(t, size), t, size) for size in sizes for t in temperatures]
    hinted = [(f"model + {n} hint{'s' if n != 1 else ''}", n) for n in hint_counts if n > 0]
    report = EvalReport(photos=len(paths), labels=[GREY] + [lb for lb, _, _ in plain] + [lb for lb, _ in hinted])
    rng = np.random.default_rng(seed)
    for i, path in enumerate(paths):
        truth = load_truth(path)
        photo = read_photo(path)
        scores: dict[str, dict[str, float]] = {}
        for size in sizes:
            L, L_small = colorizer.working_lightness(photo, size)
            chroma, logits = colorizer.predict_from_lightness(L, L_small, photo.size)
            if GREY not in scores:
                grey = colorizer.render(photo.lightness, chroma, strength=0.0)
                scores[GREY] = all_metrics(grey, truth)
            for lb, t, s in plain:
                if s != size:
                    continue
                out = colorizer.render(photo.lightness, colorizer.redecode(chroma, logits, t))
                scores[lb] = all_metrics(out, truth)
        for lb, n_hints in hinted:
            chroma = colorizer.predict_chroma(photo, random_true_hints(truth, n_hints, rng), render_size)
            scores[lb] = all_metrics(colorizer.render(photo.lightness, chroma), truth)
        report.scored.append(_Scored((groups or {}).get(Path(path), "all"), colourfulness(truth), scores))
        if progress is not None:
            progress(i + 1, len(paths))
    return report


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
