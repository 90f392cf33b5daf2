"""The Fine-tune tab: teach a colour model the user's own photo collection, on this computer.

The tab only collects choices and draws what happens. Scanning the folder runs on a plain
background thread; estimating and training run in a child process (see
`colorizer_gui.finetune.process` for why) through `engine.finetune`, which uses the same
`engine.train.train()` loop as `colorize-train`.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import asdict
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from colorizer_gui.finetune.process import WorkerProcess
from colorizer_gui.finetune.qt_finetune_form import FinetuneForm
from colorizer_gui.finetune.qt_model_manager import ModelManagerDialog
from colorizer_gui.finetune.qt_run_panel import RunPanel
from colorizer_gui.finetune.run import FinetuneRun, RunState
from colorizer_gui.finetune.words import describe_comparison, plain_message
from colorizer_gui.folders import remember_folder, start_folder
from colorizer_gui.widgets.qt_message_bar import MessageBar
from colorizer_gui.workers import create_worker
from engine import finetune
from engine.catalog import DEFAULT_MODEL, list_models
from engine.finetune import (
    DEFAULT_PRESET,
    PRESETS,
    FinetuneOptions,
    Session,
    create_session,
    discard_session,
    find_resumable,
    format_duration,
)
from engine.model_manager import name_taken, validate_name
from engine.photo_folder import FolderScan, scan_folder
from engine.weights import MODEL_SUFFIX, ModelError, read_model_info

MIN_PHOTOS = 2          # fewer cannot be split into training and held-out photos
FEW_PHOTOS = 100        # below this, warn that results will be modest
ESTIMATE_DELAY_MS = 900




def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _scan(request: int, folder: Path) -> tuple[int, FolderScan | None, str]:
    """A folder scan for a background worker: (request, scan or None, the error in words)."""
    try:
        return request, scan_folder(folder), ""
    except Exception as exc:  # noqa: BLE001 - reported in the tab
        return request, None, f"{type(exc).__name__}: {exc}"


class FineTuneTab(QWidget):
    """Choose a folder, a base model and an effort; train; watch it learn; use the result.

    Signals
    -------
    model_saved(str)
        a fine-tuned model was written (path); the main window re-reads its model list.
    models_changed()
        the model manager imported, renamed or deleted a model.
    """

    model_saved = Signal(str)
    models_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._run = FinetuneRun()
        # The training process's events (engine.finetune.run_session) and what each one redraws;
        # how each moves the run is FinetuneRun's business.
        self._event_handlers = {
            "message": self._on_message_event,
            "progress": self._on_progress_event,
            "loss": lambda ev: self.run_panel.add_loss(ev["step"], ev["loss"]),
            "val": self._add_validation,
            "preview": lambda ev: self.run_panel.add_preview(ev["step"], ev["path"], ev.get("columns", 1)),
            "checkpoint": self._on_checkpoint_event,
            "paused": self._on_paused_event,
            "saved": self._on_model_saved,
            "stopped": self._on_stopped_event,
            "finished": self._on_finished_event,
            "discarded": self._on_discarded_event,
            "error": self._on_training_error,
        }
        self._scan: FolderScan | None = None
        self._scan_request = 0
        self._scan_folder: str | None = None
        self._scanning = False
        self._session: Session | None = None
        self._name_edited = False
        self._saved_name: str | None = None   # the model this tab saved last (its name is taken now)
        self._estimates: dict[str, dict] = {}
        self._estimate_key: str | None = None
        self._last_step = 0
        self._trainer = WorkerProcess(self)
        self._estimator = WorkerProcess(self)
        self._estimate_timer = QTimer(self)
        self._estimate_timer.setSingleShot(True)
        self._estimate_timer.setInterval(ESTIMATE_DELAY_MS)
        self._manager_dialog: ModelManagerDialog | None = None
        self._build()
        self._connect()
        self.refresh_models()
        self._update_preset_texts()
        self._update_controls()
        self._offer_resume()
        app = QApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)  # the window also calls it when it closes

    # --- building ------------------------------------------------------------------------------------

    def _build(self) -> None:
        outer = QVBoxLayout(self)
        outer.setContentsMargins(10, 8, 10, 8)
        self.banner = MessageBar()
        outer.addWidget(self.banner)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.setChildrenCollapsible(False)
        outer.addWidget(splitter, 1)

        # left: the choices; right: the run. The tab drives their widgets (panel.WIDGETS) as its own
        # attributes, as the tests do.
        self.form = FinetuneForm()
        splitter.addWidget(self.form)

        self.run_panel = RunPanel()
        splitter.addWidget(self.run_panel)
        for panel in (self.form, self.run_panel):
            for name in panel.WIDGETS:
                setattr(self, name, getattr(panel, name))
        splitter.setStretchFactor(0, 0)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([400, 700])

    def _connect(self) -> None:
        self.folder_button.clicked.connect(self._on_folder_button_clicked)
        self.folder_edit.editingFinished.connect(self._on_folder_edit_finished)
        self.base_browse.clicked.connect(self._on_base_browse_clicked)
        self.base_combo.currentIndexChanged.connect(self._on_choice_changed)
        self.name_edit.textEdited.connect(self._on_name_edited)
        self.name_edit.textChanged.connect(self._on_name_changed)
        self.preset_group.buttonToggled.connect(self._on_preset_toggled)
        self.advanced_toggle.toggled.connect(self._on_advanced_toggled)
        for w in (self.steps_spin, self.batch_spin, self.val_spin):
            w.valueChanged.connect(self._on_choice_changed)
        self.val_spin.valueChanged.connect(lambda _v: self._show_scan())
        self.crop_combo.currentIndexChanged.connect(self._on_choice_changed)
        self.device_combo.currentIndexChanged.connect(self._on_choice_changed)
        self.lr_combo.currentTextChanged.connect(self._on_lr_changed)
        self.estimate_button.clicked.connect(lambda: self.request_estimate(force=True))
        self.start_button.clicked.connect(self.start)
        self.pause_button.clicked.connect(self.pause)
        self.resume_button.clicked.connect(self.resume)
        self.stop_button.clicked.connect(self.ask_stop)
        self.discard_button.clicked.connect(self.discard)
        self.manage_button.clicked.connect(self.show_model_manager)
        self._trainer.event.connect(self._on_trainer_event)
        self._trainer.ended.connect(self._on_trainer_ended)
        self._estimator.event.connect(self._on_estimator_event)
        self._estimator.ended.connect(self._on_estimator_ended)
        self._estimate_timer.timeout.connect(self.request_estimate)

    # --- public API (the window, tests) --------------------------------------------------------------

    @property
    def state(self) -> RunState:
        return self._run.state

    @property
    def run(self) -> FinetuneRun:
        """The run's state machine (colorizer_gui/finetune/run.py): what is allowed now."""
        return self._run

    @property
    def training(self) -> bool:
        """The training process is computing (not paused or done): the CPU is taken."""
        return self._run.training

    @property
    def session(self) -> Session | None:
        return self._session

    @property
    def scan(self) -> FolderScan | None:
        return self._scan

    def refresh_models(self) -> None:
        """Re-read the models that can be started from (after one is saved or imported)."""
        current = self.base_combo.currentData()
        extra = [self.base_combo.itemData(i) for i in range(self.base_combo.count())
                 if self.base_combo.itemData(i, Qt.ItemDataRole.UserRole + 1) == "file"]
        self.base_combo.blockSignals(True)
        self.base_combo.clear()
        default_row = -1
        for e in list_models():
            if e.error:
                continue
            kind = "built in" if e.source == "bundled" else "yours"
            self.base_combo.addItem(f"{e.name} ({kind})", str(e.path))
            if e.name == DEFAULT_MODEL and e.source == "bundled":
                default_row = self.base_combo.count() - 1
        for path in extra:
            if path and Path(path).is_file() and self.base_combo.findData(path) < 0:
                self._add_base_item(path)
        if current and self.base_combo.findData(current) >= 0:
            self.base_combo.setCurrentIndex(self.base_combo.findData(current))
        elif default_row >= 0:
            self.base_combo.setCurrentIndex(default_row)
        self.base_combo.blockSignals(False)
        if self.base_combo.count() == 0:
            self.base_combo.setPlaceholderText("No model installed: choose a model file with …")
        self._on_choice_changed()

    def add_base_model(self, path: str | Path) -> bool:
        """Offer a model file as the starting point (checked first)."""
        try:
            read_model_info(Path(path))
        except ModelError as exc:
            self.banner.show_message(f"{Path(path).name} cannot be used as a starting point: {exc}.", "error")
            return False
        row = self.base_combo.findData(str(path))
        if row < 0:
            row = self._add_base_item(str(path))
        self.base_combo.setCurrentIndex(row)
        return True

    def set_folder(self, folder: str | Path) -> None:
        """Choose the photo folder and scan it in the background."""
        folder = str(folder)
        self._scan_folder = folder
        self.folder_edit.setText(folder)
        self.folder_edit.setToolTip(folder)
        if not self._name_edited and not self._run.active:
            self.name_edit.setText(self._suggest_name(Path(folder).name))
        self._scan = None
        self._scan_request += 1
        request = self._scan_request
        self._scanning = True
        self.scan_busy.show()
        self.scan_label.setText("Looking for colour photos…")
        # Scans of earlier choices run on; the newest choice's result is the one shown.
        create_worker(_scan, request, Path(folder), _connect={"returned": self._on_folder_scanned})
        self._update_controls()

    def options(self) -> FinetuneOptions:
        """The current choices (raises ValueError with a message when one is not valid)."""
        if self.base_combo.currentData() is None:
            raise ValueError("choose a model to start from")
        lr_text = self.lr_combo.currentText().split()[0] if self.lr_combo.currentText().strip() else ""
        try:
            lr = float(lr_text) if lr_text else None
        except ValueError as exc:
            raise ValueError(f"the learning rate {lr_text!r} is not a number") from exc
        if lr is not None and not 0 < lr < 1:
            raise ValueError("the learning rate must be between 0 and 1")
        return FinetuneOptions(
            folder=self._scan_folder or self.folder_edit.text(), base_model=self.base_combo.currentData(),
            name=self.name_edit.text().strip(), preset=self._preset_key(),
            steps=self.steps_spin.value() or None, lr=lr, crop_size=self.crop_combo.currentData() or None,
            batch_size=self.batch_spin.value() or None, val_share=self.val_spin.value() / 100,
            device=self.device_combo.currentData(),
        )

    def request_estimate(self, force: bool = False) -> None:
        """Measure a few real training steps (in the worker) and show the expected duration."""
        if self._scan is None or len(self._scan.usable) < MIN_PHOTOS or self._run.active:
            return
        try:
            options = self.options()
        except ValueError as exc:
            self.estimate_label.setText(f"Cannot estimate: {exc}.")
            return
        key_data = asdict(options)
        key_data.pop("name")
        key = json.dumps(key_data, sort_keys=True)
        if not force and key in self._estimates:
            self._show_estimate(self._estimates[key])
            return
        self._estimator.kill()
        usable = self._scan.usable
        sample = [str(p) for p in usable[:: max(1, len(usable) // 8)][:8]]
        job = {"options": asdict(options), "sample": sample, "n_files": len(usable) + len(self._scan.skipped),
               "n_usable": len(usable), "probe_steps": 4}
        self._estimate_key = key
        self.estimate_label.setText("Measuring the speed with a few real training steps…")
        self._estimator.start("estimate", json.dumps(job))

    def start(self) -> None:
        """Start a new fine-tuning with the current choices."""
        if self._run.active:
            return
        problem = self._start_problem()
        if problem:
            self.banner.show_message(problem, "warning")
            return
        try:
            session = create_session(self.options())
        except (ValueError, ModelError) as exc:
            self.banner.show_message(f"Cannot start: {exc}.", "error")
            return
        except Exception as exc:  # noqa: BLE001 - DeviceError and file-system trouble alike
            self.banner.show_message(f"Cannot start: {exc}.", "error")
            return
        self._estimator.kill()
        self.banner.hide()
        self._show_session(session)
        self._launch(resume=False)

    def pause(self) -> None:
        if self._run.can_pause and self._trainer.send(finetune.PAUSE):
            self._run.pause()
            self._state_changed()
            self.status_label.setText("Pausing after this step (a checkpoint is written)…")

    def resume(self) -> None:
        """Continue a paused run, or a stopped one from its checkpoint."""
        if self._run.can_resume_paused and self._trainer.send(finetune.RESUME):
            self._run.resume_paused()
            self._state_changed()
            return
        if self._run.can_resume_from_checkpoint(self._session is not None and self._session.resumable):
            self.banner.hide()
            self._launch(resume=True)

    def ask_stop(self) -> None:
        """Offer to keep the model trained so far (the checkpoint is kept either way)."""
        if not self._run.can_ask_stop:
            return
        if self._last_step == 0:
            self.stop(save=False)
            return
        total = self._session.total_steps if self._session else 0
        self.banner.show_message(
            f"Stop training at step {self._last_step:,} of {total:,}? You can keep the model trained so far; "
            "either way the checkpoint is kept, so you can resume later.", "warning",
            [("Save the model so far", lambda: self.stop(save=True)),
             ("Stop without saving", lambda: self.stop(save=False)),
             ("Keep training", self.banner.hide)])

    def stop(self, save: bool = False) -> None:
        self.banner.hide()
        if not self._run.active:
            return
        if self._last_step == 0 and not save:
            # Nothing learned yet: there is nothing worth keeping.
            self._trainer.send(finetune.DISCARD)
        else:
            self._trainer.send(finetune.SAVE if save else finetune.STOP)
        self._run.stop()
        self._state_changed()
        self.status_label.setText("Stopping: writing the checkpoint and measuring the held-out photos…")

    def discard(self) -> None:
        """Forget a stopped or failed run and its checkpoint (saved models are kept)."""
        if not self._run.can_discard(self._session is not None):
            return
        discard_session(self._session)
        self._session = None
        self.banner.show_message("The unfinished training was discarded.", "info")
        self._reset_run_view()
        self._run.discard()
        self._state_changed()

    def shutdown(self) -> None:
        """The app is closing: stop training with a checkpoint (resume is offered next time)."""
        self._estimator.kill()
        if self._trainer.running:
            self._trainer.stop_and_wait(finetune.STOP)

    def show_model_manager(self) -> ModelManagerDialog:
        if self._manager_dialog is None:
            self._manager_dialog = ModelManagerDialog(self)
            self._manager_dialog.manager.models_changed.connect(self._on_manager_models_changed)
        self._manager_dialog.manager.refresh()
        self._manager_dialog.show()
        self._manager_dialog.raise_()
        return self._manager_dialog

    # --- helpers -----------------------------------------------------------------------------------------

    def _add_base_item(self, path: str) -> int:
        self.base_combo.addItem(f"{Path(path).stem} (file)", path)
        row = self.base_combo.count() - 1
        self.base_combo.setItemData(row, "file", Qt.ItemDataRole.UserRole + 1)
        self.base_combo.setItemData(row, path, Qt.ItemDataRole.ToolTipRole)
        return row

    @staticmethod
    def _suggest_name(folder_name: str) -> str:
        cleaned = "".join(c if c.isalnum() or c in " ._-" else "-" for c in folder_name).strip(" .-_")
        base = (cleaned or "my-photos")[:50]
        candidate, n = base, 1
        while name_taken(candidate):
            n += 1
            candidate = f"{base}-{n}"
        return candidate

    def _preset_key(self) -> str:
        return next((k for k, b in self.preset_buttons.items() if b.isChecked()), DEFAULT_PRESET)

    def _update_preset_texts(self) -> None:
        for key, b in self.preset_buttons.items():
            p = PRESETS[key]
            crops = f"{p.crop_sizes[0]}–{p.crop_sizes[-1]}" if len(p.crop_sizes) > 1 else str(p.crop_sizes[0])
            b.setText(f"{p.label}: {p.steps:,} steps, {crops} px crops")
        p = PRESETS[self._preset_key()]
        self.steps_spin.setSpecialValueText(f"{p.steps:,} (preset)")
        self.batch_spin.setSpecialValueText(f"{p.batch_size} (preset)")
        self.crop_combo.setItemText(0, f"As the preset ({', '.join(str(c) for c in p.crop_sizes)} px)")

    def _name_problem(self) -> str:
        name = self.name_edit.text().strip()
        if not name:
            return "Give the new model a name."
        try:
            validate_name(name)
        except ModelError as exc:
            return f"{str(exc)[0].upper()}{str(exc)[1:]}."
        if name_taken(name):
            return f"You already have a model named “{name}”: choose another name (or rename that one)."
        return ""

    def _start_problem(self) -> str:
        if not self.folder_edit.text():
            return "Choose a folder of colour photos first."
        if self._scanning or self._scan is None:
            return "Wait until the folder has been scanned."
        if len(self._scan.usable) < MIN_PHOTOS:
            return "The folder has too few usable colour photos to learn from."
        if self.base_combo.currentData() is None:
            return "Choose a model to start from."
        problem = self._name_problem()
        if problem:
            return problem
        try:
            self.options()
        except ValueError as exc:
            return f"{str(exc)[0].upper()}{str(exc)[1:]}."
        return ""

    def _state_changed(self) -> None:
        """The run moved: redraw the controls that depend on it."""
        self._on_name_changed(self.name_edit.text())  # a just-saved model may have taken the name

    def _update_controls(self) -> None:
        active = self._run.active
        for w in (self.folder_button, self.folder_edit, self.base_combo, self.base_browse, self.name_edit,
                  self.advanced,
                  self.device_combo, self.estimate_button, *self.preset_buttons.values()):
            w.setEnabled(not active)
        self.start_button.setEnabled(not active and not self._start_problem())
        self.start_button.setToolTip(self._start_problem() if not active else "Training is running")
        resumable = self._session is not None and self._session.resumable
        self.pause_button.setVisible(self._run.pause_shown)
        self.pause_button.setEnabled(self._run.can_pause)
        self.resume_button.setVisible(not self.pause_button.isVisible())
        self.resume_button.setEnabled(self._run.resume_enabled(resumable))
        self.stop_button.setEnabled(self._run.stop_enabled)
        self.discard_button.setVisible(self._run.discard_shown(self._session is not None))

    def _show_session(self, session: Session) -> None:
        """Point the run panel at a session and redraw what it logged so far."""
        self._session = session
        self._reset_run_view()
        self.plot.set_x_max(session.total_steps)
        self.progress.setRange(0, max(1, session.total_steps))
        self.progress.setValue(session.step)
        self._last_step = session.step
        for ev in session.events():
            kind = ev.get("event")
            if kind == "loss":
                self.run_panel.add_loss(ev["step"], ev["loss"])
            elif kind == "val":
                self._add_validation(ev)
            elif kind == "preview":
                self.run_panel.add_preview(ev["step"], ev["path"], ev.get("columns", 1))
        self._update_title()

    def _reset_run_view(self) -> None:
        self.run_panel.clear()
        self._last_step = 0
        self._update_title()

    def _update_title(self) -> None:
        s = self._session
        if s is None:
            self.title_label.setText("No training yet")
            return
        folder = Path(s.folder).name or s.folder
        self.title_label.setText(f"{self._run.title_word}: “{s.name}” from the photos in “{folder}”")

    def _launch(self, resume: bool) -> None:
        assert self._session is not None
        if not self._trainer.wait():  # a run that just stopped may still be exiting
            self._trainer.kill()
        self._run.launch()
        self._state_changed()
        self._update_title()
        self.progress.setRange(0, 0)  # busy until the first step
        self.status_label.setText("Starting the training process and reading the photos…")
        self._trainer.start("train", str(self._session.dir), *(["--resume"] if resume else []))

    def _add_validation(self, ev: dict) -> None:
        share = self._session.settings.get("val_share", 0) if self._session else 0
        self.run_panel.add_validation(ev, share)

    def _show_estimate(self, est: dict) -> None:
        self.estimate_label.setText(
            f"Estimated time: <b>{format_duration(est['total_seconds'])}</b> on {est['device']}, measured from "
            f"{est['probe_steps']} real training steps ({est['seconds_per_step']:.2f} s per step, "
            f"{est['images_per_second']:.0f} crops/s).")
        self.estimate_label.setToolTip("\n".join(f"{k}: {format_duration(v)}" for k, v in est["breakdown"].items()))

    def _offer_resume(self) -> None:
        sessions = find_resumable()
        if not sessions:
            return
        s = sessions[0]
        self._load_form(s)
        self._show_session(s)
        self._run.restore(failed=s.status == "failed")
        self._state_changed()
        self._update_title()
        when = time.strftime("%d %b %H:%M", time.localtime((s.dir / "checkpoint.pt").stat().st_mtime))
        more = f" ({len(sessions) - 1} older unfinished run{'s' if len(sessions) > 2 else ''} also kept)" \
            if len(sessions) > 1 else ""
        note = f" It stopped because: {s.message}" if s.status == "failed" and s.message else ""
        self.banner.show_message(
            f"An unfinished fine-tuning of “{s.name}” was found: step {s.step:,} of {s.total_steps:,}, "
            f"checkpoint from {when}.{note}{more}", "info",
            [("Resume", self.resume), ("Discard", self.discard)])

    def _load_form(self, session: Session) -> None:
        o = FinetuneOptions.from_dict(session.options)
        self._name_edited = True
        self.name_edit.setText(o.name)
        if o.base_model and self.base_combo.findData(o.base_model) < 0 and Path(o.base_model).is_file():
            self._add_base_item(o.base_model)
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
        if Path(o.folder).is_dir():
            self.set_folder(o.folder)
        else:
            self.folder_edit.setText(o.folder)

    # --- slots --------------------------------------------------------------------------------------------

    def _on_folder_button_clicked(self) -> None:
        typed = Path(self.folder_edit.text().strip()).expanduser()
        folder = QFileDialog.getExistingDirectory(self, "Choose a folder of colour photos",
                                                  str(typed) if typed.is_dir() else start_folder())
        if folder:
            remember_folder(folder)
            self.set_folder(folder)

    def _on_folder_edit_finished(self) -> None:
        """A typed or pasted path: scan it once it names a folder (Enter, or leaving the box)."""
        text = self.folder_edit.text().strip().strip('"').strip("'")
        if not text:
            return
        folder = Path(text).expanduser()
        if (self._scan is not None or self._scanning) and self._scan_folder and Path(self._scan_folder) == folder:
            return   # the folder shown already (editingFinished also fires on focus loss)
        if folder.is_dir():
            self.set_folder(folder)
        else:
            self._scan = None
            self.scan_label.setText(f"<span style='color:#c62828'>There is no folder “{_html(text)}”. "
                                    "Check the path, or use Choose folder….</span>")
            self._update_controls()

    def _on_base_browse_clicked(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Start from a model file", start_folder(),
                                              f"Colorizer models (*{MODEL_SUFFIX})")
        if path:
            remember_folder(path)
            self.add_base_model(path)

    def _on_name_edited(self, _text: str) -> None:
        self._name_edited = True

    def _on_name_changed(self, _text: str) -> None:
        problem = self._name_problem() if self.name_edit.text() else ""
        just_saved = bool(problem) and self.name_edit.text().strip().lower() == (self._saved_name or "").lower()
        if just_saved:
            # Not an error: it is the model this tab just saved (issue 13 showed it in red).
            problem = f"Saved as “{self._saved_name}”. To train another model, give it a new name."
        self.name_problem.setText(problem)
        self.name_problem.setStyleSheet("color: palette(placeholder-text);" if just_saved else "color: #c62828;")
        self.name_problem.setVisible(bool(problem) and not self._run.active)
        self._update_controls()

    def _on_preset_toggled(self, _button, checked: bool) -> None:
        if checked:
            self._update_preset_texts()
            self._on_choice_changed()

    def _on_advanced_toggled(self, shown: bool) -> None:
        self.advanced.setVisible(shown)
        self.advanced_toggle.setArrowType(Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow)

    def _on_lr_changed(self, _text: str) -> None:
        self._on_choice_changed()

    def _on_choice_changed(self, *_args) -> None:
        self._update_controls()
        # Estimates are for a new run; a run shown for resuming is measured only on request.
        if self._scan is not None and self._run.form_follows_folder:
            self._estimate_timer.start()

    def _on_folder_scanned(self, outcome: tuple[int, FolderScan | None, str]) -> None:
        request, scan, error = outcome
        if request != self._scan_request:
            return  # an older folder: the newest choice wins
        self._scanning = False
        self.scan_busy.hide()
        self._scan = scan
        if scan is None:
            self.scan_label.setText(f"<span style='color:#c62828'>The folder could not be read: {error}</span>")
            self._update_controls()
            return
        self._show_scan()
        self._update_controls()
        if self._run.form_follows_folder:
            self._estimate_timer.start(50)

    def _show_scan(self) -> None:
        scan = self._scan
        if scan is None:
            return
        n, skipped = len(scan.usable), len(scan.skipped)
        lines = [f"<b>{n:,} usable colour photo{'s' if n != 1 else ''}</b>"
                 + (f", {skipped:,} skipped:" if skipped else ", none skipped.")]
        for reason, count in sorted(scan.skip_reasons().items(), key=lambda kv: -kv[1]):
            lines.append(f"&nbsp;&nbsp;• {count:,} {reason}")
        val = round(n * self.val_spin.value() / 100)
        if n >= MIN_PHOTOS:
            lines.append(f"{val:,} of them will be held out to measure the improvement.")
        if n < MIN_PHOTOS:
            lines.append("<span style='color:#c62828'>That is too few to learn from: the folder needs colour "
                         "photos (greyscale ones teach nothing about colour).</span>")
        elif n < FEW_PHOTOS:
            lines.append("<span style='color:#8a6d00'>Few photos: expect a modest change. A few hundred or more "
                         "work best.</span>")
        self.scan_label.setText("<br>".join(lines))
        self.scan_label.setToolTip("\n".join(f"{p.name}: {r}" for p, r in scan.skipped[:40]))

    def _on_estimator_event(self, ev: dict) -> None:
        if ev.get("event") == "estimate":
            if self._estimate_key:
                self._estimates[self._estimate_key] = ev
            self._show_estimate(ev)
        elif ev.get("event") == "error":
            self.estimate_label.setText(f"The speed could not be measured: {ev.get('message')} {ev.get('advice', '')}")

    def _on_estimator_ended(self, code: int, crashed: bool, tail: str) -> None:
        if code != 0 and crashed and "Measuring" in self.estimate_label.text():
            self.estimate_label.setText("The speed could not be measured." + (f" ({tail.splitlines()[-1]})"
                                                                             if tail else ""))

    def _on_trainer_event(self, ev: dict) -> None:
        """One event of the training process: the run moves first (FinetuneRun's rules), then the
        event's handler redraws what it says."""
        kind = ev.get("event")
        step = ev.get("step")
        if step is not None:
            self._last_step = step
        moved = self._run.on_event(kind)
        handler = self._event_handlers.get(kind)
        if handler is not None:
            handler(ev)
        if moved:
            self._state_changed()
            self._update_title()

    def _on_message_event(self, ev: dict) -> None:
        text = ev.get("text", "")
        self.status_label.setText(plain_message(text, ev.get("kind", "")))
        self.status_label.setToolTip(text)

    def _on_progress_event(self, ev: dict) -> None:
        step, total = ev["step"], ev["total"]
        self.progress.setRange(0, total)
        self.progress.setValue(step)
        self.progress.setFormat(f"%p%  ·  step {step:,} of {total:,}")
        eta = ev.get("eta")
        speed = ev.get("images_per_second") or 0
        left = f"about {format_duration(eta)} left" if eta is not None and math.isfinite(eta) else "…"
        self.eta_label.setText(f"{left}  ·  {speed:.0f} crops/s")

    def _on_checkpoint_event(self, ev: dict) -> None:
        if self._session is not None:
            self._session.step = ev["step"]
        self.status_label.setText(f"Checkpoint saved at step {ev['step']:,}.")

    def _on_paused_event(self, _ev: dict) -> None:
        self.eta_label.setText("Paused. The checkpoint is saved; Resume continues from here.")

    def _on_stopped_event(self, ev: dict) -> None:
        self._reload_session()
        step = ev.get("step")
        self.eta_label.setText(f"Stopped at step {step:,}.")
        if self.banner.kind != "success":
            self.banner.show_message(f"Training stopped at step {step:,}. The checkpoint is kept: Resume "
                                     "continues from there, now or after restarting the app.", "info",
                                     [("Resume", self.resume), ("Discard", self.discard)])

    def _on_finished_event(self, ev: dict) -> None:
        self._reload_session()
        self.eta_label.setText("Finished.")
        if self._session is not None and self._session.held_back:
            self.status_label.setText("Not added to your models: it colours the held-out photos worse than "
                                      "the model it started from.")
        else:
            self.status_label.setText(f"Saved to {ev.get('path')}")

    def _on_discarded_event(self, _ev: dict) -> None:
        self._session = None
        self._reset_run_view()
        self.banner.show_message("Training was stopped before it began; nothing was kept.", "info")

    def _on_model_saved(self, ev: dict) -> None:
        path = ev["path"]
        name = Path(path).stem
        comparison = ev.get("comparison")
        verdict, kind = describe_comparison(comparison, self._base_name())
        how = "The finished model" if ev.get("final") else f"The model as trained so far (step {ev['step']:,})"
        compared = self.run_panel.show_before_after()
        actions = [("Compare before and after", self.run_panel.show_before_after)] if compared else []
        if ev.get("kept", True):
            self._saved_name = name
            text = (f"{how} was saved as “{name}”. It is now in the Colorize tab's model list and in "
                    "<code>colorize --list-models</code>.")
            self.banner.show_message(f"{verdict} {text}".strip(), kind,
                                     actions + [("Manage models…", self.show_model_manager)])
            self.refresh_models()
            self.model_saved.emit(path)
        else:
            self.banner.show_message(verdict, kind, actions + [("Keep it anyway", self.keep_anyway),
                                                               ("Discard it", self.discard_held_back)])
        self._on_name_changed(self.name_edit.text())

    def keep_anyway(self) -> Path | None:
        """Add the held-back (worse) model to the user's models after all."""
        self._reload_session()
        if self._session is None or not self._session.held_back:
            return None
        try:
            dest = finetune.keep_held_back(self._session)
        except (OSError, ModelError) as exc:
            self.banner.show_message(f"The model could not be kept: {exc}.", "error")
            return None
        self._saved_name = dest.stem
        self.banner.show_message(f"Kept “{dest.stem}” although it colours your held-out photos worse; it is now in "
                                 "the Colorize tab's model list.", "info",
                                 [("Manage models…", self.show_model_manager)])
        self.refresh_models()
        self.model_saved.emit(str(dest))
        self._on_name_changed(self.name_edit.text())
        return dest

    def discard_held_back(self) -> None:
        """Delete the held-back (worse) model; the model you started from stays in use."""
        self._reload_session()
        if self._session is not None and self._session.held_back:
            Path(self._session.held_back).unlink(missing_ok=True)
            self._session.held_back = None
            self._session.save()
        self.banner.show_message("The new model was discarded; nothing changed in your models.", "info")

    def _base_name(self) -> str:
        text = self.base_combo.currentText()
        return f"“{text.rsplit(' (', 1)[0]}”" if text else "the model you started from"

    def _on_training_error(self, ev: dict) -> None:
        self._reload_session()
        actions = []
        if ev.get("resumable") and self._session is not None:
            if ev.get("kind") == "memory":
                actions.append(("Resume with a smaller batch", self._resume_smaller))
            actions.append(("Resume", self.resume))
            actions.append(("Discard", self.discard))
        self.banner.show_message(f"<b>{ev.get('message', 'Training failed.')}</b> {ev.get('advice', '')}",
                                 "error", actions)
        self.eta_label.setText("Stopped by a problem.")

    def _resume_smaller(self) -> None:
        """After running out of memory: halve the batch (then the crops) and continue."""
        if self._session is None:
            return
        st = self._session.settings
        batch, crops = int(st.get("batch_size", 16)), [int(c) for c in st.get("crop_sizes", [128])]
        if batch > 2:
            self._session.update_settings(batch_size=max(2, batch // 2))
        else:
            self._session.update_settings(crop_sizes=[max(64, c // 2 // 16 * 16) for c in crops])
        self.resume()

    def _on_trainer_ended(self, code: int, crashed: bool, tail: str) -> None:
        if not self._run.on_process_ended():
            return  # a terminal event already said how it ended
        self._reload_session()
        self._state_changed()
        self._update_title()
        step = self._session.step if self._session else 0
        why = "it was stopped by the system, perhaps for lack of memory" if crashed else f"exit code {code}"
        last = tail.strip().splitlines()[-1] if tail.strip() else ""
        text = f"<b>The training process ended unexpectedly ({why}).</b>"
        if last:
            text += f" Last message: {last}"
        actions = []
        if self._session is not None and self._session.resumable:
            text += f" The checkpoint at step {step:,} was kept."
            actions = [("Resume", self.resume), ("Discard", self.discard)]
        if crashed:
            text += " If memory was short, resume with a smaller batch or crop size (Advanced)."
            if actions:
                actions.insert(0, ("Resume with a smaller batch", self._resume_smaller))
        self.banner.show_message(text, "error", actions)

    def _reload_session(self) -> None:
        if self._session is not None and self._session.dir.is_dir():
            try:
                self._session = Session.load(self._session.dir)
            except (OSError, ValueError):
                pass

    def _on_manager_models_changed(self) -> None:
        self.refresh_models()
        self._on_name_changed(self.name_edit.text())
        self.models_changed.emit()
