"""The app window shows before torch has loaded (issue 13): only the engine thread imports it.

Each check runs a fresh interpreter: in this test process torch is long loaded (conftest).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Records which thread first loads torch (a finder on sys.meta_path is asked only while it is not
# loaded yet) and every `import torch...` the main thread runs, even one that only waits for
# another thread's import to finish (that wait would block painting just the same).
_PROBE = """
import builtins, sys, threading, time

first_loader, main_imports = [], []

class Watch:
    def find_spec(self, name, path=None, target=None):
        if name == "torch" and not first_loader:
            first_loader.append(threading.current_thread().name)
        return None

sys.meta_path.insert(0, Watch())
_import = builtins.__import__

def watching_import(name, globals=None, locals=None, fromlist=(), level=0):
    if level == 0 and name.split(".")[0] == "torch" and threading.current_thread() is threading.main_thread():
        main_imports.append(name)
    return _import(name, globals, locals, fromlist, level)

builtins.__import__ = watching_import

from colorizer_gui.app import create_application
app = create_application()
from colorizer_gui.qt_main_window import MainWindow
from colorizer_gui.settings import GuiSettings
print("IMPORTED", "torch" in sys.modules, flush=True)
load = sys.argv[1] == "load"
window = MainWindow(GuiSettings(model=sys.argv[2]), load_model=load)
window.show()
app.processEvents()
print("SHOWN", "torch" in sys.modules, flush=True)
print("MAIN THREAD IMPORTED", list(main_imports), flush=True)
if load:
    controller = window.colorize_tab.controller
    deadline = time.monotonic() + 240
    while not controller.model_ready and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.01)
    print("MODEL READY", controller.model_ready, flush=True)
    print("FIRST LOADED BY", first_loader, flush=True)
window.close()
"""


def _probe(mode: str, model: Path) -> str:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen"}
    run = subprocess.run([sys.executable, "-c", _PROBE, mode, str(model)], capture_output=True, text=True,
                         timeout=300, env=env, cwd=ROOT)
    assert run.returncode == 0, run.stderr[-3000:]
    return run.stdout


def test_building_and_showing_the_window_imports_no_torch(tiny_model_path):
    """Importing the window's module, building the window (both tabs) and painting it: no torch."""
    out = _probe("show", tiny_model_path)
    assert "IMPORTED False" in out, out
    assert "SHOWN False" in out, out
    assert "MAIN THREAD IMPORTED []" in out, out


def test_the_engine_thread_loads_torch_and_the_model(tiny_model_path):
    """With the model loading, the main thread runs no torch import until the window is shown
    (not even one waiting for the engine thread's), and the engine thread is the one that loads it."""
    out = _probe("load", tiny_model_path)
    assert "MAIN THREAD IMPORTED []" in out, out
    assert "MODEL READY True" in out, out
    loader = out.split("FIRST LOADED BY")[1].split("\n")[0].strip()
    assert loader not in ("[]", "['MainThread']"), out
