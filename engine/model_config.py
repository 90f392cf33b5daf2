"""The network's shape settings, stored in every model file's metadata.

Apart from the network itself so that reading a model's metadata (listing models, `colorize
--list-models`) does not have to import torch.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace


@dataclass(frozen=True)
class UNetConfig:
    base_channels: int = 32  # width of the first level; CPU time grows with its square
    depth: int = 4           # resolution levels below the input (1/2 ... 1/2**depth)
    max_channels: int = 256
    n_bins: int = 0          # ab classes; 0 means "the in-gamut grid"

    def resolved(self) -> UNetConfig:
        if self.n_bins:
            return self
        from engine.ab_bins import in_gamut_bins  # torch, only once a network is built

        return replace(self, n_bins=len(in_gamut_bins()))

    def to_dict(self) -> dict:
        return asdict(self)

    @property
    def stride(self) -> int:
        """Input sides must be multiples of this."""
        return 2**self.depth

    output_stride: int = 4  # the ab map is this many times smaller than the input
    # Feed the hint colours straight into the bottleneck, decoder and head as well as the input:
    # a hint then reaches the output without having to survive the whole encoder.
    hint_injection: bool = False
    # "" is the 1.x U-Net trained from scratch; a name is a pretrained encoder (`engine.networks`).
    encoder: str = ""


ENCODERS = ("", "efficientnet-lite0")
