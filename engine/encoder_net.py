"""Version 2.x: a pretrained ImageNet encoder that knows what it is looking at, and a light decoder.

The encoder (EfficientNet-Lite0, `engine.encoder`) sees only the grey photo and gives
features at 1/4..1/32 scale that know "barn", "flower", "dog". A small full-resolution path
reads lightness and the hint channels (where fine edges and the user's colours are exact), and
a feature-pyramid decoder climbs from 1/32 to 1/4, where the ab classes are predicted as in 1.x.

Hints stay local: they enter the decoder at 1/16, 1/8 and 1/4 (pooled per cell) and through the
detail path, never before the whole-image context block, so one hint on a swimsuit cannot shift
the summary that colours the tapestry behind it.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from engine.ab_bins import in_gamut_bins
from engine.encoder import TAP_CHANNELS, LiteEncoder, grey_input
from engine.model import ColorNet, _conv, _GlobalContext, _pooled_hints
from engine.model_config import UNetConfig

# Which encoder layers are trained, from none to all: the stem and the high-resolution stages
# cost most to train backwards through and hold generic edges that need no change for grey input.
ENCODER_TRAINING = ("frozen", "late", "all")
_LATE_FROM_STAGE = 4  # stages 4-6: 1/16 and 1/32 scale, the object-level features


class ColorEncoderNet(ColorNet):
    def __init__(self, config: UNetConfig) -> None:
        super().__init__()
        config = config.resolved()
        if config.depth != 5:
            raise ValueError("the EfficientNet encoder ends at 1/32 scale (depth 5)")
        self.config = config
        w = config.base_channels
        wide = min(2 * w, config.max_channels)
        self.encoder = LiteEncoder()
        self.detail = nn.Sequential(_conv(4, 16, stride=2), _conv(16, 32, stride=2))
        self.top = nn.Sequential(nn.Conv2d(TAP_CHANNELS[32], wide, 1, bias=False), nn.BatchNorm2d(wide),
                                 nn.ReLU(inplace=True), _GlobalContext(wide))
        self.lateral16 = nn.Conv2d(TAP_CHANNELS[16], wide, 1)
        self.fuse16 = _conv(wide, wide)
        self.narrow16 = nn.Conv2d(wide, w, 1, bias=False)
        self.lateral8 = nn.Conv2d(TAP_CHANNELS[8], w, 1)
        self.fuse8 = _conv(w, w)
        self.lateral4 = nn.Conv2d(TAP_CHANNELS[4] + 32, w, 1)
        self.fuse4 = nn.Sequential(_conv(w, w), _conv(w, w))
        self.hint_proj = nn.ModuleList(nn.Conv2d(3, c, 1) for c in (wide, w, w))
        self.head = nn.Sequential(nn.Conv2d(w, config.n_bins, 1))
        self.register_buffer("bins", in_gamut_bins().clone()[: config.n_bins], persistent=True)
        self._frozen: list[nn.Module] = []

    def set_encoder_training(self, mode: str) -> None:
        """"frozen": no encoder layer learns; "late": only the 1/16 and 1/32 stages; "all".

        Frozen layers also keep their batch-norm statistics (ImageNet's), in train mode too.
        """
        if mode not in ENCODER_TRAINING:
            raise ValueError(f"encoder training must be one of {', '.join(ENCODER_TRAINING)}")
        enc = self.encoder
        parts = [enc.stem, *enc.stages]
        n_frozen = {"frozen": len(parts), "late": 1 + _LATE_FROM_STAGE, "all": 0}[mode]
        self._frozen = parts[:n_frozen]
        for i, part in enumerate(parts):
            part.requires_grad_(i >= n_frozen)
        self.train(self.training)

    def train(self, mode: bool = True) -> ColorEncoderNet:
        super().train(mode)
        for part in self._frozen:
            part.eval()
        return self

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (B, 4, H, W) normalised input (`make_input`) -> (B, Q, H/4, W/4) logits."""
        hints = x[:, 1:]
        grey = grey_input(x[:, :1] * 50.0 + 50.0)
        if len(self._frozen) == 1 + len(self.encoder.stages) and self.training:
            with torch.no_grad():  # nothing to learn there: keep no activations for a backward pass
                feats = self.encoder(grey)
        else:
            feats = self.encoder(grey)
        y = self.top(feats[32])
        y = self.narrow16(self.fuse16(self._climb(y, self.lateral16(feats[16]), 0, hints)))
        y = self.fuse8(self._climb(y, self.lateral8(feats[8]), 1, hints))
        fine = self.lateral4(torch.cat((feats[4], self.detail(x)), dim=1))
        return self.head(self.fuse4(self._climb(y, fine, 2, hints)))

    def _climb(self, coarse: torch.Tensor, lateral: torch.Tensor, level: int, hints: torch.Tensor) -> torch.Tensor:
        """Upsample to the next finer level and add what that level knows: its features and the hints there."""
        size = lateral.shape[-2:]
        up = F.interpolate(coarse, size=size, mode="bilinear", align_corners=False)
        return up + lateral + self.hint_proj[level](_pooled_hints(hints, size))
