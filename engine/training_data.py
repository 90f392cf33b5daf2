"""Training batches: random crops of photos in Lab, with simulated user hints."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from engine.ab_bins import nearest_bin
from engine.color import rgb_to_lab
from engine.old_prints import AgeingMix, age_lightness

Generators = torch.Generator | Sequence[torch.Generator]


def per_sample(gen: Generators, n: int) -> list[torch.Generator]:
    """One generator per sample: either the same one n times, or one of its own each.

    A generator of its own per sample (seeded from the step and the sample's place in the
    global batch) lets any process build any sample alone, so a distributed run draws exactly
    the samples a single process would.
    """
    if isinstance(gen, torch.Generator):
        return [gen] * n
    if len(gen) != n:
        raise ValueError(f"{len(gen)} generators for {n} samples")
    return list(gen)


@dataclass
class Batch:
    L: torch.Tensor         # (B, 1, S, S), 0..100
    ab: torch.Tensor        # (B, 2, S, S)
    hint_ab: torch.Tensor   # (B, 2, S, S)
    hint_mask: torch.Tensor  # (B, 1, S, S)
    L_in: torch.Tensor | None = None  # what the network sees: L, possibly aged like an old print

    def __post_init__(self) -> None:
        if self.L_in is None:
            self.L_in = self.L


def random_crops(photos: list[np.ndarray] | list[torch.Tensor], indices: list[int], size: int,
                 gen: Generators, min_area: float = 0.3) -> torch.Tensor:
    """Random-resized square crops with horizontal flips -> (B, 3, size, size) RGB in [0, 1].

    Photos are (H, W, 3) uint8 numpy arrays, or uint8 tensors already on a GPU (`--preload`),
    in which case the crops are made there; random choices always come from the CPU `gen`.
    """
    device = photos[indices[0]].device if isinstance(photos[indices[0]], torch.Tensor) else torch.device("cpu")
    out = torch.empty(len(indices), 3, size, size, device=device)
    gens = per_sample(gen, len(indices))
    for slot, idx in enumerate(indices):
        gen = gens[slot]
        img = photos[idx]
        h, w = img.shape[:2]
        area = h * w * float(torch.empty(1).uniform_(min_area, 1.0, generator=gen))
        aspect = float(torch.empty(1).uniform_(0.75, 1.333, generator=gen))
        ch = int(min(h, round((area / aspect) ** 0.5)))
        cw = int(min(w, round((area * aspect) ** 0.5)))
        y = int(torch.randint(0, h - ch + 1, (1,), generator=gen))
        x = int(torch.randint(0, w - cw + 1, (1,), generator=gen))
        if isinstance(img, torch.Tensor):
            crop = img[y : y + ch, x : x + cw].permute(2, 0, 1)
        else:
            crop = torch.from_numpy(np.ascontiguousarray(img[y : y + ch, x : x + cw])).permute(2, 0, 1)
        crop = crop[None].float() / 255.0
        crop = F.interpolate(crop, size=(size, size), mode="bilinear", align_corners=False, antialias=True)[0]
        if torch.rand(1, generator=gen) < 0.5:
            crop = crop.flip(-1)
        out[slot] = crop
    return out.clamp_(0, 1)


def simulate_hints(ab: torch.Tensor, gen: Generators, *, p_none: float = 0.5,
                   p_geometric: float = 0.125, max_hints: int = 24) -> tuple[torch.Tensor, torch.Tensor]:
    """Reveal the true ab in a few small patches, as a user clicking colours would.

    Follows Zhang et al. 2017 ("Real-Time User-Guided Image Colorization"): no hints for
    about half of the samples, otherwise a geometric number of patches of 1-5 px whose
    value is the patch's mean colour, placed with a bias to the centre.
    """
    b, _, h, w = ab.shape
    hint_ab = torch.zeros_like(ab)
    mask = torch.zeros(b, 1, h, w, device=ab.device)
    gens = per_sample(gen, b)
    for i in range(b):
        gen = gens[i]
        if float(torch.rand(1, generator=gen)) < p_none:
            continue
        u = max(float(torch.rand(1, generator=gen)), 1e-9)
        n = min(max_hints, 1 + int(np.log(u) / np.log(1 - p_geometric)))
        sizes = torch.randint(1, 6, (n,), generator=gen)  # all on the CPU: these are a few numbers
        ys = (torch.randn(n, generator=gen) * h / 4 + h / 2).clamp(0, h - 1).long()
        xs = (torch.randn(n, generator=gen) * w / 4 + w / 2).clamp(0, w - 1).long()
        for s, y, x in zip(sizes.tolist(), ys.tolist(), xs.tolist()):
            y0, x0 = min(y, h - s), min(x, w - s)
            patch = ab[i, :, y0 : y0 + s, x0 : x0 + s].mean(dim=(1, 2))
            hint_ab[i, :, y0 : y0 + s, x0 : x0 + s] = patch[:, None, None]
            mask[i, :, y0 : y0 + s, x0 : x0 + s] = 1.0
    return hint_ab, mask


def make_batch(photos: list[np.ndarray], indices: list[int], size: int, gen: Generators,
               hint_share: float = 0.5, ageing: float = 0.0) -> Batch:
    """`ageing`: share of samples whose input lightness is degraded like an old print."""
    lab = rgb_to_lab(random_crops(photos, indices, size, gen))
    ab = lab[:, 1:]
    hint_ab, mask = simulate_hints(ab, gen, p_none=1.0 - hint_share)
    L = lab[:, :1].contiguous()
    L_in = age_lightness(L, gen, AgeingMix(share=ageing)) if ageing > 0 else L
    return Batch(L, ab.contiguous(), hint_ab, mask, L_in)


def group_sampling_weights(groups: list[str], balance: float) -> torch.Tensor:
    """Per-photo sampling weights: balance 0 = every photo equally, 1 = every group equally.

    In between, a group of n photos is drawn in proportion to n**(1 - balance), so small
    groups are seen more often without repeating their few photos endlessly.
    """
    counts: dict[str, int] = {}
    for g in groups:
        counts[g] = counts.get(g, 0) + 1
    per_photo = [counts[g] ** (-balance) for g in groups]
    w = torch.tensor(per_photo, dtype=torch.float64)
    return w / w.sum()


def colour_prior(photos: list[np.ndarray], bins: torch.Tensor, sample_every: int = 8) -> torch.Tensor:
    """How often each ab bin occurs in the photos (sums to 1)."""
    counts = torch.zeros(len(bins), dtype=torch.float64)
    for img in photos:
        rgb = torch.from_numpy(np.ascontiguousarray(img[::sample_every, ::sample_every])).permute(2, 0, 1).float() / 255
        ab = rgb_to_lab(rgb)[1:][None]
        idx = nearest_bin(ab, bins).flatten()
        counts += torch.bincount(idx, minlength=len(bins)).double()
    return (counts / counts.sum()).float()


def rebalancing_weights(prior: torch.Tensor, bins: torch.Tensor, mix: float = 0.5, sigma: float = 5.0) -> torch.Tensor:
    """Per-bin loss weights that boost rare (saturated) colours, as in Zhang et al. 2016.

    mix=1 gives equal weights (no rebalancing); mix=0 fully inverts the prior.
    """
    d2 = torch.cdist(bins, bins).square()
    smooth = (torch.exp(-d2 / (2 * sigma * sigma)) @ prior)
    smooth = smooth / smooth.sum()
    w = 1.0 / ((1 - mix) * smooth + mix / len(bins))
    return w / (smooth * w).sum()
