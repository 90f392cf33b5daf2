"""Colour hints: place, move and remove a hint on the photo, choose its colour, preview the result.

Qt-free state: `state` (per-photo hints, undo, projects and hint files). `controller` wires the
overlay (`qt_overlay`), the colour chooser (`qt_color_dialog`) and the preview (`preview_worker`).
"""
