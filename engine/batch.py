"""Batches of files: finding inputs, planning safe output paths, colorizing one by one.

Plain Python with no Qt: the CLI drives `run_jobs` directly, the GUI through a worker thread
that turns each yielded `JobResult` into a signal.
"""

from __future__ import annotations

import glob
import logging
import os
import stat
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from engine.errors import HintError, OutputWouldReplaceInput, PhotoError, UsageError
from engine.hints import Hint, load_hints
from engine.infer import Cancelled, Chroma, Colorizer, ColorizeResult
from engine.options import (
    DEFAULT_MAX_PIXELS,
    DEFAULT_RENDER_SIZE,
    FORMATS,
    IF_EXISTS,
    READABLE_SUFFIXES,
    output_format_for,
)
from engine.photo_io import is_colorizer_output, read_photo, remove_stale_partials, write_photo

log = logging.getLogger(__name__)

MISSING = "no such file or folder"  # the reason for an input name that is not there


@dataclass
class BatchSettings:
    output_dir: Path | None = None     # None: beside each input
    suffix: str = "_color"
    format: str | None = None          # None: the input's own format
    render_size: int = DEFAULT_RENDER_SIZE
    strength: float = 1.0
    if_exists: str = "rename"          # an output file already there: rename, skip or overwrite
    hints_dir: Path | None = None
    max_pixels: int | None = DEFAULT_MAX_PIXELS
    quality: int = 95
    label: bool = True                 # outputs say they are colorized, by what (engine.output_label)


@dataclass
class InputFile:
    path: Path
    root: Path | None = None  # the folder it was found in, to mirror the tree under output_dir


@dataclass
class Job:
    source: Path
    dest: Path
    fmt: str
    hints: list[Hint] | None = None


@dataclass
class JobResult:
    job: Job
    status: str                # "done", "failed", "skipped" or "cancelled"
    message: str = ""
    output: Path | None = None
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    index: int = 0             # 1-based position in the batch
    total: int = 0
    error_type: type[Exception] | None = None  # what a "failed" photo raised, for callers to test
    # The colorized photo itself, only when colorize_job was asked to keep it (the app shows it);
    # a CLI batch keeps thousands of results and must not hold every photo's pixels.
    colorized: ColorizeResult | None = field(default=None, repr=False, compare=False)

    def failed_with(self, kind: type[Exception]) -> bool:
        """This photo failed with `kind` (e.g. `UnreadablePhoto`) or a subclass of it."""
        return self.error_type is not None and issubclass(self.error_type, kind)

    def to_json(self) -> dict:
        return {**json_path("input", self.job.source), **json_path("output", self.output),
                "status": self.status, "message": self.message, "notes": self.notes,
                "seconds": round(self.seconds, 3)}


def json_path(key: str, path: Path | str | None) -> dict[str, str | None]:
    """`{key: path}` for JSON, plus `{key}_bytes` (hex) when the name is not valid UTF-8.

    Such names (old Latin-1 archives) arrive with surrogate escapes: the string round-trips
    through `os.fsencode` in Python, and the bytes field serves every other reader.
    """
    if path is None:
        return {key: None}
    text = str(path)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return {key: text, f"{key}_bytes": os.fsencode(text).hex()}
    return {key: text}


def is_image_name(path: Path) -> bool:
    return path.suffix.lower() in READABLE_SUFFIXES


def _is_hidden(path: Path, root: Path) -> bool:
    """Dot files and dot folders (macOS "._x.jpg" forks, our own ".x.partial" temporaries)."""
    return any(part.startswith(".") for part in path.relative_to(root).parts)


def _inside(path: Path, folder: Path | None) -> bool:
    return folder is not None and path.resolve().is_relative_to(folder)


def not_a_file_reason(path: Path) -> str | None:
    """Why an existing name cannot be read as a photo file; None when it is one, or is absent."""
    try:
        mode = path.stat().st_mode
    except (OSError, RuntimeError):
        if path.is_symlink():
            return "a symbolic link that loops or leads nowhere"
        return None
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a folder with a photo's name, not a photo"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO), not a photo file; it was not opened"
    if stat.S_ISSOCK(mode):
        return "a socket, not a photo file"
    return "a device, not a photo file"


