"""`colorize-eval`: measure a model on a folder of colour photos against the grey baseline."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from engine.devices import DeviceError
from engine.evaluate import evaluate
from engine.infer import DEFAULT_RENDER_SIZE
from engine.metrics import EvalDependencyMissing, require_eval_dependencies
from engine.photo_folder import group_of, list_images, read_groups
from engine.weights import ModelError


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="colorize-eval", description=__doc__)
    p.add_argument("folder", type=Path, help="colour photos with known true colours (searched recursively)")
    p.add_argument("--model", help="model name or .safetensors file (default: the bundled model)")
    p.add_argument("--device", default="auto")
    p.add_argument("--render-size", type=int, default=DEFAULT_RENDER_SIZE)
    p.add_argument("--hints", default="1,5,10", help="hint counts for the hint sweep (comma-separated; '' for none)")
    p.add_argument("--temperatures", help="compare decoding temperatures, e.g. 0.2,0.38,1.0")
    p.add_argument("--render-sizes", help="compare render sizes, e.g. 224,256,384,512 (hints use --render-size)")
    p.add_argument("--limit", type=int, default=0, help="use only the first N photos (spread over the folder)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true", help="print the results as JSON")
    p.add_argument("--grid", type=Path, help="also save a picture: grey input | output | ground truth")
    p.add_argument("--grid-photos", type=int, default=8, help="photos in the --grid picture")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        require_eval_dependencies()  # before minutes of work, not at the first photo's SSIM
    except EvalDependencyMissing as exc:
        print(f"colorize-eval: {exc}", file=sys.stderr)
        return 2
    paths = list_images(args.folder)
    if not paths:
        print(f"colorize-eval: no photos in {args.folder}", file=sys.stderr)
        return 2
    if args.limit and args.limit < len(paths):
        step = len(paths) / args.limit  # spread over sub-folders instead of taking the first one
        paths = [paths[int(i * step)] for i in range(args.limit)]
    from engine.infer import Colorizer

    try:
        colorizer = Colorizer(args.model, device=args.device)
    except (ModelError, DeviceError) as exc:
        print(f"colorize-eval: cannot use the model: {exc}", file=sys.stderr)
        return 1
    hint_counts = [0] + [int(h) for h in args.hints.split(",") if h.strip()]
    temperatures = [float(t) for t in args.temperatures.split(",")] if args.temperatures else None
    print(f"evaluating {colorizer.describe()} on {len(paths)} photos", file=sys.stderr)

    def progress(done: int, total: int) -> None:
        if done % 10 == 0 or done == total:
            print(f"  {done}/{total}", file=sys.stderr, flush=True)

    render_sizes = [int(r) for r in args.render_sizes.split(",")] if args.render_sizes else None
    # Groups come from the folder's MANIFEST.tsv (a `group` column), else from sub-folders.
    manifest = read_groups(args.folder)
    groups = {p: group_of(p, args.folder, manifest) for p in paths}
    report = evaluate(colorizer, paths, hint_counts=hint_counts, render_size=args.render_size,
                      temperatures=temperatures, render_sizes=render_sizes, groups=groups, seed=args.seed,
                      progress=progress)
    if args.grid:
        from PIL import Image

        from engine.evaluate import comparison_grid
        from engine.files import atomic_write

        step = max(1, len(paths) // args.grid_photos)
        grid = comparison_grid(colorizer, paths[::step][: args.grid_photos], render_size=args.render_size)
        with atomic_write(args.grid) as f:
            grid.save(f, Image.registered_extensions().get(Path(args.grid).suffix.lower(), "PNG"))
        print(f"grid written to {args.grid}", file=sys.stderr)
    if args.json:
        print(json.dumps({"model": colorizer.name, **report.to_json()}, indent=2))
    else:
        print(report.table())
    return 0


if __name__ == "__main__":
    sys.exit(main())
