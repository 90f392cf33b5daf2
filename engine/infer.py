"""Colorizing one photo: the object the CLI and the GUI both use.

The network sees the photo's lightness at a working "render size" and predicts chroma at a
quarter of that; the chroma is then upsampled to the photo's own size and recombined with
its untouched full-resolution lightness, so no detail is lost. The full-resolution part runs
in horizontal strips, which bounds memory for very large scans and gives natural points to
report progress and honour a cancel request.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from engine.catalog import resolve_model
from engine.color import clamp_to_gamut, lab_to_rgb
from engine.devices import describe_device, is_out_of_memory, resolve_device
from engine.hints import Hint, rasterize
from engine.model import ColorUNet, make_input
from engine.photo_io import Photo, read_photo
from engine.weights import ModelInfo, load_model

ProgressFn = Callable[[float, str], None]
CancelFn = Callable[[], bool]

DEFAULT_RENDER_SIZE = 512
MIN_RENDER_SIZE = 64
MAX_STRENGTH = 2.0
_STRIP_PIXELS = 1 << 21  # pixels per full-resolution strip (~25 MB of float temporaries)


class Cancelled(Exception):
    """Raised when the cancel hook asks to stop; nothing has been written."""


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


def render_dims(width: int, height: int, render_size: int, multiple: int) -> tuple[int, int]:
    """Long side at render_size (never upscaled past the photo), aspect ratio kept."""
    long_side = max(MIN_RENDER_SIZE, min(render_size, max(width, height)))
    scale = long_side / max(width, height)
    w = max(multiple, round(width * scale / multiple) * multiple)
    h = max(multiple, round(height * scale / multiple) * multiple)
    return w, h


def _axis_weights(n_out: int, n_in: int, start: int, stop: int):
    """Source indices and weights of bilinear resampling (align_corners=False) for outputs start..stop."""
    pos = (torch.arange(start, stop, dtype=torch.float32) + 0.5) * (n_in / n_out) - 0.5
    pos = pos.clamp(0, n_in - 1)
    i0 = pos.floor().long()
    i1 = (i0 + 1).clamp(max=n_in - 1)
    return i0, i1, (pos - i0).unsqueeze(0)


def upsample_rows(ab: torch.Tensor, out_h: int, out_w: int, r0: int, r1: int) -> torch.Tensor:
    """Rows r0..r1 of the bilinear upsampling of ab (C, h, w) to (C, out_h, out_w)."""
    y0, y1, wy = _axis_weights(out_h, ab.shape[1], r0, r1)
    rows = ab[:, y0] * (1 - wy.T) + ab[:, y1] * wy.T              # (C, n, w)
    x0, x1, wx = _axis_weights(out_w, ab.shape[2], 0, out_w)
    return rows[:, :, x0] * (1 - wx) + rows[:, :, x1] * wx        # (C, n, W)


class Colorizer:
    """A loaded model on a device. Safe to share between a preview and a batch (one at a time)."""

    def __init__(self, model: str | Path | ColorUNet | None = None, device: str = "auto",
                 info: ModelInfo | None = None) -> None:
        if isinstance(model, ColorUNet):
            self.net, self.info = model.eval(), info or ModelInfo(name="in-memory")
            self.model_path = None
        else:
            self.model_path = resolve_model(model)
            self.net, self.info = load_model(self.model_path)
        self.device = resolve_device(device)
        self.net = self.net.to(self.device).to(memory_format=torch.channels_last)
        self._cpu_net: ColorUNet | None = self.net if self.device.type == "cpu" else None
        self._lock = threading.Lock()
        self.notes: list[str] = []

    @property
    def name(self) -> str:
        return self.info.name or (self.model_path.stem if self.model_path else "model")

    def describe(self) -> str:
        return f"{self.name} on {describe_device(self.device)}"

    # --- stages ------------------------------------------------------------------------------

    @torch.inference_mode()
    def predict_chroma(self, photo: Photo, hints: list[Hint] | None = None,
                       render_size: int = DEFAULT_RENDER_SIZE, *, temperature: float | None = None,
                       device: torch.device | None = None) -> Chroma:
        device = device or self.device
        net = self.net if device == self.device else self._cpu_copy()
        width, height = photo.size
        rw, rh = render_dims(width, height, render_size, net.config.stride)
        L_full = torch.from_numpy(photo.lightness)[None, None]
        L = F.interpolate(L_full, size=(rh, rw), mode="bilinear", align_corners=False, antialias=True)
        hint_ab, hint_mask = rasterize(hints, (width, height), (rw, rh))
        x = make_input(L, hint_ab, hint_mask).to(device).contiguous(memory_format=torch.channels_last)
        logits = net(x)
        t = self.info.temperature if temperature is None else temperature
        ab = net.decode(logits, t).float().cpu()[0]
        L_small = F.avg_pool2d(L, net.config.output_stride)[0]
        return Chroma(ab=ab, lightness=L_small, render_size=(rw, rh))

    def render(self, lightness: np.ndarray, chroma: Chroma, strength: float = 1.0, *,
               bit_depth: int = 8, cancel: CancelFn | None = None,
               progress: ProgressFn | None = None) -> np.ndarray:
        """Recombine chroma with a lightness map of any size (full photo or a preview)."""
        strength = float(np.clip(strength, 0.0, MAX_STRENGTH))
        ab = clamp_to_gamut(chroma.lightness, chroma.ab * strength)
        h, w = lightness.shape
        L = torch.from_numpy(lightness)
        out_dtype = np.uint16 if bit_depth == 16 else np.uint8
        scale = 65535.0 if bit_depth == 16 else 255.0
        out = np.empty((h, w, 3), dtype=out_dtype)
        rows = max(1, _STRIP_PIXELS // max(w, 1))
        with torch.inference_mode():
            for r0 in range(0, h, rows):
                if cancel is not None and cancel():
                    raise Cancelled()
                r1 = min(h, r0 + rows)
                ab_rows = upsample_rows(ab, h, w, r0, r1)
                lab = torch.cat((L[r0:r1].unsqueeze(0), ab_rows), dim=0)
                rgb = lab_to_rgb(lab).mul_(scale).add_(0.5).permute(1, 2, 0)
                out[r0:r1] = rgb.numpy().astype(out_dtype)
                if progress is not None:
                    progress(r1 / h, "rendering")
        return out

    def colorize(self, image: Photo | str | Path, hints: list[Hint] | None = None,
                 render_size: int = DEFAULT_RENDER_SIZE, strength: float = 1.0, *,
                 progress: ProgressFn | None = None, cancel: CancelFn | None = None) -> ColorizeResult:
        photo = image if isinstance(image, Photo) else read_photo(image)
        notes = list(photo.notes)

        def report(fraction: float, stage: str) -> None:
            if progress is not None:
                progress(fraction, stage)

        if cancel is not None and cancel():
            raise Cancelled()
        report(0.05, "predicting colours")
        with self._lock:
            try:
                chroma = self.predict_chroma(photo, hints, render_size)
            except Exception as exc:  # noqa: BLE001 - only out-of-memory is retried
                if self.device.type == "cpu" or not is_out_of_memory(exc):
                    raise
                self._free_device_memory()
                notes.append(f"{self.device.type.upper()} ran out of memory; this photo was done on the CPU")
                chroma = self.predict_chroma(photo, hints, render_size, device=torch.device("cpu"))
        report(0.3, "rendering")
        rgb = self.render(photo.lightness, chroma, strength, bit_depth=photo.bit_depth, cancel=cancel,
                          progress=lambda f, s: report(0.3 + 0.7 * f, s))
        return ColorizeResult(rgb=rgb, photo=photo, chroma=chroma, notes=notes)

    # --- helpers -------------------------------------------------------------------------------

    def _cpu_copy(self) -> ColorUNet:
        if self._cpu_net is None:
            import copy

            self._cpu_net = copy.deepcopy(self.net).to("cpu")
        return self._cpu_net

    def _free_device_memory(self) -> None:
        if self.device.type == "cuda":
            torch.cuda.empty_cache()
        elif self.device.type == "mps":
            torch.mps.empty_cache()
