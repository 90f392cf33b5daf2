"""What the viewer shows for the selected photo: its Before from disk, its After rendered at the
photo's own strength, and one line saying where it stands (working, failed, unsaved...).

A QObject, not a widget: it drives the `CompareView` and the info line the tab lays out, and
listens to the batch controller, the image loader and the preview renderer. The expensive part
is kept off the UI thread (`previews.py`); this object only decides what to ask for and when a
result still matters (results for a photo no longer shown are dropped).
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Slot

from colorizer_gui.workers import Debounced
from colorizer_gui.workspace.batch_controller import BatchController
from colorizer_gui.workspace.photo_queue import PhotoItem, PhotoStatus, describe_size
from colorizer_gui.workspace.previews import BeforeLoaded, ImageLoader, LruCache, PreviewRenderer, SourceLoaded
from colorizer_gui.workspace.qt_compare_view import CompareView

# While the strength slider moves, the After is drawn from a reduced lightness; the full-size
# render follows once the slider has rested this long.
FULL_RENDER_DELAY_MS = 180


class PhotoDisplay(QObject):
    """Shows one photo of the queue in `viewer` (None: nothing) and keeps it up to date."""

    def __init__(self, controller: BatchController, loader: ImageLoader, viewer: CompareView, info_label,
                 show_strength, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.queue = controller.queue
        self.loader = loader
        self.viewer = viewer
        self.info_label = info_label
        self._show_strength = show_strength          # the settings panel's slider follows the photo
        self.renderer = PreviewRenderer(controller.engine.render, self)
        self.before_images: LruCache = LruCache(8)
        self._before_errors: dict[int, str] = {}
        self._preview_errors: dict[int, str] = {}
        self._loading_sources: set[int] = set()
        self.shown_id: int | None = None
        # (strength, id of the chroma, fast) of the After on screen: what a new render must differ from
        self.after_state: tuple | None = None
        self._full_render = Debounced(self._render_shown_full, FULL_RENDER_DELAY_MS, self)

        c = controller
        c.progress_changed.connect(self._on_progress_changed)
        c.item_finished.connect(self._on_item_finished)
        c.preview_ready.connect(self._on_preview_ready)
        c.preview_failed.connect(self._on_preview_failed)
        c.save_finished.connect(self._on_save_finished)
        loader.before_loaded.connect(self._on_before_loaded)
        loader.source_loaded.connect(self._on_source_loaded)
        self.renderer.rendered.connect(self._on_rendered)

    # --- what the tab asks for ----------------------------------------------------------------------

    def shown(self) -> PhotoItem | None:
        return self.queue.item_by_id(self.shown_id) if self.shown_id is not None else None

    def show(self, item: PhotoItem | None) -> None:
        """Show `item` (again: its After and message are brought up to date)."""
        if item is None:
            self.shown_id = None
            self.renderer.discard()
            self.viewer.set_photo(None)
            self.viewer.set_message("")
            self.info_label.set_full_text("")
            return
        if item.id != self.shown_id:
            self.shown_id = item.id
            self.renderer.discard()
            self._full_render.cancel()
            self.after_state = None
            self.viewer.set_photo(item.size)
            before = self.before_images.get(item.id)
            if before is not None:
                self.viewer.set_before(before)
            elif item.readable or item.status is not PhotoStatus.SKIPPED:
                self.loader.load_before(item.id, item.path)
            self._show_strength(item.strength)
        self._update_after(item)
        self.update_message(item)
        self.update_info(item)

    def show_current(self) -> None:
        """The model became ready or the settings changed: bring the shown photo up to date."""
        item = self.shown()
        if item is not None:
            self.show(item)

    def forget(self, item_ids: list[int]) -> None:
        for item_id in item_ids:
            self.before_images.pop(item_id, None)

    def strength_moved(self, final: bool) -> None:
        """The shown photo's strength changed: a quick render while dragging, the full one at rest."""
        shown = self.shown()
        if shown is None or shown.chroma is None or shown.status is PhotoStatus.WORKING:
            return
        if final:
            self._full_render.cancel()
            self.render(shown, fast=False)
        else:
            self.render(shown, fast=True)
            self._full_render.trigger()
        self.update_message(shown)

    def item_adjusted(self, item: PhotoItem) -> None:
        """`item`'s hints or strength changed (an edit, undo or redo)."""
        if item.id != self.shown_id:
            return
        self._show_strength(item.strength)
        if item.chroma is not None and item.status is not PhotoStatus.WORKING:
            if self.after_state != self._wanted(item):
                self.render(item, fast=False)
        self.update_message(item)

    def photo_size_known(self, item: PhotoItem) -> None:
        if item.id == self.shown_id:
            self.viewer.set_photo_size(item.size)
            self.update_info(item)

    def close(self) -> None:
        self._full_render.cancel()
        self.renderer.close()

    # --- drawing ------------------------------------------------------------------------------------

    @staticmethod
    def _wanted(item: PhotoItem) -> tuple:
        return round(item.strength, 4), id(item.chroma), False

    def _update_after(self, item: PhotoItem) -> None:
        c = self.controller
        if item.chroma is None or item.status is PhotoStatus.WORKING:
            if item.chroma is None and self.after_state is not None:
                self.viewer.set_after(None)
                self.after_state = None
            if item.status is not PhotoStatus.WORKING and c.model_ready:
                c.request_preview(item)
            return
        if c.needs_preview(item) and c.model_ready:
            c.request_preview(item)
        source = c.sources.get(item.id)
        if source is None:
            if item.id not in self._loading_sources:
                self._loading_sources.add(item.id)
                self.loader.load_source(item.id, item.path, c.batch_settings().max_pixels)
            return
        if self.after_state != self._wanted(item):
            self.render(item, fast=False)

    def render(self, item: PhotoItem, *, fast: bool) -> None:
        source = self.controller.sources.get(item.id)
        if source is None or item.chroma is None:
            return
        lightness = source.fast_lightness if fast else source.lightness
        self.renderer.request(item.id, lightness, item.chroma, item.strength, fast=fast)

    def _render_shown_full(self) -> None:
        shown = self.shown()
        if shown is not None:
            self.render(shown, fast=False)

    def update_message(self, item: PhotoItem) -> None:
        status = item.status
        progress = None
        if status is PhotoStatus.WORKING:
            text = f"{(item.stage or 'colorizing').capitalize()}… {item.progress * 100:.0f} %"
            progress = item.progress
        elif status is PhotoStatus.FAILED:
            text = f"Could not colorize: {item.message}"
        elif status is PhotoStatus.SKIPPED:
            text = f"Skipped: {item.message}"
        elif item.id in self._before_errors and not self.viewer.has_before():
            text = "This photo can't be shown; it may be damaged or in an unusual format"
        elif status is PhotoStatus.DONE:
            text = "Changed · press Save to update the file" if item.has_unsaved_changes else ""
        elif item.chroma is not None:
            text = "Preview · not saved yet"
        elif item.id in self._preview_errors:
            text = f"Can't preview: {self._preview_errors[item.id]}"
        elif self.controller.model_loading:
            text = "Loading the colour model…"
        elif not self.controller.model_ready:
            text = "No colour model loaded"
        else:
            text = "Previewing colours…"
        self.viewer.set_message(text, progress)

    def update_info(self, item: PhotoItem) -> None:
        parts = [item.name]
        size = describe_size(item)
        if size:
            parts.append(size)
        if item.output is not None and item.status in (PhotoStatus.DONE, PhotoStatus.SKIPPED):
            parts.append(f"saved as {item.output}")
        self.info_label.set_full_text("   ·   ".join(parts))

    # --- slots --------------------------------------------------------------------------------------

    @Slot()
    def _on_progress_changed(self) -> None:
        item = self.shown()
        if item is not None and item.status is PhotoStatus.WORKING:
            self.update_message(item)

    @Slot(int)
    def _on_item_finished(self, item_id: int) -> None:
        if item_id == self.shown_id:
            item = self.queue.item_by_id(item_id)
            if item is not None:
                self.after_state = None if item.status is PhotoStatus.DONE else self.after_state
                self.show(item)

    @Slot(int)
    def _on_preview_ready(self, item_id: int) -> None:
        self._preview_errors.pop(item_id, None)
        if item_id == self.shown_id:
            item = self.queue.item_by_id(item_id)
            if item is not None:
                self.after_state = None
                self.show(item)

    @Slot(int, str)
    def _on_preview_failed(self, item_id: int, message: str) -> None:
        self._preview_errors[item_id] = message
        item = self.shown()
        if item is not None and item.id == item_id:
            self.update_message(item)

    @Slot(int, bool, str)
    def _on_save_finished(self, item_id: int, ok: bool, message: str) -> None:
        item = self.shown()
        if item is not None and item.id == item_id:
            self.update_message(item)

    @Slot(object)
    def _on_before_loaded(self, result: BeforeLoaded) -> None:
        if result.image is not None:
            self.before_images.put(result.item_id, result.image)
            self._before_errors.pop(result.item_id, None)
        else:
            self._before_errors[result.item_id] = result.error
        if result.item_id == self.shown_id:
            self.viewer.set_before(result.image)
            item = self.queue.item_by_id(result.item_id)
            if item is not None:
                self.update_message(item)

    @Slot(object)
    def _on_source_loaded(self, result: SourceLoaded) -> None:
        self._loading_sources.discard(result.item_id)
        if result.source is not None:
            self.controller.sources.put(result.item_id, result.source)
            if result.item_id == self.shown_id:
                self.show_current()

    @Slot(int, object, float, bool)
    def _on_rendered(self, item_id: int, image, strength: float, fast: bool) -> None:
        item = self.shown()
        if item is None or item.id != item_id:
            return
        self.viewer.set_after(image)
        self.after_state = (round(strength, 4), id(item.chroma), fast)
