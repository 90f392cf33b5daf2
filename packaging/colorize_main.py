"""Bundle entry point of the command line (`colorize`)."""

import multiprocessing
import sys

if __name__ == "__main__":
    multiprocessing.freeze_support()
    from engine.cli import main

    sys.exit(main())
