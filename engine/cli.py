"""`colorize`: colorize photos from the command line, in batches, without touching originals."""

from __future__ import annotations

import argparse
import contextlib
import difflib
import json
import logging
import os
import re
import shlex
import signal
import sys
import threading
import time
from pathlib import Path
from typing import NoReturn

# Only light modules at the top: --help, --version and mistakes answer at once, and torch
# (over a second to import) loads once there is a photo to colorize. The engine package sets
# OMP_WAIT_POLICY (idle OpenMP threads sleep, not spin) before any module can import torch.
from engine import __version__
from engine.options import (
    DEFAULT_MAX_PIXELS,
    DEFAULT_RENDER_SIZE,
    DEVICE_CHOICES,
    FORMATS,
    IF_EXISTS,
    MAX_STRENGTH,
    MIN_RENDER_SIZE,
)

EPILOG = """examples:
  colorize old_photo.jpg                       writes old_photo_color.jpg beside it
  colorize ~/scans -r -o ~/scans-colour        a whole tree, mirrored under ~/scans-colour
  colorize "*.tif" --format png --strength 1.3
  colorize scan.png --hints-dir hints/          uses hints/scan.json colour hints
Running the same command again finishes what is left: photos already done are skipped
(--if-exists rename makes new copies of them).
Each output says it was colorized, by which model, from which file (EXIF Software and XMP),
so a later run skips it and an archive can tell it from the original; --no-label leaves that out.
exit status: 0 all photos done, 1 some failed, 2 usage error (a mistyped option or value, a
photo or folder that does not exist, a model or device that cannot be used)"""


class _Parser(argparse.ArgumentParser):
    """Mistakes in one line, with the likely meant option or value, instead of the whole usage."""

    def __init__(self, **kwargs) -> None:
        if sys.version_info >= (3, 14):  # its own suggestions would repeat ours (_suggest)
            kwargs["suggest_on_error"] = False
        super().__init__(**kwargs)

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {_suggest(self, message)}\n")


def _close(word: str, candidates: list[str]) -> str | None:
    found = difflib.get_close_matches(word, candidates, n=1, cutoff=0.6)
    return found[0] if found else None


