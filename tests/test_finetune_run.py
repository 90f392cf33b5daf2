"""The Fine-tune tab's run rules (colorizer_gui/finetune/run.py), in plain Python: no Qt, no process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from colorizer_gui.finetune.run import ACTIVE, FinetuneRun, InvalidTransition, RunState

ROOT = Path(__file__).resolve().parents[1]


def test_the_run_rules_import_without_qt():
    code = "import sys, colorizer_gui.finetune.run; print('PySide6' in sys.modules)"
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert run.returncode == 0 and run.stdout.strip() == "False", run.stderr


def test_a_run_from_start_to_finish():
    run = FinetuneRun()
    assert run.state is RunState.IDLE and not run.active and run.form_follows_folder
    run.launch()
    assert run.state is RunState.STARTING and run.active and run.training and run.pause_shown
    assert not run.can_pause  # nothing to pause until the first step
    assert run.on_event("message") is False and run.state is RunState.STARTING
    assert run.on_event("progress") is True and run.state is RunState.RUNNING
    assert run.on_event("progress") is False and run.state is RunState.RUNNING
    assert run.on_event("finished") is True
    assert run.state is RunState.FINISHED and not run.active and run.form_follows_folder
    assert run.on_process_ended() is False and run.state is RunState.FINISHED  # the exit was expected


def test_pause_resume_and_stop():
    run = FinetuneRun()
    run.launch()
    run.on_event("progress")
    assert run.can_pause and run.stop_enabled
    run.pause()
    assert run.state is RunState.PAUSING and run.training and not run.can_pause and run.pause_shown
    assert not run.stop_enabled and run.can_ask_stop  # Stop waits for the checkpoint the pause writes
    run.on_event("paused")
    assert run.state is RunState.PAUSED and not run.training and run.active
    assert run.can_resume_paused and run.resume_enabled(resumable=False) and not run.pause_shown
    run.resume_paused()
    assert run.state is RunState.RUNNING
    run.stop()
    assert run.state is RunState.STOPPING and not run.can_ask_stop
    run.on_event("stopped")
    assert run.state is RunState.STOPPED and not run.active
    assert run.resume_enabled(resumable=True) and not run.resume_enabled(resumable=False)
    assert run.can_resume_from_checkpoint(resumable=True) and run.discard_shown(has_session=True)
    run.launch()  # Resume from the checkpoint
    assert run.state is RunState.STARTING


def test_the_process_dying_fails_an_active_run_only():
    run = FinetuneRun()
    assert run.on_process_ended() is False and run.state is RunState.IDLE
    run.launch()
    assert run.on_process_ended() is True and run.state is RunState.FAILED
    assert run.can_discard(has_session=True) and not run.can_discard(has_session=False)
    assert run.can_resume_from_checkpoint(resumable=True) and not run.can_resume_from_checkpoint(resumable=False)


def test_error_and_discard_events():
    run = FinetuneRun()
    run.launch()
    run.on_event("progress")
    assert run.on_event("error") is True and run.state is RunState.FAILED
    run.launch()
    assert run.on_event("discarded") is True and run.state is RunState.IDLE
    assert run.on_event("no such event") is False and run.state is RunState.IDLE


@pytest.mark.parametrize("state", sorted(ACTIVE, key=str))
def test_an_active_run_cannot_start_again_or_be_discarded(state):
    run = FinetuneRun()
    run.force(state)
    with pytest.raises(InvalidTransition):
        run.launch()
    with pytest.raises(InvalidTransition):
        run.discard()
    with pytest.raises(InvalidTransition):
        run.restore(failed=False)
    run.stop()
    assert run.state is RunState.STOPPING


@pytest.mark.parametrize("state", [s for s in RunState if s is not RunState.RUNNING])
def test_only_a_running_run_pauses(state):
    run = FinetuneRun()
    run.force(state)
    assert not run.can_pause
    with pytest.raises(InvalidTransition):
        run.pause()
    assert run.state is state


def test_an_unfinished_session_from_last_time():
    run = FinetuneRun()
    run.restore(failed=True)
    assert run.state is RunState.FAILED and run.title_word == "Stopped by a problem"
    run.restore(failed=False)
    assert run.state is RunState.STOPPED and run.title_word == "Stopped"


def test_states_read_as_their_old_strings():
    assert RunState.PAUSED == "paused" and f"{RunState.PAUSED}" == "paused"
    assert RunState("failed") is RunState.FAILED
    run = FinetuneRun()
    for state in RunState:
        run.force(state)
        assert run.title_word
