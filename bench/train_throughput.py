"""Training throughput (crops/s) of the networks side by side, on this machine, in one run.

One row per network and crop size, measured over real training steps (forward,
class-rebalanced loss, backward, AdamW) on random data after a warm-up. Depthwise
convolutions are slow on CPUs, so FLOPs do not tell the time: this does.
Usage: python bench/train_throughput.py [--steps 6] [--batch 16] [--sizes 128,192]
       [--nets v1,frozen,late,all] [--width 64]
"""

from __future__ import annotations

import argparse
import time

import torch

from engine.ab_bins import in_gamut_bins
from engine.model import UNetConfig, count_flops, make_input
from engine.networks import build_network, encoder_config
from engine.train import colour_loss

NETS = ("v1", "frozen", "late", "all")


def make(name: str, width: int) -> torch.nn.Module:
    if name == "v1":
        return build_network(UNetConfig(base_channels=32, hint_injection=True))
    model = build_network(encoder_config(width))
    model.set_encoder_training(name)
    return model


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--steps", type=int, default=6)
    p.add_argument("--width", type=int, default=64, help="decoder width of the encoder networks")
    p.add_argument("--batch", type=int, default=16, help="batch at the smallest crop; scaled to keep pixels constant")
    p.add_argument("--sizes", default="128,192")
    p.add_argument("--nets", default=",".join(NETS), help=f"some of {', '.join(NETS)}")
    args = p.parse_args()
    bins = in_gamut_bins()
    weights = torch.ones(len(bins))
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"{torch.get_num_threads()} threads; encoder networks: EfficientNet-Lite0 + decoder width {args.width}")
    heads = ("network", 8), ("params M", 9), ("crop", 5), ("batch", 6), ("GFLOP/img", 10), ("s/step", 7), ("img/s", 7)
    print(" ".join(f"{h:>{w}s}" for h, w in heads))
    for name in args.nets.split(","):
        model = make(name, args.width).to(memory_format=torch.channels_last).train()
        params = sum(q.numel() for q in model.parameters())
        opt = torch.optim.AdamW([q for q in model.parameters() if q.requires_grad], lr=1e-4)
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
            print(f"{name:>8s} {params / 1e6:9.2f} {size:5d} {batch:6d} {flops:10.2f} {step:7.3f} {batch / step:7.1f}",
                  flush=True)


if __name__ == "__main__":
    main()
