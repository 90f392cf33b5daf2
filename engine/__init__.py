"""Colorizer's engine: colour maths, the network, inference, training and the command lines.

Never imports Qt: the GUI depends on the engine, not the other way round.
"""

__version__ = "0.1.0"
