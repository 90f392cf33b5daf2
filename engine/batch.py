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
from typing import TYPE_CHECKING

from engine.errors import Cancelled, HintError, OutputExists, OutputWouldReplaceInput, PhotoError, UsageError
from engine.files import numbered_names
from engine.hint_files import Hint, load_hints
from engine.options import (
    DEFAULT_MAX_PIXELS,
    DEFAULT_RENDER_SIZE,
    FORMATS,
    IF_EXISTS,
    READABLE_SUFFIXES,
    output_format_for,
)
from engine.photo_io import (
    colorizer_source_name,
    is_colorizer_output,
    name_too_long,
    read_photo,
    remove_stale_partials,
    write_photo,
)

if TYPE_CHECKING:  # the colorizer is passed in: planning a batch loads no torch (the app, `colorize --help`)
    from engine.infer import Chroma, Colorizer, ColorizeResult
    from engine.photo_cache import LastPhoto

log = logging.getLogger(__name__)

MISSING = "no such file or folder"  # the reason for an input name that is not there
# The reason for a photo skipped by --if-exists resume (the default); callers count these.
ALREADY_DONE = "already done: its result is there"
# Why a colour photo added by mistake is left alone (BatchSettings.include_colour).
ALREADY_IN_COLOUR = "already a colour photo, so it was left as it is (colorizing would replace its colours)"


@dataclass
class BatchSettings:
    output_dir: Path | None = None     # None: beside each input
    suffix: str = "_color"
    format: str | None = None          # None: the input's own format
    render_size: int = DEFAULT_RENDER_SIZE
    strength: float = 1.0
    if_exists: str = "resume"          # an output file already there: see options.IF_EXISTS
    hints_dir: Path | None = None
    max_pixels: int | None = DEFAULT_MAX_PIXELS
    quality: int = 95
    label: bool = True                 # outputs say they are colorized, by what (engine.output_label)
    include_colour: bool = False       # also colorize real colour photos (toned prints always are)


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

    @property
    def in_colour(self) -> bool:
        """Skipped because the photo is already in colour (BatchSettings.include_colour)."""
        return self.status == "skipped" and self.message == ALREADY_IN_COLOUR

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


def check_output_settings(settings: BatchSettings) -> None:
    """Refuse settings no photo can be planned with: a format or if-exists word we do not know,
    an output folder that is a file. Raises UsageError."""
    if settings.format is not None and settings.format not in FORMATS:
        raise UsageError(f"unknown format {settings.format!r}; choose from {', '.join(FORMATS)}")
    if settings.if_exists not in IF_EXISTS:
        raise UsageError(f"if-exists must be one of {', '.join(IF_EXISTS)}")
    out_dir = Path(settings.output_dir) if settings.output_dir is not None else None
    if out_dir is not None and out_dir.exists() and not out_dir.is_dir():
        raise UsageError(f"the output folder {settings.output_dir} is a file")


class _Resolver:
    """`Path.resolve()` for many files in few folders, as a string: each folder is resolved once,
    and then a file in it costs one lstat (its own name is followed only when it is a link).
    The same answer as resolve() on POSIX, several times faster (strings, not Paths, also hash
    faster as keys); elsewhere resolve() itself (Windows also gives each existing name its case
    on disk)."""

    def __init__(self) -> None:
        self._folders: dict[str, str] = {}

    def __call__(self, path: str | Path) -> str:
        text = os.fspath(path)
        folder_text, name = os.path.split(text)
        if os.name != "posix" or name in ("", ".", ".."):
            return str(Path(text).resolve())
        folder = self._folders.get(folder_text)
        if folder is None:
            folder = self._folders[folder_text] = str(Path(folder_text or ".").resolve())
        candidate = os.path.join(folder, name)
        try:
            link = stat.S_ISLNK(os.lstat(candidate).st_mode)
        except OSError:
            link = False   # missing or unreadable: as resolve() (not strict) takes it
        return str(Path(candidate).resolve()) if link else candidate


