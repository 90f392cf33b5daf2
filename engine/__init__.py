"""Colorizer's engine: colour maths, the network, inference, training and the command lines.

Never imports Qt: the GUI depends on the engine, not the other way round.
"""

import logging
import os

# torch's OpenMP threads spin while waiting by default; on a machine that is doing anything
# else (the GUI, a fine-tune run, another program) that makes a 1 s photo take 15 s. Passive
# waiting costs nothing measurable when idle. Must be set before torch is first imported.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

__version__ = "0.1.0"

# Engine modules log through logging.getLogger(__name__); whoever runs the engine decides where
# that goes (the app: a file, see colorizer_gui/app_logging.py). Until then nothing is printed:
# without this, Python would print warnings on stderr, into the CLI's own output.
logging.getLogger(__name__).addHandler(logging.NullHandler())
