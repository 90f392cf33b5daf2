"""The fine-tuning child process: runs a session and speaks JSON lines.

    python -m engine.finetune_worker train SESSION_DIR [--resume]
    python -m engine.finetune_worker estimate JOB_JSON

Each line on stdout is one event (see `engine.finetune.run_session`); each line on stdin is
one command (pause, resume, stop, save, discard). When stdin closes (the app quit or
crashed) the run stops as after "stop": the checkpoint is written and the session can be
resumed later. The process lowers its own priority so the app, and colorizing in it, stay
responsive while it trains.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import sys
import threading
from pathlib import Path

from engine.finetune import (
    COMMANDS,
    FinetuneOptions,
    Session,
    describe_failure,
    estimate_duration,
    make_settings,
    run_session,
)


def lower_priority() -> None:
    """Be the process the operating system postpones when the machine is busy.

    COLORIZER_TRAIN_NICE=0 keeps normal priority (tests beside another busy process).
    """
    try:
        niceness = int(os.environ.get("COLORIZER_TRAIN_NICE", "10"))
    except ValueError:
        niceness = 10
    if niceness <= 0:
        return
    try:
        if hasattr(os, "nice"):
            os.nice(niceness)
        elif sys.platform == "win32":
            import ctypes

            below_normal = 0x00004000
            ctypes.windll.kernel32.SetPriorityClass(ctypes.windll.kernel32.GetCurrentProcess(), below_normal)
    except (OSError, AttributeError):
        pass


def _emit(event: dict) -> None:
    sys.stdout.write(json.dumps(event) + "\n")
    sys.stdout.flush()


def _command_reader(stream) -> queue.Queue:
    commands: queue.Queue[str] = queue.Queue()

    def read() -> None:
        for line in stream:
            word = line.strip().lower()
            if word in COMMANDS:
                commands.put(word)
        commands.put("eof")

    threading.Thread(target=read, name="commands", daemon=True).start()
    return commands


def run_train(session_dir: Path, resume: bool) -> int:
    session = Session.load(session_dir)
    commands = _command_reader(sys.stdin)

    def next_command(block: bool) -> str | None:
        try:
            return commands.get(block=block)
        except queue.Empty:
            return None

    try:
        for event in run_session(session, resume=resume, next_command=next_command):
            _emit(event)
            if event["event"] == "error":
                return 1
    except Exception as exc:  # noqa: BLE001 - report, don't crash silently
        _emit({"event": "error", **describe_failure(exc), "resumable": session.resumable})
        return 1
    return 0


def run_estimate(job: dict) -> int:
    try:
        options = FinetuneOptions.from_dict(job["options"])
        settings = make_settings(options, out_dir=".")
        est = estimate_duration(settings, [Path(p) for p in job["sample"]], int(job["n_files"]),
                                int(job["n_usable"]), probe_steps=int(job.get("probe_steps", 4)))
    except Exception as exc:  # noqa: BLE001 - any failure is reported to the tab as a message
        _emit({"event": "error", **describe_failure(exc)})
        return 1
    _emit({"event": "estimate", "total_seconds": est.total_seconds, "seconds_per_step": est.seconds_per_step,
           "images_per_second": est.images_per_second, "device": est.device, "probe_steps": est.probe_steps,
           "breakdown": est.breakdown, "summary": est.summary()})
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="finetune-worker", description=__doc__)
    sub = parser.add_subparsers(dest="mode", required=True)
    t = sub.add_parser("train")
    t.add_argument("session_dir", type=Path)
    t.add_argument("--resume", action="store_true")
    e = sub.add_parser("estimate")
    e.add_argument("job", help="JSON: options, sample (photo paths), n_files, n_usable")
    args = parser.parse_args(argv)
    lower_priority()
    if args.mode == "train":
        return run_train(args.session_dir, args.resume)
    return run_estimate(json.loads(args.job))


if __name__ == "__main__":
    sys.exit(main())
