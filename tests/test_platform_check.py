"""`colorizer` explains a missing Qt platform library in one line instead of aborting."""

from __future__ import annotations

import glob
import os
import subprocess
import sys
from pathlib import Path

import pytest

from colorizer_gui.platform_check import describe_missing, missing_libraries, uses_xcb, window_problem

ROOT = Path(__file__).resolve().parents[1]


def _system_library(name: str) -> Path | None:
    for folder in ("/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib/aarch64-linux-gnu",
                   "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/usr/lib"):
        found = sorted(glob.glob(f"{folder}/{name}"))
        if found:
            return Path(found[0])
    return None


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="shared-library loading on Linux")
def test_a_library_whose_dependency_is_missing_is_named(tmp_path):
    real = _system_library("libxcb-shape.so.0*") or _system_library("libxcb-xfixes.so.0*")
    if real is None:
        pytest.skip("no xcb library on this machine to copy")
    # A real shared object whose DT_NEEDED entry names a library that does not exist: the same
    # situation as PySide6's libqxcb.so on a desktop without libxcb-cursor0.
    data = real.read_bytes()
    assert b"libxcb.so.1" in data
    broken = tmp_path / "libbroken-plugin.so"
    broken.write_bytes(data.replace(b"libxcb.so.1", b"libxcq.so.1"))
    missing = missing_libraries(broken)
    assert "libxcq.so.1" in missing and broken.name not in missing
    assert missing_libraries(real) == []
    line = window_problem({"QT_QPA_PLATFORM": "xcb", "DISPLAY": ":0"}, plugin=broken)
    assert line is not None and "\n" not in line and "libxcq.so.1" in line


def test_the_message_names_the_packages_for_debian_and_fedora():
    line = describe_missing(["libxcb-cursor.so.0", "libxcb-icccm.so.4", "libxcb-keysyms.so.1"])
    assert "\n" not in line
    assert "sudo apt install libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1" in line
    assert "sudo dnf install xcb-util-cursor xcb-util-keysyms xcb-util-wm" in line


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="X11 is the Linux desktop")
def test_which_environments_use_x11():
    assert uses_xcb({"DISPLAY": ":0"})
    assert uses_xcb({"QT_QPA_PLATFORM": "xcb"})
    assert not uses_xcb({"QT_QPA_PLATFORM": "offscreen"})
    assert not uses_xcb({"WAYLAND_DISPLAY": "wayland-0", "XDG_SESSION_TYPE": "wayland", "DISPLAY": ":0"})
    assert window_problem({"QT_QPA_PLATFORM": "offscreen"}) is None


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="X11 is the Linux desktop")
@pytest.mark.parametrize("display", [None, ":987"])
def test_colorizer_without_a_usable_display_says_why_in_one_line(tmp_path, display):
    # Without a display, an unreachable one or the xcb libraries, Qt itself would abort (rc 134).
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.update(QT_QPA_PLATFORM="xcb", PYTHONPATH=str(ROOT), COLORIZER_CONFIG_DIR=str(tmp_path))
    if display:
        env["DISPLAY"] = display
    done = subprocess.run([sys.executable, "-m", "colorizer_gui"], env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 1, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("colorizer: ")
    assert "DISPLAY" in lines[0] or "sudo apt install" in lines[0]
