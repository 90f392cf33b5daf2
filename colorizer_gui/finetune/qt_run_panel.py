"""The Fine-tune tab's right column: the run's title, progress and controls, the loss curves, the
held-out previews and the status line, and drawing each into them."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from colorizer_gui.finetune.qt_finetune_form import muted
from colorizer_gui.finetune.qt_preview_view import PreviewView
from colorizer_gui.finetune.words import colour_change
from colorizer_gui.widgets import icons
from colorizer_gui.widgets.qt_plot import QLinePlot
from engine import finetune
from engine.durations import format_duration

if TYPE_CHECKING:
    from engine.finetune import Session

COMPARE = "compare"     # the preview list's "before and after" entry


class RunPanel(QWidget):
    """What a run is doing; the tab fills it in."""

    # What the tab drives directly.
    WIDGETS = ("title_label", "progress", "pause_button", "resume_button", "stop_button", "discard_button",
               "eta_label", "plot", "metrics_label", "preview_combo", "preview", "status_label")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        rl = QVBoxLayout(self)
        rl.setContentsMargins(8, 0, 0, 0)
        self.title_label = QLabel("No training yet")
        font = self.title_label.font()
        font.setPointSizeF(font.pointSizeF() * 1.2)
        font.setBold(True)
        self.title_label.setFont(font)
        rl.addWidget(self.title_label)
        prow = QHBoxLayout()
        self.progress = QProgressBar()
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        prow.addWidget(self.progress, 1)
        self.pause_button = QPushButton(icons.icon("pause"), "Pause")
        self.resume_button = QPushButton(icons.icon("start"), "Resume")
        self.stop_button = QPushButton(icons.icon("cancel"), "Stop…")
        self.discard_button = QPushButton(icons.icon("remove"), "Discard")
        self.discard_button.setToolTip("Delete this unfinished training and its checkpoint")
        for b in (self.pause_button, self.resume_button, self.stop_button, self.discard_button):
            prow.addWidget(b)
        rl.addLayout(prow)
        self.eta_label = QLabel(" ")
        rl.addWidget(self.eta_label)

        self.plot = QLinePlot(x_label="step", y_label="loss", empty_text="The loss curves appear here")
        self.plot.add_series("train", "", QColor("#90caf9"), width=1.0)
        self.plot.add_series("smooth", "training (smoothed)", QColor("#1565c0"), width=2.0)
        self.plot.add_series("val", "held-out photos", QColor("#e65100"), width=2.0, markers=True)
        rl.addWidget(self.plot, 3)
        self.metrics_label = QLabel(" ")
        self.metrics_label.setWordWrap(True)
        rl.addWidget(self.metrics_label)

        vrow = QHBoxLayout()
        vrow.addWidget(QLabel("Preview:"))
        self.preview_combo = QComboBox()
        self.preview_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.preview_combo.setToolTip("Compare the previews over time; the newest is shown as it arrives")
        vrow.addWidget(self.preview_combo)
        vrow.addStretch(1)
        rl.addLayout(vrow)
        self.preview = PreviewView()
        rl.addWidget(self.preview, 4)
        self.status_label = QLabel(" ")
        self.status_label.setWordWrap(True)
        muted(self.status_label)
        rl.addWidget(self.status_label)

        self._val: list[dict] = []
        self.preview_combo.activated.connect(self._on_preview_combo_activated)

    def clear(self) -> None:
        self.plot.clear()
        self._val = []
        self.preview_combo.clear()
        self.preview.set_image(None)
        self.metrics_label.setText(" ")
        self.eta_label.setText(" ")
        self.status_label.setText(" ")
        self.progress.setRange(0, 1)
        self.progress.setValue(0)

    def show_title(self, word: str, session: Session | None) -> None:
        """What is shown: `word` (the run's state, "Training") and the session's model and folder."""
        if session is None:
            self.title_label.setText("No training yet")
            return
        folder = Path(session.folder).name or session.folder
        self.title_label.setText(f"{word}: “{session.name}” from the photos in “{folder}”")

    def set_steps(self, step: int, total: int) -> None:
        """A session is shown: the curves span its steps, the progress bar says how far it got."""
        self.plot.set_x_max(total)
        self.progress.setRange(0, max(1, total))
        self.progress.setValue(step)

    def show_progress(self, step: int, total: int, eta: float | None, speed: float) -> None:
        """A training step: how far, how long is left and how fast (crops a second)."""
        self.progress.setRange(0, total)
        self.progress.setValue(step)
        self.progress.setFormat(f"%p%  ·  step {step:,} of {total:,}")
        left = f"about {format_duration(eta)} left" if eta is not None and math.isfinite(eta) else "…"
        self.eta_label.setText(f"{left}  ·  {speed:.0f} crops/s")

    def add_loss(self, step: int, loss: float | None) -> None:
        """The raw training loss is noisy (every batch differs): also draw a running average."""
        if loss is None or not math.isfinite(loss):
            return
        self.plot.append("train", step, loss)
        points = self.plot.points("smooth")
        previous = points[-1][1] if points and points[-1][0] < step else None
        self.plot.append("smooth", step, loss if previous is None else previous + 0.1 * (loss - previous))

    def add_validation(self, ev: dict, val_share: float) -> None:
        """A measurement on the held-out photos: the curve, and in words how the colours changed."""
        self._val.append(ev)
        self.plot.append("val", ev["step"], ev.get("loss"))
        first, last = self._val[0], self._val[-1]
        where = f"Held-out photos ({val_share:.0%} of the folder, never trained on)"
        if first.get("psnr") is None or last.get("psnr") is None:
            self.metrics_label.setText(f"{where}: measured.")
        elif len(self._val) == 1 or last is first:
            self.metrics_label.setText(f"{where}: measured with the starting model; later measurements say "
                                       "whether the colours get closer to the real ones.")
        else:
            change = last["psnr"] - first["psnr"]
            if abs(change) < finetune.SAME_DB:
                words = "about as close to the real colours as before training"
            elif change > 0:
                words = f"colours closer to the real ones than before training ({colour_change(change)})"
            else:
                words = f"colours further from the real ones than before training: worse ({colour_change(change)})"
            self.metrics_label.setText(f"{where}, at step {last['step']:,}: {words}.")
        # The numbers stay available for those who want them.
        tip = f"loss {first['loss']:.3f} → {last['loss']:.3f}"
        if first.get("psnr") is not None and last.get("psnr") is not None:
            tip += f"\nPSNR {first['psnr']:.2f} → {last['psnr']:.2f} dB"
            if first.get("psnr_grey") is not None:
                tip += f" (the photos left grey: {first['psnr_grey']:.2f} dB)"
        self.metrics_label.setToolTip(tip)

    def add_preview(self, step: int, path: str, columns: int = 1) -> None:
        label = "before training" if step == 0 else f"step {step:,}"
        self.preview_combo.addItem(label, path)
        row = self.preview_combo.count() - 1
        self.preview_combo.setItemData(row, columns, Qt.ItemDataRole.UserRole + 1)
        self.preview_combo.setCurrentIndex(row)
        self._show_preview_row(row)

    def _show_preview_row(self, row: int) -> None:
        """One preview as the list names it: the model's column says which model made it."""
        text = self.preview_combo.itemText(row)
        self.preview.set_image(self.preview_combo.itemData(row),
                               self.preview_combo.itemData(row, Qt.ItemDataRole.UserRole + 1) or 1,
                               "Before training" if text == "before training" else f"At {text}")
        self._give_room(comparison=False)

    def _give_room(self, comparison: bool) -> None:
        """At the end the photos matter more than the curves: the comparison gets the space."""
        layout = self.layout()
        layout.setStretchFactor(self.plot, 1 if comparison else 3)
        layout.setStretchFactor(self.preview, 6 if comparison else 4)

    def toggle_before_after(self) -> bool:
        """Compare before and after, or back to the newest preview: True when now comparing."""
        if self.preview.is_comparison():
            rows = [r for r in range(self.preview_combo.count()) if self.preview_combo.itemData(r) != COMPARE]
            if rows:
                self.preview_combo.setCurrentIndex(rows[-1])
                self._show_preview_row(rows[-1])
            return False
        return self.show_before_after()

    def show_before_after(self) -> bool:
        """Show the first (before training) and newest previews side by side, photo by photo."""
        n = self.preview_combo.count()
        rows = [r for r in range(n) if self.preview_combo.itemData(r) != COMPARE]
        if len(rows) < 2 or self.preview_combo.itemText(rows[0]) != "before training":
            return False
        first, last = rows[0], rows[-1]
        columns = self.preview_combo.itemData(last, Qt.ItemDataRole.UserRole + 1) or 1
        if not self.preview.set_comparison(self.preview_combo.itemData(first), self.preview_combo.itemData(last),
                                           columns):
            return False
        row = self.preview_combo.findData(COMPARE)
        if row < 0:
            self.preview_combo.addItem("before and after", COMPARE)
            row = self.preview_combo.count() - 1
        self.preview_combo.setCurrentIndex(row)
        self._give_room(comparison=True)
        return True

    def _on_preview_combo_activated(self, row: int) -> None:
        if self.preview_combo.itemData(row) == COMPARE:
            self.show_before_after()
            return
        self._show_preview_row(row)
