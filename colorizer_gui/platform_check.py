"""Can Qt open a window here? Checked before the QApplication exists, without importing Qt.

Qt aborts the whole process (SIGABRT, rc 134) when its platform plugin cannot be loaded, after
printing a long message that names only the first missing library. On a plain Debian or Ubuntu
desktop that is what happens: PySide6's X11 plugin needs a few xcb libraries that are not
installed by default. So `colorizer` looks first and says in one line what to install.
"""

from __future__ import annotations

import ctypes
import importlib.util
import os
import re
import sys
from pathlib import Path

# soname -> (Debian/Ubuntu package, Fedora package). The first five are the ones a default
# desktop install usually lacks; the rest are listed so that any missing one is named right.
PACKAGES: dict[str, tuple[str, str]] = {
    "libxcb-cursor.so.0": ("libxcb-cursor0", "xcb-util-cursor"),
    "libxcb-icccm.so.4": ("libxcb-icccm4", "xcb-util-wm"),
    "libxcb-keysyms.so.1": ("libxcb-keysyms1", "xcb-util-keysyms"),
    "libxcb-image.so.0": ("libxcb-image0", "xcb-util-image"),
    "libxcb-render-util.so.0": ("libxcb-render-util0", "xcb-util-renderutil"),
    "libxcb-util.so.1": ("libxcb-util1", "xcb-util"),
    "libxkbcommon-x11.so.0": ("libxkbcommon-x11-0", "libxkbcommon-x11"),
    "libxcb-randr.so.0": ("libxcb-randr0", "libxcb"),
    "libxcb-shape.so.0": ("libxcb-shape0", "libxcb"),
    "libxcb-shm.so.0": ("libxcb-shm0", "libxcb"),
    "libxcb-sync.so.1": ("libxcb-sync1", "libxcb"),
    "libxcb-xfixes.so.0": ("libxcb-xfixes0", "libxcb"),
    "libxcb-xkb.so.1": ("libxcb-xkb1", "libxcb"),
    "libxcb-render.so.0": ("libxcb-render0", "libxcb"),
    "libxcb.so.1": ("libxcb1", "libxcb"),
    "libxkbcommon.so.0": ("libxkbcommon0", "libxkbcommon"),
    "libX11-xcb.so.1": ("libx11-xcb1", "libX11-xcb"),
    "libX11.so.6": ("libx11-6", "libX11"),
    "libGL.so.1": ("libgl1", "libglvnd-glx"),
    "libEGL.so.1": ("libegl1", "libglvnd-egl"),
    "libfontconfig.so.1": ("libfontconfig1", "fontconfig"),
    "libfreetype.so.6": ("libfreetype6", "freetype"),
    "libglib-2.0.so.0": ("libglib2.0-0", "glib2"),
    "libdbus-1.so.3": ("libdbus-1-3", "dbus-libs"),
}
_NOT_FOUND = re.compile(r"([\w.+-]+\.so[\w.]*): cannot open shared object file")
_NON_WINDOW_PLATFORMS = ("offscreen", "minimal", "vnc", "linuxfb", "eglfs", "vkkhrdisplay")


def xcb_plugin() -> Path | None:
    """PySide6's X11 platform plugin (in a venv or in the app bundle), if there is one."""
    spec = importlib.util.find_spec("PySide6")
    folders = list(spec.submodule_search_locations or []) if spec is not None else []
    for folder in folders:
        for candidate in (Path(folder) / "Qt" / "plugins" / "platforms" / "libqxcb.so",
                          Path(folder) / "plugins" / "platforms" / "libqxcb.so"):
            if candidate.is_file():
                return candidate
    return None


def _loads(name: str | Path) -> str | None:
    """None when the shared object loads, else the loader's message."""
    try:
        ctypes.CDLL(str(name))
    except OSError as exc:
        return str(exc)
    return None


def missing_libraries(plugin: Path) -> list[str]:
    """The sonames `plugin` needs that the system cannot find ([] when it loads)."""
    problem = _loads(plugin)
    if problem is None:
        return []
    # The loader names only the first missing library: try the known ones one by one as well.
    missing = [m for m in _NOT_FOUND.findall(problem) if Path(m).name != plugin.name]
    missing += [so for so in PACKAGES if so not in missing and _loads(so) is not None]
    return missing or [problem.strip()]


def describe_missing(missing: list[str]) -> str:
    """One line: what is missing and the command that installs it (Debian/Ubuntu and Fedora)."""
    debian = sorted({PACKAGES[m][0] for m in missing if m in PACKAGES})
    fedora = sorted({PACKAGES[m][1] for m in missing if m in PACKAGES})
    text = ("colorizer: the window can't open because the system lacks libraries that Qt needs "
            f"({', '.join(missing)}).")
    if debian:
        text += (f" Install them with: sudo apt install {' '.join(debian)} (Debian, Ubuntu)"
                 f" or sudo dnf install {' '.join(fedora)} (Fedora).")
    return text


def uses_xcb(environ: dict[str, str] | None = None) -> bool:
    """Whether Qt will open its windows through X11 (xcb) in this environment."""
    env = os.environ if environ is None else environ
    if not sys.platform.startswith("linux"):
        return False
    chosen = env.get("QT_QPA_PLATFORM", "").strip().lower()
    if chosen:
        return chosen.split(";")[0].split(":")[0] == "xcb"
    # Unset: a Wayland session gets the Wayland plugin, which does not need these libraries.
    return not (env.get("WAYLAND_DISPLAY") and env.get("XDG_SESSION_TYPE", "").lower() == "wayland")


def window_problem(environ: dict[str, str] | None = None, plugin: Path | None = None) -> str | None:
    """A one-line explanation when Qt would abort instead of opening a window; None when it can."""
    env = os.environ if environ is None else environ
    if not uses_xcb(env):
        return None
    plugin = plugin or xcb_plugin()
    if plugin is not None:
        missing = missing_libraries(plugin)
        if missing:
            return describe_missing(missing)
    display = env.get("DISPLAY", "")
    if not display:
        return ("colorizer: there is no desktop display to open the window on (DISPLAY is not set). "
                "Start Colorizer from your desktop, or colorize from a terminal with: colorize PHOTOS")
    if not can_connect(display):
        return (f"colorizer: the display {display} (DISPLAY) can't be reached. Start Colorizer from your "
                "desktop, or colorize from a terminal with: colorize PHOTOS")
    return None


def can_connect(display: str) -> bool:
    """Whether an X server answers at `display` (what Qt's xcb plugin would abort on otherwise)."""
    try:
        xcb = ctypes.CDLL("libxcb.so.1")
    except OSError:
        return True  # not knowable here; the library check above names a missing libxcb
    xcb.xcb_connect.restype = ctypes.c_void_p
    xcb.xcb_connect.argtypes = [ctypes.c_char_p, ctypes.c_void_p]
    xcb.xcb_connection_has_error.argtypes = [ctypes.c_void_p]
    xcb.xcb_disconnect.argtypes = [ctypes.c_void_p]
    connection = xcb.xcb_connect(display.encode(), None)
    try:
        return connection is not None and xcb.xcb_connection_has_error(connection) == 0
    finally:
        if connection is not None:
            xcb.xcb_disconnect(connection)  # frees even a connection in error