class OutputPlanner:
    """Output paths for inputs planned one after another, as `plan_jobs` plans a list.

    An input's output depends only on the inputs planned before it: the first to reach a name
    keeps it and a later one takes the next free number (a.jpg, a.png -> a_color.jpg,
    a_color-2.jpg). So a growing list (the app's queue) can be planned as it grows instead of
    from the start for every photo. No output may be an input: give `add_inputs` every input
    before planning it; either raises OutputWouldReplaceInput when one would be.
    """

    def __init__(self, settings: BatchSettings) -> None:
        # Copied: the caller may change its settings object after planning (a re-run's if-exists).
        self._out_dir = Path(settings.output_dir) if settings.output_dir is not None else None
        self._suffix, self._format = settings.suffix, settings.format
        self._resolve = _Resolver()
        self._inputs: dict[str, int] = {}     # every input, resolved -> how many times it was given
        self._taken: dict[str, Path] = {}     # resolved output -> the input it is for
        # Per name, the number to try first: those below it are taken (and stay so: see
        # `withdraw`), so k inputs sharing a name cost k tries in all rather than k^2 / 2.
        self._next_number: dict[tuple[str, str, str], int] = {}
        self._passed: set[str] = set()        # outputs an input found taken and was numbered past

    def add_inputs(self, paths: Iterable[Path]) -> None:
        for path in paths:
            key = self._resolve(path)
            if key in self._taken:
                raise OutputWouldReplaceInput(_would_replace(self._taken[key], key))
            self._inputs[key] = self._inputs.get(key, 0) + 1

    def plan(self, item: InputFile) -> Job:
        fmt = self._format or output_format_for(item.path)
        if self._out_dir is None:
            folder = item.path.parent
        elif item.root is not None:
            folder = self._out_dir / item.path.parent.relative_to(item.root)
        else:
            folder = self._out_dir
        stem, ext = item.path.stem + self._suffix, FORMATS[fmt][1]
        name_key = (os.fspath(folder), stem, ext)
        n = self._next_number.get(name_key, 1)   # 1: the name without a number
        while True:
            name = f"{stem}{ext}" if n == 1 else f"{stem}-{n}{ext}"
            key = self._resolve(os.path.join(name_key[0], name))
            if key not in self._taken:
                break
            self._passed.add(key)
            n = 2 if n == 1 else n + 1   # two inputs (a.jpg, a.png) would meet in one output
        dest = folder / name
        if key in self._inputs:
            raise OutputWouldReplaceInput(_would_replace(item.path, dest))
        self._next_number[name_key] = n
        self._taken[key] = item.path
        return Job(item.path, dest, fmt)

    def withdraw(self, job: Job) -> bool:
        """Plan on as if `job`'s input had never been given (the app: a photo found unreadable
        claims no name). False, changing nothing, when an input planned after it was numbered
        past its output: that one's name would change, so plan again from the start."""
        key = self._resolve(job.dest)
        if self._taken.get(key) != job.source or key in self._passed:
            return False
        # Nothing planned after it reached its name, so every later name stands; the name is
        # free again for inputs still to come, and so is the input itself (an output may be it).
        del self._taken[key]
        source = self._resolve(job.source)
        self._inputs[source] -= 1
        if not self._inputs[source]:
            del self._inputs[source]
        return True


def _would_replace(source: Path, dest: Path) -> str:
    return (f"the output for {source} would be {dest}, which is one of the inputs; "
            "choose another --suffix, --format or -o folder")


def plan_jobs(inputs: list[InputFile], settings: BatchSettings) -> list[Job]:
    """Decide every output path up front and refuse any that would touch an input."""
    check_output_settings(settings)
    planner = OutputPlanner(settings)
    planner.add_inputs(i.path for i in inputs)
    return [planner.plan(item) for item in inputs]


def existing_result(job: Job) -> Path | None:
    """A result of `job`'s photo already saved at its output name or a numbered one after it.

    Recognised by the label each result carries (the source file's name in its XMP), so a
    file of someone else's that happens to have the name is not taken for it.
    """
    for candidate in numbered_names(job.dest):
        try:
            if not candidate.is_file():
                return None
        except OSError:
            return None
        if colorizer_source_name(candidate) == job.source.name:
            return candidate
    return None


def _hints_for(job: Job, settings: BatchSettings) -> list[Hint] | None:
    if job.hints is not None:
        return job.hints
    if settings.hints_dir is None:
        return None
    path = Path(settings.hints_dir) / f"{job.source.stem}.json"
    return load_hints(path) if path.is_file() else None


