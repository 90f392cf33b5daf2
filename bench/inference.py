"""End-to-end time and peak memory per photo at 1, 12 and 24 megapixels on the CPU.

Each size runs in a fresh child process (JPEG in, JPEG out, the same calls `colorize` makes:
read_photo -> Colorizer.colorize -> write_photo), so its peak memory is that child's own
high-water mark of resident memory (VmHWM on Linux, else getrusage's ru_maxrss): everything
the OS had to give the process, including Python, torch and the model, which is what a
user's machine must have free. tracemalloc would miss torch's and Pillow's C allocations. The "base" column is the
same figure after loading torch and the model, before the photo.

Time is split into decode (Pillow), colour conversion (grey levels -> CIE L on the way in,
Lab -> sRGB on the way out), network (downscale to the render size, forward pass, decoding
the colour classes), upsampling (chroma to full size) and encode (JPEG, fsync, rename). Each
child repeats the photo and keeps its fastest run; "other" is the rest of that run. The
rendering runs in tiles on several threads: its wall time is shared between upsampling and
colour conversion in proportion to the thread time each took (on a busy machine, time a
thread waited for a core lands in whichever stage it was in).

The test photos are synthetic greyscale JPEGs written to a temporary folder. The model is the
bundled one when present, else a freshly initialised default-size ColorUNet (same cost).

`--compare DIR` runs the same children, alternately, with the engine of another checkout (a
`git worktree add /tmp/before <commit>`), so the previous code is measured beside this one in
the same run, on the same photos and the same model. `--batch N` adds a batch-throughput row:
`colorize FOLDER -o OUT` over N 12 MP scans and over one of them, in fresh processes, giving
the seconds per photo beyond the first and photos per second (0 leaves it out).

`--before` adds a row per size for the renderer this project started with (whole-strip
per-channel maths, gather-based upsampling, 4:4:4 JPEG), run in the same child, for a side by
side comparison. The machine's load average is printed: other work on the CPU (a training
run, say) slows everything and makes the numbers noisy.

Usage: python bench/inference.py [--sizes 1,12,24] [--repeat 3] [--threads N] [--compare DIR] [--batch N]
       [--before] [--omp default]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUNDLED = ROOT / "resources" / "models" / "colorizer-base.safetensors"
STAGES = ("decode", "colour conversion", "network", "upsampling", "encode")
TARGET_SECONDS_12MP = 0.3  # issue 25: 12 MP end to end at most 0.3 s on 2 cores
TARGET_SECONDS_24MP = 0.6
TARGET_BYTES_24MP = 1.0 * 2**30
TARGET_BATCH_SECONDS = 0.3  # a batch of 12 MP scans: under 0.3 s per photo beyond the first


def photo_dims(megapixels: float) -> tuple[int, int]:
    """4:3 landscape; 1 -> 1155x866, 12 -> 4000x3000, 24 -> 5657x4243."""
    h = round((megapixels * 1e6 * 3 / 4) ** 0.5)
    return round(h * 4 / 3), h


def make_test_photo(path: Path, width: int, height: int) -> None:
    """A greyscale JPEG with smooth shading, edges and grain, like a scanned print."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(0)
    y = np.linspace(0, 1, height, dtype=np.float32)[:, None]
    x = np.linspace(0, 1, width, dtype=np.float32)[None, :]
    img = 60 + 120 * x * (1 - 0.5 * y) + 40 * np.sin(12 * x + 7 * y) * (y > 0.4)
    img += rng.normal(0, 6, (height, width)).astype(np.float32)
    Image.fromarray(np.clip(img, 0, 255).astype(np.uint8), "L").save(path, quality=90)


# --- child: one size, fresh process ----------------------------------------------------------

