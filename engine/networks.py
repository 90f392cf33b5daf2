"""One place that turns a model file's config into its network, for every loader and trainer.

1.x files carry no `encoder` and get the U-Net they were trained as; 2.x files name their
pretrained encoder. A config naming an encoder this version does not know is refused by
`weights.check_model_info` before anything is built.
"""

from __future__ import annotations

from engine.encoder_net import ColorEncoderNet
from engine.model import ColorNet, ColorUNet
from engine.model_config import ENCODERS, UNetConfig


def build_network(config: UNetConfig | None = None) -> ColorNet:
    config = config or UNetConfig()
    if config.encoder not in ENCODERS:
        raise ValueError(f"unknown encoder {config.encoder!r}")
    return ColorEncoderNet(config) if config.encoder else ColorUNet(config)


def encoder_config(width: int = 64) -> UNetConfig:
    """The 2.x architecture: EfficientNet-Lite0 to 1/32, decoder `width` channels at 1/4 and 1/8."""
    return UNetConfig(base_channels=width, depth=5, max_channels=256, hint_injection=True,
                      encoder="efficientnet-lite0")
