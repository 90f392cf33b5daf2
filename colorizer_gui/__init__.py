"""Colorizer's desktop app (Qt). All colour work goes through the `engine` package.

Public names: `MainWindow` (in `colorizer_gui.qt_main_window`) and `main` (in `colorizer_gui.app`).
Imported lazily, so `import colorizer_gui` stays cheap (no torch, no Qt widgets).
"""

__all__ = ["main"]


def main(argv=None) -> int:
    from colorizer_gui.app import main as _main

    return _main(argv)
