"""Stopgap for a PySide6 6.12.0 bug on Python < 3.12: void Qt calls drop a reference to None.

Every call of a Qt method that returns nothing (QLabel.setText, QPainter.drawLine, ...)
decrements None's reference count once. From Python 3.12 None is immortal and nothing
happens; on 3.11 None starts with a few thousand references, so an app dies with "Fatal
Python error: none_dealloc" after a few seconds of painting. PySide6 6.11.3 does not have
the bug: pinning `PySide6-Essentials!=6.12.0` is the real fix, after which this module does
nothing. Until then, give None so many references that it can never reach zero.
"""

from __future__ import annotations

import ctypes
import sys

import PySide6

AFFECTED = PySide6.__version__ == "6.12.0" and sys.version_info < (3, 12)
_EXTRA_REFERENCES = 1 << 48
_applied = False


def apply() -> bool:
    """Make None effectively immortal where the bug exists (once per process); True if applied."""
    global _applied
    if not AFFECTED or _applied:
        return False
    if sys.implementation.name != "cpython":
        return False
    ctypes.c_ssize_t.from_address(id(None)).value += _EXTRA_REFERENCES
    _applied = True
    return True


apply()
