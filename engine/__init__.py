"""Colorizer's engine: colour maths, the network, inference, training and the command lines.

Never imports Qt: the GUI depends on the engine, not the other way round.
"""

import os

# torch's OpenMP threads spin while waiting by default; on a machine that is doing anything
# else (the GUI, a fine-tune run, another program) that makes a 1 s photo take 15 s. Passive
# waiting costs nothing measurable when idle. Must be set before torch is first imported.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

__version__ = "0.1.0"
