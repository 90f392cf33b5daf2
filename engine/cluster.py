"""Colorizing a batch on a Ray cluster: `colorize INPUTS -o OUT --ray [ADDRESS]`.

Ray Data schedules the photos over a pool of actors, one loaded model each (a GPU each when
the cluster has them); every actor runs its share through the very `run_jobs` a local run uses, so outputs,
names, labels and per-file results are the same. Ray restarts an actor that dies and hands
its photo to another; the atomic write means a killed photo leaves at most a partial file,
which the next write into that folder removes (`engine.photo_io.remove_stale_partials`).
Inputs, outputs and the model file must be on a file system every node sees.

Needs the optional extra: `pip install -e ".[cluster]"`.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from engine.batch import BatchSettings, Job, JobResult, run_jobs
from engine.hints import hints_from_json, hints_to_json


class ClusterError(RuntimeError):
    """Ray is missing or the cluster cannot be reached; the message says which."""


def _encode(path: Path | None) -> str:
    # Hex of the file system's own bytes: names that are not UTF-8 cross the cluster intact.
    return "" if path is None else os.fsencode(path).hex()


def _decode(text: str) -> Path | None:
    return Path(os.fsdecode(bytes.fromhex(text))) if text else None


class _ColorizeActor:
    """One per Ray worker: loads the model once, then colorizes the photos it is handed."""

    def __init__(self, model: str, device: str, settings: BatchSettings, threads: int) -> None:
        import torch

        from engine.infer import Colorizer

        if threads:
            torch.set_num_threads(threads)
        self.colorizer = Colorizer(model, device=device)
        self.settings = settings

    def __call__(self, batch: dict[str, Any]) -> dict[str, list]:
        out: dict[str, list] = {k: [] for k in ("index", "status", "message", "output", "notes", "seconds")}
        jobs = [Job(_decode(source), _decode(dest), fmt, hints_from_json(json.loads(hints)) if hints else None)
                for source, dest, fmt, hints in zip(batch["source"], batch["dest"], batch["fmt"], batch["hints"])]
        for index, result in zip(batch["index"], run_jobs(jobs, self.colorizer, self.settings)):
            out["index"].append(int(index))
            out["status"].append(result.status)
            out["message"].append(result.message)
            out["output"].append(_encode(result.output))
            out["notes"].append(json.dumps(result.notes))
            out["seconds"].append(float(result.seconds))
        return out


def run_jobs_on_ray(jobs: list[Job], settings: BatchSettings, model: str | Path, *, device: str = "auto",
                    address: str | None = None, workers: int = 0, threads_per_worker: int = 1
                    ) -> Iterator[JobResult]:
    """Colorize `jobs` on Ray, yielding each result as it finishes (not in input order).

    address None starts a local Ray on this machine; "auto" or "ray://host:port" joins a
    running cluster. workers 0 means one per CPU (or per GPU when the cluster has GPUs).
    """
    try:
        import ray
        import ray.data
    except ImportError as exc:
        raise ClusterError('Ray is not installed; install the cluster extra: pip install -e ".[cluster]"') from exc
    if not jobs:
        return
    if not ray.is_initialized():
        try:
            # A local cluster is private to this run: no dashboard, no token prompt, quiet logs.
            if address is None:
                os.environ.setdefault("RAY_AUTH_MODE", "disabled")
            ray.init(address=address, include_dashboard=False, log_to_driver=False, logging_level="ERROR",
                     configure_logging=False)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            raise ClusterError(f"cannot reach the Ray cluster at {address}: {exc}") from exc
    resources = ray.cluster_resources()
    gpus = int(resources.get("GPU", 0)) if device in ("auto", "cuda") else 0
    slots = gpus or max(1, int(resources.get("CPU", 1)))
    pool = max(1, min(workers or slots, len(jobs)))
    rows = [{"index": n, "source": _encode(j.source), "dest": _encode(j.dest), "fmt": j.fmt,
             "hints": json.dumps(hints_to_json(j.hints)) if j.hints else ""} for n, j in enumerate(jobs)]
    # Our own progress line says how far the batch is; Ray's bars and notices would mix into it.
    logging.getLogger("ray.data").setLevel(logging.ERROR)
    ctx = ray.data.DataContext.get_current()
    ctx.enable_progress_bars = False
    ctx.print_on_execution_start = False
    results = ray.data.from_items(rows, override_num_blocks=min(len(rows), pool * 4)).map_batches(
        _ColorizeActor,
        fn_constructor_args=(str(model), "cuda" if gpus else "cpu", settings, 0 if gpus else threads_per_worker),
        batch_size=1,
        # Ray Data restarts an actor that dies (a node lost, an out-of-memory kill) and retries
        # its photo by default (max_restarts=-1, max_task_retries=-1): nothing to set here.
        compute=ray.data.ActorPoolStrategy(size=pool),
        num_cpus=0 if gpus else threads_per_worker,
        num_gpus=1 if gpus else 0,
    )
    total = len(jobs)
    for row in results.iter_rows():
        index = int(row["index"])
        yield JobResult(jobs[index], row["status"], row["message"], output=_decode(row["output"]),
                        notes=json.loads(row["notes"]), seconds=float(row["seconds"]), index=index + 1, total=total)


def shutdown() -> None:
    try:
        import ray
    except ImportError:
        return
    if ray.is_initialized():
        ray.shutdown()