def _suggest(parser: argparse.ArgumentParser, message: str) -> str:
    """argparse's message, plus "did you mean ...?" for a mistyped option or choice."""
    unknown = re.match(r"unrecognized arguments: (.*)", message)
    if unknown:
        options = [o for a in parser._actions for o in a.option_strings if o.startswith("--")]
        flags = [t for t in unknown.group(1).split() if t.startswith("-")]
        if not flags:
            return message
        parts = []
        for flag in flags:
            meant = _close(flag.split("=", 1)[0], options)
            parts.append(f"{flag} (did you mean {meant}?)" if meant else f"{flag} (colorize --help lists them)")
        return f"unknown option{'s' if len(parts) > 1 else ''} {', '.join(parts)}"
    choice = re.match(r"(argument .*: invalid choice: )'?([^' ]*)'? \(choose from (.*)\)$", message)
    if choice:
        meant = _close(choice.group(2), [c.strip(" '\"") for c in choice.group(3).split(",")])
        if meant:
            return f"{message}; did you mean {meant!r}?"
    return message


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="colorize", description=__doc__, epilog=EPILOG,
                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("inputs", nargs="*", help="photos, folders or glob patterns")
    p.add_argument("--from-list", type=Path, metavar="FILE",
                   help="also read inputs from FILE, one path per line (relative to FILE's folder; # comments)")
    p.add_argument("-o", "--output-dir", type=Path, help="where to write (default: beside each photo)")
    p.add_argument("-r", "--recursive", action="store_true", help="include subfolders, mirroring them under -o")
    p.add_argument("--suffix", default="_color", help='added to each output name (default "_color"; may be "")')
    p.add_argument("--format", choices=sorted(FORMATS), help="output format (default: same as the input)")
    p.add_argument("--quality", type=int, default=95, help="JPEG/WebP quality (default 95)")
    p.add_argument("--render-size", type=int, default=DEFAULT_RENDER_SIZE,
                   help=f"long side the model works at (default {DEFAULT_RENDER_SIZE}); larger is slower, "
                        "with finer colour detail")
    p.add_argument("--strength", type=float, default=1.0, help=f"colour strength, 0 (grey) to {MAX_STRENGTH:g}")
    p.add_argument("--device", default="auto", choices=DEVICE_CHOICES,
                   help="where the network runs: auto (default) uses an NVIDIA GPU (cuda) or an Apple GPU (mps) "
                        "when there is one, else the CPU")
    p.add_argument("--threads", type=int, default=0,
                   help="CPU threads to use (default: all cores; fewer leaves room for other work)")
    p.add_argument("--model", help="model name (see --list-models) or a .safetensors file")
    exists = p.add_mutually_exclusive_group()
    exists.add_argument("--if-exists", choices=IF_EXISTS, default="resume",
                        help="when an output file already exists. resume (default): a photo whose result "
                             "is already there is done and skipped, so running the same command again "
                             "finishes what is left; another file with that name is kept and the result "
                             "numbered. rename: always save a new, numbered copy. skip: leave any photo "
                             "whose output name is taken. overwrite: replace it")
    exists.add_argument("--skip-existing", action="store_const", dest="if_exists", const="skip",
                        help="leave photos whose output already exists (same as --if-exists skip)")
    p.add_argument("--hints-dir", type=Path, help="folder of <photo name>.json colour hint files")
    p.add_argument("--no-label", dest="label", action="store_false",
                   help="do not write into each output that its colours are machine-made, by which model and "
                        "from which file (such outputs are then not recognised, nor skipped, by later runs)")
    p.add_argument("--include-colorized", action="store_true",
                   help="also colorize photos that are Colorizer results (recognised by their label; "
                        "skipped by default, so a folder of originals and results is not done twice)")
    p.add_argument("--include-colour", "--include-color", dest="include_colour", action="store_true",
                   help="also colorize photos that are already in colour (skipped by default, so one added by "
                        "mistake is not made worse; sepia and other toned prints are always colorized)")
    p.add_argument("--allow-huge", action="store_true",
                   help=f"allow images over {DEFAULT_MAX_PIXELS // 1_000_000} megapixels")
    big = p.add_argument_group("large batches (see README: Large batches and clusters)")
    big.add_argument("--shard", metavar="K/N",
                     help="colorize only share K of N (by a hash of each photo's relative path), e.g. for a "
                          "Slurm array or N machines; the N shares cover every photo exactly once")
    big.add_argument("--ray", nargs="?", const="local", metavar="ADDRESS",
                     help='run on a Ray cluster (pip install -e ".[cluster]"): ADDRESS such as auto or '
                          "ray://head:10001; without one, a local Ray on this machine")
    big.add_argument("--workers", type=int, default=0,
                     help="with --ray: model-holding workers (default: one per GPU, else one per CPU)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar, only errors")
    p.add_argument("--json", action="store_true", help="print machine-readable results to stdout")
    p.add_argument("--list-models", action="store_true", help="list bundled and user models, then exit")
    p.add_argument("--version", action="version", version=f"colorize {__version__}")
    return p


def _print_models(as_json: bool) -> int:
    from engine.catalog import list_models, user_models_dir

    entries = list_models()
    if as_json:
        print(json.dumps([{"name": e.name, "source": e.source, "path": str(e.path), "error": e.error,
                           "description": e.info.description if e.info else None} for e in entries], indent=2))
        return 0
    if not entries:
        print("no models installed")
    for e in entries:
        desc = e.info.description.splitlines()[0] if e.info and e.info.description else ""
        status = f"UNUSABLE: {e.error}" if e.error else desc
        print(f"{_clean(e.name):28s} {e.source:8s} {_clean(status)}\n{'':28s} {_clean(e.path)}")
    print(f"\nuser models folder: {user_models_dir()}")
    return 0


_OURS = "already a Colorizer result (its label says so); --include-colorized colorizes it again"
_IN_COLOUR = "already a colour photo, left as it is; --include-colour colorizes it anyway"


# C0 and C1 control characters, shown as \xNN: a file or model name may hold an escape
# sequence, which a terminal would obey (colours, a moved cursor, a changed title).
_CONTROLS = {c: f"\\x{c:02x}" for c in (*range(0x20), *range(0x7F, 0xA0))}


def _clean(text: object) -> str:
    """One line of ours, safe to print: control characters in names become visible escapes."""
    return str(text).translate(_CONTROLS)


def _short(name: str, width: int = 32) -> str:
    name = _clean(name)
    return name if len(name) <= width else name[: width - 11] + "…" + name[-10:]


def _already_done(results: list) -> int:
    from engine.batch import ALREADY_DONE

    return sum(r.status == "skipped" and r.message.startswith(ALREADY_DONE) for r in results)


