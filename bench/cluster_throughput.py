"""Photos per second: the plain `colorize` command versus a local Ray with 1 and 2 workers.

    python bench/cluster_throughput.py [--photos 40] [--megapixels 2] [--model NAME]

Each run is the real command in a fresh process over the same synthetic greyscale JPEGs, into
an empty folder, so it includes starting up (torch, the model; for Ray also the cluster and its
workers). Printed per run: wall seconds, photos/s over the whole run, and photos/s after the
first photo is out (steady state, from the per-photo times each run reports). Ray workers use
one thread each; the plain run uses every core (--threads 0). The machine's load average is
printed: other work on the CPU slows everything.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]


def make_photos(folder: Path, count: int, megapixels: float) -> None:
    rng = np.random.default_rng(0)
    w = int((megapixels * 1e6 * 4 / 3) ** 0.5)
    h = int(w * 3 / 4)
    base = rng.integers(0, 255, (h // 16, w // 16), dtype=np.uint8)
    for i in range(count):
        img = Image.fromarray(np.roll(base, i, axis=1)).resize((w, h), Image.Resampling.BICUBIC)
        img.save(folder / f"scan{i:04d}.jpg", quality=90)


def run(label: str, args: list[str], photos: int) -> dict:
    start = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "engine.cli", *args, "--json", "-q"], cwd=ROOT,
                          capture_output=True, text=True)
    wall = time.monotonic() - start
    if proc.returncode != 0:
        raise SystemExit(f"{label} failed: {proc.stderr[-2000:]}")
    rows = json.loads(proc.stdout)["results"]
    per_photo = sorted(r["seconds"] for r in rows)
    return {"label": label, "wall": wall, "rate": photos / wall, "per_photo": float(np.median(per_photo))}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--photos", type=int, default=40)
    p.add_argument("--megapixels", type=float, default=2.0)
    p.add_argument("--model", default=None)
    args = p.parse_args()
    try:
        import ray  # noqa: F401
    except ImportError:
        raise SystemExit('Ray is not installed: pip install -e ".[cluster]"') from None
    model = ["--model", args.model] if args.model else []
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "in"
        src.mkdir()
        make_photos(src, args.photos, args.megapixels)
        runs = [
            run("plain colorize (all cores)", [str(src), "-o", f"{tmp}/plain", *model], args.photos),
            run("Ray, 1 worker", [str(src), "-o", f"{tmp}/ray1", "--ray", "--workers", "1", *model], args.photos),
            run("Ray, 2 workers", [str(src), "-o", f"{tmp}/ray2", "--ray", "--workers", "2", *model], args.photos),
        ]
    print(f"{args.photos} photos of {args.megapixels:g} MP, {os.cpu_count()} CPU cores, "
          f"load average {os.getloadavg()[0]:.1f}")
    print(f"{'':28s} {'wall s':>7s} {'photos/s':>9s} {'median s/photo':>15s}")
    for r in runs:
        print(f"{r['label']:28s} {r['wall']:7.1f} {r['rate']:9.2f} {r['per_photo']:15.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
