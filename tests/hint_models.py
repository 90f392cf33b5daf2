"""A tiny network that demonstrably follows colour hints, built by hand for the hint tests.

The bundled model is still in training and only weakly follows hints, so tests that check
"a hint pulls the output towards its colour" use this one. Everything runs through the real
pipeline (rasterize -> input channels -> hint injection -> head -> annealed mean -> render);
only the weights are chosen by hand:

- the last decoder level's first 5 channels are silenced (batch-norm scale and shift 0);
- the head's hint injection writes +a, -a, +b, -b and "hinted" into those 5 channels;
- the head copies them through and scores each ab bin q with
  2*beta*bin_q.h - beta*|bin_q|^2 * hinted  (= -beta*|bin_q - h|^2 + a constant),
  on top of a bias favouring a saturated orange, so unhinted cells are orange and hinted
  cells take the hint's colour.
"""

from __future__ import annotations

import torch

from engine.color import AB_RANGE
from engine.model import ColorUNet, UNetConfig

BETA = 0.5
BACKGROUND_AB = (40.0, 50.0)


def make_hint_following_model(seed: int = 0) -> ColorUNet:
    torch.manual_seed(seed)
    model = ColorUNet(UNetConfig(base_channels=8, depth=3, max_channels=32, hint_injection=True))
    bins = model.bins
    with torch.no_grad():
        bn = model.up_fuse[-1][1]
        bn.weight[:5] = 0
        bn.bias[:5] = 0
        proj = model.hint_proj[-1]
        proj.weight.zero_()
        proj.bias.zero_()
        # pooled hint channels: (a / AB_RANGE, b / AB_RANGE, hinted)
        proj.weight[0, 0, 0, 0], proj.weight[1, 0, 0, 0] = AB_RANGE, -AB_RANGE
        proj.weight[2, 1, 0, 0], proj.weight[3, 1, 0, 0] = AB_RANGE, -AB_RANGE
        proj.weight[4, 2, 0, 0] = 1.0
        conv, head_bn = model.head[0][0], model.head[0][1]
        conv.weight.zero_()
        for c in range(5):
            conv.weight[c, c, 1, 1] = 1.0
        head_bn.running_mean.zero_()
        head_bn.running_var.fill_(1.0)
        head_bn.weight.fill_(1.0)
        head_bn.bias.zero_()
        out = model.head[1]
        out.weight.zero_()
        out.weight[:, 0, 0, 0] = 2 * BETA * bins[:, 0]
        out.weight[:, 1, 0, 0] = -2 * BETA * bins[:, 0]
        out.weight[:, 2, 0, 0] = 2 * BETA * bins[:, 1]
        out.weight[:, 3, 0, 0] = -2 * BETA * bins[:, 1]
        out.weight[:, 4, 0, 0] = -BETA * bins.square().sum(dim=1)
        target = torch.tensor(BACKGROUND_AB)
        out.bias.copy_(-0.02 * (bins - target).square().sum(dim=1))
    return model.eval()
