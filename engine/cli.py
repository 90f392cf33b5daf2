"""`colorize`: colorize photos from the command line, in batches, without touching originals."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
from pathlib import Path

# Before torch loads its OpenMP runtime: idle worker threads sleep instead of spinning. When
# anything else keeps the CPU busy (a training run, another batch), spinning threads hold
# the cores their siblings wait for; measured on 2 cores beside a training run, rendering
# and the network ran 2-3x faster this way (bench/inference.py). Users can still override it.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from engine import __version__  # noqa: E402
from engine.batch import IF_EXISTS, BatchSettings, UsageError, collect_inputs, plan_jobs, run_jobs  # noqa: E402
from engine.catalog import list_models, user_models_dir  # noqa: E402
from engine.devices import DEVICE_CHOICES, DeviceError  # noqa: E402
from engine.infer import DEFAULT_RENDER_SIZE, MAX_STRENGTH, MIN_RENDER_SIZE  # noqa: E402
from engine.photo_io import DEFAULT_MAX_PIXELS, FORMATS  # noqa: E402
from engine.weights import ModelError  # noqa: E402

EPILOG = """examples:
  colorize old_photo.jpg                       writes old_photo_color.jpg beside it
  colorize ~/scans -r -o ~/scans-colour        a whole tree, mirrored under ~/scans-colour
  colorize "*.tif" --format png --strength 1.3
  colorize scan.png --hints-dir hints/          uses hints/scan.json colour hints
