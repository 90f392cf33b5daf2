"""`python -m colorizer_gui`: the desktop app."""

import sys

from colorizer_gui.app import main

sys.exit(main())