def collect_inputs(items: Iterable[str | Path], recursive: bool = False, *,
                   exclude: Path | str | None = None,
                   skipped: list[tuple[str, str]] | None = None) -> tuple[list[InputFile], list[tuple[str, str]]]:
    """Expand files, folders and glob patterns. Returns (inputs, problems).

    Folder scans skip hidden files and anything under `exclude` (the output folder, so a
    re-run with -o inside the input tree does not colorize its own earlier results). A folder
    that is itself the output folder (or inside it) is scanned whole: its results go beside
    its photos, as without -o. What a scan passes over that is named like a photo (a pipe, a
    broken or looping link, a folder called "x.jpg") is appended to `skipped` with the reason.
    """
    found: list[InputFile] = []
    problems: list[tuple[str, str]] = []
    seen: set[Path] = set()
    skip_dir = Path(exclude).expanduser().resolve() if exclude is not None else None

    def add(path: Path, root: Path | None) -> None:
        key = path.resolve()
        if key not in seen:
            seen.add(key)
            found.append(InputFile(path, root))

    for item in items:
        path = Path(item).expanduser()
        if path.is_dir():
            pattern = "**/*" if recursive else "*"
            here = path.resolve()
            excluded = skip_dir if skip_dir is not None and skip_dir != here and skip_dir.is_relative_to(here) else None
            named = sorted(p for p in path.glob(pattern) if is_image_name(p) and not _is_hidden(p, path))
            files = [p for p in named if p.is_file() and not _inside(p, excluded)]
            if skipped is not None:
                skipped.extend((str(p), why) for p in named if (why := not_a_file_reason(p)) is not None)
            if not files and excluded is not None and any(p.is_file() for p in named):
                problems.append((str(path), "the only photos here are inside the output folder (-o)"))
            elif not files:
                hint = "" if recursive else " (use -r for subfolders)"
                problems.append((str(path), "no photos in this folder" + hint))
            for p in files:
                add(p, path)
        elif path.is_file():
            add(path, None)
        elif any(ch in str(item) for ch in "*?["):
            matches = sorted(Path(p) for p in glob.glob(str(path), recursive=True))
            files = [p for p in matches if p.is_file() and is_image_name(p)]
            if not files:
                problems.append((str(item), "no photos match this pattern"))
            for p in files:
                add(p, None)
        else:
            problems.append((str(item), not_a_file_reason(path) or MISSING))
    return found, problems


def split_own_outputs(inputs: list[InputFile]) -> tuple[list[InputFile], list[InputFile]]:
    """(photos to colorize, photos that are already Colorizer results), by the label on each file.

    A folder where results were saved beside the originals would otherwise give
    `x_color_color.jpg` on the next run. Files written with labels turned off are not recognised.
    """
    keep: list[InputFile] = []
    ours: list[InputFile] = []
    for item in inputs:
        (ours if is_colorizer_output(item.path) else keep).append(item)
    return keep, ours


def plan_jobs(inputs: list[InputFile], settings: BatchSettings) -> list[Job]:
    """Decide every output path up front and refuse any that would touch an input."""
    if settings.format is not None and settings.format not in FORMATS:
        raise UsageError(f"unknown format {settings.format!r}; choose from {', '.join(FORMATS)}")
    if settings.if_exists not in IF_EXISTS:
        raise UsageError(f"if-exists must be one of {', '.join(IF_EXISTS)}")
    out_dir = Path(settings.output_dir) if settings.output_dir is not None else None
    if out_dir is not None and out_dir.exists() and not out_dir.is_dir():
        raise UsageError(f"the output folder {settings.output_dir} is a file")
    input_keys = {i.path.resolve() for i in inputs}
    jobs: list[Job] = []
    taken: dict[Path, Path] = {}
    for item in inputs:
        fmt = settings.format or output_format_for(item.path)
        if settings.output_dir is None:
            folder = item.path.parent
        elif item.root is not None:
            folder = Path(settings.output_dir) / item.path.parent.relative_to(item.root)
        else:
            folder = Path(settings.output_dir)
        stem = item.path.stem + settings.suffix
        dest = folder / f"{stem}{FORMATS[fmt][1]}"
        n = 2
        while dest.resolve() in taken:  # two inputs (a.jpg, a.png) would meet in one output
            dest = folder / f"{stem}-{n}{FORMATS[fmt][1]}"
            n += 1
        if dest.resolve() in input_keys:
            raise OutputWouldReplaceInput(f"the output for {item.path} would be {dest}, which is one of the inputs; "
                             "choose another --suffix, --format or -o folder")
        taken[dest.resolve()] = item.path
        jobs.append(Job(item.path, dest, fmt))
    return jobs


