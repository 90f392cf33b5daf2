"""What time does to a black-and-white print, applied to the lightness a network is trained on.

Real input is not the clean grey of a modern photo: it is faded, grainy, scratched, blurred,
unevenly exposed and often JPEG-compressed. Training on clean greys alone teaches the network
that a lifted black or a grain pattern is a colour cue. Each degradation here changes only the
network's *input* lightness; the target colours stay the photo's own.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image


@dataclass(frozen=True)
class AgeingMix:
    """How often each degradation is applied (independently) to an aged sample."""

    share: float = 0.6        # samples that get any ageing at all
    tone: float = 0.7         # fading, crushed or lifted blacks, gamma
    exposure: float = 0.35    # uneven exposure / vignetting
    blur: float = 0.35
    grain: float = 0.5
    jpeg: float = 0.3
    scratches: float = 0.3


def _uniform(gen: torch.Generator, lo: float, hi: float) -> float:
    return lo + (hi - lo) * float(torch.rand(1, generator=gen))


def _chance(gen: torch.Generator, p: float) -> bool:
    return float(torch.rand(1, generator=gen)) < p


def _tone(L: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Faded prints: a narrower lightness range (lifted blacks, dull whites) and a tone curve."""
    lo, hi = _uniform(gen, -8.0, 25.0), _uniform(gen, 70.0, 105.0)
    gamma = math.exp(_uniform(gen, -0.35, 0.35))
    x = (L / 100.0).clamp(0, 1) ** gamma
    return lo + x * (hi - lo)


def _exposure(L: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Uneven exposure: a smooth multiplicative field (3x3 control points) or a vignette."""
    _, h, w = L.shape
    if _chance(gen, 0.5):
        field = 1 + _uniform(gen, 0.05, 0.3) * (torch.rand(1, 1, 3, 3, generator=gen) * 2 - 1)
        field = F.interpolate(field.to(L.device), size=(h, w), mode="bicubic", align_corners=True)[0]
    else:
        ys = torch.linspace(-1, 1, h, device=L.device)[:, None]
        xs = torch.linspace(-1, 1, w, device=L.device)[None, :]
        field = (1 - _uniform(gen, 0.1, 0.45) * (ys.square() + xs.square()) / 2)[None]
    return L * field


def _gaussian_kernel(sigma: float) -> torch.Tensor:
    radius = max(1, int(math.ceil(2.5 * sigma)))
    x = torch.arange(-radius, radius + 1, dtype=torch.float32)
    k = torch.exp(-x.square() / (2 * sigma * sigma))
    return k / k.sum()


def _blur(L: torch.Tensor, sigma: float) -> torch.Tensor:
    k = _gaussian_kernel(sigma).to(L.device)
    r = len(k) // 2
    x = F.pad(L[None], (r, r, r, r), mode="replicate")
    x = F.conv2d(x, k.view(1, 1, 1, -1))
    x = F.conv2d(x, k.view(1, 1, -1, 1))
    return x[0]


def _grain(L: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Film grain: noise of 1-2 px clumps, stronger in the mid-tones as in silver prints."""
    _, h, w = L.shape
    clump = 1 if _chance(gen, 0.5) else 2
    noise = torch.randn(1, 1, (h + clump - 1) // clump, (w + clump - 1) // clump, generator=gen).to(L.device)
    noise = F.interpolate(noise, scale_factor=clump, mode="bilinear", align_corners=False)[0, :, :h, :w]
    midtone = 0.5 + 2.0 * (L / 100).clamp(0, 1) * (1 - (L / 100).clamp(0, 1))
    return L + _uniform(gen, 1.0, 7.0) * midtone * noise


def _jpeg(L: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Blocking and ringing of a low-quality JPEG of the scan."""
    grey = (L[0].clamp(0, 100) * 2.55 + 0.5).to(torch.uint8).cpu().numpy()
    buffer = io.BytesIO()
    Image.fromarray(grey, "L").save(buffer, "JPEG", quality=int(_uniform(gen, 15, 70)))
    buffer.seek(0)
    with Image.open(buffer) as im:
        back = np.asarray(im.convert("L"), dtype=np.float32)
    return torch.from_numpy(back.copy())[None].to(L.device) / 2.55


def _scratches(L: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Thin bright or dark scratches and dust specks."""
    _, h, w = L.shape
    out = L.clone()
    ys = torch.arange(h, dtype=torch.float32, device=L.device)[:, None]
    xs = torch.arange(w, dtype=torch.float32, device=L.device)[None, :]
    for _ in range(int(torch.randint(1, 5, (1,), generator=gen))):
        # A line through a random point at a random (mostly near-vertical) angle.
        angle = _uniform(gen, -0.4, 0.4) + (math.pi / 2 if _chance(gen, 0.7) else _uniform(gen, 0, math.pi))
        cy, cx = _uniform(gen, 0, h), _uniform(gen, 0, w)
        dist = ((xs - cx) * math.sin(angle) - (ys - cy) * math.cos(angle)).abs()
        line = (1 - dist / _uniform(gen, 0.6, 1.5)).clamp(min=0)
        value = _uniform(gen, 85, 100) if _chance(gen, 0.7) else _uniform(gen, 0, 15)
        out = out + line[None] * (value - out) * _uniform(gen, 0.4, 1.0)
    n_specks = int(torch.randint(0, 40, (1,), generator=gen))
    if n_specks:
        py = torch.randint(0, h, (n_specks,), generator=gen).to(L.device)
        px = torch.randint(0, w, (n_specks,), generator=gen).to(L.device)
        bright = (torch.rand(n_specks, generator=gen) < 0.6).to(L.device)
        out[0, py, px] = torch.where(bright, 95.0, 5.0)
    return out


def age_lightness(L: torch.Tensor, gen: torch.Generator | Sequence[torch.Generator],
                  mix: AgeingMix = AgeingMix()) -> torch.Tensor:
    """Age a batch of lightness maps (B, 1, H, W), 0..100, in place of a new tensor.

    Order follows the life of a print: developed (tone), exposed unevenly, optically soft,
    grainy, then damaged, and finally scanned to JPEG. `gen` may be one generator per sample.
    """
    out = L.clone()
    gens = [gen] * L.shape[0] if isinstance(gen, torch.Generator) else list(gen)
    for i in range(L.shape[0]):
        gen = gens[i]
        if not _chance(gen, mix.share):
            continue
        x = out[i]
        if _chance(gen, mix.tone):
            x = _tone(x, gen)
        if _chance(gen, mix.exposure):
            x = _exposure(x, gen)
        if _chance(gen, mix.blur):
            x = _blur(x, _uniform(gen, 0.4, 1.6))
        if _chance(gen, mix.grain):
            x = _grain(x, gen)
        if _chance(gen, mix.scratches):
            x = _scratches(x, gen)
        if _chance(gen, mix.jpeg):
            x = _jpeg(x, gen)
        out[i] = x.clamp(0, 100)
    return out
