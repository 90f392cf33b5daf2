"""`colorizer --self-test`: prove that this installation (a source checkout or the built bundle) works.

Without a display (Qt's offscreen platform unless QT_QPA_PLATFORM says otherwise) it
  1. starts a QApplication, so the Qt libraries and platform plugin are proven to load;
  2. loads the bundled default model from the bundled resources (never a user's model);
  3. colorizes a bundled sample photo and checks the result is full size and in colour;
  4. writes it as a JPEG to a temporary folder and reads it back;
  5. runs two steps of fine-tuning on a tiny network, so the parts of PyTorch that only training
     loads are proven to be in the bundle too, and starts the fine-tuning worker process the way
     the Fine-tune tab does (in the bundle: `colorizer --finetune-worker`).
It prints one line, `self-test OK: ...` (exit 0) or `self-test FAILED: <reason>` (exit 1).

Options (after --self-test): --sample NAME (a file in resources/samples), --device auto|cpu|...,
--keep DIR (keep the colorized photo there), --report FILE (also write the line to FILE: a
windowed Windows build has no console to print to), --no-train, --verbose (traceback on failure).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

DEFAULT_SAMPLE = "cork-1905.jpg"
MODEL_FILE = "models/colorizer-base.safetensors"
# Mean CIE Lab chroma (sqrt(a^2 + b^2)) the result must reach. The input is checked to be grey
# (read_photo's was_colour is False, i.e. under 4); a grey result is about 0.
MIN_CHROMA = 2.0


class SelfTestError(Exception):
    """A check that failed; the message is the reason printed after `self-test FAILED:`."""


def mean_chroma(rgb) -> float:
    """Mean CIE Lab chroma of an (H, W, 3) uint8 or uint16 sRGB array."""
    import numpy as np

    from engine.color import rgb_to_lab_np

    scale = 65535.0 if rgb.dtype == np.uint16 else 255.0
    step = max(1, max(rgb.shape[:2]) // 512)  # a subsample is plenty for a mean
    lab = rgb_to_lab_np(rgb[::step, ::step, :3].astype(np.float32) / scale)
    return float(np.hypot(lab[..., 1], lab[..., 2]).mean())


def _start_qt() -> str:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QPixmap
    from PySide6.QtWidgets import QApplication

    from engine.resources import resource_path

    app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else "colorizer"])
    icon = resource_path("icons/app.png")
    if QPixmap(str(icon)).isNull():
        raise SelfTestError(f"Qt cannot read the app icon {icon}")
    try:  # the app's toolbar icons are SVG files
        from PySide6.QtSvg import QSvgRenderer
    except ImportError as exc:
        raise SelfTestError(f"Qt's SVG module is missing ({exc})") from exc
    if not QSvgRenderer(str(resource_path("icons/app.svg"))).isValid():
        raise SelfTestError("Qt cannot render resources/icons/app.svg")
    return app.platformName()


def _check_in_qt(rgb) -> None:
    """Hand the result to Qt the way a viewer would, to prove the image reaches QtGui intact."""
    import numpy as np
    from PySide6.QtGui import QImage

    rgb8 = np.ascontiguousarray(rgb if rgb.dtype == np.uint8 else (rgb >> 8).astype(np.uint8))
    h, w = rgb8.shape[:2]
    image = QImage(rgb8.data, w, h, 3 * w, QImage.Format.Format_RGB888)
    if image.isNull() or (image.width(), image.height()) != (w, h):
        raise SelfTestError("Qt could not take the colorized image")


def _train_two_steps(folder: Path) -> None:
    import numpy as np
    from PIL import Image

    from engine.train import TrainSettings, train

    photos = folder / "photos"
    photos.mkdir()
    y, x = np.mgrid[0:96, 0:96] / 95.0
    for i in range(4):
        rgb = np.stack([x, y, (x + y + i / 4) % 1.0], axis=-1) * 255
        Image.fromarray(rgb.astype(np.uint8), "RGB").save(photos / f"{i}.png")
    settings = TrainSettings(train_dirs=[str(photos)], out_dir=str(folder / "run"), val_share=0.25, steps=2,
                             batch_size=2, crop_sizes=(64,), warmup_steps=1, width=8, depth=3, short_side=96,
                             report_every=1, val_every=2, val_images=2, checkpoint_minutes=60, device="cpu",
                             name="self-test")
    reports = list(train(settings))
    last = reports[-1] if reports else None
    if last is None or last.step != 2 or not np.isfinite(last.loss):
        raise SelfTestError(f"fine-tuning did not complete 2 steps (last report: {last})")


def _check_finetune_worker() -> str:
    """Start the fine-tuning child process the way the Fine-tune tab does, and ask for its usage."""
    try:
        from engine.finetune import worker_command
    except ImportError:  # an engine without the Fine-tune tab's worker
        return ""
    cmd, extra_env = worker_command("--help")
    proc = subprocess.run(cmd, env={**os.environ, **extra_env}, capture_output=True, text=True, timeout=300,
                          check=False)
    if proc.returncode != 0 or "finetune-worker" not in proc.stdout:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
        raise SelfTestError(f"the fine-tuning worker did not start (exit {proc.returncode}: {tail[0]})")
    return ", worker OK"


def run_self_test(sample: str = DEFAULT_SAMPLE, device: str = "auto", keep: Path | None = None,
                  train: bool = True) -> str:
    """Run every check; return the summary after `self-test OK: `, or raise SelfTestError."""
    started = time.monotonic()
    platform = _start_qt()

    from engine import __version__
    from engine.infer import Colorizer
    from engine.photo_io import read_photo, write_photo
    from engine.resources import resource_path

    model_path = resource_path(MODEL_FILE)
    if not model_path.is_file():
        raise SelfTestError(f"the bundled model is missing: {model_path} (the build must include "
                            f"resources/{MODEL_FILE})")
    sample_path = resource_path(f"samples/{sample}")
    if not sample_path.is_file():
        raise SelfTestError(f"the sample photo is missing: {sample_path}")

    colorizer = Colorizer(model_path, device=device)
    photo = read_photo(sample_path)
    if photo.was_colour:
        raise SelfTestError(f"{sample} is a colour photo; the self-test needs a black-and-white one")
    t0 = time.monotonic()
    result = colorizer.colorize(photo)
    seconds = time.monotonic() - t0
    width, height = photo.size
    got = (result.rgb.shape[1], result.rgb.shape[0])
    if got != (width, height) or result.rgb.ndim != 3 or result.rgb.shape[2] != 3:
        raise SelfTestError(f"output is {got[0]}x{got[1]} ({result.rgb.shape}), expected {width}x{height} RGB")
    chroma = mean_chroma(result.rgb)
    if not chroma >= MIN_CHROMA:  # also catches NaN
        raise SelfTestError(f"output is not in colour: mean chroma {chroma:.2f} < {MIN_CHROMA} "
                            f"({colorizer.describe()})")
    _check_in_qt(result.rgb)

    with tempfile.TemporaryDirectory(prefix="colorizer-self-test-") as tmp:
        out = (keep or Path(tmp)) / f"{Path(sample).stem}_color.jpg"
        out.parent.mkdir(parents=True, exist_ok=True)
        write_photo(result.rgb, out, "jpg", result.photo, overwrite=True)
        back = read_photo(out)
        if back.size != (width, height) or not back.was_colour:
            raise SelfTestError(f"the written file {out.name} reads back as {back.size}, colour={back.was_colour}")
        trained = ""
        if train:
            _train_two_steps(Path(tmp))
            trained = ", fine-tune 2 steps OK" + _check_finetune_worker()
    where = "bundle" if getattr(sys, "frozen", False) else "source"
    return (f"Colorizer {__version__} ({where}, Qt {platform}), {colorizer.describe()}, "
            f"{sample} {width}x{height} -> colour (mean chroma {chroma:.1f}) in {seconds:.1f} s"
            f"{trained}; {time.monotonic() - started:.1f} s in all")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="colorizer --self-test", description="Check that this installation works.")
    p.add_argument("--self-test", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--sample", default=DEFAULT_SAMPLE, help=f"sample photo name (default {DEFAULT_SAMPLE})")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda, mps (default auto)")
    p.add_argument("--keep", type=Path, help="keep the colorized photo in this folder")
    p.add_argument("--report", type=Path, help="also write the result line to this file")
    p.add_argument("--no-train", dest="train", action="store_false", help="skip the fine-tuning check")
    p.add_argument("--verbose", action="store_true", help="print the traceback of a failure")
    return p


def main(argv: list[str] | None = None) -> int:
    args, unknown = build_parser().parse_known_args(sys.argv[1:] if argv is None else argv)
    try:
        if unknown:
            raise SelfTestError(f"unknown option(s): {' '.join(unknown)}")
        line, code = "self-test OK: " + run_self_test(args.sample, args.device, args.keep, args.train), 0
    except SelfTestError as exc:
        line, code = f"self-test FAILED: {exc}", 1
    except Exception as exc:  # noqa: BLE001 - any failure at all must become a one-line result and exit 1
        if args.verbose:
            traceback.print_exc()
        line, code = f"self-test FAILED: {type(exc).__name__}: {exc}".splitlines()[0], 1
    print(line, flush=True)
    if args.report is not None:
        args.report.write_text(line + "\n", encoding="utf-8")
    return code


if __name__ == "__main__":
    sys.exit(main())
