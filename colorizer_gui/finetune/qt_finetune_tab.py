"""The Fine-tune tab: teach a colour model the user's own photo collection, on this computer.

The tab lays out the form (`qt_finetune_form.py`) and the run panel (`qt_run_panel.py`), scans
the chosen folder, measures how long training would take and turns the choices into a session;
`run_controller.py` runs it and saves the model. Scanning the folder runs on a plain background
thread; estimating and training run in a child process (see `colorizer_gui.finetune.process`
for why) through `engine.finetune`, which uses the same `engine.train.train()` loop as
`colorize-train`.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
    QVBoxLayout,
    QWidget,
)

from colorizer_gui.finetune.choices import (
    MIN_PHOTOS,
    estimate_key,
    measured_while_busy,
    name_problem,
    sentence,
    suggest_name,
)
from colorizer_gui.finetune.process import WorkerProcess
from colorizer_gui.finetune.qt_finetune_form import FinetuneForm
from colorizer_gui.finetune.qt_model_manager import ModelManagerDialog
from colorizer_gui.finetune.qt_run_panel import RunPanel
from colorizer_gui.finetune.run import FinetuneRun, RunState
from colorizer_gui.finetune.run_controller import RunController
from colorizer_gui.finetune.words import describe_estimate, describe_scan
from colorizer_gui.folders import remember_folder, start_folder
from colorizer_gui.widgets.qt_form_parts import splitter
from colorizer_gui.widgets.qt_message_bar import MessageBar
from colorizer_gui.workers import Debounced, create_worker
from engine.durations import format_duration
from engine.finetune import PRESETS, FinetuneOptions, Session, find_resumable
from engine.photo_folder import FolderScan, scan_folder
from engine.weights import MODEL_SUFFIX, ModelError, read_model_info

ESTIMATE_DELAY_MS = 900
REMEASURE_DELAY_MS = 15_000   # a busy moment (a batch, an update) has often passed by then


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
        self._scan: FolderScan | None = None
        self._scan_request = 0
        self._scan_folder: str | None = None
        self._scanning = False
        self._name_edited = False
        self._estimates: dict[str, dict] = {}
        self._estimate_key: str | None = None
        self._estimator = WorkerProcess(self)
        self._estimate_soon = Debounced(self.request_estimate, ESTIMATE_DELAY_MS, self)
        self._remeasured: set[str] = set()   # estimates measured a second time (measured_while_busy)
        self._remeasure_soon = Debounced(lambda: self.request_estimate(force=True), REMEASURE_DELAY_MS, self)
        self._manager_dialog: ModelManagerDialog | None = None
        self._build()
        # The run (its process, its events, the model it saves) is the controller's; the tab
        # redraws the form when the run moves.
        self.controller = RunController(self.banner, self.run_panel, base_name=self.form.base_name,
                                        manage_models=self.show_model_manager, parent=self)
        self._connect()
        self.refresh_models()
        self.form.update_preset_texts()
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
        # left: the choices; right: the run. The tab drives their widgets (panel.WIDGETS) as its own
        # attributes, as the tests do.
        self.form = FinetuneForm()
        self.run_panel = RunPanel()
        for panel in (self.form, self.run_panel):
            for name in panel.WIDGETS:
                setattr(self, name, getattr(panel, name))
        outer.addWidget(splitter(Qt.Orientation.Horizontal, [(self.form, 0, False), (self.run_panel, 1, False)],
                                 [400, 700]), 1)

    def _connect(self) -> None:
        run = self.controller
        self.folder_button.clicked.connect(self._on_folder_button_clicked)
        self.folder_edit.editingFinished.connect(self._on_folder_edit_finished)
        self.base_browse.clicked.connect(self._on_base_browse_clicked)
        self.base_combo.currentIndexChanged.connect(self._on_choice_changed)
        self.name_edit.textEdited.connect(self._on_name_edited)
        self.name_edit.textChanged.connect(self._on_name_changed)
        self.preset_group.buttonToggled.connect(self._on_preset_toggled)
        for w in (self.steps_spin, self.batch_spin, self.val_spin):
            w.valueChanged.connect(self._on_choice_changed)
        self.val_spin.valueChanged.connect(lambda _v: self._show_scan())
        self.crop_combo.currentIndexChanged.connect(self._on_choice_changed)
        self.device_combo.currentIndexChanged.connect(self._on_choice_changed)
        self.lr_combo.currentTextChanged.connect(self._on_choice_changed)
        self.estimate_button.clicked.connect(lambda: self.request_estimate(force=True))
        self.start_button.clicked.connect(self.start)
        self.pause_button.clicked.connect(run.pause)
        self.resume_button.clicked.connect(run.resume)
        self.stop_button.clicked.connect(run.ask_stop)
        self.discard_button.clicked.connect(run.discard)
        self.manage_button.clicked.connect(self.show_model_manager)
        run.state_changed.connect(self._on_run_state_changed)
        run.model_saved.connect(self._on_model_saved)
        self._estimator.event.connect(self._on_estimator_event)
        self._estimator.ended.connect(self._on_estimator_ended)

    # --- public API (the window, tests) --------------------------------------------------------------

    @property
    def state(self) -> RunState:
        return self.controller.run.state

    @property
    def run(self) -> FinetuneRun:
        """The run's state machine (colorizer_gui/finetune/run.py): what is allowed now."""
        return self.controller.run

    @property
    def training(self) -> bool:
        """The training process is computing (not paused or done): the CPU is taken."""
        return self.controller.run.training

    @property
    def session(self) -> Session | None:
        return self.controller.session

    @property
    def scan(self) -> FolderScan | None:
        return self._scan

    def refresh_models(self) -> None:
        """Re-read the models that can be started from (after one is saved or imported)."""
        self.form.fill_base_models()
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
            row = self.form.add_base_item(str(path))
        self.base_combo.setCurrentIndex(row)
        return True

    def set_folder(self, folder: str | Path) -> None:
        """Choose the photo folder and scan it in the background."""
        folder = str(folder)
        self._scan_folder = folder
        self.folder_edit.setText(folder)
        self.folder_edit.setToolTip(folder)
        if not self._name_edited and not self.run.active:
            self.name_edit.setText(suggest_name(Path(folder).name))
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
        return self.form.options(self._scan_folder or self.folder_edit.text())

    def request_estimate(self, force: bool = False) -> None:
        """Measure a few real training steps (in the worker) and show the expected duration."""
        if self._scan is None or len(self._scan.usable) < MIN_PHOTOS or self.run.active:
            return
        try:
            options = self.options()
        except ValueError as exc:
            self.estimate_label.setText(f"Cannot estimate: {exc}.")
            return
        key = estimate_key(options)
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
        if self.run.active:
            return
        problem = self._start_problem()
        if problem:
            self.banner.show_message(problem, "warning")
            return
        session = self.controller.create_session(self.options())
        if session is None:
            return
        self._estimator.kill()
        self.controller.start(session)

    def shutdown(self) -> None:
        """The app is closing: stop training with a checkpoint (resume is offered next time)."""
        self._estimator.kill()
        self.controller.shutdown()

    def show_model_manager(self) -> ModelManagerDialog:
        if self._manager_dialog is None:
            self._manager_dialog = ModelManagerDialog(self)
            self._manager_dialog.manager.models_changed.connect(self._on_manager_models_changed)
        self._manager_dialog.manager.refresh()
        self._manager_dialog.show()
        self._manager_dialog.raise_()
        return self._manager_dialog

    # --- helpers -----------------------------------------------------------------------------------------

    def _start_problem(self) -> str:
        if not self.folder_edit.text():
            return "Choose a folder of colour photos first."
        if self._scanning or self._scan is None:
            return "Wait until the folder has been scanned."
        if len(self._scan.usable) < MIN_PHOTOS:
            return "The folder has too few usable colour photos to learn from."
        if self.base_combo.currentData() is None:
            return "Choose a model to start from."
        problem = name_problem(self.name_edit.text())
        if problem:
            return problem
        try:
            self.options()
        except ValueError as exc:
            return sentence(exc)
        return ""

    def _update_controls(self) -> None:
        run = self.run
        active = run.active
        self.form.set_locked(active)
        self.start_button.setEnabled(not active and not self._start_problem())
        self.start_button.setToolTip(self._start_problem() if not active else "Training is running")
        has_session = self.controller.session is not None
        self.pause_button.setVisible(run.pause_shown)
        self.pause_button.setEnabled(run.can_pause)
        self.resume_button.setVisible(not self.pause_button.isVisible())
        self.resume_button.setEnabled(run.resume_enabled(self.controller.resumable))
        self.stop_button.setEnabled(run.stop_enabled)
        self.discard_button.setVisible(run.discard_shown(has_session))

    def _crop_sizes(self) -> tuple[int, ...]:
        try:
            options = self.options()
        except ValueError:
            return (128,)
        return (options.crop_size,) if options.crop_size else PRESETS[options.preset].crop_sizes

    def _show_estimate(self, est: dict, again: bool = False) -> None:
        text, tip = describe_estimate(est, again=again)
        self.estimate_label.setText(text)
        self.estimate_label.setToolTip(tip)

    def _offer_resume(self) -> None:
        sessions = find_resumable()
        if not sessions:
            return
        self._load_form(sessions[0])
        self.controller.restore(sessions[0], older=len(sessions) - 1)

    def _load_form(self, session: Session) -> None:
        o = FinetuneOptions.from_dict(session.options)
        self._name_edited = True
        self.form.load(o)
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
        problem = name_problem(self.name_edit.text()) if self.name_edit.text() else ""
        saved_name = self.controller.saved_name
        just_saved = bool(problem) and self.name_edit.text().strip().lower() == (saved_name or "").lower()
        if just_saved:
            # Not an error: it is the model this tab just saved (issue 13 showed it in red).
            problem = f"Saved as “{saved_name}”. To train another model, give it a new name."
        self.name_problem.setText(problem)
        self.name_problem.setStyleSheet("color: palette(placeholder-text);" if just_saved else "color: #c62828;")
        self.name_problem.setVisible(bool(problem) and not self.run.active)
        self._update_controls()

    def _on_preset_toggled(self, _button, checked: bool) -> None:
        if checked:
            self.form.update_preset_texts()
            self._on_choice_changed()

    def _on_choice_changed(self, *_args) -> None:
        self._update_controls()
        # Estimates are for a new run; a run shown for resuming is measured only on request.
        if self._scan is not None and self.run.form_follows_folder:
            self._estimate_soon.trigger()

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
        if self.run.form_follows_folder:
            self._estimate_soon.trigger(delay_ms=50)

    def _show_scan(self) -> None:
        if self._scan is None:
            return
        text, tip = describe_scan(self._scan, self.val_spin.value())
        self.scan_label.setText(text)
        self.scan_label.setToolTip(tip)

    def _on_estimator_event(self, ev: dict) -> None:
        if ev.get("event") == "estimate":
            key = self._estimate_key
            if key:
                self._estimates[key] = ev
            if key and key not in self._remeasured and measured_while_busy(ev, self._crop_sizes()):
                # Once per set of choices: a computer that stays busy gets its slow estimate shown.
                self._remeasured.add(key)
                self.estimate_label.setText(
                    f"Measured {format_duration(ev['total_seconds'])}, far more than this preset takes on a laptop "
                    "CPU: the computer was probably busy. Measuring again in a moment…")
                self._remeasure_soon.trigger()
                return
            self._show_estimate(ev, again=key in self._remeasured)
        elif ev.get("event") == "error":
            self.estimate_label.setText(f"The speed could not be measured: {ev.get('message')} {ev.get('advice', '')}")

    def _on_estimator_ended(self, code: int, crashed: bool, tail: str) -> None:
        if code != 0 and crashed and "Measuring" in self.estimate_label.text():
            self.estimate_label.setText("The speed could not be measured." + (f" ({tail.splitlines()[-1]})"
                                                                             if tail else ""))

    def _on_run_state_changed(self) -> None:
        """The run moved: redraw the controls that depend on it."""
        self._on_name_changed(self.name_edit.text())  # a just-saved model may have taken the name

    def _on_model_saved(self, path: str) -> None:
        self.refresh_models()
        self.model_saved.emit(path)

    def _on_manager_models_changed(self) -> None:
        self.refresh_models()
        self._on_name_changed(self.name_edit.text())
        self.models_changed.emit()
