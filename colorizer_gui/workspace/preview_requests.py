"""The viewer's colour predictions: asking the engine to predict a photo's colours for the
compare view, and knowing when a photo's prediction is still current.

A prediction (chroma) depends on the model, the render size (Detail) and the photo's hints
(`ChromaKey`); a change to any of them makes it stale, and the photo is predicted again. Only
the newest request waits (the photo on screen); one for another photo cancels it. No widgets:
`previews.py` renders what this gets, at the photo's strength, off the UI thread.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from colorizer_gui.workspace.engine_worker import PreviewOutcome, PreviewTask
from colorizer_gui.workspace.photo_queue import ChromaKey, PhotoItem, PhotoStatus

if TYPE_CHECKING:  # engine.infer loads torch, which the engine thread imports, not the window
    from colorizer_gui.workspace.batch_controller import BatchController
    from engine.infer import Chroma


class PreviewRequests:
    def __init__(self, controller: BatchController) -> None:
        self._c = controller

    def chroma_key(self, item: PhotoItem) -> ChromaKey:
        """What a prediction of this photo made now would depend on."""
        return ChromaKey(self._c.model_id, self._c.settings.render_size, tuple(item.hints))

    def current_chroma(self, item: PhotoItem) -> Chroma | None:
        """The photo's preview chroma if it is still what the network would predict now.

        That is, it was made by this model at this render size for exactly these hints (a
        hint edit or a settings change since makes it stale, and the photo is predicted again).
        """
        if item.chroma is None or item.chroma_key != self.chroma_key(item):
            return None
        return item.chroma

    def needed(self, item: PhotoItem) -> bool:
        if not item.readable or item.status is PhotoStatus.WORKING:
            return False
        if item.chroma is None or item.chroma_key is None:
            return True
        # A done photo too: after a new Detail (render size) or model its preview is predicted again,
        # and it counts as changed until saved (issue 13: changing Detail did nothing visible).
        return item.chroma_key != self.chroma_key(item)

    def request(self, item: PhotoItem) -> bool:
        """Predict the photo's colours for the viewer (newest request wins). False if not needed."""
        tasks = self._c.tasks
        if not self.needed(item) or tasks.closed:
            return False
        busy = tasks.current
        if isinstance(busy, PreviewTask):
            if busy.item_id == item.id and busy.key == self.chroma_key(item):
                return True
            busy.cancel.set()
        tasks.pending_preview = PreviewTask(item.id, item.path, list(item.hints), self._c.settings.render_size,
                                            self._c.max_pixels(), key=self.chroma_key(item))
        tasks.dispatch()
        return True

    def on_outcome(self, outcome: PreviewOutcome) -> None:
        task, c = outcome.task, self._c
        item = c.queue.item_by_id(task.item_id)
        if item is None or outcome.cancelled:
            return
        if outcome.chroma is None:
            c.preview_failed.emit(item.id, outcome.message)
            return
        if item.status is PhotoStatus.WORKING:
            return
        item.chroma, item.chroma_key = outcome.chroma, task.key
        if outcome.preview is not None:
            c.sources.put(item.id, outcome.preview)
            item.size = outcome.preview.size
        c.queue.refresh(item)
        c.preview_ready.emit(item.id)
