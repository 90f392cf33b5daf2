"""Fine-tuning on this machine: speed at each preset, and a real "quick" run on 200 photos.

1. For each preset, times a few real training steps exactly as the Fine-tune tab's estimate
   does (`engine.finetune.estimate_duration`): crops per second, seconds per step and the
   predicted duration for the folder.
2. Runs the "quick" preset for real on N photos (default 200) drawn from a folder, through
   the same session code the tab uses (in this process, at normal priority), and reports the
   wall-clock time and the held-out validation metrics before and after (10 % of the photos,
   never trained on).

Usage:
    python bench/finetune.py --base-model MODEL.safetensors [--folder DIR] [--photos 200]
                             [--presets quick,standard,thorough] [--skip-run] [--threads N]
Writes bench/out/finetune.json as well as printing a table.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from engine.catalog import resolve_model  # noqa: E402
from engine.devices import describe_device, resolve_device  # noqa: E402
from engine.finetune import (  # noqa: E402
    PRESETS,
    FinetuneOptions,
    create_session,
    estimate_duration,
    format_duration,
    make_settings,
    run_session,
)
from engine.photo_folder import list_images, scan_folder  # noqa: E402

DEFAULT_FOLDER = ROOT.parent / "shared" / "data" / "train" / "summer2winter-yosemite"


def sample_folder(src: Path, n: int, dest: Path, seed: int = 0) -> Path:
    """A folder of n photos from src (links where possible, copies otherwise)."""
    files = list_images(src)
    random.Random(seed).shuffle(files)
    dest.mkdir(parents=True, exist_ok=True)
    for i, path in enumerate(files[:n]):
        target = dest / f"{i:04d}{path.suffix.lower()}"
        try:
            os.symlink(path.resolve(), target)
        except OSError:
            target.write_bytes(path.read_bytes())
    return dest


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--base-model", help="model to fine-tune (default: the bundled default model)")
    p.add_argument("--folder", type=Path, default=DEFAULT_FOLDER, help="where the photos are drawn from")
    p.add_argument("--photos", type=int, default=200)
    p.add_argument("--presets", default=",".join(PRESETS))
    p.add_argument("--probe-steps", type=int, default=6)
    p.add_argument("--device", default="auto")
    p.add_argument("--threads", type=int, default=0, help="CPU threads (0: torch's default)")
    p.add_argument("--skip-run", action="store_true", help="only measure speeds, do not run the quick preset")
    p.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "finetune.json")
    args = p.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    base = str(resolve_model(args.base_model))
    device = describe_device(resolve_device(args.device))
    work = Path(tempfile.mkdtemp(prefix="colorizer-bench-ft-"))
    os.environ.setdefault("COLORIZER_DATA_DIR", str(work / "data"))  # keep the real user's folder clean
    folder = sample_folder(args.folder, args.photos, work / f"{args.folder.name}-{args.photos}")
    scan = scan_folder(folder)
    print(f"device: {device}; base model: {base}")
    print(f"photos: {len(scan.usable)} usable, {len(scan.skipped)} skipped, from {args.folder}")
    results: dict = {"device": device, "base_model": base, "folder": str(args.folder),
                     "photos": len(scan.usable), "presets": {}}

    print(f"\n{'preset':10s} {'steps':>6s} {'crops':>9s} {'batch':>5s} {'s/step':>7s} {'crops/s':>8s} "
          f"{'predicted':>10s}")
    sample = scan.usable[:: max(1, len(scan.usable) // 8)][:8]
    for key in args.presets.split(","):
        options = FinetuneOptions(str(folder), base, "bench", preset=key, device=args.device)
        settings = make_settings(options, work / "unused")
        est = estimate_duration(settings, sample, n_files=len(scan.usable) + len(scan.skipped),
                                n_usable=len(scan.usable), probe_steps=args.probe_steps)
        results["presets"][key] = {"steps": settings.steps, "crop_sizes": list(settings.crop_sizes),
                                   "batch_size": settings.batch_size, "seconds_per_step": est.seconds_per_step,
                                   "images_per_second": est.images_per_second,
                                   "predicted_seconds": est.total_seconds}
        crops = "/".join(str(c) for c in settings.crop_sizes)
        print(f"{key:10s} {settings.steps:6d} {crops:>9s} {settings.batch_size:5d} {est.seconds_per_step:7.2f} "
              f"{est.images_per_second:8.1f} {format_duration(est.total_seconds):>10s}", flush=True)

    if not args.skip_run:
        print(f"\nrunning the quick preset on {len(scan.usable)} photos…", flush=True)
        session = create_session(FinetuneOptions(str(folder), base, "bench-quick", preset="quick",
                                                 device=args.device))
        t0 = time.monotonic()
        vals = []
        last = None
        for event in run_session(session, resume=False, next_command=lambda block: None):
            if event["event"] == "val":
                vals.append(event)
            elif event["event"] == "progress" and event["step"] % 50 == 0 and event["step"] != last:
                last = event["step"]
                print(f"  step {event['step']}/{event['total']}  {time.monotonic() - t0:6.0f} s", flush=True)
            elif event["event"] == "error":
                print(f"failed: {event['message']}", file=sys.stderr)
                return 1
        wall = time.monotonic() - t0
        before, after = vals[0], vals[-1]
        results["quick_run"] = {"seconds": wall, "validation_before": before, "validation_after": after,
                                "held_out_photos": round(len(scan.usable) * 0.1)}
        print(f"quick preset: {format_duration(wall)} wall clock ({wall:.0f} s)")
        for k in ("loss", "psnr", "psnr_grey", "chroma_ratio"):
            print(f"  held-out {k:13s} {before[k]:8.4f} -> {after[k]:8.4f}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=1))
    print(f"\nwritten {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
