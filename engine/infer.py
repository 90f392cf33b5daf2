"""Colorizing one photo: the object the CLI and the GUI both use.

The network sees the photo's lightness at a working "render size" and predicts chroma at a
quarter of that; the chroma is then upsampled to the photo's own size and recombined with
its untouched full-resolution lightness, so no detail is lost. The full-resolution part runs
in horizontal strips, which bounds memory for very large scans and gives natural points to
report progress and honour a cancel request.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import re
import threading
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from engine.catalog import resolve_model
from engine.color import DisplayConverter, clamp_to_gamut, run_tiles
from engine.devices import describe_device, is_out_of_memory, resolve_device
from engine.errors import Cancelled  # defined there (no torch); importers also find it here
from engine.hint_files import check_hint_count, usable_hints
from engine.hints import Hint, rasterize, spread_hints
from engine.model import ColorNet, make_input
from engine.options import DEFAULT_RENDER_SIZE, MAX_STRENGTH, MIN_RENDER_SIZE
from engine.output_label import OutputLabel
from engine.photo_io import Photo, Stopwatch, read_photo
from engine.weights import ModelInfo, load_model

log = logging.getLogger(__name__)

ProgressFn = Callable[[float, str], None]
CancelFn = Callable[[], bool]

_CHUNK_PIXELS = 1 << 15     # pixels per rendering tile: its converter's buffers (~2.5 MB) stay in cache over ~35 passes
_PROGRESS_PIXELS = 1 << 21  # report progress (and so let a GUI repaint) about this often
_tile_buffers = threading.local()


@dataclass
class Chroma:
    """The network's prediction for one photo, before strength and upsampling."""

    ab: torch.Tensor         # (2, h, w) at 1/4 of the render size, on the CPU
    lightness: torch.Tensor  # (1, h, w) the photo's L at the same scale
    render_size: tuple[int, int]


@dataclass
class ColorizeResult:
    rgb: np.ndarray  # (H, W, 3) uint8, or uint16 for 16-bit sources
    photo: Photo
    chroma: Chroma
    notes: list[str] = field(default_factory=list)
    label: OutputLabel | None = None  # what the saved file should say about how it was made


def render_dims(width: int, height: int, render_size: int, multiple: int) -> tuple[int, int]:
    """Long side at render_size (never upscaled past the photo), aspect ratio kept."""
    long_side = max(MIN_RENDER_SIZE, min(render_size, max(width, height)))
    scale = long_side / max(width, height)
    w = max(multiple, round(width * scale / multiple) * multiple)
    h = max(multiple, round(height * scale / multiple) * multiple)
    return w, h


def upsample_rows(ab: torch.Tensor, out_h: int, out_w: int, r0: int, r1: int) -> torch.Tensor:
    """Rows r0..r1 of the bilinear upsampling of ab (C, h, w) to (C, out_h, out_w).

    Equal to `F.interpolate(ab[None], (out_h, out_w), mode="bilinear")[0, :, r0:r1]`, without
    ever holding the full-size result. For many strips, `RowUpsampler` is faster.
    """
    return RowUpsampler(ab, out_h, out_w).rows(r0, r1)


class RowUpsampler:
    """Bilinear upsampling (align_corners=False) of a small map, produced a few rows at a time.

    Bilinear resampling is separable, so the map is first widened to the full width once (it
    has only a few dozen rows); each output row is then one blend of two of those wide rows.
    Rows come as float32 numpy arrays, so that tiles on several threads need no torch threads.
    """

    def __init__(self, ab: torch.Tensor, out_h: int, out_w: int) -> None:
        wide = F.interpolate(ab[None].float(), size=(ab.shape[1], out_w), mode="bilinear", align_corners=False)[0]
        self.wide = wide.numpy()                                           # (C, h, W)
        self.step = torch.diff(wide, dim=1, append=wide[:, -1:]).numpy()   # row i+1 - row i (0 for the last)
        pos = (torch.arange(out_h, dtype=torch.float64) + 0.5) * (ab.shape[1] / out_h) - 0.5
        pos = pos.clamp(0, ab.shape[1] - 1)
        src = pos.floor().long()
        self.src = src.tolist()
        self.weight = (pos - src).to(torch.float32).numpy()

    def rows(self, r0: int, r1: int, out: np.ndarray | None = None) -> np.ndarray:
        """(C, r1 - r0, W), written into `out` when given.

        Neighbouring output rows share a source row, so each run of them is one broadcast
        multiply-add (a strip of a few dozen rows touches only one or two source rows).
        """
        if out is None:
            out = np.empty((self.wide.shape[0], r1 - r0, self.wide.shape[2]), dtype=np.float32)
        src = self.src[r0:r1]
        start = 0
        while start < len(src):
            s = src[start]
            stop = start + 1
            while stop < len(src) and src[stop] == s:
                stop += 1
            part = out[:, start:stop]
            np.multiply(self.step[:, s, None], self.weight[r0 + start:r0 + stop, None], out=part)
            part += self.wide[:, s, None]
            start = stop
        return out