def _free_name(dest: Path) -> Path:
    n = 1
    candidate = dest
    while candidate.exists():
        candidate = dest.with_name(f"{dest.stem}-{n}{dest.suffix}")
        n += 1
    return candidate


def _hints_for(job: Job, settings: BatchSettings) -> list[Hint] | None:
    if job.hints is not None:
        return job.hints
    if settings.hints_dir is None:
        return None
    path = Path(settings.hints_dir) / f"{job.source.stem}.json"
    return load_hints(path) if path.is_file() else None


def colorize_job(job: Job, colorizer: Colorizer, settings: BatchSettings, *,
                 cancel: Callable[[], bool] | None = None,
                 progress: Callable[[float, str], None] | None = None,
                 chroma: Chroma | None = None, keep_result: bool = False) -> JobResult:
    """Read, colorize and write one photo; every failure becomes a "failed" result, never a raise.

    `chroma` is a prediction made earlier for this photo (a preview), passed on to
    `Colorizer.colorize`. `keep_result` puts the `ColorizeResult` into the result's `colorized`.
    """
    start = time.monotonic()
    kept: ColorizeResult | None = None
    dest = job.dest
    # Before the skip below: a re-run with --skip-existing also clears what a killed run left.
    remove_stale_partials(dest.parent)
    if dest.exists():
        if settings.if_exists == "skip":
            return JobResult(job, "skipped", "output already exists", output=dest)
        if settings.if_exists == "rename":
            dest = _free_name(dest)
    renamed = [f"{job.dest.name} already exists, so this was saved as {dest.name}"] if dest != job.dest else []
    try:
        hints = _hints_for(job, settings)
        photo = read_photo(job.source, max_pixels=settings.max_pixels)
        result = colorizer.colorize(photo, hints, settings.render_size, settings.strength,
                                    cancel=cancel, progress=progress, chroma=chroma)
        if keep_result:
            kept = result
        if cancel is not None and cancel():
            raise Cancelled()
        notes = result.notes + renamed + write_photo(
            result.rgb, dest, job.fmt, photo, quality=settings.quality, overwrite=settings.if_exists == "overwrite",
            label=result.label if settings.label else None)
        if hints:
            notes.append(f"{len(hints)} colour hint(s) used")
    except Cancelled:
        return JobResult(job, "cancelled", "cancelled", seconds=time.monotonic() - start, colorized=kept)
    except (PhotoError, HintError) as exc:
        log.warning("Failed %s: %s (%s)", job.source, exc, type(exc).__name__)
        return JobResult(job, "failed", str(exc), seconds=time.monotonic() - start, error_type=type(exc),
                         colorized=kept)
    except MemoryError:
        return JobResult(job, "failed", "not enough memory for this photo; try a smaller render size",
                         seconds=time.monotonic() - start, error_type=MemoryError, colorized=kept)
    except Exception as exc:  # noqa: BLE001 - one photo's surprise must not end a batch of thousands
        log.exception("Unexpected error colorizing %s", job.source)  # the traceback, for a bug report
        return JobResult(job, "failed", f"unexpected error ({type(exc).__name__}: {exc})",
                         seconds=time.monotonic() - start, error_type=type(exc), colorized=kept)
    return JobResult(job, "done", "", output=dest, notes=notes, seconds=time.monotonic() - start, colorized=kept)


def run_jobs(jobs: list[Job], colorizer: Colorizer, settings: BatchSettings, *,
             cancel: Callable[[], bool] | None = None) -> Iterator[JobResult]:
    """Colorize jobs in order, yielding one result each; after a cancel the rest are "cancelled"."""
    total = len(jobs)
    cancelled = False
    for index, job in enumerate(jobs, 1):
        if cancelled or (cancel is not None and cancel()):
            cancelled = True
            result = JobResult(job, "cancelled", "cancelled")
        else:
            result = colorize_job(job, colorizer, settings, cancel=cancel)
            cancelled = result.status == "cancelled"
        result.index, result.total = index, total
        yield result
