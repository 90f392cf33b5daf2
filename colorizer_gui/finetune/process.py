"""The fine-tuning child process, seen from the UI thread: events in, commands out.

Training runs in its own process (`engine.finetune_worker`), not a thread of the app:

* the UI never competes with training for Python's interpreter lock, and the child runs at
  lower OS priority, so the window and colorizing in the Colorize tab stay responsive and
  go first while training uses what is left of the machine;
* torch's thread settings and memory are its own, and all of it is returned when it ends;
* a crash in training (out of memory, a driver fault) cannot take the app down, and if the
  app dies the child sees its input close, writes a checkpoint and exits.

QProcess delivers the child's output through the event loop, so no extra thread is needed.
"""

from __future__ import annotations

import json
from collections import deque

from PySide6.QtCore import QObject, QProcess, QProcessEnvironment, Signal

from engine.finetune import worker_command


class WorkerProcess(QObject):
    """One run of `engine.finetune_worker`.

    Signals
    -------
    event(dict)
        one event from the child (see `engine.finetune.run_session`, plus "estimate").
    ended(int, bool, str)
        exit code, whether it crashed (killed, or never started), and the last lines of its
        error output.
    """

    event = Signal(object)
    ended = Signal(int, bool, str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._proc: QProcess | None = None
        self._stderr: deque[str] = deque(maxlen=30)
        self._buffer = b""
        self._reported_end = False

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.state() != QProcess.ProcessState.NotRunning

    def start(self, *args: str) -> None:
        if self.running:
            raise RuntimeError("the worker is already running")
        if self._proc is not None:
            self._proc.deleteLater()  # the previous run, finished and reported
        cmd, extra_env = worker_command(*args)
        env = QProcessEnvironment.systemEnvironment()
        for key, value in extra_env.items():
            env.insert(key, value)
        proc = QProcess(self)
        proc.setProcessEnvironment(env)
        proc.readyReadStandardOutput.connect(self._on_proc_stdout)
        proc.readyReadStandardError.connect(self._on_proc_stderr)
        proc.finished.connect(self._on_proc_finished)
        proc.errorOccurred.connect(self._on_proc_error)
        self._proc, self._buffer, self._reported_end = proc, b"", False
        self._stderr.clear()
        proc.start(cmd[0], cmd[1:])

    def send(self, command: str) -> bool:
        if not self.running:
            return False
        self._proc.write(f"{command}\n".encode())
        return True

    def stop_and_wait(self, command: str = "stop", timeout_ms: int = 20000) -> None:
        """Ask the child to stop (it writes a checkpoint), wait a while, then kill it."""
        if not self.running:
            return
        self.send(command)
        self._proc.closeWriteChannel()
        if not self._proc.waitForFinished(timeout_ms):
            self.kill()

    def wait(self, timeout_ms: int = 15000) -> bool:
        """Wait for the child to exit (after its last event it only has to return); True if it did."""
        if not self.running:
            return True
        return self._proc.waitForFinished(timeout_ms)

    def kill(self) -> None:
        if self.running:
            self._proc.kill()
            self._proc.waitForFinished(3000)

    def stderr_tail(self) -> str:
        return "\n".join(self._stderr)

    # --- slots -------------------------------------------------------------------------------------

    def _on_proc_stdout(self) -> None:
        self._buffer += bytes(self._proc.readAllStandardOutput())
        *lines, self._buffer = self._buffer.split(b"\n")
        for raw in lines:
            line = raw.decode("utf-8", "replace").strip()
            if not line:
                continue
            try:
                event = json.loads(line)
            except ValueError:
                self._stderr.append(line)  # a stray print from a library: keep it for error reports
                continue
            if isinstance(event, dict) and "event" in event:
                self.event.emit(event)

    def _on_proc_stderr(self) -> None:
        text = bytes(self._proc.readAllStandardError()).decode("utf-8", "replace")
        for line in text.splitlines():
            if line.strip():
                self._stderr.append(line.rstrip())

    def _on_proc_finished(self, code: int, status: QProcess.ExitStatus) -> None:
        self._on_proc_stdout()
        if not self._reported_end:
            self._reported_end = True
            self.ended.emit(code, status == QProcess.ExitStatus.CrashExit, self.stderr_tail())

    def _on_proc_error(self, error: QProcess.ProcessError) -> None:
        if error == QProcess.ProcessError.FailedToStart and not self._reported_end:
            self._reported_end = True
            self._stderr.append(f"the training process could not be started: {self._proc.errorString()}")
            self.ended.emit(-1, True, self.stderr_tail())