# A photo's progress counts its reading and saving too: on a large scan they take about half its
# time (24 MP, one core: read 23 %, colorize 50 %, write 27 %), and a progress bar that reaches
# 100 % before the file is written would say "0 s left" for seconds.
_READ_SHARE = 0.2
_SAVE_FROM = 0.75


def colorize_job(job: Job, colorizer: Colorizer, settings: BatchSettings, *,
                 cancel: Callable[[], bool] | None = None,
                 progress: Callable[[float, str], None] | None = None,
                 chroma: Chroma | None = None, keep_result: bool = False,
                 photos: LastPhoto | None = None) -> JobResult:
    """Read, colorize and write one photo; every failure becomes a "failed" result, never a raise.

    `chroma` is a prediction made earlier for this photo (a preview), passed on to
    `Colorizer.colorize`. `keep_result` puts the `ColorizeResult` into the result's `colorized`.
    `photos` reads the source through the app's last decoded photo (one decode per view).
    """
    start = time.monotonic()
    kept: ColorizeResult | None = None
    too_long = name_too_long(job.dest)
    if too_long:
        return JobResult(job, "failed", too_long, error_type=PhotoError)
    # Before the skips below: a re-run also clears what a killed run left.
    remove_stale_partials(job.dest.parent)
    if settings.if_exists == "skip" and job.dest.exists():
        return JobResult(job, "skipped", "output already exists", output=job.dest)
    if settings.if_exists == "resume" and (done := existing_result(job)) is not None:
        return JobResult(job, "skipped", f"{ALREADY_DONE} ({done.name})", output=done)
    placed: list[Path] = []

    def colorizing(fraction: float, stage: str) -> None:
        if progress is not None:
            progress(_READ_SHARE + (_SAVE_FROM - _READ_SHARE) * fraction, stage)

    try:
        hints = _hints_for(job, settings)
        if progress is not None:
            progress(0.0, "reading")
        photo = (photos.read(job.source, settings.max_pixels) if photos is not None
                 else read_photo(job.source, max_pixels=settings.max_pixels))
        if photo.in_colour and not settings.include_colour:
            return JobResult(job, "skipped", ALREADY_IN_COLOUR, seconds=time.monotonic() - start)
        result = colorizer.colorize(photo, hints, settings.render_size, settings.strength,
                                    cancel=cancel, progress=colorizing, chroma=chroma)
        if keep_result:
            kept = result
        if cancel is not None and cancel():
            raise Cancelled()
        if progress is not None:
            progress(_SAVE_FROM, "saving")
        notes = result.notes + write_photo(
            result.rgb, job.dest, job.fmt, photo, quality=settings.quality,
            overwrite=settings.if_exists == "overwrite", rename=settings.if_exists in ("rename", "resume"),
            label=result.label if settings.label else None, placed=placed)
        dest = placed[0]
        if dest != job.dest:
            notes.append(f"{job.dest.name} already exists, so this was saved as {dest.name}")
        if result.label.hints:
            notes.append(f"{result.label.hints} colour hint(s) used")
    except OutputExists:  # --if-exists skip, and another run saved this name while we worked
        return JobResult(job, "skipped", "output already exists", output=job.dest,
                         seconds=time.monotonic() - start, colorized=kept)
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
    """Colorize jobs in order, yielding one result each; after a cancel the rest are "cancelled".

    The one batch pipeline (`colorize`, its --shard, each Ray worker's share): the next photo
    is read while this one is colorized and written (engine.read_ahead), with the same
    outputs and results, in the same order, as reading each in turn.
    """
    from engine.read_ahead import ReadAhead

    total = len(jobs)
    cancelled = False
    reader = ReadAhead([job.source for job in jobs],
                       needed=lambda i: not (settings.if_exists == "skip" and jobs[i].dest.exists()))
    try:
        for index, job in enumerate(jobs, 1):
            if cancelled or (cancel is not None and cancel()):
                cancelled = True
                result = JobResult(job, "cancelled", "cancelled")
            else:
                result = colorize_job(job, colorizer, settings, cancel=cancel, photos=reader)
                cancelled = result.status == "cancelled"
            result.index, result.total = index, total
            yield result
    finally:
        reader.close()
