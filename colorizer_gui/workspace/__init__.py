"""The Colorize tab: the photo queue, colorizing a batch (start, pause, cancel, save), the
before/after compare view and the settings panel.

Qt-free state: `photo_queue` (PhotoItem, PhotoStatus). Controllers: `batch_controller` (runs and
cancels batches), `engine_worker` and `previews` (background colour work). Widgets: `qt_*.py`.
"""