def _counts(results: list, own_results: list[dict], problems: list[tuple[str, str]]) -> dict[str, int]:
    counts = {s: sum(r.status == s for r in results) for s in ("done", "failed", "skipped", "cancelled")}
    counts["skipped"] += len(own_results)
    return {**counts, "already_colorized": len(own_results), "already_done": _already_done(results),
            "already_in_colour": sum(r.in_colour for r in results), "inputs_without_photos": len(problems)}


def _same_command(argv: list[str]) -> str:
    """The command to run again to finish a stopped batch: as typed, without an --if-exists
    choice that would make copies of what is done (the default resumes)."""
    kept: list[str] = []
    skip_next = False
    for arg in argv:
        if skip_next:
            skip_next = False
        elif arg == "--if-exists":
            skip_next = True
        elif not arg.startswith("--if-exists=") and arg != "--skip-existing":
            kept.append(arg)
    return shlex.join(["colorize", *kept])


def _print_json(results: list, own_results: list[dict], problems: list[tuple[str, str]],
                passed_over: list[tuple[str, str]], elapsed: float) -> dict[str, int]:
    from engine.batch import json_path

    counts = _counts(results, own_results, problems)
    print(json.dumps({"results": [r.to_json() for r in results] + own_results,
                      "not_found": [{**json_path("input", i), "message": m} for i, m in problems],
                      "skipped_inputs": [{**json_path("input", i), "message": m} for i, m in passed_over],
                      "summary": {**counts, "seconds": round(elapsed, 2)}}, indent=2))
    return counts


