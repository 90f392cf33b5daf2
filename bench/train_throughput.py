"""Training throughput (images/s) and network cost (GFLOPs) on this machine.

Prints one row per crop size for the default network, measured over real training steps
(forward, class-rebalanced loss, backward, AdamW) on random data, after a warm-up.
Usage: python bench/train_throughput.py [--steps 8] [--width 32] [--batch 24]
"""

from __future__ import annotations

import argparse
import time

import torch

from engine.ab_bins import in_gamut_bins
from engine.model import ColorUNet, UNetConfig, count_flops, make_input
from engine.train import colour_loss


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--steps", type=int, default=8)
    p.add_argument("--width", type=int, default=32)
    p.add_argument("--batch", type=int, default=24, help="batch at the smallest crop; scaled to keep pixels constant")
    p.add_argument("--sizes", default="128,160,192")
    args = p.parse_args()
    model = ColorUNet(UNetConfig(base_channels=args.width)).to(memory_format=torch.channels_last).train()
    params = sum(p.numel() for p in model.parameters())
    bins = in_gamut_bins()
    weights = torch.ones(len(bins))
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"network: width {args.width}, {params / 1e6:.2f} M parameters, "
          f"{count_flops(model, 512, 384) / 1e9:.1f} GFLOPs per 512x384 inference; {torch.get_num_threads()} threads")
    print(f"{'crop':>6s} {'batch':>6s} {'GFLOP/img fwd':>14s} {'s/step':>8s} {'img/s':>8s}")
    for size in sizes:
        batch = max(2, round(args.batch * (sizes[0] / size) ** 2))
        L = torch.rand(batch, 1, size, size) * 100
        ab = (torch.rand(batch, 2, size, size) - 0.5) * 100
        x = make_input(L).contiguous(memory_format=torch.channels_last)
        times = []
        for i in range(args.steps + 2):
            t0 = time.perf_counter()
            loss = colour_loss(model(x), ab, bins, weights)
            opt.zero_grad()
            loss.backward()
            opt.step()
            if i >= 2:
                times.append(time.perf_counter() - t0)
        step = sorted(times)[len(times) // 2]
        flops = count_flops(model, size, size) / 1e9
        model.train()
        print(f"{size:6d} {batch:6d} {flops:14.2f} {step:8.3f} {batch / step:8.1f}")


if __name__ == "__main__":
    main()