class Colorizer:
    """A loaded model on a device. Safe to share between a preview and a batch (one at a time)."""

    def __init__(self, model: str | Path | ColorNet | None = None, device: str = "auto",
                 info: ModelInfo | None = None) -> None:
        if isinstance(model, ColorNet):
            self.net, self.info = model.eval(), info or ModelInfo(name="in-memory")
            self.model_path = None
        else:
            self.model_path = resolve_model(model)
            self.net, self.info = load_model(self.model_path)
        self.device = resolve_device(device)
        self.net = self.net.to(self.device).to(memory_format=torch.channels_last)
        self._cpu_net: ColorNet | None = self.net if self.device.type == "cpu" else None
        self._lock = threading.Lock()
        self.notes: list[str] = []
        log.info("Loaded %s", self.describe())

    @property
    def name(self) -> str:
        return self.info.name or (self.model_path.stem if self.model_path else "model")

    def describe(self) -> str:
        return f"{self.name} on {describe_device(self.device)}"

    @property
    def model_version(self) -> str:
        """The version the model's description gives ("... version 0.3 ..."), or ""."""
        found = re.search(r"\bversion\s+(\d[\w.-]*\w)", self.info.description or "")
        return found.group(1) if found else ""

    @functools.cached_property
    def model_sha256(self) -> str:
        """Checksum of the model file: names the exact weights even when names and versions repeat."""
        if self.model_path is None:
            return ""
        digest = hashlib.sha256()
        with open(self.model_path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
        return digest.hexdigest()

    def label(self, strength: float, hints: int = 0, render_size: int | None = None) -> OutputLabel:
        """What an output made with this model says about itself (see engine.output_label)."""
        return OutputLabel(model=self.name, model_version=self.model_version, model_sha256=self.model_sha256,
                           strength=float(np.clip(strength, 0.0, MAX_STRENGTH)), hints=hints,
                           render_size=render_size)

    # --- stages ------------------------------------------------------------------------------

    @torch.inference_mode()
    def predict_chroma(self, photo: Photo, hints: list[Hint] | None = None,
                       render_size: int = DEFAULT_RENDER_SIZE, *, temperature: float | None = None,
                       device: torch.device | None = None, notes: list[str] | None = None) -> Chroma:
        L, L_small = self.working_lightness(photo, render_size)
        chroma, _ = self.predict_from_lightness(L, L_small, photo.size, hints, temperature=temperature,
                                                device=device, notes=notes)
        return chroma

    def working_lightness(self, photo: Photo, render_size: int = DEFAULT_RENDER_SIZE
                          ) -> tuple[torch.Tensor, torch.Tensor]:
        """The photo's L at render size (1, 1, h, w) and at the chroma scale (1, h/4, w/4).

        Separate from prediction so that repeated predictions of one photo (hint edits) shrink
        the full-resolution lightness only once.
        """
        width, height = photo.size
        rw, rh = render_dims(width, height, render_size, self.net.config.stride)
        with torch.inference_mode():
            L_full = torch.from_numpy(photo.lightness)[None, None]
            L = F.interpolate(L_full, size=(rh, rw), mode="bilinear", align_corners=False, antialias=True)
            return L, F.avg_pool2d(L, self.net.config.output_stride)[0]

    @torch.inference_mode()
    def predict_from_lightness(self, L: torch.Tensor, L_small: torch.Tensor, photo_size: tuple[int, int],
                               hints: list[Hint] | None = None, *, temperature: float | None = None,
                               device: torch.device | None = None, spread: bool = True,
                               notes: list[str] | None = None) -> tuple[Chroma, torch.Tensor]:
        """Chroma plus the raw logits (B, Q, h, w), for callers that also want the distribution.

        Every prediction (batch, preview, hints, evaluation) comes through here, so they share
        one rule: one network pass at a time (callers on several threads may share this
        object), and a GPU that runs out of memory is not an error: the pass is redone on the
        CPU and a note is added to `notes` (and given as a RuntimeWarning).
        spread=False leaves out `spread_hints`, for measuring how far to spread.
        """
        device = device or self.device
        with self._lock:
            try:
                return self._forward(L, L_small, photo_size, hints, temperature, device, spread)
            except Exception as exc:  # noqa: BLE001 - only out-of-memory is retried
                if device.type == "cpu" or not is_out_of_memory(exc):
                    raise
                self._free_device_memory()
                note = f"{device.type.upper()} ran out of memory; this photo was done on the CPU"
                if notes is not None:
                    notes.append(note)
                log.warning("%s (%s)", note, exc)
                warnings.warn(note, RuntimeWarning, stacklevel=3)
                return self._forward(L, L_small, photo_size, hints, temperature, torch.device("cpu"), spread)

    def _forward(self, L: torch.Tensor, L_small: torch.Tensor, photo_size: tuple[int, int],
                 hints: list[Hint] | None, temperature: float | None, device: torch.device, spread: bool
                 ) -> tuple[Chroma, torch.Tensor]:
        net = self.net if device == self.device else self._cpu_copy()
        rh, rw = L.shape[-2:]
        hint_ab, hint_mask = rasterize(hints, photo_size, (rw, rh))
        x = make_input(L, hint_ab, hint_mask).to(device).contiguous(memory_format=torch.channels_last)
        logits = net(x)
        t = self.info.temperature if temperature is None else temperature
        ab = net.decode(logits, t).float().cpu()[0]
        if spread:
            ab = spread_hints(ab, L_small, hints, photo_size)
        return Chroma(ab=ab, lightness=L_small, render_size=(rw, rh)), logits

    @torch.inference_mode()
    def redecode(self, chroma: Chroma, logits: torch.Tensor, temperature: float) -> Chroma:
        """`chroma` decoded again from the same pass's logits at another temperature (no hints
        spread), so comparing temperatures costs one network pass, not one per temperature."""
        net = self.net if logits.device.type == self.device.type else self._cpu_copy()   # a CPU fallback's logits
        return replace(chroma, ab=net.decode(logits, temperature).float().cpu()[0])

    def render(self, lightness: np.ndarray, chroma: Chroma, strength: float = 1.0, *,
               bit_depth: int = 8, cancel: CancelFn | None = None,
               progress: ProgressFn | None = None, timings: dict[str, float] | None = None) -> np.ndarray:
        """Recombine chroma with a lightness map of any size (full photo or a preview).

        Works through the photo a few rows at a time, so memory stays flat however large it
        is; `cancel` is polled between those rows. `timings`, when given, gains the seconds
        spent in "upsampling" and "colour conversion".
        """
        strength = float(np.clip(strength, 0.0, MAX_STRENGTH))
        ab = clamp_to_gamut(chroma.lightness, chroma.ab.float() * strength).cpu()
        lightness = np.ascontiguousarray(lightness, dtype=np.float32)
        h, w = lightness.shape
        out = np.empty((h, w, 3), dtype=np.uint16 if bit_depth == 16 else np.uint8)
        rows = max(1, _CHUNK_PIXELS // max(w, 1))
        upsample = RowUpsampler(ab, h, w)
        seconds = {"upsampling": 0.0, "colour conversion": 0.0}  # CPU seconds summed over threads
        seconds_lock = threading.Lock()

        def tile(r0: int, r1: int) -> None:
            key = (rows, w, bit_depth)
            if getattr(_tile_buffers, "key", None) != key:  # each tile thread keeps its own, photo to photo
                _tile_buffers.key = key
                _tile_buffers.convert = DisplayConverter(rows * w, bit_depth)
                _tile_buffers.ab_rows = np.empty((2, rows, w), dtype=np.float32)
            convert, ab_rows = _tile_buffers.convert, _tile_buffers.ab_rows
            t0 = time.perf_counter()
            a, b = upsample.rows(r0, r1, out=ab_rows[:, : r1 - r0]).reshape(2, -1)
            t1 = time.perf_counter()
            convert(lightness[r0:r1].reshape(-1), a, b, out=out[r0:r1].reshape(-1, 3))
            t2 = time.perf_counter()
            with seconds_lock:
                seconds["upsampling"] += t1 - t0
                seconds["colour conversion"] += t2 - t1

        next_report = _PROGRESS_PIXELS

        def between(r1: int) -> None:
            nonlocal next_report
            if cancel is not None and cancel():
                raise Cancelled()
            if progress is not None and (r1 * w >= next_report or r1 == h):
                next_report = r1 * w + _PROGRESS_PIXELS
                progress(r1 / h, "rendering")

        if cancel is not None and cancel():
            raise Cancelled()
        start = time.perf_counter()
        run_tiles(tile, h, rows, after=between)
        if timings is not None:
            # Tiles run on several threads at once: the wall time is shared out between the
            # stages in proportion to the thread time each took.
            wall = time.perf_counter() - start
            busy = sum(seconds.values()) or 1.0
            for stage, spent in seconds.items():
                timings[stage] = timings.get(stage, 0.0) + wall * spent / busy
        return out

    def colorize(self, image: Photo | str | Path, hints: list[Hint] | None = None,
                 render_size: int = DEFAULT_RENDER_SIZE, strength: float = 1.0, *,
                 progress: ProgressFn | None = None, cancel: CancelFn | None = None,
                 timings: dict[str, float] | None = None, chroma: Chroma | None = None) -> ColorizeResult:
        """Colorize one photo (a Photo, or a path to read). Nothing is written.

        `progress(fraction, stage)` is called from this thread; `cancel()` is polled between
        stages and between strips of rows, and raises Cancelled when it returns True.
        `timings`, when given, gains seconds per stage (network, upsampling, colour conversion).
        `chroma`, when given, is this photo's prediction for these hints and render size made
        earlier (the GUI's preview): the network is skipped and only the rendering runs. One
        made for a photo of other dimensions (the file changed since) is ignored.
        """
        check_hint_count(len(hints or ()))
        photo = image if isinstance(image, Photo) else read_photo(image, timings=timings)
        notes = list(photo.notes)
        given = len(hints or ())
        hints = usable_hints(hints, photo.size) or None
        if given - len(hints or ()):  # said, and left out of the label's count: they changed nothing
            notes.append(f"{given - len(hints or ())} colour hint(s) outside the photo were ignored")
        if chroma is not None and chroma.render_size != render_dims(*photo.size, render_size, self.net.config.stride):
            chroma = None

        def report(fraction: float, stage: str) -> None:
            if progress is not None:
                progress(fraction, stage)

        if cancel is not None and cancel():
            raise Cancelled()
        clock = Stopwatch(timings)
        if chroma is None:
            report(0.05, "predicting colours")
            chroma = self.predict_chroma(photo, hints, render_size, notes=notes)
            clock.lap("network")
        if cancel is not None and cancel():
            raise Cancelled()
        report(0.3, "rendering")
        rgb = self.render(photo.lightness, chroma, strength, bit_depth=photo.bit_depth, cancel=cancel,
                          progress=lambda f, s: report(0.3 + 0.7 * f, s), timings=timings)
        return ColorizeResult(rgb=rgb, photo=photo, chroma=chroma, notes=notes,
                              label=self.label(strength, len(hints or ()), render_size))

    # --- helpers -------------------------------------------------------------------------------

    def _cpu_copy(self) -> ColorNet:
        if self._cpu_net is None:
            import copy

            self._cpu_net = copy.deepcopy(self.net).to("cpu")
        return self._cpu_net

    def _free_device_memory(self) -> None:
        if self.device.type == "cuda":
            torch.cuda.empty_cache()
        elif self.device.type == "mps":
            torch.mps.empty_cache()
