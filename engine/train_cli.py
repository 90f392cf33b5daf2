"""`colorize-train`: train or fine-tune a colorization model from photo folders."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sys
from pathlib import Path

from engine import distributed
from engine.durations import format_duration
from engine.encoder_net import ENCODER_TRAINING
from engine.model_config import ENCODERS
from engine.train import TrainSettings, checkpoint_path, export_model, train


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="colorize-train", description=__doc__)
    p.add_argument("folders", nargs="+", help="folders of colour photos (searched recursively)")
    p.add_argument("--out", required=True, help="folder for checkpoints, the log and the exported model")
    p.add_argument("--val", help="folder of held-out colour photos to validate on")
    p.add_argument("--val-share", type=float, default=0.0, help="hold out this share of the photos when no --val")
    p.add_argument("--base-model", help="fine-tune this model file instead of starting from scratch")
    p.add_argument("--resume", action="store_true", help="continue from the checkpoint in --out")
    p.add_argument("--steps", type=int, default=20000)
    p.add_argument("--batch-size", type=int, default=24, help="photos per step at the smallest crop size")
    p.add_argument("--crop-sizes", default="128,160,192", help="comma-separated training crop sizes (mixed)")
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--warmup-steps", type=int, default=300)
    p.add_argument("--decay-steps", type=int, default=0)
    p.add_argument("--rebalance-mix", type=float, default=0.5, help="1 = no colour rebalancing")
    p.add_argument("--hint-share", type=float, default=0.5)
    p.add_argument("--ageing", type=float, default=0.0,
                   help="share of samples whose input is aged like an old print (fading, grain, scratches...)")
    p.add_argument("--group-balance", type=float, default=0.0,
                   help="0 = draw photos equally, 1 = draw the groups of MANIFEST.tsv equally")
    p.add_argument("--encoder", default="", choices=ENCODERS,
                   help="start a new 2.x network whose encoder has ImageNet weights (needs the train extra)")
    p.add_argument("--encoder-training", default="all", choices=ENCODER_TRAINING,
                   help="which encoder layers learn: none, the 1/16 and 1/32 stages, or all")
    p.add_argument("--encoder-lr-scale", type=float, default=1.0, help="the encoder's share of the learning rate")
    p.add_argument("--ema-decay", type=float, default=0.999)
    p.add_argument("--width", type=int, default=32, help="first-level width (1.x) or decoder width (2.x)")
    p.add_argument("--depth", type=int, default=4)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="auto")
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--val-every", type=int, default=500)
    p.add_argument("--checkpoint-minutes", type=float, default=5.0)
    p.add_argument("--preload", action="store_true",
                   help="keep the photos in GPU memory and make batches there (CUDA/MPS only)")
    p.add_argument("--time-limit", type=float, default=0.0,
                   help="stop after this many seconds of training (checkpoint and export as if finished)")
    p.add_argument("--name", default="colorizer-custom", help="name of the exported model")
    p.add_argument("--description", default="")
    p.add_argument("--export", help="also write the final model here (.safetensors)")
    return p


def _model_files_problem(args: argparse.Namespace, settings: TrainSettings) -> str | None:
    """Check the files a run starts from before any photo is read: one line instead of a traceback."""
    from engine.train import read_checkpoint
    from engine.weights import ModelError, check_checkpoint, check_model_file

    base = args.base_model
    ckpt_path = checkpoint_path(settings)
    if args.resume and ckpt_path.exists():
        try:
            ckpt = check_checkpoint(read_checkpoint(ckpt_path))
        except ModelError as exc:
            return f"cannot resume from {ckpt_path}: {exc}"
        except Exception as exc:  # noqa: BLE001 - torch's safe unpickler refuses hostile files with assorted errors
            reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
            return (f"cannot resume from {ckpt_path}: the checkpoint is damaged or not a Colorizer checkpoint, "
                    f"or holds more than plain numbers ({reason})")
        base = ckpt["settings"].get("base_model") or None  # a resume fine-tunes the checkpoint's own base
        if base is not None and not isinstance(base, str):
            return f"cannot resume from {ckpt_path}: the checkpoint's base model setting is damaged"
    if base:
        try:
            check_model_file(Path(base))
        except ModelError as exc:
            return f"cannot fine-tune {base}: {exc}"
    return None


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = TrainSettings(
        train_dirs=args.folders, out_dir=args.out, val_dir=args.val, val_share=args.val_share,
        base_model=args.base_model, steps=args.steps, batch_size=args.batch_size,
        crop_sizes=tuple(int(c) for c in args.crop_sizes.split(",")), lr=args.lr,
        warmup_steps=args.warmup_steps, decay_steps=args.decay_steps, rebalance_mix=args.rebalance_mix,
        hint_share=args.hint_share, ageing=args.ageing, group_balance=args.group_balance,
        width=args.width, depth=args.depth, encoder=args.encoder, encoder_training=args.encoder_training,
        encoder_lr_scale=args.encoder_lr_scale, ema_decay=args.ema_decay, seed=args.seed, device=args.device,
        threads=args.threads, val_every=args.val_every, checkpoint_minutes=args.checkpoint_minutes,
        time_limit_s=args.time_limit, preload=args.preload,
        name=args.name, description=args.description,
    )
    if args.resume and not checkpoint_path(settings).exists():
        print(f"colorize-train: no checkpoint to resume in {args.out}; starting from scratch", file=sys.stderr)
    if (problem := _model_files_problem(args, settings)) is not None:
        print(f"colorize-train: {problem}", file=sys.stderr)
        return 2
    # nohup'd runs are stopped with SIGTERM: treat it like Ctrl-C so a checkpoint is written.
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    # Under torchrun every process trains; rank 0 alone speaks, logs and exports.
    lead = int(os.environ.get("RANK", "0")) == 0
    log_path = Path(args.out) / "log.jsonl"
    Path(args.out).mkdir(parents=True, exist_ok=True)
    reports = train(settings, resume=args.resume)
    try:
        with open(log_path, "a") if lead else contextlib.nullcontext() as log:
            for r in reports:
                if not lead:
                    continue
                if r.message:
                    print(r.message, flush=True)
                    continue
                line = (f"step {r.step}/{r.total_steps}  loss {r.loss:.4f}  lr {r.lr:.2e}  "
                        f"{r.images_per_second:.1f} img/s  elapsed {format_duration(r.elapsed_seconds, compact=True)}  "
                        f"eta {format_duration(r.eta_seconds, compact=True)}")
                if r.val:
                    line += "  | val " + "  ".join(f"{k} {v:.4f}" for k, v in r.val.items())
                if r.checkpoint:
                    line += "  [checkpoint]"
                print(line, flush=True)
                log.write(json.dumps({"step": r.step, "loss": r.loss, "lr": r.lr, "ips": r.images_per_second,
                                      "elapsed": r.elapsed_seconds, "val": r.val}) + "\n")
                log.flush()
    except KeyboardInterrupt:
        reports.close()
        print(f"\nstopped; checkpoint saved in {checkpoint_path(settings)}. Continue with --resume.", file=sys.stderr)
        return 130
    except (ValueError, FloatingPointError, OSError) as exc:
        print(f"colorize-train: {exc}", file=sys.stderr)
        return 1
    finally:
        reports.close()
    if lead:
        dest = Path(args.export) if args.export else Path(args.out) / "model.safetensors"
        export_model(checkpoint_path(settings), dest, name=args.name, description=args.description)
        print(f"model written to {dest}")
    distributed.teardown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
