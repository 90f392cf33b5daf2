"""How long a user waits: `colorize --help`, `--version`, `--list-models`, one photo, the app's window.

Each measurement is a fresh process, timed from its start by this script (so it includes
Python itself, imports and the model load), repeated; the median is printed with the fastest
and slowest. Targets (issue 13): --help, --version and --list-models under 0.5 s, one photo
(the bundled 775x800 cork-1905 sample, bundled model) within 2.5 s.

The app is measured offscreen (QT_QPA_PLATFORM=offscreen unless a display is set) through the
same calls `colorizer` makes: the QApplication, the main window shown, then the model loaded.

Other work on the CPU (a training run) slows everything: the load average is printed with the
numbers, and `--threads 1` is passed to the photo run so it competes less for the cores. The
time to import torch alone is printed too: no run that colorizes can start faster than that.

Usage: python bench/startup.py [--repeat 5] [--no-app] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "resources" / "samples" / "cork-1905.jpg"
TARGETS = {"colorize --help": 0.5, "colorize --version": 0.5, "colorize --list-models": 0.5,
           "colorize one photo": 2.5}

_APP_PROBE = """
import sys, time
from colorizer_gui.app import create_application
app = create_application()
from colorizer_gui.qt_main_window import MainWindow
window = MainWindow()
window.show()
app.processEvents()
print("window", flush=True)
while not window.colorize_tab.controller.model_ready:
    app.processEvents()
    time.sleep(0.01)
print("model", flush=True)
"""


def _env() -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if not env.get("DISPLAY") and not env.get("WAYLAND_DISPLAY"):
        env["QT_QPA_PLATFORM"] = "offscreen"
    return env


def time_command(args: list[str], repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run = subprocess.run(args, capture_output=True, text=True, env=_env(), timeout=300)
        times.append(time.perf_counter() - start)
        if run.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} failed ({run.returncode}): {run.stderr.strip()[-500:]}")
    return times


def time_one_photo(repeat: int) -> list[float]:
    times = []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(repeat):
            out = Path(tmp) / str(i)
            times += time_command([sys.executable, "-m", "engine.cli", str(SAMPLE), "-o", str(out), "-q",
                                   "--threads", "1"], 1)
            if not any(out.iterdir()):
                raise RuntimeError("the one-photo run wrote nothing")
    return times


def time_app(repeat: int) -> tuple[list[float], list[float]]:
    """(seconds to the window shown, seconds to the model loaded), from the process start."""
    window, model = [], []
    for _ in range(repeat):
        start = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-c", _APP_PROBE], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, env=_env())
        marks = {}
        for line in proc.stdout:
            marks[line.strip()] = time.perf_counter() - start
            if line.strip() == "model":
                break
        proc.kill()
        proc.wait()
        if "model" not in marks:
            raise RuntimeError(f"the app did not start: {proc.stderr.read()[-500:]}")
        window.append(marks["window"])
        model.append(marks["model"])
    return window, model


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--no-app", action="store_true", help="leave out the desktop app")
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)

    cli = [sys.executable, "-m", "engine.cli"]
    rows: dict[str, list[float]] = {
        "colorize --help": time_command([*cli, "--help"], args.repeat),
        "colorize --version": time_command([*cli, "--version"], args.repeat),
        "colorize --list-models": time_command([*cli, "--list-models"], args.repeat),
        "colorize one photo": time_one_photo(args.repeat),
        # The floor under any run that colorizes: loading torch alone, in the same conditions.
        "python -c 'import torch'": time_command([sys.executable, "-c", "import torch"], args.repeat),
    }
    if not args.no_app:
        window, model = time_app(max(1, args.repeat // 2))
        rows["app: window shown"] = window
        rows["app: model loaded"] = model

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    if args.json:
        print(json.dumps({"load_average": load, "cpus": os.cpu_count(),
                          "seconds": {k: statistics.median(v) for k, v in rows.items()}}, indent=2))
        return 0
    print(f"load average {load:.2f} on {os.cpu_count()} CPUs; {args.repeat} runs each, fresh processes")
    print(f"{'':26s} {'median':>7s} {'fastest':>8s} {'slowest':>8s}  target")
    for name, times in rows.items():
        target = TARGETS.get(name)
        met = target is not None and statistics.median(times) < target
        verdict = "" if target is None else f"  < {target:g} s {'ok' if met else 'MISSED'}"
        print(f"{name:26s} {statistics.median(times):6.2f}s {min(times):7.2f}s {max(times):7.2f}s{verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
