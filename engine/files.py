"""Writing files so that a crash, a cancel or a full disk never leaves half a file behind.

`atomic_write` is the one way the engine and the app write anything that must not be found
half-written: photo outputs, model files, training checkpoints, hint files, projects and
settings. The bytes go to a hidden temporary file beside the destination, which is flushed to
the disk, renamed over the destination and then made durable by syncing its folder.

A photo output must never replace a file that appeared while it was being written (two runs
into one folder, the app and `colorize` at once): `exists="fail"` or `exists="number"` claims
the name atomically (a hard link, which the kernel refuses when the name is taken), so
checking first and renaming later can never race.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import re
import secrets
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import IO

__all__ = ["NameTaken", "atomic_write", "is_partial_name", "numbered_names", "remove_stale_partials"]

log = logging.getLogger(__name__)

# Temporary files are named `.STEM.colorizer-HOST-PID-RANDOM.partial`: a kill -9 or a power cut
# can leave one behind, and the name alone says it is ours and whether its writer is gone
# (same host, process no longer running), so a later run can remove it without guessing
# from its age and without touching anyone else's files.
_PARTIAL_SUFFIX = ".partial"
# As tempfile.mkstemp opens its files: created here or not at all, never through a link.
_PARTIAL_FLAGS = os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
_PARTIAL_RE = re.compile(r"^\..*\.colorizer-(?P<host>[A-Za-z0-9]+)-(?P<pid>\d+)-[A-Za-z0-9_]{6,}\.partial$")
_STEM_BYTES = 120  # file names are limited to 255 bytes; leave room for the rest of the name
_MAX_NUMBER = 100_000  # numbered names tried before giving up (a folder with that many is a mistake)
_EXISTS = ("replace", "fail", "number")
_swept_folders: set[str] = set()
_sweep_lock = threading.Lock()


class NameTaken(FileExistsError):
    """`atomic_write(..., exists="fail")` found its destination there; nothing was written."""


def _host_tag() -> str:
    return re.sub(r"[^A-Za-z0-9]", "", socket.gethostname())[:24] or "host"


def _partial_prefix(dest: Path) -> str:
    stem = os.fsencode(dest.stem)[:_STEM_BYTES].decode(errors="ignore") or "photo"
    return f".{stem}.colorizer-{_host_tag()}-{os.getpid()}-"


def is_partial_name(name: str) -> bool:
    """A temporary file of ours (finished photos never have this name)."""
    return _PARTIAL_RE.match(name) is not None


def _process_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    if os.name == "nt":  # os.kill would terminate the process there: ask the kernel instead
        import ctypes

        handle = ctypes.windll.kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if not handle:
            return False
        code = ctypes.c_ulong()
        ctypes.windll.kernel32.GetExitCodeProcess(handle, ctypes.byref(code))
        ctypes.windll.kernel32.CloseHandle(handle)
        return code.value == 259  # STILL_ACTIVE
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # EPERM: alive, someone else's
        return True
    return True


def remove_stale_partials(folder: Path | str) -> list[Path]:
    """Delete our temporary files in `folder` whose writing process has died (kill -9, crash).

    Done once per folder per process (callers may ask before every photo); returns what was
    removed. Files of a live writer, of another machine, or of anyone else are left alone.
    """
    folder = Path(folder)
    key = os.path.abspath(folder)
    with _sweep_lock:
        if key in _swept_folders:
            return []
        _swept_folders.add(key)
    removed: list[Path] = []
    host = _host_tag()
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        match = _PARTIAL_RE.match(entry.name)
        if match is None or match["host"] != host or _process_alive(int(match["pid"])):
            continue
        with contextlib.suppress(OSError):
            if entry.is_file(follow_symlinks=False):
                os.unlink(entry.path)
                removed.append(Path(entry.path))
                log.info("Removed %s, left by a writer that died (process %s)", entry.path, match["pid"])
    return removed


def _make_folders(folder: Path) -> list[Path]:
    """mkdir -p, returning the folders it created (outermost first) so a failure can undo them."""
    missing: list[Path] = []
    probe = folder
    while not probe.exists() and probe != probe.parent:
        missing.append(probe)
        probe = probe.parent
    created: list[Path] = []
    for d in reversed(missing):
        try:
            d.mkdir()
            created.append(d)
        except FileExistsError:
            if not d.is_dir():
                _remove_empty_folders(created)
                raise
    return created


def _remove_empty_folders(created: list[Path]) -> None:
    for d in reversed(created):
        try:
            d.rmdir()  # only succeeds while empty: another photo's output keeps it
        except OSError:
            break


def numbered_names(dest: Path) -> Iterator[Path]:
    """dest, then dest's name numbered: a_color.jpg, a_color-1.jpg, a_color-2.jpg, ..."""
    yield dest
    for n in range(1, _MAX_NUMBER):
        yield dest.with_name(f"{dest.stem}-{n}{dest.suffix}")


