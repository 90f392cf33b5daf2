"""Quality per CPU-hour of the ways to train the 2.x network, side by side, in one process.

Each configuration trains for the same number of steps from the same ImageNet encoder (the
photos are read once for all of them), is exported with 1.0's decoding settings and scored on
a spread subset of val/ per group, beside grey and the shipped model from the same run. Step
time is what the run measured on this machine; `bench/train_throughput.py` gives the pure
network cost side by side.
Usage: python bench/encoder_study.py ../shared/data/train ../shared/data/val --out runs/study
       [--steps 600] [--configs frozen,late,all] [--limit 300] [--threads 2]
"""

from __future__ import annotations

import argparse
import functools
import json
import time
from pathlib import Path

import torch

from engine import train as training
from engine.evaluate import GREY, evaluate
from engine.infer import Colorizer
from engine.photo_folder import group_of, list_images, read_groups
from engine.train import TrainSettings, checkpoint_path, export_model

BASELINE = Path(__file__).resolve().parents[1] / "resources" / "models" / "colorizer-base.safetensors"


def settings_for(config: str, args: argparse.Namespace) -> TrainSettings:
    return TrainSettings(
        train_dirs=[args.train], out_dir=str(Path(args.out) / config), val_dir=args.val, val_images=48,
        steps=args.steps, batch_size=24, lr=1e-3, warmup_steps=100, decay_steps=1, rebalance_mix=0.7,
        ageing=0.5, group_balance=0.7, hint_share=0.5, ema_decay=0.995, width=args.width,
        encoder="efficientnet-lite0", encoder_training=config, encoder_lr_scale=0.3, threads=args.threads,
        val_every=10**9, checkpoint_minutes=10, name=f"study-{config}")


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("train")
    p.add_argument("val")
    p.add_argument("--out", default="runs/study")
    p.add_argument("--steps", type=int, default=600)
    p.add_argument("--configs", default="frozen,late,all")
    p.add_argument("--width", type=int, default=64)
    p.add_argument("--limit", type=int, default=300)
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    cached = functools.cache(_load)
    training._load_photos = lambda dirs, short: cached(tuple(dirs), short)
    results = {}
    for config in args.configs.split(","):
        s = settings_for(config, args)
        t0 = time.monotonic()
        for r in training.train(s, resume=checkpoint_path(s).exists()):
            if r.message:
                print(f"[{config}] {r.message}", flush=True)
            elif r.step % 100 == 0:
                print(f"[{config}] step {r.step}  loss {r.loss:.3f}  {r.images_per_second:.1f} img/s", flush=True)
        ckpt = training.read_checkpoint(checkpoint_path(s))
        dest = Path(s.out_dir) / "model.safetensors"
        export_model(checkpoint_path(s), dest, temperature=0.5, prior_correction=0.25)
        results[config] = {"model": str(dest), "step_seconds": ckpt["elapsed"], "wall": time.monotonic() - t0}
        print(f"[{config}] {ckpt['step']} steps, {ckpt['elapsed']:.0f} s of step time", flush=True)

    val = Path(args.val)
    paths = list_images(val)
    step = len(paths) / args.limit
    paths = [paths[int(i * step)] for i in range(args.limit)]
    manifest = read_groups(val)
    groups = {q: group_of(q, val, manifest) for q in paths}
    models = {"1.0": str(BASELINE), **{c: r["model"] for c, r in results.items()}}
    table = {}
    for label, path in models.items():
        report = evaluate(Colorizer(path, device="cpu"), paths, groups=groups)
        table[label] = {g: _row(report.group_rows(g)) for g in report.groups}
        table[label]["mean over groups"] = _row(report.mean_over_groups())
        print(f"evaluated {label}", flush=True)
    (Path(args.out) / "study.json").write_text(json.dumps({"runs": results, "table": table}, indent=1))
    groups_sorted = list(table["1.0"])
    print("PSNR vs grey (dB) per group; colourfulness ratio / CIEDE2000 x grey on the mean")
    print(f"{'group':18s}" + "".join(f"{m:>10s}" for m in models))
    for g in groups_sorted:
        print(f"{g:18s}" + "".join(f"{table[m][g]['vs_grey']:+10.2f}" for m in models))
    print(f"{'colourfulness':18s}" + "".join(f"{table[m]['mean over groups']['colourfulness']:10.2f}" for m in models))
    print(f"{'CIEDE x grey':18s}" + "".join(f"{table[m]['mean over groups']['ciede_x_grey']:10.3f}" for m in models))
    for c, r in results.items():
        print(f"{c}: {args.steps} steps in {r['step_seconds'] / 3600:.2f} h of step time")


def _load(dirs: tuple[str, ...], short_side: int):
    return _ORIGINAL_LOAD(list(dirs), short_side)


def _row(rows: list) -> dict:
    grey = next(r for r in rows if r.label == GREY)
    model = next(r for r in rows if r.label != GREY)
    return {"grey_psnr": grey.metrics["psnr"], "psnr": model.metrics["psnr"],
            "vs_grey": model.metrics["psnr"] - grey.metrics["psnr"],
            "ciede_x_grey": model.metrics["ciede2000"] / max(grey.metrics["ciede2000"], 1e-9),
            "colourfulness": model.colourfulness_ratio,
            "cast_a": model.metrics["cast_a"], "cast_b": model.metrics["cast_b"]}


_ORIGINAL_LOAD = training._load_photos

if __name__ == "__main__":
    main()
