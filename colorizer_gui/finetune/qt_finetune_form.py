"""The Fine-tune tab's left column: the photo folder, the model to start from and the new one's
name, the effort (preset, advanced settings, device), the time estimate and the Start button.

The widgets, and reading the choices out of them (`options`) or putting a session's back
(`load`). What the choices mean is `choices.py`; what happens when they change, the tab's business.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QPalette, QShowEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from colorizer_gui.finetune.choices import parse_learning_rate
from colorizer_gui.widgets import icons
from colorizer_gui.widgets.qt_form_parts import field_with_button, model_combo, text_button
from engine.catalog import DEFAULT_MODEL, list_models
from engine.finetune import (
    CROP_CHOICES,
    DEFAULT_PRESET,
    DEFAULT_VAL_SHARE,
    FINETUNE_LR,
    PRESETS,
    FinetuneOptions,
)
from engine.options import DEVICE_CHOICES

# The base list's own role that marks a model file chosen with "…" (not in the model folders):
# those stay in the list when it is re-read.
_FILE_ROLE = Qt.ItemDataRole.UserRole + 1

DEVICE_LABELS = {"auto": "Auto", "cuda": "CUDA (NVIDIA GPU)", "mps": "MPS (Apple GPU)", "cpu": "CPU"}
SHARING_NOTE = ("Training runs in a separate process at low priority, so the app and colorizing in the "
                "Colorize tab stay responsive and go first; training slows down while you colorize.")


def muted(label: QLabel) -> None:
    pal = label.palette()
    pal.setColor(QPalette.ColorRole.WindowText, pal.color(QPalette.ColorRole.PlaceholderText))
    label.setPalette(pal)


class _FormHost(QWidget):
    """The scrolled column of choices: it scrolls rather than squeezing its fields."""

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(super().minimumSizeHint().width(), self.sizeHint().height())


class FinetuneForm(QScrollArea):
    """The choices for a new fine-tuning, scrolled rather than squeezed."""

    # What the tab drives directly.
    WIDGETS = ("folder_edit", "folder_button", "scan_busy", "scan_label", "base_combo", "base_browse", "name_edit",
               "name_problem", "preset_group", "preset_buttons", "advanced_toggle", "advanced", "steps_spin",
               "lr_combo", "crop_combo", "batch_spin", "val_spin", "device_combo", "device_note", "estimate_label",
               "estimate_button", "start_button", "manage_button")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        form_host = _FormHost()
        left = QVBoxLayout(form_host)
        left.setContentsMargins(0, 0, 8, 0)

        photos = QGroupBox("1 · Your photos")
        pl = QVBoxLayout(photos)
        row = QHBoxLayout()
        self.folder_edit = QLineEdit()
        self.folder_edit.setPlaceholderText("A folder of colour photos")
        self.folder_edit.setToolTip("A folder of colour photos like the ones you want to colorize; press Enter "
                                    "after typing or pasting its path")
        self.folder_edit.setClearButtonEnabled(True)
        self.folder_button = QPushButton(icons.icon("add-folder"), "Choose folder…")
        row.addWidget(self.folder_edit, 1)
        row.addWidget(self.folder_button)
        pl.addLayout(row)
        self.scan_busy = QProgressBar()
        self.scan_busy.setRange(0, 0)
        self.scan_busy.setMaximumHeight(8)
        self.scan_busy.setTextVisible(False)
        self.scan_busy.hide()
        pl.addWidget(self.scan_busy)
        self.scan_label = QLabel("Colour photos of your region, era or family teach the model their colours. "
                                 "Subfolders are included; greyscale photos are skipped.")
        self.scan_label.setWordWrap(True)
        self.scan_label.setTextFormat(Qt.TextFormat.RichText)
        pl.addWidget(self.scan_label)
        left.addWidget(photos)

        model = QGroupBox("2 · Model")
        ml = QFormLayout(model)
        self.base_combo = model_combo(16, "The model to start from; it is not changed.")
        self.base_browse = text_button("…", "Start from a model file")
        ml.addRow("Start from:", field_with_button(self.base_combo, self.base_browse))
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("e.g. family-1960s")
        self.name_edit.setMaxLength(64)
        ml.addRow("New model's name:", self.name_edit)
        self.name_problem = QLabel()
        self.name_problem.setStyleSheet("color: #c62828;")
        self.name_problem.setWordWrap(True)
        self.name_problem.hide()
        ml.addRow("", self.name_problem)
        left.addWidget(model)

        effort = QGroupBox("3 · Effort")
        el = QVBoxLayout(effort)
        self.preset_group = QButtonGroup(self)
        self.preset_buttons: dict[str, QRadioButton] = {}
        for key, preset in PRESETS.items():
            b = QRadioButton()
            self.preset_group.addButton(b)
            self.preset_buttons[key] = b
            el.addWidget(b)
            blurb = QLabel(f"{preset.blurb[0].upper()}{preset.blurb[1:]}.")
            blurb.setWordWrap(True)
            blurb.setContentsMargins(24, 0, 0, 2)
            muted(blurb)
            el.addWidget(blurb)
        self.preset_buttons[DEFAULT_PRESET].setChecked(True)

        self.advanced_toggle = QToolButton()
        self.advanced_toggle.setText("Advanced")
        self.advanced_toggle.setCheckable(True)
        self.advanced_toggle.setArrowType(Qt.ArrowType.RightArrow)
        self.advanced_toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.advanced_toggle.setAutoRaise(True)
        el.addWidget(self.advanced_toggle)
        self.advanced = QWidget()
        al = QFormLayout(self.advanced)
        al.setContentsMargins(18, 0, 0, 0)
        self.steps_spin = QSpinBox()
        self.steps_spin.setRange(0, 1_000_000)
        self.steps_spin.setSingleStep(100)
        self.steps_spin.setToolTip("Training steps; each step learns from one batch of random crops.")
        al.addRow("Steps:", self.steps_spin)
        self.lr_combo = QComboBox()
        self.lr_combo.setEditable(True)
        self.lr_combo.addItems([f"{FINETUNE_LR:g} (recommended)", "1e-4", "5e-5", "5e-4", "1e-3"])
        self.lr_combo.setToolTip("How big each learning step is. Lower forgets less of the base model; "
                                 "higher adapts faster but can become unstable.")
        al.addRow("Learning rate:", self.lr_combo)
        self.crop_combo = QComboBox()
        self.crop_combo.addItem("As the preset", 0)
        for c in CROP_CHOICES:
            self.crop_combo.addItem(f"{c} px", c)
        self.crop_combo.setToolTip("Size of the square crops trained on. Smaller is faster and uses less memory.")
        al.addRow("Crop size:", self.crop_combo)
        self.batch_spin = QSpinBox()
        self.batch_spin.setRange(0, 512)
        self.batch_spin.setToolTip("Crops per step. Smaller uses less memory.")
        al.addRow("Batch size:", self.batch_spin)
        self.val_spin = QSpinBox()
        self.val_spin.setRange(0, 50)
        self.val_spin.setSuffix(" %")
        self.val_spin.setValue(round(DEFAULT_VAL_SHARE * 100))
        self.val_spin.setToolTip("Share of the folder held out, never trained on, to measure the improvement.")
        al.addRow("Held out for validation:", self.val_spin)
        self.advanced.hide()
        el.addWidget(self.advanced)
        self.advanced_toggle.toggled.connect(self.show_advanced)   # the form's own: it changes no choice

        drow = QHBoxLayout()
        drow.addWidget(QLabel("Device:"))
        self.device_combo = QComboBox()
        for name in DEVICE_CHOICES:
            self.device_combo.addItem(DEVICE_LABELS[name], name)
        self._devices_listed = False   # which of them this computer has: see list_devices
        drow.addWidget(self.device_combo, 1)
        el.addLayout(drow)
        self.device_note = QLabel(SHARING_NOTE)
        self.device_note.setWordWrap(True)
        muted(self.device_note)
        el.addWidget(self.device_note)
        left.addWidget(effort)

        est = QHBoxLayout()
        self.estimate_label = QLabel("Choose a folder to see how long it will take.")
        self.estimate_label.setWordWrap(True)
        self.estimate_button = QToolButton()
        self.estimate_button.setIcon(icons.icon("retry"))
        self.estimate_button.setToolTip("Measure the speed again")
        est.addWidget(self.estimate_label, 1)
        est.addWidget(self.estimate_button)
        left.addLayout(est)
        self.start_button = QPushButton(icons.icon("start"), "Start fine-tuning")
        self.start_button.setDefault(True)
        self.start_button.setMinimumHeight(34)
        left.addWidget(self.start_button)
        left.addStretch(1)
        self.manage_button = QPushButton(icons.icon("model"), "Manage models…")
        self.manage_button.setToolTip("Rename, delete, export or import colour models")
        left.addWidget(self.manage_button)

        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setWidget(form_host)
        self.setMinimumWidth(360)

    # --- the choices in the widgets ----------------------------------------------------------

    def fill_base_models(self) -> None:
        """Re-read the models that can be started from, keeping model files chosen with "…" and
        the current choice (else the bundled default). Emits no change: the caller redraws."""
        combo = self.base_combo
        current = combo.currentData()
        extra = [combo.itemData(i) for i in range(combo.count()) if combo.itemData(i, _FILE_ROLE) == "file"]
        combo.blockSignals(True)
        combo.clear()
        default_row = -1
        for e in list_models():
            if e.error:
                continue
            kind = "built in" if e.source == "bundled" else "yours"
            combo.addItem(f"{e.name} ({kind})", str(e.path))
            if e.name == DEFAULT_MODEL and e.source == "bundled":
                default_row = combo.count() - 1
        for path in extra:
            if path and Path(path).is_file() and combo.findData(path) < 0:
                self.add_base_item(path)
        if current and combo.findData(current) >= 0:
            combo.setCurrentIndex(combo.findData(current))
        elif default_row >= 0:
            combo.setCurrentIndex(default_row)
        combo.blockSignals(False)
        if combo.count() == 0:
            combo.setPlaceholderText("No model installed: choose a model file with …")

    def add_base_item(self, path: str) -> int:
        """List a model file (already checked) as a starting point; its row."""
        self.base_combo.addItem(f"{Path(path).stem} (file)", path)
        row = self.base_combo.count() - 1
        self.base_combo.setItemData(row, "file", _FILE_ROLE)
        self.base_combo.setItemData(row, path, Qt.ItemDataRole.ToolTipRole)
        return row

    def base_name(self) -> str:
        """The model started from, for sentences: “colorizer-base”."""
        text = self.base_combo.currentText()
        return f"“{text.rsplit(' (', 1)[0]}”" if text else "the model you started from"

    def preset_key(self) -> str:
        return next((k for k, b in self.preset_buttons.items() if b.isChecked()), DEFAULT_PRESET)

    def update_preset_texts(self) -> None:
        """Each preset's steps and crops on its button; the advanced fields show the chosen one's."""
        for key, b in self.preset_buttons.items():
            p = PRESETS[key]
            crops = f"{p.crop_sizes[0]}–{p.crop_sizes[-1]}" if len(p.crop_sizes) > 1 else str(p.crop_sizes[0])
            b.setText(f"{p.label}: {p.steps:,} steps, {crops} px crops")
        p = PRESETS[self.preset_key()]
        self.steps_spin.setSpecialValueText(f"{p.steps:,} (preset)")
        self.batch_spin.setSpecialValueText(f"{p.batch_size} (preset)")
        self.crop_combo.setItemText(0, f"As the preset ({', '.join(str(c) for c in p.crop_sizes)} px)")

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt override
        self.list_devices()
        super().showEvent(event)

    def list_devices(self) -> None:
        """Name the device Auto picks and disable those this computer lacks. Asking needs torch, so
        it waits until the form is first shown (the engine thread has loaded torch by then, as a
        rule): building the window never imports it."""
        if self._devices_listed:
            return
        self._devices_listed = True
        from engine.devices import available_devices, describe_device, resolve_device

        found = available_devices()
        for row in range(self.device_combo.count()):
            name, item = self.device_combo.itemData(row), self.device_combo.model().item(row)
            if name == "auto":
                item.setText(f"Auto ({describe_device(resolve_device('auto')).split(' (')[0]})")
            elif name not in found:
                item.setEnabled(False)
                item.setToolTip(f"No {DEVICE_LABELS[name]} on this computer")

    def show_advanced(self, shown: bool) -> None:
        self.advanced.setVisible(shown)
        self.advanced_toggle.setArrowType(Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow)

    def set_locked(self, locked: bool) -> None:
        """While a run is active its choices cannot change (Start has its own rule)."""
        for w in (self.folder_button, self.folder_edit, self.base_combo, self.base_browse, self.name_edit,
                  self.advanced, self.device_combo, self.estimate_button, *self.preset_buttons.values()):
            w.setEnabled(not locked)

    def options(self, folder: str) -> FinetuneOptions:
        """The choices for training on `folder` (raises ValueError with a message when one is not valid)."""
        if self.base_combo.currentData() is None:
            raise ValueError("choose a model to start from")
        return FinetuneOptions(
            folder=folder, base_model=self.base_combo.currentData(),
            name=self.name_edit.text().strip(), preset=self.preset_key(),
            steps=self.steps_spin.value() or None, lr=parse_learning_rate(self.lr_combo.currentText()),
            crop_size=self.crop_combo.currentData() or None,
            batch_size=self.batch_spin.value() or None, val_share=self.val_spin.value() / 100,
            device=self.device_combo.currentData(),
        )

    def load(self, o: FinetuneOptions) -> None:
        """Show a session's choices, all but its folder (scanning that is the tab's)."""
        self.name_edit.setText(o.name)
        if o.base_model and self.base_combo.findData(o.base_model) < 0 and Path(o.base_model).is_file():
            self.add_base_item(o.base_model)
        if self.base_combo.findData(o.base_model) >= 0:
            self.base_combo.setCurrentIndex(self.base_combo.findData(o.base_model))
        if o.preset in self.preset_buttons:
            self.preset_buttons[o.preset].setChecked(True)
        self.steps_spin.setValue(o.steps or 0)
        self.batch_spin.setValue(o.batch_size or 0)
        self.crop_combo.setCurrentIndex(max(0, self.crop_combo.findData(o.crop_size or 0)))
        self.val_spin.setValue(round(o.val_share * 100))
        if o.lr:
            self.lr_combo.setCurrentText(f"{o.lr:g}")
        row = self.device_combo.findData(o.device)
        if row >= 0:
            self.device_combo.setCurrentIndex(row)