def _stop_like_ctrl_c(*signals: signal.Signals | None) -> None:
    """`kill`, a logout or a closed terminal stop the batch the way Ctrl-C does.

    Their default action ends the process on the spot, leaving the photo being written as a
    hidden temporary file; raised as KeyboardInterrupt, the write is abandoned and removed.
    """
    def stop(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt(signum)

    for sig in signals:
        if sig is not None:
            signal.signal(sig, stop)


_EARLY_STOP = "colorize: cancelled before any photo was colorized; nothing was written"


def _leave_at_once(signum: int, _frame: object) -> NoReturn:
    """Ctrl-C or kill before the batch: nothing is written yet, so there is nothing to clean up.

    Raising KeyboardInterrupt here instead could land inside torch's import, whose C code runs
    Python through PyRun_*; CPython then remembers an "unhandled" interrupt and ends the process
    by SIGINT (-2) even after `main` handled it and returned 128+N.
    """
    sys.stderr.write(f"\n{_EARLY_STOP}\n")
    sys.stderr.flush()
    os._exit(128 + signum)


def _early_signals(handler: object) -> None:
    for sig in (signal.SIGINT, signal.SIGTERM, getattr(signal, "SIGHUP", None)):
        if sig is not None:
            signal.signal(sig, handler)


def main(argv: list[str] | None = None) -> int:
    """`colorize`: returns the exit status (0 all done, 1 some failed, 2 usage, 128+N stopped by signal N)."""
    # From the first moment, not once photos are running: a Ctrl-C or kill while torch loads
    # gave a traceback, or no word at all. Once photos run, they stop like Ctrl-C (see _main).
    if threading.current_thread() is threading.main_thread():
        _early_signals(_leave_at_once)
    # Pillow logs some refusals (a TIFF's impossible samples per pixel) before raising; with no
    # handler Python printed them raw, ahead of the photo's own one-line reason.
    logging.getLogger("PIL").addHandler(logging.NullHandler())
    try:
        return _main(argv)
    except KeyboardInterrupt as exc:
        # Before the batch (loading torch and the model, listing a large folder): nothing has
        # been written yet, and a traceback would look like a crash. The batch says its own.
        print(f"\n{_EARLY_STOP}", file=sys.stderr)
        return 128 + _signal_number(exc)
    finally:  # an in-process caller (tests, the app's self-test) gets Python's defaults back
        if threading.current_thread() is threading.main_thread():
            _early_signals(signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.default_int_handler)


def _signal_number(exc: KeyboardInterrupt) -> int:
    return int(exc.args[0]) if exc.args and isinstance(exc.args[0], int) else int(signal.SIGINT)


def _spaced_names(inputs: list[str], missing: list[str]) -> list[str]:
    """Missing names that are the pieces of an existing name with spaces, which the shell split
    because it was not quoted: `colorize my scans` for the folder "my scans"."""
    found, i = [], 0
    while i < len(inputs):
        for j in range(len(inputs), i + 1, -1):
            pieces = inputs[i:j]
            if any(p in missing for p in pieces) and Path(" ".join(pieces)).exists():
                found.append(" ".join(pieces))
                i = j
                break
        else:
            i += 1
    return found


def _quoted(name: str) -> str:
    return f'"{name}"' if not re.search(r'["$`\\!]', name) else shlex.quote(name)


def _main(argv: list[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.list_models:
        return _print_models(args.json)
    shard = None
    if args.shard is not None:
        from engine.shards import ShardError, parse_shard

        try:
            shard = parse_shard(args.shard)
        except ShardError as exc:
            parser.error(str(exc))
    if args.from_list is not None:
        from engine.shards import ShardError, read_list

        try:
            args.inputs = [*args.inputs, *read_list(args.from_list)]
        except ShardError as exc:
            parser.error(str(exc))
    if args.workers < 0:
        parser.error("--workers must be 0 (automatic) or more")
    if not args.inputs:
        parser.error("no photos given (try: colorize photo.jpg)")
    if not 0 <= args.strength <= MAX_STRENGTH:
        parser.error(f"--strength must be between 0 and {MAX_STRENGTH:g}")
    if args.render_size < MIN_RENDER_SIZE:
        parser.error(f"--render-size must be at least {MIN_RENDER_SIZE}")
    if args.threads < 0:
        parser.error("--threads must be 0 (all cores) or more")
    if not 1 <= args.quality <= 100:
        parser.error("--quality must be between 1 and 100")
    if "/" in args.suffix or "\\" in args.suffix or args.suffix in (".", ".."):
        parser.error("--suffix is added to file names and cannot contain a folder separator")
    if args.hints_dir is not None and not args.hints_dir.is_dir():
        parser.error(f"--hints-dir {args.hints_dir} is not a folder")

    # Here, not at the top: the engine's modules import torch, which takes a second or more.
    from engine.batch import (
        MISSING,
        BatchSettings,
        UsageError,
        collect_inputs,
        json_path,
        plan_jobs,
        run_jobs,
        split_own_outputs,
    )

    settings = BatchSettings(output_dir=args.output_dir, suffix=args.suffix, format=args.format,
                             render_size=args.render_size, strength=args.strength, if_exists=args.if_exists,
                             hints_dir=args.hints_dir, max_pixels=None if args.allow_huge else DEFAULT_MAX_PIXELS,
                             quality=args.quality, label=args.label, include_colour=args.include_colour)
    passed_over: list[tuple[str, str]] = []
    inputs, problems = collect_inputs(args.inputs, args.recursive, exclude=args.output_dir, skipped=passed_over)
    missing = [item for item, reason in problems if reason == MISSING]
    if missing:  # a typo in a name: say so before a long batch runs without that photo
        spaced = _spaced_names([str(i) for i in args.inputs], missing)
        if spaced:
            parser.error(f"no such file or folder: {', '.join(missing)}. A name with spaces needs quotes "
                         f"around it: colorize {' '.join(_quoted(n) for n in spaced)}")
        parser.error(f"no such file or folder: {', '.join(missing)}")
    ours = []
    if not args.include_colorized:
        inputs, ours = split_own_outputs(inputs)
    try:
        jobs = plan_jobs(inputs, settings)
    except UsageError as exc:
        parser.error(str(exc))
    if shard is not None:
        # Planned on the whole batch first, so a name clash resolves the same in every share.
        from engine.shards import in_shard

        jobs = [job for item, job in zip(inputs, jobs) if in_shard(item, *shard)]
    if not args.quiet or not jobs:  # otherwise they are named once, in the summary
        for item, reason in problems:
            print(_clean(f"colorize: {item}: {reason}"), file=sys.stderr)
    if not args.quiet:
        for item, reason in passed_over:
            print(_clean(f"colorize: skipped {item}: {reason}"), file=sys.stderr)
    if ours and (not args.quiet or not jobs):
        print(f"colorize: skipped {len(ours)} photo(s) that are already Colorizer results "
              "(--include-colorized colorizes them again)", file=sys.stderr)
    own_results = [{**json_path("input", i.path), "output": None, "status": "skipped", "message": _OURS,
                    "notes": [], "seconds": 0.0} for i in ours]
    if not jobs:
        if args.json:
            _print_json([], own_results, problems, passed_over, 0.0)
        print("colorize: nothing to do", file=sys.stderr)
        return 1 if problems else 0

    from engine.devices import DeviceError
    from engine.infer import Colorizer
    from engine.weights import ModelError

    if args.threads:
        import torch

        torch.set_num_threads(args.threads)

    try:
        # Also with --ray: a model that cannot be used is said here, before a cluster starts.
        colorizer = Colorizer(args.model, device=args.device)
    except ModelError as exc:  # the settings cannot work for any photo: a usage error
        print(_clean(f"colorize: cannot use the model: {exc}"), file=sys.stderr)
        return 2
    except DeviceError as exc:
        print(f"colorize: {exc}", file=sys.stderr)
        return 2
    from engine.cluster import ClusterError, run_jobs_on_ray

    # From here a stop abandons the photo being written and removes its partial file.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    _stop_like_ctrl_c(signal.SIGTERM, getattr(signal, "SIGHUP", None))
    if args.ray:
        address = None if args.ray == "local" else args.ray
        work = run_jobs_on_ray(jobs, settings, colorizer.model_path or args.model, device=args.device,
                               address=address, workers=args.workers, threads_per_worker=args.threads or 1)
        where = f"on Ray ({address or 'local'})"
    else:
        work = run_jobs(jobs, colorizer, settings)
        where = f"with {colorizer.describe()}"
    if not args.quiet:
        print(_clean(f"Colorizing {len(jobs)} photo(s) {where}"), file=sys.stderr)

    from tqdm import tqdm

    start = time.monotonic()
    results = []
    # The bar's description is the photo being colorized.
    bar = tqdm(total=len(jobs), unit="photo", disable=args.quiet, file=sys.stderr, dynamic_ncols=True,
               desc=_short(jobs[0].source.name))
    # Ray prints its own notices (a worker died and its photo is retried) to stdout, which
    # --json keeps for the results alone.
    with contextlib.redirect_stdout(sys.stderr) if args.ray else contextlib.nullcontext():
        try:
            for result in work:
                results.append(result)
                if result.index < len(jobs) and not args.ray:
                    bar.set_description_str(_short(jobs[result.index].source.name), refresh=False)
                bar.update(1)
                if args.quiet:  # failures are named once, in the summary
                    continue
                if result.status == "failed":
                    bar.write(_clean(f"failed: {result.job.source}: {result.message}"), file=sys.stderr)
                if result.in_colour:
                    bar.write(_clean(f"skipped: {result.job.source}: {_IN_COLOUR}"), file=sys.stderr)
                for note in result.notes:  # re-colorized colour photos, renamed outputs, what a format dropped
                    bar.write(_clean(f"note: {result.job.source}: {note}"), file=sys.stderr)
        except ClusterError as exc:
            bar.close()
            print(f"colorize: {exc}", file=sys.stderr)
            return 2
        except KeyboardInterrupt as exc:
            bar.close()
            print("\ncolorize: cancelled; finished photos are kept, nothing half-written was left. "
                  f"To finish the rest, run the same command again (photos already done are skipped):\n"
                  f"  {_same_command(sys.argv[1:] if argv is None else argv)}", file=sys.stderr)
            return 128 + _signal_number(exc)
        finally:
            bar.close()
            if args.ray:
                from engine.cluster import shutdown

                shutdown()
    elapsed = time.monotonic() - start
    results.sort(key=lambda r: r.index)  # Ray hands them back as they finish
    counts = _print_json(results, own_results, problems, passed_over, elapsed) if args.json else \
        _counts(results, own_results, problems)
    failed = [r for r in results if r.status == "failed"]
    if not args.quiet or failed or problems:
        # The same counts as the JSON summary: photos that failed, and inputs that gave no photo.
        why = [f"{len(ours)} already Colorizer result{'s' if len(ours) != 1 else ''}"] if ours else []
        if counts["already_done"]:
            why.append(f"{counts['already_done']} already done, their results kept; "
                       "--if-exists rename makes new copies")
        if counts["already_in_colour"]:
            why.append(f"{counts['already_in_colour']} already in colour: --include-colour colorizes them")
        ours_note = f" ({'; '.join(why)})" if why else ""
        no_photos = f"; {len(problems)} input(s) gave no photos" if problems else ""
        print(f"Done: {counts['done']} colorized, {counts['failed']} failed, {counts['skipped']} skipped"
              f"{ours_note} in {elapsed:.1f} s{no_photos}", file=sys.stderr)
        for r in failed:
            print(_clean(f"  {r.job.source}: {r.message}"), file=sys.stderr)
        for item, reason in problems:
            print(_clean(f"  {item}: {reason}"), file=sys.stderr)
    return 1 if failed or problems else 0


if __name__ == "__main__":
    sys.exit(main())
