"""Planning output names for a batch: the time spent choosing every photo's result name.

Before each photo of a batch is colorized, the app decides its result's name so that no two
photos of the queue meet in one file ("Keep both" numbers them: IMG_0001_color-2.jpg) and no
result replaces an original. This times that step alone, for every photo of a queue in the
order a batch dispatches them, without a model or any colorizing: the planning time per batch.

Two settings are timed: results beside the originals, and one output folder for photos added
from many folders that share their names (cameras' IMG_0001.jpg ...), where most names collide.

    python bench/output_planning.py [--photos 1000 5000 20000] [--before REV] [--budget 20]

--before REV runs the same measurement on the app as it was at commit REV (extracted with `git
archive` into a temporary folder) and prints both, with a check that the names agree. Where a
run would take longer than --budget seconds it stops and the batch time is extrapolated from
the photos it planned (said as "~ ... from k photos"): the old planner re-planned the whole
queue for each photo, so each of its dispatches costs about the same.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROLL = 100   # photos per folder; every folder holds IMG_0001.jpg ... IMG_0100.jpg


def make_photos(folder: Path, count: int) -> list[Path]:
    """Empty files named like a camera's: planning reads no pixels, only names and folders."""
    paths = []
    for n in range(count):
        roll = folder / f"roll_{n // ROLL:04d}"
        if n % ROLL == 0:
            roll.mkdir(parents=True, exist_ok=True)
        path = roll / f"IMG_{n % ROLL + 1:04d}.jpg"
        path.touch()
        paths.append(path)
    return paths


def time_batch(paths: list[Path], mode: str, out_dir: Path, budget: float) -> dict:
    """Plan every photo as a batch dispatches them (first waiting first); seconds and names."""
    from colorizer_gui.settings import GuiSettings
    from colorizer_gui.workspace.batch_controller import BatchController
    from colorizer_gui.workspace.photo_queue import PhotoItem, PhotoStatus

    settings = GuiSettings(output_mode=mode, output_dir=str(out_dir) if mode == "folder" else "")
    controller = BatchController(settings)
    try:
        controller.queue.add([PhotoItem(p) for p in paths])
        names: list[str] = []
        longest = 0.0
        start = time.perf_counter()
        for item in controller.queue.items:
            before = time.perf_counter()
            job = controller.plan(item, controller.batch_settings(item.strength))
            longest = max(longest, time.perf_counter() - before)
            item.status = PhotoStatus.DONE   # as when its job ends: the next one is planned
            names.append(str(job.dest.relative_to(out_dir.parent)))   # the same in any temporary folder
            if time.perf_counter() - start > budget:
                break
        seconds = time.perf_counter() - start
    finally:
        controller.shutdown()
    return {"photos": len(paths), "mode": mode, "planned": len(names), "seconds": seconds, "longest": longest,
            "digest": digest(names), "names": names}


def digest(names: list[str]) -> str:
    return hashlib.sha256("\n".join(names).encode()).hexdigest()[:12]


def measure(counts: list[int], budget: float) -> list[dict]:
    from PySide6.QtCore import QCoreApplication

    _app = QCoreApplication.instance() or QCoreApplication([])
    results = []
    with tempfile.TemporaryDirectory(prefix="colorizer-planning-") as tmp:
        for count in counts:
            photos = make_photos(Path(tmp) / f"photos-{count}", count)
            for mode in ("beside", "folder"):
                results.append(time_batch(photos, mode, Path(tmp) / f"out-{count}", budget))
    return results


def cell(r: dict) -> str:
    """The batch's planning time (extrapolated when cut short) and its longest single photo."""
    if r["planned"] == r["photos"]:
        batch = f"{r['seconds']:9.3f} s"
    else:
        batch = f"~{r['seconds'] / r['planned'] * r['photos']:8.0f} s ({r['planned']} planned)"
    return f"{batch}, longest {r['longest']:7.3f} s"


def run_at(rev: str, counts: list[int], budget: float) -> list[dict]:
    """This measurement on the app as committed at `rev`, in a child process."""
    root = Path(__file__).resolve().parents[1]
    archive = subprocess.run(["git", "-C", str(root), "archive", rev, "engine", "colorizer_gui", "resources"],
                             check=True, capture_output=True).stdout
    with tempfile.TemporaryDirectory(prefix="colorizer-before-") as tree:
        subprocess.run(["tar", "-x", "-C", tree], input=archive, check=True)
        out = subprocess.run([sys.executable, __file__, "--tree", tree, "--json", "--budget", str(budget),
                              "--photos", *map(str, counts)], check=True, capture_output=True, text=True,
                             env={**os.environ, "QT_QPA_PLATFORM": "offscreen"}).stdout
    return json.loads(out)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--photos", type=int, nargs="+", default=[1000, 5000, 20000])
    p.add_argument("--before", metavar="REV", help="also time the app as it was at this commit")
    p.add_argument("--budget", type=float, default=20.0, help="seconds per run before extrapolating")
    p.add_argument("--tree", help=argparse.SUPPRESS)     # import the app from here (for --before)
    p.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()
    sys.path.insert(0, args.tree or str(Path(__file__).resolve().parents[1]))
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

    before = run_at(args.before, args.photos, args.budget) if args.before else None
    now = measure(args.photos, args.budget)
    if args.json:
        print(json.dumps(now))
        return 0
    print("planning every photo's output name in dispatch order: seconds per batch, and the longest "
          "single photo (the UI waits that long)")
    print(f"{'photos':>7}  {'results':<22}  {'before ' + args.before if before else '':<44}  now")
    agree = True
    for i, r in enumerate(now):
        where = "beside the originals" if r["mode"] == "beside" else "one folder, Keep both"
        old = ""
        if before:
            b = before[i]
            k = min(b["planned"], r["planned"])
            same = digest(b["names"][:k]) == digest(r["names"][:k])
            agree &= same
            old = cell(b) + ("" if same else " NAMES DIFFER")
        print(f"{r['photos']:>7}  {where:<22}  {old:<44}  {cell(r)}", flush=True)
    print(f"cpu cores: {os.cpu_count()}, load average: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    if before:
        print("names: the same before and now" if agree else "names: DIFFERENT (see above)")
    return 0 if agree else 1


if __name__ == "__main__":
    sys.exit(main())