def _place_new(tmp: Path, dest: Path) -> None:
    """Rename `tmp` to `dest` only if no file has that name; FileExistsError otherwise."""
    if os.name == "nt":
        os.rename(tmp, dest)  # Windows' rename never replaces
        return
    try:
        os.link(tmp, dest)
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK, errno.ENOSYS):
            raise
        # No hard links here (FAT, some network shares): claim the name with an empty file
        # created exclusively, then rename over our own claim.
        os.close(os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        os.replace(tmp, dest)
        return
    os.unlink(tmp)


def _place(tmp: Path, dest: Path, exists: str) -> Path:
    if exists == "replace":
        os.replace(tmp, dest)
        return dest
    for candidate in numbered_names(dest) if exists == "number" else (dest,):
        try:
            _place_new(tmp, candidate)
            return candidate
        except FileExistsError:
            continue
    if exists == "fail":
        raise NameTaken(errno.EEXIST, "a file already has this name", str(dest))
    raise FileExistsError(errno.EEXIST, f"no free numbered name after {_MAX_NUMBER}", str(dest))


@contextlib.contextmanager
def atomic_write(dest: Path | str, mode: str = "wb", *, encoding: str | None = None, exists: str = "replace",
                 placed: list[Path] | None = None) -> Iterator[IO]:
    """Write `dest` all at once: yields a handle on a hidden `.partial` file in dest's folder.

    When the block ends normally the file is synced, given ordinary permissions, renamed to
    `dest` and the folder is synced, so after a power cut either the old or the new content is
    there. `exists` says what a file already named `dest` gets: "replace" (settings, models),
    "fail" (NameTaken, the file untouched) or "number" (the first free of `numbered_names`);
    the last two decide at the moment of renaming, atomically. The name used is appended to
    `placed`. When the block raises, the partial is removed, as are any folders made for it,
    and the exception goes on unchanged (OSError stays OSError, so callers can word it). Dead
    writers' partials in the folder (kill -9) are swept first.
    """
    if exists not in _EXISTS:
        raise ValueError(f"exists must be one of {_EXISTS}")
    if "b" not in mode and encoding is None:
        encoding = "utf-8"  # never the locale's: these files travel between machines
    dest = Path(dest)
    created = _make_folders(dest.parent)
    tmp: Path | None = None
    try:
        remove_stale_partials(dest.parent)
        # Named before it exists (tempfile.mkstemp names it only on return), so that a signal
        # landing just after the file is made (Ctrl-C, kill: KeyboardInterrupt) still removes it.
        for _ in range(100):
            tmp = dest.parent / f"{_partial_prefix(dest)}{secrets.token_hex(4)}{_PARTIAL_SUFFIX}"
            try:
                fd = os.open(tmp, _PARTIAL_FLAGS, 0o600)
                break
            except FileExistsError:
                continue
        else:
            tmp = None
            raise FileExistsError(errno.EEXIST, "no free name for a temporary file", str(dest.parent))
    except BaseException:
        if tmp is not None:
            tmp.unlink(missing_ok=True)  # a random name: if it exists, it is the one just made
        _remove_empty_folders(created)
        raise
    try:
        with os.fdopen(fd, mode, encoding=encoding) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o666 & ~_current_umask())  # mkstemp makes 0600; these are ordinary files
        final = _place(tmp, dest, exists)
    except BaseException:
        tmp.unlink(missing_ok=True)
        _remove_empty_folders(created)
        raise
    _sync_folder(dest.parent)
    if placed is not None:
        placed.append(final)


def _sync_folder(folder: Path) -> None:
    """Make a rename durable. Windows cannot open a folder for this (its renames are journalled)."""
    if os.name == "nt":
        return
    with contextlib.suppress(OSError):  # some network file systems refuse fsync on a folder
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


_umask_lock = threading.Lock()


def _current_umask() -> int:
    with _umask_lock:  # reading the umask means setting it; two threads must not interleave
        mask = os.umask(0)
        os.umask(mask)
    return mask
