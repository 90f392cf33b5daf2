"""The settings panel: model, device, detail, colour strength and where results are saved."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QSlider,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from colorizer_gui.settings import GuiSettings
from colorizer_gui.widgets.qt_form_parts import (
    add_form,
    field_with_button,
    hint_label,
    model_combo,
    section_title,
    text_button,
)
from colorizer_gui.workspace.qt_output_settings import OutputSettings
from engine.catalog import DEFAULT_MODEL, ModelEntry
from engine.options import DEFAULT_RENDER_SIZE, MAX_STRENGTH

# colorizer-base 1.0 colours best at 256 px (its model card: larger sizes show objects bigger
# than it learned them, and score lower); larger sizes trade that for finer colour edges.
RENDER_SIZES = [(192, "Faster"), (256, "Balanced"), (384, "More detail"), (512, "Most detail")]
STRENGTH_NOTE = "For the selected photo only; press Save to update its file."
DEVICE_LABELS = {"auto": "Automatic (fastest available)", "cuda": "NVIDIA graphics card (CUDA)",
                 "mps": "Apple graphics (Metal)", "cpu": "Processor (CPU)"}


# Settings that apply to every photo, with the words the Edit menu uses for them ("Undo detail change").
UNDOABLE = {"render_size": "Detail", "model": "Model", "device": "Device", "strength": "New photos' strength",
            "output_mode": "Save location", "output_dir": "Output folder", "format": "Format",
            "suffix": "Name ending", "if_exists": "If it exists"}


def default_model_entry(entries: list[ModelEntry]) -> ModelEntry | None:
    """The bundled default, else the first usable model."""
    usable = [e for e in entries if e.error is None]
    for source in ("bundled", "user"):
        for e in usable:
            if e.name == DEFAULT_MODEL and e.source == source:
                return e
    return usable[0] if usable else None


def effective_model(settings: GuiSettings, entries: list[ModelEntry]) -> str | None:
    """What to load: the chosen model file if it is still there, else the default (None: nothing usable)."""
    if settings.model:
        chosen = Path(settings.model)
        if any(e.path == chosen and e.error is None for e in entries) or chosen.is_file():
            return str(chosen)
    entry = default_model_entry(entries)
    return str(entry.path) if entry else None


class SettingsPanel(QScrollArea):
    """Edits a `GuiSettings` in place.

    Signals
    -------
    setting_changed(str name)
        a setting was changed by the user, or by undo/redo (for saving, and for re-planning outputs).
    settings_edited(dict before, str label, bool merge)
        the user changed settings: `before` holds the old values of those that changed (for the
        undo history; never sent for an undo or redo itself).
    model_choice_changed()
        the model or device changed: the model needs loading again.
    strength_changed(float strength, bool final)
        the slider moved; `final` once it is released (or set with the keyboard).
    import_model_requested()
    """

    setting_changed = Signal(str)
    settings_edited = Signal(dict, str, bool)
    model_choice_changed = Signal()
    strength_changed = Signal(float, bool)
    import_model_requested = Signal()

    def __init__(self, settings: GuiSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._settings = settings
        self._entries: list[ModelEntry] = []
        self._seen = self.undoable_values()   # what the last undo step started from
        self._restoring = False
        self._devices_found: list[str] | None = None   # None: not asked yet (see list_devices)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setMinimumWidth(270)
        body = QWidget()
        body.setObjectName("settingsBody")
        layout = QVBoxLayout(body)
        layout.setContentsMargins(14, 8, 14, 14)
        layout.setSpacing(6)
        self.setWidget(body)

        # --- model ---
        layout.addWidget(section_title("Model"))
        form = add_form(layout)
        self.model_combo = model_combo(10, "The trained model that predicts the colours.")
        self.import_button = text_button("Import…", "Add a model file (.safetensors) to your models")
        form.addRow("Model", field_with_button(self.model_combo, self.import_button, spacing=6))
        self.device_combo = QComboBox()
        self.device_combo.setToolTip("Where the work is done. Automatic uses a graphics card when there is one.")
        form.addRow("Device", self.device_combo)
        self.detail_combo = QComboBox()
        self.detail_combo.setToolTip("The size the model looks at. More detail gives finer colour regions "
                                     "but takes longer; the saved photo is always full size.")
        form.addRow("Detail", self.detail_combo)
        self.model_note = hint_label()
        layout.addWidget(self.model_note)

        # --- colour ---
        layout.addWidget(section_title("Colour"))
        form = add_form(layout)
        self.strength_slider = QSlider(Qt.Orientation.Horizontal)
        self.strength_slider.setRange(0, int(MAX_STRENGTH * 100))
        self.strength_slider.setSingleStep(5)
        self.strength_slider.setPageStep(10)
        self.strength_slider.setToolTip("How colourful the selected photo is: 0 % is the original grey, 100 % "
                                        "is the model's choice. Other photos keep their own strength.")
        self.strength_slider.setAccessibleName("Colour strength")
        self.strength_value = QLabel("100 %")
        self.strength_value.setMinimumWidth(44)
        self.strength_value.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.strength_reset = QToolButton()
        self.strength_reset.setText("Reset")
        self.strength_reset.setToolTip("Back to 100 %")
        row = QHBoxLayout()
        row.setSpacing(6)
        row.addWidget(self.strength_value)
        row.addStretch(1)
        row.addWidget(self.strength_reset)
        form.addRow("Strength", row)
        form.addRow(self.strength_slider)   # a full-width row: fine control with the mouse
        self.strength_note = hint_label(STRENGTH_NOTE)
        layout.addWidget(self.strength_note)
        # The strength is the photo's own; new photos start from this default (the CLI's --strength).
        form = add_form(layout)
        self.default_strength = QSpinBox()
        self.default_strength.setRange(0, int(MAX_STRENGTH * 100))
        self.default_strength.setSingleStep(5)
        self.default_strength.setSuffix(" %")
        self.default_strength.setAccessibleName("Strength for new photos")
        self.default_strength.setToolTip("The strength photos start with when they are added; photos already "
                                         "in the list keep theirs")
        form.addRow("New photos start at", self.default_strength)

        # --- output ---
        layout.addWidget(section_title("Saving"))
        self.saving = OutputSettings(settings)
        layout.addWidget(self.saving)
        layout.addStretch(1)

        for combo in self.findChildren(QComboBox):
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(8)
        self._populate_devices()
        self._populate_detail()
        self.load_from_settings()

        self.model_combo.activated.connect(self._on_model_combo_activated)
        self.import_button.clicked.connect(self.import_model_requested)
        self.device_combo.activated.connect(self._on_device_combo_activated)
        self.detail_combo.activated.connect(self._on_detail_combo_activated)
        self.strength_slider.valueChanged.connect(self._on_strength_slider_value_changed)
        self.strength_slider.sliderReleased.connect(self._on_strength_slider_released)
        self.strength_reset.clicked.connect(lambda: self.strength_slider.setValue(100))
        self.default_strength.valueChanged.connect(self._on_default_strength_changed)
        self.saving.changed.connect(lambda name, merge: self._changed(name, merge=merge))

    # --- public -----------------------------------------------------------------------------------

    @property
    def settings(self) -> GuiSettings:
        return self._settings

    def set_models(self, entries: list[ModelEntry]) -> None:
        """Fill the model list (bundled and the user's); keeps the current choice when it is still there."""
        self._entries = entries
        current = effective_model(self._settings, entries)
        blocker = QSignalBlocker(self.model_combo)
        self.model_combo.clear()
        for e in entries:
            label = e.name if e.source == "bundled" else f"{e.name} (yours)"
            if e.error:
                label += " (damaged)"
            self.model_combo.addItem(label, str(e.path))
            row = self.model_combo.count() - 1
            tip = e.error or (e.info.description if e.info and e.info.description else str(e.path))
            self.model_combo.setItemData(row, tip, Qt.ItemDataRole.ToolTipRole)
            if e.error:
                self.model_combo.model().item(row).setEnabled(False)
        if not entries:
            self.model_combo.addItem("No model installed", "")
        index = self.model_combo.findData(current) if current else -1
        self.model_combo.setCurrentIndex(max(0, index))
        del blocker

    def undoable_values(self) -> dict[str, object]:
        """The settings this panel edits that apply to every photo, as undo records them."""
        return {name: getattr(self._settings, name) for name in UNDOABLE}

    def restore(self, values: dict[str, object]) -> None:
        """Put settings back (undo or redo): the widgets follow, and the usual change signals go
        out so the window reloads the model or re-renders, without recording a new undo step."""
        shown_strength = self.strength()   # the slider shows the selected photo's strength, not a setting
        for name, value in values.items():
            setattr(self._settings, name, value)
        self._restoring = True
        try:
            self.load_from_settings()
            self.set_strength(shown_strength)
            self.set_models(self._entries)
            for name in values:
                self._changed(name)
            if {"model", "device"} & values.keys():
                self.model_choice_changed.emit()
        finally:
            self._restoring = False

    def set_output_folder(self, folder: str) -> None:
        """Save into `folder` (used by tests and by the Preferences dialog)."""
        self.saving.set_output_folder(folder)

    def set_model_note(self, text: str) -> None:
        self.model_note.setText(text)
        self.model_note.setVisible(bool(text))

    def set_strength(self, strength: float) -> None:
        """Show a photo's strength without emitting a change."""
        blocker = QSignalBlocker(self.strength_slider)
        self.strength_slider.setValue(round(strength * 100))
        del blocker
        self.strength_value.setText(f"{round(strength * 100)} %")

    def strength(self) -> float:
        return self.strength_slider.value() / 100.0

    def set_strength_target(self, count: int) -> None:
        """Say which photos the slider changes: `count` selected photos (0: none, slider disabled)."""
        for w in (self.strength_slider, self.strength_reset):
            w.setEnabled(count > 0)
        if count > 1:
            self.strength_note.setText(f"For the {count} selected photos; press Save to update their files.")
        elif count == 1:
            self.strength_note.setText(STRENGTH_NOTE)
        else:
            self.strength_note.setText("Select a photo to change its strength.")

    def set_model_controls_enabled(self, enabled: bool) -> None:
        for w in (self.model_combo, self.device_combo, self.import_button):
            w.setEnabled(enabled)

    def load_from_settings(self) -> None:
        s = self._settings
        blocker = QSignalBlocker(self.device_combo)
        self.device_combo.setCurrentIndex(max(0, self.device_combo.findData(s.device)))
        del blocker
        self._select_detail(s.render_size)
        self.set_strength(s.strength)
        blocker = QSignalBlocker(self.default_strength)
        self.default_strength.setValue(round(s.strength * 100))
        del blocker
        self.saving.load()

    # --- building helpers -------------------------------------------------------------------------

    def list_devices(self) -> None:
        """Offer the devices this computer has. Asking needs torch, so the tab calls this once the
        model has loaded (the engine thread has imported torch by then): building the panel, and
        showing the window, never wait for torch."""
        if self._devices_found is None:
            from engine.devices import available_devices

            self._devices_found = available_devices()
            self._populate_devices()

    def _populate_devices(self) -> None:
        """Automatic and the devices found; until they are asked for, the one chosen (if not Automatic)."""
        blocker = QSignalBlocker(self.device_combo)
        self.device_combo.clear()
        self.device_combo.addItem(DEVICE_LABELS["auto"], "auto")
        found = self._devices_found
        if found is None:
            found = [self._settings.device] if self._settings.device not in ("", "auto") else []
        for name in found:
            self.device_combo.addItem(DEVICE_LABELS.get(name, name), name)
        self.device_combo.setCurrentIndex(max(0, self.device_combo.findData(self._settings.device)))
        del blocker

    def _populate_detail(self) -> None:
        self.detail_combo.clear()
        for size, label in RENDER_SIZES:
            self.detail_combo.addItem(f"{label} · {size} px", size)
            if size == DEFAULT_RENDER_SIZE:
                self.detail_combo.setItemData(self.detail_combo.count() - 1, "Recommended",
                                              Qt.ItemDataRole.ToolTipRole)

    def _select_detail(self, size: int) -> None:
        blocker = QSignalBlocker(self.detail_combo)
        index = self.detail_combo.findData(size)
        if index < 0:
            self.detail_combo.addItem(f"Custom · {size} px", size)
            index = self.detail_combo.count() - 1
        self.detail_combo.setCurrentIndex(index)
        del blocker

    def _changed(self, name: str, *, merge: bool = False) -> None:
        """`name` was just set: tell the undo history what it was before (each setting that moved), then everyone."""
        now = self.undoable_values()
        before = {k: v for k, v in self._seen.items() if now[k] != v}
        self._seen = now
        if before and not self._restoring:
            first = next(iter(before))
            self.settings_edited.emit(before, f"{UNDOABLE[first]} change", merge)
        self.setting_changed.emit(name)

    # --- slots -----------------------------------------------------------------------------------

    def _on_model_combo_activated(self, index: int) -> None:
        path = self.model_combo.itemData(index) or ""
        if path and path != self._settings.model:
            self._settings.model = path
            self._changed("model")
            self.model_choice_changed.emit()

    def _on_device_combo_activated(self, index: int) -> None:
        device = self.device_combo.itemData(index)
        if device != self._settings.device:
            self._settings.device = device
            self._changed("device")
            self.model_choice_changed.emit()

    def _on_detail_combo_activated(self, index: int) -> None:
        size = int(self.detail_combo.itemData(index))
        if size != self._settings.render_size:
            self._settings.render_size = size
            self._changed("render_size")

    def _on_strength_slider_value_changed(self, value: int) -> None:
        self.strength_value.setText(f"{value} %")
        self.strength_changed.emit(value / 100.0, not self.strength_slider.isSliderDown())

    def _on_strength_slider_released(self) -> None:
        self.strength_changed.emit(self.strength_slider.value() / 100.0, True)

    def _on_default_strength_changed(self, value: int) -> None:
        self._settings.strength = value / 100.0
        self._changed("strength", merge=True)   # spin box arrows: one step per run of clicks
