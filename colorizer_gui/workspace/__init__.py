"""The Colorize tab: the photo queue, colorizing a batch (start, pause, cancel, save), the
before/after compare view and the settings panel.

State without Qt objects: `photo_queue` (PhotoItem, PhotoStatus), `adding_photos` (which dropped
files become rows), `output_plan` (each photo's result name), `batch_progress` (counts, time
left). Controllers: `batch_controller` (runs, pauses and cancels batches), `photo_jobs` (one
photo's job and what its end means), `engine_dispatch` (which engine task runs next),
`preview_requests` (the viewer's colour predictions), `saving` (Save, Save as, Save all),
`engine_worker` and `previews` (background colour work). Widgets: `qt_*.py`.
"""
