"""The colorization network: a compact U-Net from lightness (plus hints) to ab classes.

CPU cost drives every choice here: the first convolution already halves the resolution,
the decoder stops at a quarter of the input size (chroma is smooth; the full-resolution
lightness restores detail later) and the widest layers live at 1/16 scale.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from engine.ab_bins import annealed_mean, in_gamut_bins
from engine.color import AB_RANGE
from engine.model_config import UNetConfig

INPUT_CHANNELS = 4  # L, hint a, hint b, hint mask


def _conv(cin: int, cout: int, stride: int = 1, dilation: int = 1) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, stride=stride, padding=dilation, dilation=dilation, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


class _Residual(nn.Module):
    def __init__(self, channels: int, dilation: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            _conv(channels, channels, dilation=dilation),
            nn.Conv2d(channels, channels, 3, padding=1, bias=False),
            nn.BatchNorm2d(channels),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(x + self.body(x))


class _GlobalContext(nn.Module):
    """Whole-image summary added to every position: is this a beach, a forest, a face?"""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.proj = nn.Sequential(nn.Linear(channels, channels), nn.ReLU(inplace=True), nn.Linear(channels, channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.proj(x.mean(dim=(2, 3)))[:, :, None, None]


class ColorNet(nn.Module):
    """What every colorization network offers: a config, ab classes (`bins`), logits -> ab."""

    config: UNetConfig
    bins: torch.Tensor
    head: nn.Sequential  # ends in the 1x1 convolution to the ab classes (its bias takes the prior correction)

    def decode(self, logits: torch.Tensor, temperature: float) -> torch.Tensor:
        return annealed_mean(logits, self.bins, temperature)


class ColorUNet(ColorNet):
    """Version 1.x: a compact U-Net trained from scratch on lightness alone."""

    def __init__(self, config: UNetConfig | None = None) -> None:
        super().__init__()
        config = (config or UNetConfig()).resolved()
        if config.depth < 3:
            raise ValueError("depth must be at least 3 (the output is at 1/4 scale)")
        self.config = config
        widths = [min(config.base_channels * 2**i, config.max_channels) for i in range(config.depth)]
        self.stem = nn.Sequential(_conv(INPUT_CHANNELS, widths[0], stride=2), _conv(widths[0], widths[0]))
        self.down = nn.ModuleList(
            nn.Sequential(_conv(widths[i - 1], widths[i], stride=2), _conv(widths[i], widths[i]))
            for i in range(1, config.depth)
        )
        deepest = widths[-1]
        self.bottleneck = nn.Sequential(_Residual(deepest, 2), _Residual(deepest, 4), _GlobalContext(deepest))
        # Decoder climbs from 1/2**depth back to 1/4 (level index 1).
        self.up_proj = nn.ModuleList(
            nn.Conv2d(widths[i], widths[i - 1], 1, bias=False) for i in range(config.depth - 1, 1, -1)
        )
        self.up_fuse = nn.ModuleList(_conv(widths[i - 1], widths[i - 1]) for i in range(config.depth - 1, 1, -1))
        self.head = nn.Sequential(_conv(widths[1], widths[1]), nn.Conv2d(widths[1], config.n_bins, 1))
        if config.hint_injection:
            # bottleneck, each decoder level, head; zero-initialised so adding them to a trained
            # network changes nothing until training teaches them to help.
            targets = [deepest] + [widths[i - 1] for i in range(config.depth - 1, 1, -1)] + [widths[1]]
            self.hint_proj = nn.ModuleList(nn.Conv2d(3, c, 1) for c in targets)
            for conv in self.hint_proj:
                nn.init.zeros_(conv.weight)
                nn.init.zeros_(conv.bias)
        self.register_buffer("bins", in_gamut_bins().clone()[: config.n_bins], persistent=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (B, 4, H, W) normalised input -> (B, Q, H/4, W/4) logits."""
        hints = x[:, 1:] if self.config.hint_injection else None
        x = self.stem(x)
        skips = []
        for block in self.down:
            skips.append(x)
            x = block(x)
        if hints is not None:
            x = x + self.hint_proj[0](_pooled_hints(hints, x.shape[-2:]))
        x = self.bottleneck(x)
        for level, (proj, fuse, skip) in enumerate(zip(self.up_proj, self.up_fuse, reversed(skips[1:])), 1):
            x = F.interpolate(proj(x), size=skip.shape[-2:], mode="bilinear", align_corners=False)
            if hints is not None:
                skip = skip + self.hint_proj[level](_pooled_hints(hints, skip.shape[-2:]))
            x = fuse(x + skip)
        if hints is not None:
            x = x + self.hint_proj[-1](_pooled_hints(hints, x.shape[-2:]))
        return self.head(x)


def _pooled_hints(hints: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """(B, 3, H, W) hint ab + mask -> mean hinted ab and hint presence per cell of `size`."""
    ab, mask = hints[:, :2], hints[:, 2:]
    kernel = (hints.shape[-2] // size[0], hints.shape[-1] // size[1])
    covered = F.avg_pool2d(mask, kernel)
    mean_ab = F.avg_pool2d(ab * mask, kernel) / covered.clamp(min=1e-6)
    return torch.cat((mean_ab, (covered > 0).to(hints.dtype)), dim=1)


def make_input(L: torch.Tensor, hint_ab: torch.Tensor | None = None,
               hint_mask: torch.Tensor | None = None) -> torch.Tensor:
    """Pack L (B,1,H,W) in 0..100 and optional hints (B,2,H,W), (B,1,H,W) into network input."""
    b, _, h, w = L.shape
    if hint_ab is None:
        hint_ab = L.new_zeros(b, 2, h, w)
        hint_mask = L.new_zeros(b, 1, h, w)
    return torch.cat(((L - 50.0) / 50.0, hint_ab / AB_RANGE, hint_mask), dim=1)


def count_flops(model: ColorNet, height: int, width: int) -> int:
    """Multiply-adds x2 of convolutions and linear layers for one input of this size."""
    total = 0

    def hook(module: nn.Module, inputs: tuple, output: torch.Tensor) -> None:
        nonlocal total
        if isinstance(module, nn.Conv2d):
            k = module.kernel_size[0] * module.kernel_size[1] * module.in_channels // module.groups
            total += 2 * k * output.numel()
        elif isinstance(module, nn.Linear):
            total += 2 * module.in_features * output.numel()

    handles = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    try:
        with torch.no_grad():
            model.eval()(torch.zeros(1, INPUT_CHANNELS, height, width))
    finally:
        for h in handles:
            h.remove()
    return total