exit status: 0 all photos done, 1 some failed, 2 usage error (including a model or device
that cannot be used)"""


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="colorize", description=__doc__, epilog=EPILOG,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("inputs", nargs="*", help="photos, folders or glob patterns")
    p.add_argument("-o", "--output-dir", type=Path, help="where to write (default: beside each photo)")
    p.add_argument("-r", "--recursive", action="store_true", help="include subfolders, mirroring them under -o")
    p.add_argument("--suffix", default="_color", help='added to each output name (default "_color"; may be "")')
    p.add_argument("--format", choices=sorted(FORMATS), help="output format (default: same as the input)")
    p.add_argument("--quality", type=int, default=95, help="JPEG/WebP quality (default 95)")
    p.add_argument("--render-size", type=int, default=DEFAULT_RENDER_SIZE,
                   help=f"long side the model works at (default {DEFAULT_RENDER_SIZE}); larger is slower, "
                        "with finer colour detail")
    p.add_argument("--strength", type=float, default=1.0, help=f"colour strength, 0 (grey) to {MAX_STRENGTH:g}")
    p.add_argument("--device", default="auto", choices=DEVICE_CHOICES)
    p.add_argument("--threads", type=int, default=0,
                   help="CPU threads to use (default: all cores; fewer leaves room for other work)")
    p.add_argument("--model", help="model name (see --list-models) or a .safetensors file")
    exists = p.add_mutually_exclusive_group()
    exists.add_argument("--if-exists", choices=IF_EXISTS, default="rename",
                        help="when an output file already exists (default: rename the new one)")
    exists.add_argument("--skip-existing", action="store_const", dest="if_exists", const="skip",
                        help="leave photos whose output already exists (same as --if-exists skip)")
    p.add_argument("--hints-dir", type=Path, help="folder of <photo name>.json colour hint files")
    p.add_argument("--allow-huge", action="store_true",
                   help=f"allow images over {DEFAULT_MAX_PIXELS // 1_000_000} megapixels")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar, only errors")
    p.add_argument("--json", action="store_true", help="print machine-readable results to stdout")
    p.add_argument("--list-models", action="store_true", help="list bundled and user models, then exit")
    p.add_argument("--version", action="version", version=f"colorize {__version__}")
    return p


def _print_models(as_json: bool) -> int:
    entries = list_models()
    if as_json:
        print(json.dumps([{"name": e.name, "source": e.source, "path": str(e.path), "error": e.error,
                           "description": e.info.description if e.info else None} for e in entries], indent=2))
        return 0
    if not entries:
        print("no models installed")
    for e in entries:
        desc = e.info.description.splitlines()[0] if e.info and e.info.description else ""
        status = f"UNUSABLE: {e.error}" if e.error else desc
        print(f"{e.name:28s} {e.source:8s} {status}\n{'':28s} {e.path}")
    print(f"\nuser models folder: {user_models_dir()}")
    return 0


def _stop_like_ctrl_c(*signals: signal.Signals | None) -> None:
    """`kill`, a logout or a closed terminal stop the batch the way Ctrl-C does.

    Their default action ends the process on the spot, leaving the photo being written as a
    hidden temporary file; raised as KeyboardInterrupt, the write is abandoned and removed.
    """
    def stop(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt(signum)

    for sig in signals:
        if sig is not None:
            signal.signal(sig, stop)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.list_models:
        return _print_models(args.json)
    if not args.inputs:
        parser.error("no photos given (try: colorize photo.jpg)")
    if not 0 <= args.strength <= MAX_STRENGTH:
        parser.error(f"--strength must be between 0 and {MAX_STRENGTH:g}")
    if args.render_size < MIN_RENDER_SIZE:
        parser.error(f"--render-size must be at least {MIN_RENDER_SIZE}")
    if args.threads < 0:
        parser.error("--threads must be 0 (all cores) or more")
    if not 1 <= args.quality <= 100:
        parser.error("--quality must be between 1 and 100")
    if "/" in args.suffix or "\\" in args.suffix or args.suffix in (".", ".."):
        parser.error("--suffix is added to file names and cannot contain a folder separator")
    if args.hints_dir is not None and not args.hints_dir.is_dir():
        parser.error(f"--hints-dir {args.hints_dir} is not a folder")

    settings = BatchSettings(output_dir=args.output_dir, suffix=args.suffix, format=args.format,
                             render_size=args.render_size, strength=args.strength, if_exists=args.if_exists,
                             hints_dir=args.hints_dir, max_pixels=None if args.allow_huge else DEFAULT_MAX_PIXELS,
                             quality=args.quality)
    inputs, problems = collect_inputs(args.inputs, args.recursive, exclude=args.output_dir)
    try:
        jobs = plan_jobs(inputs, settings)
    except UsageError as exc:
        parser.error(str(exc))
    if not args.quiet or not jobs:  # otherwise they are named once, in the summary
        for item, reason in problems:
            print(f"colorize: {item}: {reason}", file=sys.stderr)
    if not jobs:
        print("colorize: nothing to do", file=sys.stderr)
        return 1 if problems else 0

    from engine.infer import Colorizer  # after argument checks: loading torch takes a moment

    if args.threads:
        import torch

        torch.set_num_threads(args.threads)

    try:
        colorizer = Colorizer(args.model, device=args.device)
    except ModelError as exc:  # the settings cannot work for any photo: a usage error
        print(f"colorize: cannot use the model: {exc}", file=sys.stderr)
        return 2
    except DeviceError as exc:
        print(f"colorize: {exc}", file=sys.stderr)
        return 2
    if not args.quiet:
        print(f"Colorizing {len(jobs)} photo(s) with {colorizer.describe()}", file=sys.stderr)

    from tqdm import tqdm

    _stop_like_ctrl_c(signal.SIGTERM, getattr(signal, "SIGHUP", None))
    start = time.monotonic()
    results = []
    bar = tqdm(total=len(jobs), unit="photo", disable=args.quiet, file=sys.stderr, dynamic_ncols=True)
    try:
        for result in run_jobs(jobs, colorizer, settings):
            results.append(result)
            bar.update(1)
            if result.status == "failed" and not args.quiet:  # quiet: named once, in the summary
                bar.write(f"failed: {result.job.source}: {result.message}", file=sys.stderr)
    except KeyboardInterrupt as exc:
        bar.close()
        print("\ncolorize: cancelled; finished photos are kept, nothing half-written was left", file=sys.stderr)
        signum = exc.args[0] if exc.args and isinstance(exc.args[0], int) else signal.SIGINT
        return 128 + int(signum)
    finally:
        bar.close()
    elapsed = time.monotonic() - start

    counts = {s: sum(r.status == s for r in results) for s in ("done", "failed", "skipped", "cancelled")}
    failed = [r for r in results if r.status == "failed"]
    if args.json:
        print(json.dumps({"results": [r.to_json() for r in results],
                          "not_found": [{"input": i, "message": m} for i, m in problems],
                          "summary": {**counts, "seconds": round(elapsed, 2)}}, indent=2))
    if not args.quiet or failed or problems:
        print(f"Done: {counts['done']} colorized, {counts['failed'] + len(problems)} failed, "
              f"{counts['skipped']} skipped in {elapsed:.1f} s", file=sys.stderr)
        for r in failed:
            print(f"  {r.job.source}: {r.message}", file=sys.stderr)
        for item, reason in problems:
            print(f"  {item}: {reason}", file=sys.stderr)
    return 1 if failed or problems else 0


if __name__ == "__main__":
    sys.exit(main())
