"""Run a fine-tuning and save its model: the training process, what its events mean on screen,
and what becomes of the model it made.

`RunController` starts, pauses, resumes, stops and discards the training process
(`process.WorkerProcess`), moves the run's state machine (`run.FinetuneRun`) with each event and
draws the run into the run panel and the tab's message bar. When the process has saved the model
it says how the held-out photos changed; a model that colours them worse is held back, and the
user decides: Keep it anyway (`engine.finetune.keep_held_back` moves it into their models) or
Discard it.

No form here: the tab turns the user's choices into a session and hands it over; the controller
asks it back only for the starting model's name (in sentences) and the model manager (a button).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from colorizer_gui.finetune.choices import smaller_settings
from colorizer_gui.finetune.process import WorkerProcess
from colorizer_gui.finetune.qt_run_panel import RunPanel
from colorizer_gui.finetune.run import FinetuneRun
from colorizer_gui.finetune.words import describe_comparison, plain_message
from colorizer_gui.widgets.qt_message_bar import MessageBar
from engine import finetune
from engine.finetune import FinetuneOptions, Session, create_session, discard_session
from engine.weights import ModelError

# The finished run's banner button: the previews open on before/after, so it first offers the
# other view, and its label always says what pressing it will show.
COMPARE_BEFORE_AFTER = "Compare before and after"
SHOW_NEWEST = "Show the last preview only"


class RunController(QObject):
    """One fine-tuning at a time: its process, its session, its state, and the model it saves.

    Signals
    -------
    state_changed()
        the run moved, or a model was saved (its name is taken now): redraw the controls.
    model_saved(str)
        a fine-tuned model was added to the user's models (path).
    """

    state_changed = Signal()
    model_saved = Signal(str)

    def __init__(self, banner: MessageBar, panel: RunPanel, *, base_name: Callable[[], str],
                 manage_models: Callable[[], object], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.run = FinetuneRun()
        self.session: Session | None = None
        self.saved_name: str | None = None   # the model saved last (its name is taken now)
        self._banner, self._panel = banner, panel
        self._base_name, self._manage_models = base_name, manage_models
        self._last_step = 0
        self._trainer = WorkerProcess(self)
        self._trainer.event.connect(self._on_trainer_event)
        self._trainer.ended.connect(self._on_trainer_ended)
        # The training process's events (engine.finetune.run_session) and what each one redraws;
        # how each moves the run is FinetuneRun's business.
        self._event_handlers = {
            "message": self._on_message_event,
            "progress": self._on_progress_event,
            "loss": lambda ev: panel.add_loss(ev["step"], ev["loss"]),
            "val": self._add_validation,
            "preview": lambda ev: panel.add_preview(ev["step"], ev["path"], ev.get("columns", 1)),
            "checkpoint": self._on_checkpoint_event,
            "paused": self._on_paused_event,
            "saved": self._on_model_saved,
            "stopped": self._on_stopped_event,
            "finished": self._on_finished_event,
            "discarded": self._on_discarded_event,
            "error": self._on_training_error,
        }

    @property
    def resumable(self) -> bool:
        """The session shown has a checkpoint to continue from."""
        return self.session is not None and self.session.resumable

    # --- what the user does ------------------------------------------------------------------------

    def create_session(self, options: FinetuneOptions) -> Session | None:
        """A new session for these choices; None, said in the message bar, when it cannot be made."""
        try:
            return create_session(options)
        except (ValueError, ModelError) as exc:
            self._banner.show_message(f"Cannot start: {exc}.", "error")
        except Exception as exc:  # noqa: BLE001 - DeviceError and file-system trouble alike
            self._banner.show_message(f"Cannot start: {exc}.", "error")
        return None

    def start(self, session: Session) -> None:
        """Train a new session (from `create_session`)."""
        self._banner.hide()
        self._show_session(session)
        self._launch(resume=False)

    def restore(self, session: Session, older: int = 0) -> None:
        """Show an unfinished session from an earlier app run and offer to resume it (`older`:
        how many more unfinished ones are kept)."""
        self._show_session(session)
        self.run.restore(failed=session.status == "failed")
        self.state_changed.emit()
        self._update_title()
        when = time.strftime("%d %b %H:%M", time.localtime((session.dir / "checkpoint.pt").stat().st_mtime))
        more = f" ({older} older unfinished run{'s' if older > 1 else ''} also kept)" if older else ""
        note = f" It stopped because: {session.message}" if session.status == "failed" and session.message else ""
        self._banner.show_message(
            f"An unfinished fine-tuning of “{session.name}” was found: step {session.step:,} of "
            f"{session.total_steps:,}, checkpoint from {when}.{note}{more}", "info",
            [("Resume", self.resume), ("Discard", self.discard)])

    def pause(self) -> None:
        if self.run.can_pause and self._trainer.send(finetune.PAUSE):
            self.run.pause()
            self.state_changed.emit()
            self._panel.status_label.setText("Pausing after this step (a checkpoint is written)…")

    def resume(self) -> None:
        """Continue a paused run, or a stopped one from its checkpoint."""
        if self.run.can_resume_paused and self._trainer.send(finetune.RESUME):
            self.run.resume_paused()
            self.state_changed.emit()
            return
        if self.run.can_resume_from_checkpoint(self.resumable):
            self._banner.hide()
            self._launch(resume=True)

    def ask_stop(self) -> None:
        """Offer to keep the model trained so far (the checkpoint is kept either way)."""
        if not self.run.can_ask_stop:
            return
        if self._last_step == 0:
            self.stop(save=False)
            return
        total = self.session.total_steps if self.session else 0
        self._banner.show_message(
            f"Stop training at step {self._last_step:,} of {total:,}? You can keep the model trained so far; "
            "either way the checkpoint is kept, so you can resume later.", "warning",
            [("Save the model so far", lambda: self.stop(save=True)),
             ("Stop without saving", lambda: self.stop(save=False)),
             ("Keep training", self._banner.hide)])

    def stop(self, save: bool = False) -> None:
        self._banner.hide()
        if not self.run.active:
            return
        if self._last_step == 0 and not save:
            # Nothing learned yet: there is nothing worth keeping.
            self._trainer.send(finetune.DISCARD)
        else:
            self._trainer.send(finetune.SAVE if save else finetune.STOP)
        self.run.stop()
        self.state_changed.emit()
        self._panel.status_label.setText("Stopping: writing the checkpoint and measuring the held-out photos…")

    def discard(self) -> None:
        """Forget a stopped or failed run and its checkpoint (saved models are kept)."""
        if not self.run.can_discard(self.session is not None):
            return
        discard_session(self.session)
        self.session = None
        self._banner.show_message("The unfinished training was discarded.", "info")
        self._reset_run_view()
        self.run.discard()
        self.state_changed.emit()

    def keep_anyway(self) -> Path | None:
        """Add the held-back (worse) model to the user's models after all."""
        self._reload_session()
        if self.session is None or not self.session.held_back:
            return None
        try:
            dest = finetune.keep_held_back(self.session)
        except (OSError, ModelError) as exc:
            self._banner.show_message(f"The model could not be kept: {exc}.", "error")
            return None
        self.saved_name = dest.stem
        self._banner.show_message(f"Kept “{dest.stem}” although it colours your held-out photos worse; it is now "
                                  "in the Colorize tab's model list.", "info",
                                  [("Manage models…", self._manage_models)])
        self.model_saved.emit(str(dest))
        self.state_changed.emit()
        return dest

    def discard_held_back(self) -> None:
        """Delete the held-back (worse) model; the model you started from stays in use."""
        self._reload_session()
        if self.session is not None and self.session.held_back:
            Path(self.session.held_back).unlink(missing_ok=True)
            self.session.held_back = None
            self.session.save()
        self._banner.show_message("The new model was discarded; nothing changed in your models.", "info")

    def shutdown(self) -> None:
        """The app is closing: stop training with a checkpoint (resume is offered next time)."""
        if self._trainer.running:
            self._trainer.stop_and_wait(finetune.STOP)

    # --- the run on screen --------------------------------------------------------------------------

    def _show_session(self, session: Session) -> None:
        """Point the run panel at a session and redraw what it logged so far."""
        self.session = session
        self._reset_run_view()
        self._panel.set_steps(session.step, session.total_steps)
        self._last_step = session.step
        for ev in session.events():
            kind = ev.get("event")
            if kind == "loss":
                self._panel.add_loss(ev["step"], ev["loss"])
            elif kind == "val":
                self._add_validation(ev)
            elif kind == "preview":
                self._panel.add_preview(ev["step"], ev["path"], ev.get("columns", 1))
        self._update_title()

    def _reset_run_view(self) -> None:
        self._panel.clear()
        self._last_step = 0
        self._update_title()

    def _update_title(self) -> None:
        self._panel.show_title(self.run.title_word, self.session)

    def _launch(self, resume: bool) -> None:
        assert self.session is not None
        if not self._trainer.wait():  # a run that just stopped may still be exiting
            self._trainer.kill()
        self.run.launch()
        self.state_changed.emit()
        self._update_title()
        self._panel.progress.setRange(0, 0)  # busy until the first step
        self._panel.status_label.setText("Starting the training process and reading the photos…")
        self._trainer.start("train", str(self.session.dir), *(["--resume"] if resume else []))

    def _add_validation(self, ev: dict) -> None:
        share = self.session.settings.get("val_share", 0) if self.session else 0
        self._panel.add_validation(ev, share)

    def _reload_session(self) -> None:
        if self.session is not None and self.session.dir.is_dir():
            try:
                self.session = Session.load(self.session.dir)
            except (OSError, ValueError):
                pass

    def _resume_smaller(self) -> None:
        """After running out of memory: halve the batch (then the crops) and continue."""
        if self.session is None:
            return
        self.session.update_settings(**smaller_settings(self.session.settings))
        self.resume()

    # --- the training process's events --------------------------------------------------------------

    def _on_trainer_event(self, ev: dict) -> None:
        """One event of the training process: the run moves first (FinetuneRun's rules), then the
        event's handler redraws what it says."""
        kind = ev.get("event")
        step = ev.get("step")
        if step is not None:
            self._last_step = step
        moved = self.run.on_event(kind)
        handler = self._event_handlers.get(kind)
        if handler is not None:
            handler(ev)
        if moved:
            self.state_changed.emit()
            self._update_title()

    def _on_message_event(self, ev: dict) -> None:
        text = ev.get("text", "")
        self._panel.status_label.setText(plain_message(text, ev.get("kind", "")))
        self._panel.status_label.setToolTip(text)

    def _on_progress_event(self, ev: dict) -> None:
        self._panel.show_progress(ev["step"], ev["total"], ev.get("eta"), ev.get("images_per_second") or 0)

    def _on_checkpoint_event(self, ev: dict) -> None:
        if self.session is not None:
            self.session.step = ev["step"]
        self._panel.status_label.setText(f"Checkpoint saved at step {ev['step']:,}.")

    def _on_paused_event(self, _ev: dict) -> None:
        self._panel.eta_label.setText("Paused. The checkpoint is saved; Resume continues from here.")

    def _on_stopped_event(self, ev: dict) -> None:
        self._reload_session()
        step = ev.get("step")
        self._panel.eta_label.setText(f"Stopped at step {step:,}.")
        if self._banner.kind != "success":
            self._banner.show_message(f"Training stopped at step {step:,}. The checkpoint is kept: Resume "
                                      "continues from there, now or after restarting the app.", "info",
                                      [("Resume", self.resume), ("Discard", self.discard)])

    def _on_finished_event(self, ev: dict) -> None:
        self._reload_session()
        self._panel.eta_label.setText("Finished.")
        if self.session is not None and self.session.held_back:
            self._panel.status_label.setText("Not added to your models: it colours the held-out photos worse "
                                             "than the model it started from.")
        else:
            self._panel.status_label.setText(f"Saved to {ev.get('path')}")

    def _on_discarded_event(self, _ev: dict) -> None:
        self.session = None
        self._reset_run_view()
        self._banner.show_message("Training was stopped before it began; nothing was kept.", "info")

    def _on_model_saved(self, ev: dict) -> None:
        """The process wrote the model: in the user's models, or held back when it got worse (the
        user then keeps it anyway or discards it)."""
        path = ev["path"]
        name = Path(path).stem
        verdict, kind = describe_comparison(ev.get("comparison"), self._base_name())
        how = "The finished model" if ev.get("final") else f"The model as trained so far (step {ev['step']:,})"
        compared = self._panel.show_before_after()
        actions = [(SHOW_NEWEST, self._toggle_compare)] if compared else []
        if ev.get("kept", True):
            self.saved_name = name
            text = (f"{how} was saved as “{name}”. It is now in the Colorize tab's model list and in "
                    "<code>colorize --list-models</code>.")
            self._banner.show_message(f"{verdict} {text}".strip(), kind,
                                      actions + [("Manage models…", self._manage_models)])
            self.model_saved.emit(path)
        else:
            self._banner.show_message(verdict, kind, actions + [("Keep it anyway", self.keep_anyway),
                                                                ("Discard it", self.discard_held_back)])
        self.state_changed.emit()  # a just-saved model has taken the name

    def _toggle_compare(self) -> None:
        """The banner's compare button: it switches the previews, and says what it will show next."""
        comparing = self._panel.toggle_before_after()
        button = self._banner.button(SHOW_NEWEST) or self._banner.button(COMPARE_BEFORE_AFTER)
        if button is not None:
            button.setText(SHOW_NEWEST if comparing else COMPARE_BEFORE_AFTER)

    def _on_training_error(self, ev: dict) -> None:
        self._reload_session()
        actions = []
        if ev.get("resumable") and self.session is not None:
            if ev.get("kind") == "memory":
                actions.append(("Resume with a smaller batch", self._resume_smaller))
            actions.append(("Resume", self.resume))
            actions.append(("Discard", self.discard))
        self._banner.show_message(f"<b>{ev.get('message', 'Training failed.')}</b> {ev.get('advice', '')}",
                                  "error", actions)
        self._panel.eta_label.setText("Stopped by a problem.")

    def _on_trainer_ended(self, code: int, crashed: bool, tail: str) -> None:
        if not self.run.on_process_ended():
            return  # a terminal event already said how it ended
        self._reload_session()
        self.state_changed.emit()
        self._update_title()
        step = self.session.step if self.session else 0
        why = "it was stopped by the system, perhaps for lack of memory" if crashed else f"exit code {code}"
        last = tail.strip().splitlines()[-1] if tail.strip() else ""
        text = f"<b>The training process ended unexpectedly ({why}).</b>"
        if last:
            text += f" Last message: {last}"
        actions = []
        if self.resumable:
            text += f" The checkpoint at step {step:,} was kept."
            actions = [("Resume", self.resume), ("Discard", self.discard)]
        if crashed:
            text += " If memory was short, resume with a smaller batch or crop size (Advanced)."
            if actions:
                actions.insert(0, ("Resume with a smaller batch", self._resume_smaller))
        self._banner.show_message(text, "error", actions)