def _maxrss_bytes() -> int:
    """This process's peak resident memory. On Linux from /proc (VmHWM): getrusage's ru_maxrss
    also counts the parent's peak before the fork, here the parent that generated the photo."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    import resource

    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss if sys.platform == "darwin" else rss * 1024


def _render_before(colorizer, photo, chroma, timings: dict) -> object:
    """The first version of Colorizer.render: 2-megapixel strips, gather-based upsampling,
    per-channel clipping with the exact power curve, float -> uint8 through numpy."""
    import time

    import numpy as np
    import torch

    from engine.color import clamp_to_gamut, lab_to_rgb

    def axis(n_out, n_in, start, stop):
        pos = ((torch.arange(start, stop, dtype=torch.float32) + 0.5) * (n_in / n_out) - 0.5).clamp(0, n_in - 1)
        i0 = pos.floor().long()
        return i0, (i0 + 1).clamp(max=n_in - 1), (pos - i0).unsqueeze(0)

    ab = clamp_to_gamut(chroma.lightness, chroma.ab)
    h, w = photo.lightness.shape
    L = torch.from_numpy(photo.lightness)
    out = np.empty((h, w, 3), np.uint8)
    rows = max(1, (1 << 21) // w)
    with torch.inference_mode():
        for r0 in range(0, h, rows):
            r1 = min(h, r0 + rows)
            t0 = time.perf_counter()
            y0, y1, wy = axis(h, ab.shape[1], r0, r1)
            band = ab[:, y0] * (1 - wy.T) + ab[:, y1] * wy.T
            x0, x1, wx = axis(w, ab.shape[2], 0, w)
            ab_rows = band[:, :, x0] * (1 - wx) + band[:, :, x1] * wx
            t1 = time.perf_counter()
            rgb = lab_to_rgb(torch.cat((L[r0:r1].unsqueeze(0), ab_rows), 0)).mul_(255).add_(0.5).permute(1, 2, 0)
            out[r0:r1] = rgb.numpy().astype(np.uint8)
            t2 = time.perf_counter()
            timings["upsampling"] = timings.get("upsampling", 0.0) + t1 - t0
            timings["colour conversion"] = timings.get("colour conversion", 0.0) + t2 - t1
    return out


def child(args: argparse.Namespace) -> None:
    import time

    import torch

    from engine.infer import Colorizer
    from engine.model import ColorUNet
    from engine.photo_io import Stopwatch, read_photo, write_photo

    if args.threads:
        torch.set_num_threads(args.threads)
    colorizer = Colorizer(BUNDLED) if BUNDLED.is_file() else Colorizer(ColorUNet())
    src = Path(args.child)
    # warm up caches (gamut table, sRGB table) and the allocator on a tiny photo
    warm = src.with_name("warm.jpg")
    make_test_photo(warm, 320, 240)
    colorizer.colorize(warm)
    base_rss = _maxrss_bytes()

    runs = []
    for i in range(args.repeat):
        timings: dict[str, float] = {}
        start, cpu = time.perf_counter(), time.process_time()
        photo = read_photo(src, timings=timings)
        result = colorizer.colorize(photo, timings=timings)
        write_photo(result.rgb, src.with_name(f"out{i}.jpg"), "jpg", photo, timings=timings, overwrite=True)
        timings["total"] = time.perf_counter() - start
        timings["cpu"] = time.process_time() - cpu
        runs.append(timings)
        del photo, result
    best = min(runs, key=lambda t: t["total"])
    report = {"after": best, "peak": _maxrss_bytes(), "base": base_rss, "threads": torch.get_num_threads(),
              "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY", "(unset)"),
              "model": "bundled" if BUNDLED.is_file() else "fresh ColorUNet()"}

    if args.before:
        runs = []
        for i in range(args.repeat):
            timings = {}
            start, cpu = time.perf_counter(), time.process_time()
            photo = read_photo(src, timings=timings)
            clock = Stopwatch(timings)
            chroma = colorizer.predict_chroma(photo)
            clock.lap("network")
            rgb = _render_before(colorizer, photo, chroma, timings)
            clock.restart()
            from PIL import Image

            before = src.with_name(f"before{i}.jpg")
            Image.fromarray(rgb).save(before, quality=95, subsampling=0, exif=photo.exif or b"")
            clock.lap("encode")
            timings["total"] = time.perf_counter() - start
            timings["cpu"] = time.process_time() - cpu
            runs.append(timings)
            del photo, rgb
        report["before"] = min(runs, key=lambda t: t["total"])
        report["peak_before"] = _maxrss_bytes()
    print("RESULT " + json.dumps(report))


# --- parent ----------------------------------------------------------------------------------

def _env(engine_root: Path, args: argparse.Namespace) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(engine_root), os.environ.get("PYTHONPATH")]))}
    if args.omp == "passive":
        env.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # as engine/cli.py sets it for `colorize`
    else:
        env.pop("OMP_WAIT_POLICY", None)  # the OpenMP runtime's own default (spin, then sleep)
    return env


def make_size(megapixels: float, folder: Path) -> Path:
    sub = folder / f"{megapixels:g}mp"
    sub.mkdir()
    src = sub / "photo.jpg"
    make_test_photo(src, *photo_dims(megapixels))
    return src


def run_size(megapixels: float, src: Path, args: argparse.Namespace, engine_root: Path = ROOT) -> dict:
    cmd = [sys.executable, __file__, "--child", str(src), "--repeat", str(args.repeat), "--threads", str(args.threads)]
    if args.before:
        cmd.append("--before")
    run = subprocess.run(cmd, capture_output=True, text=True, env=_env(engine_root, args))
    line = next((ln for ln in run.stdout.splitlines() if ln.startswith("RESULT ")), None)
    if run.returncode != 0 or line is None:
        raise SystemExit(f"{megapixels} MP child failed ({engine_root}):\n{run.stderr}")
    return {"mp": megapixels, "dims": photo_dims(megapixels), "engine": engine_root, **json.loads(line[7:])}


def run_batch(folder: Path, args: argparse.Namespace, engine_root: Path) -> dict:
    """`colorize FOLDER -o OUT` as a user runs it: seconds for N photos and for one, fresh processes."""
    def colorize(inputs: Path) -> float:
        out = folder / "out"
        shutil.rmtree(out, ignore_errors=True)
        cmd = [sys.executable, "-m", "engine.cli", str(inputs), "-o", str(out), "--quiet"]
        if args.threads:
            cmd += ["--threads", str(args.threads)]
        if BUNDLED.is_file():
            cmd += ["--model", str(BUNDLED)]
        start = time.perf_counter()
        run = subprocess.run(cmd, capture_output=True, text=True, env=_env(engine_root, args), cwd=engine_root)
        if run.returncode != 0:
            raise SystemExit(f"colorize failed ({engine_root}):\n{run.stderr[-3000:]}")
        return time.perf_counter() - start

    many = min(colorize(folder / "many") for _ in range(max(1, args.repeat // 2)))
    one = min(colorize(folder / "one") for _ in range(max(1, args.repeat // 2)))
    return {"engine": engine_root, "n": args.batch, "many": many, "one": one}


def print_table(results: list[dict], labels: dict[Path, str]) -> None:
    head = f"{'photo':>22s} " + " ".join(f"{s[:11]:>11s}" for s in (*STAGES, "other", "total", "CPU time")) + \
           f" {'peak RSS':>9s} {'base':>7s}"
    print(head)
    print("-" * len(head))
    for r in results:
        for label, key, peak in (("", "after", r["peak"]), (" before", "before", r.get("peak_before"))):
            t = r.get(key)
            if t is None:
                continue
            other = t["total"] - sum(t.get(s, 0.0) for s in STAGES)
            name = f"{r['mp']:g} MP {labels[r['engine']]}{label}"
            cells = " ".join(f"{t.get(s, 0.0):11.3f}" for s in STAGES)
            if key == "after" or peak > r["peak"]:
                mem = f"{peak / 2**20:6.0f} MB"
            else:
                mem = f"{'<= above':>9s}"  # a high-water mark: this run, after the one above, added nothing
            print(f"{name:>22s} {cells} {other:11.3f} {t['total']:11.3f} {t['cpu']:11.3f} {mem} "
                  f"{r['base'] / 2**20:5.0f} MB")
    print("(wall-clock seconds per photo, fastest of the repeats; CPU time = all threads' CPU seconds in that run;\n"
          " peak RSS = the child process's high-water mark, base = the same after loading torch and the model)")
    by_mp = {r["mp"]: r for r in results if r["engine"] == ROOT}
    if 12 in by_mp:
        t = by_mp[12]["after"]["total"]
        print(f"target 12 MP end to end <= {TARGET_SECONDS_12MP} s: {t:.2f} s "
              f"{'PASS' if t <= TARGET_SECONDS_12MP else 'MISS'}")
    if 24 in by_mp:
        t, m = by_mp[24]["after"]["total"], by_mp[24]["peak"]
        print(f"target 24 MP end to end <= {TARGET_SECONDS_24MP} s: {t:.2f} s "
              f"{'PASS' if t <= TARGET_SECONDS_24MP else 'MISS'}")
        print(f"target 24 MP peak memory < 1 GB: {m / 2**30:.2f} GB {'PASS' if m < TARGET_BYTES_24MP else 'MISS'}")


def print_batch(rows: list[dict], labels: dict[Path, str]) -> None:
    print(f"\nbatch: colorize FOLDER -o OUT over {rows[0]['n']} x 12 MP JPEG (fresh process, model load included)")
    print(f"{'engine':>22s} {'N photos':>9s} {'1 photo':>8s} {'s/photo beyond 1st':>19s} {'photos/s beyond 1st':>20s}")
    for r in rows:
        per = (r["many"] - r["one"]) / max(1, r["n"] - 1)
        print(f"{labels[r['engine']]:>22s} {r['many']:9.2f} {r['one']:8.2f} {per:19.3f} {1 / max(per, 1e-9):20.2f}")
        if r["engine"] == ROOT:
            print(f"{'':>22s} target < {TARGET_BATCH_SECONDS} s per photo beyond the first: "
                  f"{'PASS' if per < TARGET_BATCH_SECONDS else 'MISS'}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default="1,12,24", help="megapixels, comma separated")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default, all cores)")
    p.add_argument("--before", action="store_true", help="also time the original renderer, side by side")
    p.add_argument("--compare", metavar="DIR", help="another checkout whose engine runs alternately, side by side")
    p.add_argument("--batch", type=int, default=6, help="12 MP photos in the batch-throughput row (0: none)")
    p.add_argument("--omp", choices=("passive", "default"), default="passive",
                   help="OpenMP wait policy: passive, as `colorize` sets it, or the runtime's default")
    p.add_argument("--child", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        child(args)
        return
    load = os.getloadavg()
    print(f"CPU: {os.cpu_count()} cores, load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} (other processes "
          f"make timings noisy); model: {'bundled ' + BUNDLED.name if BUNDLED.is_file() else 'fresh ColorUNet'}")
    roots = [ROOT] + ([Path(args.compare).resolve()] if args.compare else [])
    labels = {root: "this" if root == ROOT else f"{root.name}" for root in roots}
    results, batch = [], []
    with tempfile.TemporaryDirectory(prefix="colorizer-bench-") as tmp:
        for mp in (float(s) for s in args.sizes.split(",")):
            src = make_size(mp, Path(tmp))
            for root in roots:  # alternately, so a change in load hits both alike
                results.append(run_size(mp, src, args, root))
        if args.batch:
            folder = Path(tmp) / "batch"
            (folder / "many").mkdir(parents=True)
            (folder / "one").mkdir()
            make_test_photo(folder / "one" / "scan.jpg", *photo_dims(12))
            for i in range(args.batch):
                shutil.copy(folder / "one" / "scan.jpg", folder / "many" / f"scan{i:02d}.jpg")
            for root in roots:
                batch.append(run_batch(folder, args, root))
    print(f"torch threads: {results[0]['threads']}, OMP_WAIT_POLICY={results[0]['omp_wait_policy']}; "
          f"rows: {', '.join(f'{v} = {k}' for k, v in labels.items())}")
    print_table(results, labels)
    if batch:
        print_batch(batch, labels)
    load = os.getloadavg()
    print(f"load average at the end: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")


if __name__ == "__main__":
    main()
