"""Fine-tuning a model on a user's own photo collection: presets, estimates and sessions.

Everything the Fine-tune tab needs that is not drawing: it runs through the same `train()`
generator as `colorize-train`, so there is one training loop. A *session* is a folder in the
user data folder holding the settings, the checkpoint, a log of events and the preview
images, so a session survives a crash or a restart of the app and can be resumed.

`run_session()` turns the training reports into plain JSON-able events and obeys commands
(pause, resume, stop, save, discard) between steps; `engine.finetune_worker` runs it in a
child process and the tab listens to its output.

Importing this loads no torch, so the tab is built before the model has loaded: the training
loop (`engine.train`) and the device checks (`engine.devices`) are imported by the functions
that train, estimate or check a device.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np

from engine.catalog import user_data_dir, user_models_dir
from engine.durations import format_duration as format_duration  # noqa: F401 - importers use it from here
from engine.files import atomic_write
from engine.model_manager import unique_name, validate_name
from engine.photo_folder import list_images
from engine.train_settings import TrainSettings
from engine.weights import MODEL_SUFFIX, ModelError, check_model_file, read_model_info

SESSION_FILE = "session.json"
LOG_FILE = "log.jsonl"
PREVIEW_DIR = "previews"
HELD_BACK_DIR = "held-back"   # a fine-tuned model that did worse than its base waits here
SAME_DB = 0.1                 # held-out PSNR changes smaller than this are "about the same"

# Commands a front end sends to a running session.
PAUSE, RESUME, STOP, SAVE, DISCARD = "pause", "resume", "stop", "save", "discard"
COMMANDS = (PAUSE, RESUME, STOP, SAVE, DISCARD)


@dataclass(frozen=True)
class Preset:
    key: str
    label: str
    steps: int
    batch_size: int
    crop_sizes: tuple[int, ...]
    blurb: str


# Measured on a 2-core laptop-class CPU with the default 32-wide model (bench/finetune.py):
# about 25 training crops of 128 px per second, so "quick" is 6,400 crops, a few minutes.
PRESETS: dict[str, Preset] = {
    p.key: p for p in (
        Preset("quick", "Quick", 400, 16, (128,), "a first taste: minutes on a laptop CPU"),
        Preset("standard", "Standard", 1500, 16, (128, 160), "a clear adaptation: under half an hour on a CPU"),
        Preset("thorough", "Thorough", 5000, 24, (128, 160, 192), "the most faithful: hours on a CPU"),
    )
}
DEFAULT_PRESET = "quick"
FINETUNE_LR = 2e-4          # a fifth of training from scratch: adapt, don't forget
DEFAULT_VAL_SHARE = 0.1
CROP_CHOICES = (64, 96, 128, 160, 192, 224, 256)


@dataclass
class FinetuneOptions:
    """What the user chooses; `None` in an advanced field means "as the preset says"."""

    folder: str
    base_model: str
    name: str
    preset: str = DEFAULT_PRESET
    steps: int | None = None
    lr: float | None = None
    crop_size: int | None = None
    batch_size: int | None = None
    val_share: float = DEFAULT_VAL_SHARE
    device: str = "auto"

    @classmethod
    def from_dict(cls, data: dict) -> FinetuneOptions:
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in known})


def make_settings(options: FinetuneOptions, out_dir: Path | str) -> TrainSettings:
    """Training settings for fine-tuning: a preset, any advanced overrides, gentle defaults."""
    if options.preset not in PRESETS:
        raise ValueError(f"unknown preset {options.preset!r}; choose one of {', '.join(PRESETS)}")
    preset = PRESETS[options.preset]
    steps = int(options.steps or preset.steps)
    if steps < 1:
        raise ValueError("steps must be at least 1")
    crops = (int(options.crop_size),) if options.crop_size else preset.crop_sizes
    if not 0.0 <= options.val_share < 0.9:
        raise ValueError("the validation share must be between 0 and 0.9")
    return TrainSettings(
        train_dirs=[str(options.folder)],
        out_dir=str(out_dir),
        val_share=float(options.val_share),
        base_model=str(options.base_model),
        steps=steps,
        batch_size=int(options.batch_size or preset.batch_size),
        crop_sizes=crops,
        lr=float(options.lr or FINETUNE_LR),
        warmup_steps=max(1, min(100, steps // 20)),
        # The exported model is the weight average: its horizon must be short next to the run,
        # or a quick fine-tune would mostly give back the base model.
        ema_decay=min(0.999, max(0.9, 1.0 - 10.0 / steps)),
        device=options.device,
        report_every=1,                  # the session checks for pause/stop between steps
        val_every=max(5, steps // 8),
        val_images=48,
        checkpoint_minutes=2.0,
        short_side=max(224, max(crops)),
        preview_minutes=2.0,
        preview_count=4,
        validate_on_stop=True,
        name=options.name,
        # A 2.x base model: its early ImageNet layers (edges, textures) stay as they are, so a
        # few hundred photos adapt the colours without wearing away what it recognises.
        encoder_training="late",
    )


# --- duration estimate ---------------------------------------------------------------------------


@dataclass
class Estimate:
    total_seconds: float
    seconds_per_step: float
    images_per_second: float
    device: str
    probe_steps: int
    breakdown: dict = field(default_factory=dict)

    def summary(self) -> str:
        return (f"about {format_duration(self.total_seconds)} on {self.device} "
                f"(measured {self.probe_steps} real steps: {self.seconds_per_step:.2f} s/step, "
                f"{self.images_per_second:.0f} crops/s)")


def estimate_duration(settings: TrainSettings, sample: list[Path], n_files: int, n_usable: int,
                      probe_steps: int = 4) -> Estimate:
    """Time a few real training steps of `settings` on a handful of the folder's photos.

    `n_files` images will be read when training starts and `n_usable` of them are usable;
    the estimate adds reading them, validation and saving to steps x measured step time.
    """
    from engine.devices import describe_device, resolve_device
    from engine.train import train

    if not sample:
        raise ValueError("no usable photos to measure with")
    probe_steps = max(2, probe_steps)
    with tempfile.TemporaryDirectory(prefix="colorizer-estimate-") as tmp:
        photos = Path(tmp) / "photos"
        photos.mkdir()
        for i, path in enumerate(sample[:8]):
            shutil.copyfile(path, photos / f"{i:02d}{Path(path).suffix.lower()}")
        probe = replace(settings, train_dirs=[str(photos)], out_dir=str(Path(tmp) / "run"), val_dir=None,
                        val_share=0.0, steps=probe_steps + 1, warmup_steps=1, report_every=1,
                        checkpoint_minutes=1e9, preview_minutes=0.0, validate_on_stop=False, val_every=10**9)
        marks, elapsed = [], []
        for report in train(probe):
            marks.append(time.monotonic())
            if report.step > 0:
                elapsed.append(report.elapsed_seconds)
        read_seconds = (marks[1] - marks[0]) / max(1, len(list(photos.iterdir())))
    # The first step warms up caches and allocators; time the rest.
    per_step = (elapsed[-1] - elapsed[0]) / max(1, len(elapsed) - 1)
    s = settings
    images_per_step = float(np.mean([max(2, round(s.batch_size * (s.crop_sizes[0] / c) ** 2)) for c in s.crop_sizes]))
    mean_pixels = float(np.mean([c * c for c in s.crop_sizes]))
    n_val = min(s.val_images, int(round(n_usable * s.val_share)))
    val_runs = (1 + s.steps // s.val_every + 1) if n_val else 0
    # Validation is forward-only (about a third of a training step per pixel) at 176 px.
    val_seconds = val_runs * n_val * (176 * 176 / mean_pixels) * (per_step / images_per_step) / 3
    read_total = n_files * read_seconds
    train_seconds = s.steps * per_step
    startup = 5.0  # starting the worker, loading the model, writing checkpoints and the model
    total = train_seconds + val_seconds + read_total + startup
    return Estimate(
        total_seconds=total, seconds_per_step=per_step, images_per_second=images_per_step / max(per_step, 1e-9),
        device=describe_device(resolve_device(s.device)), probe_steps=len(elapsed) - 1,
        breakdown={"training": train_seconds, "validation": val_seconds, "reading photos": read_total,
                   "starting and saving": startup},
    )


# --- sessions ------------------------------------------------------------------------------------


def sessions_dir() -> Path:
    return user_data_dir() / "finetune"


@dataclass
class Session:
    """One fine-tuning run on disk: settings, status and where its files are."""

    dir: Path
    name: str
    options: dict
    settings: dict
    models_dir: str
    status: str = "new"          # new, running, paused, stopped, failed, finished
    step: int = 0                # the step of the latest checkpoint
    total_steps: int = 0
    model_path: str | None = None
    message: str = ""
    created: float = field(default_factory=time.time)
    comparison: dict | None = None   # held-out photos before and after (see `compare_held_out`)
    held_back: str | None = None     # the saved model's file when it was worse and not kept

    @property
    def checkpoint(self) -> Path:
        return self.dir / "checkpoint.pt"

    @property
    def resumable(self) -> bool:
        return self.status != "finished" and self.checkpoint.is_file()

    @property
    def folder(self) -> str:
        return self.options.get("folder", "")

    def train_settings(self) -> TrainSettings:
        return TrainSettings.from_dict({**self.settings, "out_dir": str(self.dir)})

    def save(self) -> None:
        data = asdict(self)
        data["dir"] = str(self.dir)
        _write_json(self.dir / SESSION_FILE, data)

    @classmethod
    def load(cls, folder: Path) -> Session:
        data = json.loads((Path(folder) / SESSION_FILE).read_text(encoding="utf-8"))
        known = set(cls.__dataclass_fields__)
        data = {k: v for k, v in data.items() if k in known}
        data["dir"] = Path(folder)  # the folder may have moved with the user data folder
        return cls(**data)

    def log(self, event: dict) -> None:
        with open(self.dir / LOG_FILE, "a", encoding="utf-8") as f:
            f.write(json.dumps(event) + "\n")

    def events(self) -> list[dict]:
        """The logged events (losses, validations, previews, saves) so far, for redrawing curves."""
        path = self.dir / LOG_FILE
        if not path.is_file():
            return []
        out = []
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                out.append(json.loads(line))
            except ValueError:
                continue  # a line cut short by a crash
        return out

    def update_settings(self, **changes) -> None:
        """Change settings before resuming (a smaller batch after running out of memory)."""
        known = set(TrainSettings.__dataclass_fields__)
        for key, value in changes.items():
            if key not in known:
                raise KeyError(key)
            self.settings[key] = list(value) if isinstance(value, tuple) else value
        self.save()


def create_session(options: FinetuneOptions) -> Session:
    """Validate the choices and make the session folder (nothing is trained yet)."""
    from engine.devices import resolve_device

    name = validate_name(options.name)
    if not Path(options.folder).is_dir():
        raise ValueError(f"photo folder not found: {options.folder}")
    check_model_file(Path(options.base_model))  # the checks of every model load; raises ModelError
    resolve_device(options.device)             # raises DeviceError for an unavailable device
    slug = "".join(c if c.isalnum() or c in "-_" else "_" for c in name)
    base = sessions_dir() / f"{slug}-{time.strftime('%Y%m%d-%H%M%S')}"
    folder, n = base, 1
    while folder.exists():
        n += 1
        folder = base.with_name(f"{base.name}-{n}")
    folder.mkdir(parents=True)
    settings = make_settings(options, folder)
    session = Session(dir=folder, name=name, options=asdict(options), settings=_plain(asdict(settings)),
                      models_dir=str(user_models_dir()), total_steps=settings.steps)
    session.save()
    return session


def list_sessions() -> list[Session]:
    """All sessions, newest first (damaged session files are skipped)."""
    root = sessions_dir()
    if not root.is_dir():
        return []
    found = []
    for folder in root.iterdir():
        if (folder / SESSION_FILE).is_file():
            try:
                found.append(Session.load(folder))
            except (ValueError, TypeError, OSError):
                continue
    return sorted(found, key=lambda s: s.created, reverse=True)


def find_resumable() -> list[Session]:
    return [s for s in list_sessions() if s.resumable]


def discard_session(session: Session) -> None:
    shutil.rmtree(session.dir, ignore_errors=True)


# --- running a session ---------------------------------------------------------------------------


def describe_failure(exc: BaseException, settings: TrainSettings | None = None) -> dict:
    """An error event: kind, a plain message and advice on what to do next."""
    from engine.devices import DeviceError, is_out_of_memory

    if isinstance(exc, MemoryError) or is_out_of_memory(exc) or "can't allocate memory" in str(exc).lower():
        where = "the graphics card" if settings and settings.device in ("cuda", "mps") else "the computer"
        sizes = ""
        if settings:
            sizes = f" (batch of {settings.batch_size}, crops up to {max(settings.crop_sizes)} px)"
        return {"kind": "memory", "message": f"Training ran out of memory on {where}{sizes}.",
                "advice": "Resume with a smaller batch size or crop size (Advanced), close other programs, "
                          "or train on the CPU, which has more memory than most graphics cards."}
    if isinstance(exc, FloatingPointError):
        return {"kind": "diverged", "message": str(exc), "advice": "Resume with a lower learning rate (Advanced)."}
    if isinstance(exc, DeviceError):
        return {"kind": "device", "message": str(exc), "advice": "Choose another device (Auto picks one that works)."}
    if isinstance(exc, ModelError):
        return {"kind": "model", "message": f"The base model cannot be used: {exc}", "advice": "Choose another model."}
    if isinstance(exc, ValueError):
        return {"kind": "data", "message": str(exc), "advice": "Choose a folder with colour photos."}
    return {"kind": "error", "message": f"{type(exc).__name__}: {exc}",
            "advice": "The checkpoint was kept; you can try to resume."}


def run_session(session: Session, *, resume: bool, next_command: Callable[[bool], str | None],
                progress_interval: float = 0.25) -> Iterator[dict]:
    """Train the session and yield events; `next_command(block)` polls (or waits for) commands.

    Events (all JSON-able): message, progress, loss, val, preview, checkpoint, paused, resumed,
    stopped, saved, finished, discarded, error. The ones needed to redraw the curves after a
    restart are also appended to the session's log.
    """
    from engine.train import train

    settings = session.train_settings()
    session.status = "running"
    session.save()
    gen = train(settings, resume=resume and session.checkpoint.is_file())
    plot_every = max(1, settings.steps // 300)
    losses: list[float] = []
    last_step, first_step, last_progress = 0, None, 0.0
    active = 0.0  # seconds actually spent training in this run (pauses excluded)
    t_resume = time.monotonic()

    def emit(event: dict, *, log: bool = False) -> dict:
        event = _json_safe(event)
        if log:
            session.log(event)
        return event

    try:
        report = next(gen)
        while True:
            now = time.monotonic()
            if report.message:
                yield emit({"event": "message", "step": report.step, "text": report.message, "kind": report.kind})
            if report.step > 0 and not report.message:
                if first_step is None:
                    first_step, active, t_resume = report.step - 1, 0.0, now
                if math.isfinite(report.loss):
                    losses.append(report.loss)
                if losses and (report.step % plot_every == 0 or report.step == report.total_steps):
                    yield emit({"event": "loss", "step": report.step, "loss": float(np.mean(losses))}, log=True)
                    losses = []
            last_step = report.step
            if report.val:
                yield emit({"event": "val", "step": report.step, **report.val}, log=True)
            if report.preview:
                columns = 2 if len(report.preview) >= 3 else 1
                path = _save_preview(session, report.step, report.preview, columns)
                yield emit({"event": "preview", "step": report.step, "path": str(path), "columns": columns},
                           log=True)
            if report.checkpoint:
                session.step = report.step
                session.save()
                yield emit({"event": "checkpoint", "step": report.step, "path": report.checkpoint})
            if report.step > 0 and (now - last_progress >= progress_interval or report.step == report.total_steps):
                last_progress = now
                done = report.step - (first_step or 0)
                run_time = active + (now - t_resume)
                eta = (report.total_steps - report.step) * run_time / done if done >= 2 else report.eta_seconds
                yield emit({"event": "progress", "step": report.step, "total": report.total_steps, "eta": eta,
                            "images_per_second": report.images_per_second, "lr": report.lr,
                            "elapsed": report.elapsed_seconds})

            command = next_command(False)
            if command == PAUSE:
                if last_step > 0:
                    report = gen.send("checkpoint")
                    session.step = report.step
                    yield emit({"event": "checkpoint", "step": report.step, "path": report.checkpoint})
                session.status = "paused"
                session.save()
                active += time.monotonic() - t_resume
                yield emit({"event": "paused", "step": last_step})
                command = next_command(True)
                while command in (PAUSE, None):
                    command = next_command(True)
                t_resume = time.monotonic()
                if command == RESUME:
                    session.status = "running"
                    session.save()
                    yield emit({"event": "resumed", "step": last_step})
            if command in (STOP, SAVE, DISCARD, "eof"):
                gen.close()  # writes the checkpoint (and validates once more, for the model's metadata)
                yield from _after_stop(session, command, emit)
                return
            report = next(gen)
    except StopIteration:
        pass
    except Exception as exc:  # noqa: BLE001 - every failure becomes a message; the checkpoint is kept
        gen.close()
        session.status = "failed"
        session.step = _checkpoint_step(session)
        failure = describe_failure(exc, settings)
        session.message = failure["message"]
        session.save()
        yield emit({"event": "error", **failure, "step": last_step, "resumable": session.resumable})
        return
    # Finished every step: save the model and drop the (large) checkpoint.
    path = _export(session)
    session.status = "finished"
    session.step = settings.steps
    session.save()
    yield emit({"event": "saved", "path": str(path), "step": settings.steps, "final": True,
                "kept": session.held_back is None, "comparison": session.comparison}, log=True)
    session.checkpoint.unlink(missing_ok=True)
    yield emit({"event": "finished", "step": settings.steps, "path": str(path)})


def _after_stop(session: Session, command: str, emit) -> Iterator[dict]:
    if command == DISCARD:
        discard_session(session)
        yield emit({"event": "discarded"})
        return
    session.step = _checkpoint_step(session)
    session.status = "stopped"
    session.save()
    if command == SAVE and session.checkpoint.is_file():
        path = _export(session)
        yield emit({"event": "saved", "path": str(path), "step": session.step, "final": False,
                    "kept": session.held_back is None, "comparison": session.comparison}, log=True)
    yield emit({"event": "stopped", "step": session.step, "resumable": session.resumable})


def compare_held_out(history: list[dict]) -> dict | None:
    """How the model did on the held-out photos after training compared with before it.

    {"before", "after", "grey" (PSNR in dB), "change" (after - before), "verdict"}: "better",
    "same" (within SAME_DB) or "worse". None without two validations to compare.
    """
    measured = [h for h in history or [] if h.get("psnr") is not None]
    if len(measured) < 2 or measured[0].get("step") != 0:
        return None
    before, after = measured[0], measured[-1]
    change = float(after["psnr"]) - float(before["psnr"])
    verdict = "better" if change >= SAME_DB else "worse" if change <= -SAME_DB else "same"
    return {"before": float(before["psnr"]), "after": float(after["psnr"]), "grey": before.get("psnr_grey"),
            "change": change, "verdict": verdict, "step": int(after.get("step", 0)),
            "photos": None}


def keep_held_back(session: Session) -> Path:
    """Keep a held-back (worse) model after all: move it into the user models folder."""
    if not session.held_back or not Path(session.held_back).is_file():
        raise ModelError("there is no held-back model to keep")
    name = _unique_in(Path(session.models_dir), session.name)
    dest = Path(session.models_dir) / f"{name}{MODEL_SUFFIX}"
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(session.held_back, dest)
    session.model_path, session.held_back = str(dest), None
    session.save()
    return dest


def _checkpoint_step(session: Session) -> int:
    if not session.checkpoint.is_file():
        return 0
    from engine.train import read_checkpoint

    return int(read_checkpoint(session.checkpoint)["step"])


def _export(session: Session) -> Path:
    """Write the session's model into the user models folder (again, under the same name).

    Unless it colours the held-out photos worse than the model it started from: then the
    better of the two, the base, stays the one in use, and the new model waits in the
    session's held-back folder until the user keeps it anyway (`keep_held_back`).
    """
    from engine.train import export_model, read_checkpoint

    ckpt = read_checkpoint(session.checkpoint)
    history = ckpt.get("history") or []
    comparison = compare_held_out(history)
    if comparison is not None:
        comparison["photos"] = (ckpt.get("data") or {}).get("val_photos")
    session.comparison = comparison
    if comparison is not None and comparison["verdict"] == "worse":
        folder = session.dir / HELD_BACK_DIR
        folder.mkdir(exist_ok=True)
        dest = folder / f"{session.name}{MODEL_SUFFIX}"
    elif session.model_path and Path(session.model_path).parent == Path(session.models_dir):
        dest = Path(session.model_path)
    else:
        name = _unique_in(Path(session.models_dir), session.name)
        dest = Path(session.models_dir) / f"{name}{MODEL_SUFFIX}"
    data = ckpt.get("data") or {}
    base = Path(session.options.get("base_model", ""))
    try:
        base_name = read_model_info(base).name or base.stem
    except ModelError:
        base_name = base.stem
    folder_name = Path(session.folder).name or session.folder
    before, after = (history[0], history[-1]) if history else (None, None)
    description = (f"Fine-tuned from {base_name} on {data.get('train_photos', '?')} photos of "
                   f"'{folder_name}' ({ckpt['step']} steps).")
    export_model(
        session.checkpoint, dest, name=dest.stem, description=description,
        metrics={"held_out_before": before, "held_out_after": after},
        training_extra={"fine_tuned": True, "base_model_file": base.name, "folder": folder_name,
                        "preset": session.options.get("preset"), "total_steps": session.total_steps},
    )
    if dest.parent == Path(session.models_dir):
        session.model_path, session.held_back = str(dest), None
    else:
        session.held_back = str(dest)
    session.save()
    return dest


def _unique_in(folder: Path, name: str) -> str:
    if folder == user_models_dir():
        return unique_name(name)
    candidate, n = name, 1
    while (folder / f"{candidate}{MODEL_SUFFIX}").exists():
        n += 1
        candidate = f"{name}-{n}"
    return candidate


def _save_preview(session: Session, step: int, strips: list[np.ndarray], columns: int = 2) -> Path:
    """One picture of all strips, `columns` strips side by side (wide rather than tall)."""
    from PIL import Image

    gap = 6
    columns = max(1, min(columns, len(strips)))
    rows = -(-len(strips) // columns)
    h, w = max(s.shape[0] for s in strips), max(s.shape[1] for s in strips)
    canvas = np.full((rows * h + gap * (rows - 1), columns * w + gap * (columns - 1), 3), 255, dtype=np.uint8)
    for i, strip in enumerate(strips):
        y, x = (i // columns) * (h + gap), (i % columns) * (w + gap)
        canvas[y : y + strip.shape[0], x : x + strip.shape[1]] = strip
    folder = session.dir / PREVIEW_DIR
    folder.mkdir(exist_ok=True)
    path = folder / f"step-{step:06d}.png"
    with atomic_write(path) as f:  # the app shows these while the run goes on: never half a picture
        Image.fromarray(canvas).save(f, "PNG")
    return path


# --- helpers -------------------------------------------------------------------------------------


def worker_command(*args: str) -> tuple[list[str], dict[str, str]]:
    """The command line (and extra environment) that starts `engine.finetune_worker`."""
    if getattr(sys, "frozen", False):
        # A frozen app has no `python -m`: the app's entry point dispatches this flag.
        return [sys.executable, "--finetune-worker", *args], {}
    root = str(Path(__file__).resolve().parents[1])
    path = os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH", "")) if p)
    return [sys.executable, "-u", "-m", "engine.finetune_worker", *args], {"PYTHONPATH": path,
                                                                          "PYTHONUNBUFFERED": "1"}


def count_images(folder: Path) -> int:
    return len(list_images(folder))


def _plain(d: dict) -> dict:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in d.items()}


def _json_safe(value):
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if isinstance(value, np.generic):
        return _json_safe(value.item())
    return value


def _write_json(path: Path, data: dict) -> None:
    with atomic_write(path, "w") as f:
        f.write(json.dumps(_json_safe(data), indent=1))
