"""Entry point of the desktop app: `colorizer [PHOTOS OR FOLDERS...]`, also `python -m colorizer_gui`."""

from __future__ import annotations

import argparse
import sys

from engine import __version__


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="colorizer",
                                     description="Colorizer: bring colour to black-and-white photos.")
    parser.add_argument("paths", nargs="*", metavar="PHOTO_OR_FOLDER", help="photos or folders to open")
    parser.add_argument("--version", action="version", version=f"colorizer {__version__}")
    return parser


def create_application():
    """The QApplication, named so settings and the desktop entry match (reused if one exists)."""
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Colorizer")
    app.setApplicationDisplayName("Colorizer")
    app.setApplicationVersion(__version__)
    app.setDesktopFileName("colorizer")
    return app


def run_gui(args: argparse.Namespace) -> int:
    from colorizer_gui.platform_check import window_problem

    problem = window_problem()  # Qt would abort with a page of text instead (rc 134)
    if problem:
        print(problem, file=sys.stderr)
        return 1
    app = create_application()
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QSplashScreen

    from colorizer_gui.file_open_events import FileOpenForwarder
    from colorizer_gui.widgets import icons

    file_opens = FileOpenForwarder(app)  # before anything can spin the event loop

    splash = None
    pixmap = icons.app_icon().pixmap(128, 128)
    if not pixmap.isNull():
        splash = QSplashScreen(pixmap)
        splash.showMessage("Starting Colorizer…", Qt.AlignmentFlag.AlignBottom | Qt.AlignmentFlag.AlignHCenter)
        splash.show()
        app.processEvents()
    app.setWindowIcon(icons.app_icon())

    from colorizer_gui.qt_main_window import MainWindow  # imports the engine (and torch): the slow part

    window = MainWindow()
    window.show()
    if splash is not None:
        splash.finish(window)
    if args.paths:
        window.add_paths(args.paths)
    file_opens.attach(window.add_paths)
    return app.exec()


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if "--self-test" in argv:  # check an installed or bundled app, no display needed (packaging)
        from colorizer_gui.self_test import main as self_test

        return self_test(argv)
    args = build_parser().parse_args(argv)
    from colorizer_gui.app_logging import setup_logging

    setup_logging()  # first: a crash while starting is the one most worth a trace
    return run_gui(args)


if __name__ == "__main__":
    sys.exit(main())
