"""The life of one fine-tuning run as a state machine, with no Qt.

The tab asks it what is allowed (can the run be paused? should Resume be enabled?) and the run
controller (`run_controller.py`) tells it what happened (the user pressed Stop, the training
process reported "paused" or ended). Keeping this apart from the widgets lets the rules be
tested in plain Python, and means a state the tab draws is always one the rules can reach.
"""

from __future__ import annotations

from enum import Enum

__all__ = ["ACTIVE", "FinetuneRun", "InvalidTransition", "RunState"]


class RunState(str, Enum):
    """Where a run is. A `str` so sessions, logs and screenshots' printouts read as before."""

    IDLE = "idle"            # nothing running; perhaps an unfinished session is shown
    STARTING = "starting"    # the process was launched, no training step yet
    RUNNING = "running"
    PAUSING = "pausing"      # asked to pause; the process writes a checkpoint first
    PAUSED = "paused"
    STOPPING = "stopping"    # asked to stop (or save); the process measures and exits
    STOPPED = "stopped"      # stopped with a checkpoint: Resume continues it
    FINISHED = "finished"
    FAILED = "failed"        # a training error or a process that died

    def __str__(self) -> str:
        return self.value


# A training process exists (or is being started) in these states.
ACTIVE = frozenset({RunState.STARTING, RunState.RUNNING, RunState.PAUSING, RunState.PAUSED, RunState.STOPPING})

_S = RunState
# The training process's events that move the run, and the states each may come from (None: any).
# A "progress" event only says the run got going; later ones leave the state alone.
_EVENT_MOVES: dict[str, tuple[frozenset[RunState] | None, RunState]] = {
    "progress": (frozenset({_S.STARTING}), _S.RUNNING),
    "paused": (None, _S.PAUSED),
    "resumed": (None, _S.RUNNING),
    "stopped": (None, _S.STOPPED),
    "finished": (None, _S.FINISHED),
    "discarded": (None, _S.IDLE),
    "error": (None, _S.FAILED),
}

_TITLE_WORDS = {_S.STARTING: "Starting", _S.RUNNING: "Training", _S.PAUSING: "Pausing", _S.PAUSED: "Paused",
                _S.STOPPING: "Stopping", _S.STOPPED: "Stopped", _S.FINISHED: "Finished",
                _S.FAILED: "Stopped by a problem", _S.IDLE: "Unfinished"}


class InvalidTransition(RuntimeError):
    """A request the current state does not allow (a bug in the caller, not a user error)."""


class FinetuneRun:
    """The run's state and the rules for moving it; the tab draws whatever this says."""

    def __init__(self) -> None:
        self._state = RunState.IDLE

    @property
    def state(self) -> RunState:
        return self._state

    # --- what is allowed now ------------------------------------------------------------------

    @property
    def active(self) -> bool:
        """A training process exists: the form is locked and a new run cannot start."""
        return self._state in ACTIVE

    @property
    def training(self) -> bool:
        """The process is (or is about to be) using the CPU or GPU; a paused run is not."""
        return self._state in (_S.STARTING, _S.RUNNING, _S.PAUSING, _S.STOPPING)

    @property
    def form_follows_folder(self) -> bool:
        """A new folder scan may redraw the form (not while a run or its result is on show)."""
        return self._state in (_S.IDLE, _S.FINISHED)

    @property
    def can_pause(self) -> bool:
        return self._state is _S.RUNNING

    @property
    def can_resume_paused(self) -> bool:
        return self._state is _S.PAUSED

    def can_resume_from_checkpoint(self, resumable: bool) -> bool:
        """A stopped or failed run (or one found at start-up) with a checkpoint can be continued."""
        return resumable and self._state in (_S.STOPPED, _S.FAILED, _S.IDLE)

    @property
    def can_ask_stop(self) -> bool:
        return self._state in (_S.RUNNING, _S.PAUSED, _S.PAUSING, _S.STARTING)

    def can_discard(self, has_session: bool) -> bool:
        return has_session and not self.active

    @property
    def pause_shown(self) -> bool:
        """Pause (rather than Resume) is the button on show."""
        return self._state in (_S.RUNNING, _S.PAUSING, _S.STARTING)

    def resume_enabled(self, resumable: bool) -> bool:
        return self._state is _S.PAUSED or (resumable and self._state in (_S.STOPPED, _S.FAILED))

    @property
    def stop_enabled(self) -> bool:
        return self._state in (_S.RUNNING, _S.PAUSED, _S.STARTING)

    def discard_shown(self, has_session: bool) -> bool:
        return has_session and self._state in (_S.STOPPED, _S.FAILED)

    @property
    def title_word(self) -> str:
        return _TITLE_WORDS[self._state]

    # --- moves ---------------------------------------------------------------------------------

    def launch(self) -> None:
        """A training process is being started (new or resumed)."""
        self._move(_S.STARTING, allowed=frozenset(RunState) - ACTIVE)

    def pause(self) -> None:
        self._move(_S.PAUSING, allowed=frozenset({_S.RUNNING}))

    def resume_paused(self) -> None:
        self._move(_S.RUNNING, allowed=frozenset({_S.PAUSED}))

    def stop(self) -> None:
        self._move(_S.STOPPING, allowed=ACTIVE)

    def discard(self) -> None:
        """An inactive run was forgotten along with its checkpoint."""
        self._move(_S.IDLE, allowed=frozenset(RunState) - ACTIVE)

    def restore(self, failed: bool) -> None:
        """An unfinished session from an earlier app run is shown, ready to resume."""
        self._move(_S.FAILED if failed else _S.STOPPED, allowed=frozenset(RunState) - ACTIVE)

    def force(self, state: RunState) -> None:
        """Put the run in a state regardless of the rules (tests, and showing saved sessions)."""
        self._state = RunState(state)

    def on_event(self, event: str) -> bool:
        """The training process reported `event`. True when the event set the run's state (even to
        the one it had): the tab then redraws its controls, which may depend on the session too."""
        move = _EVENT_MOVES.get(event)
        if move is None:
            return False
        allowed, to = move
        if allowed is not None and self._state not in allowed:
            return False
        self._state = to
        return True

    def on_process_ended(self) -> bool:
        """The training process exited. True when it did so unexpectedly (no terminal event came
        first): the run is then FAILED."""
        if not self.active:
            return False
        self._state = _S.FAILED
        return True

    def _move(self, to: RunState, *, allowed: frozenset[RunState]) -> None:
        if self._state not in allowed:
            raise InvalidTransition(f"cannot go from {self._state} to {to}")
        self._state = to
