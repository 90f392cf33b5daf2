"""The engine never imports Qt: the command line runs without it and the GUI depends one way only."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_CHECK = """
import importlib, pkgutil, sys
import engine
names = sorted(m.name for m in pkgutil.iter_modules(engine.__path__, "engine."))
for name in names:
    importlib.import_module(name)
import engine.cli
engine.cli.build_parser().parse_args(["x.jpg"])
qt = sorted(m for m in sys.modules if m.split(".")[0] in ("PySide6", "PyQt5", "PyQt6", "shiboken6", "pytestqt"))
print("modules:", len(names))
print("qt:", qt)
"""


def test_engine_imports_without_qt():
    env = {k: v for k, v in os.environ.items() if k != "PYTHONSTARTUP"}
    env["PYTHONPATH"] = str(ROOT)
    run = subprocess.run([sys.executable, "-c", _CHECK], capture_output=True, text=True, env=env, cwd=ROOT, timeout=300)
    assert run.returncode == 0, run.stderr
    assert "qt: []" in run.stdout, run.stdout
    count = int(run.stdout.split("modules:")[1].split()[0])
    assert count >= 10  # really walked the package: color, infer, photo_io, batch, cli, ...


def test_the_check_can_fail():
    """The same probe run after importing PySide6 does see it, so an empty list means something."""
    probe = "import sys, PySide6.QtCore; print([m for m in sys.modules if m.startswith('PySide6')][:1])"
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0 and "PySide6" in run.stdout, run.stderr
