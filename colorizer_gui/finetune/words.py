"""What the Fine-tune tab says, in plain words (no Qt): what the folder holds, the time estimate,
training messages and the before/after verdict."""

from __future__ import annotations

from typing import TYPE_CHECKING

from colorizer_gui.finetune.choices import FEW_PHOTOS, MIN_PHOTOS
from engine.durations import format_duration

if TYPE_CHECKING:
    from engine.photo_folder import FolderScan

# The training loop's messages (engine.train.StepReport.kind) in words for people: the loop
# itself reports raw metrics like `loss 2.18 psnr 26.2`, for logs.
_PLAIN_MESSAGES = {
    "baseline": "Measured how well the starting model colours the held-out photos; training starts now.",
    "extended": "The starting model gained the colour-hint layers; they are trained from scratch.",
    "checkpoint": "Progress saved.",
}


def describe_scan(scan: FolderScan, val_percent: int) -> tuple[str, str]:
    """(rich text, tooltip) for a scanned folder: how many photos are usable, why the others are
    skipped, how many are held out, and whether that is enough to learn from."""
    n, skipped = len(scan.usable), len(scan.skipped)
    lines = [f"<b>{n:,} usable colour photo{'s' if n != 1 else ''}</b>"
             + (f", {skipped:,} skipped:" if skipped else ", none skipped.")]
    for reason, count in sorted(scan.skip_reasons().items(), key=lambda kv: -kv[1]):
        lines.append(f"&nbsp;&nbsp;• {count:,} {reason}")
    val = round(n * val_percent / 100)
    if n >= MIN_PHOTOS:
        lines.append(f"{val:,} of them will be held out to measure the improvement.")
    if n < MIN_PHOTOS:
        lines.append("<span style='color:#c62828'>That is too few to learn from: the folder needs colour "
                     "photos (greyscale ones teach nothing about colour).</span>")
    elif n < FEW_PHOTOS:
        lines.append("<span style='color:#8a6d00'>Few photos: expect a modest change. A few hundred or more "
                     "work best.</span>")
    return "<br>".join(lines), "\n".join(f"{p.name}: {r}" for p, r in scan.skipped[:40])


def describe_estimate(est: dict, again: bool = False) -> tuple[str, str]:
    """(rich text, tooltip) for a measured estimate (the worker's "estimate" event): the expected
    duration and what it was measured from; the tooltip breaks the time down. `again`: measured a
    second time because the first was far off (the computer was busy)."""
    text = (f"Estimated time: <b>{format_duration(est['total_seconds'])}</b> on {est['device']}, measured from "
            f"{est['probe_steps']} real training steps ({est['seconds_per_step']:.2f} s per step, "
            f"{est['images_per_second']:.0f} crops/s)" + (", measured twice" if again else "") + ".")
    return text, "\n".join(f"{k}: {format_duration(v)}" for k, v in est["breakdown"].items())


def plain_message(text: str, kind: str = "") -> str:
    """The status line for a training message: plain words for the kinds people need explained,
    else the message's last line."""
    if kind in _PLAIN_MESSAGES:
        return _PLAIN_MESSAGES[kind]
    return text.splitlines()[-1] if text else " "


def colour_change(db: float) -> str:
    """A change in held-out PSNR in plain words: how much larger or smaller the colour errors got
    ("about 34 % larger"). PSNR in dB is jargon; an error 10^(dB/20) times larger is not."""
    ratio = 10 ** (-db / 20)   # the new typical colour error over the old one
    if ratio > 1:
        return f"colour errors about {_percent(ratio - 1)} larger"
    return f"colour errors about {_percent(1 - ratio)} smaller"


def _percent(share: float) -> str:
    return f"{max(1, round(share * 100))} %"


def describe_comparison(comparison: dict | None, base_name: str = "the model you started from") -> tuple[str, str]:
    """(plain words, kind) for how fine-tuning changed the held-out photos' colours."""
    if not comparison:
        return "", "success"
    n = comparison.get("photos")
    photos = f"the {n} held-out photo{'s' if n != 1 else ''}" if n else "the held-out photos"
    change = colour_change(comparison["change"])
    if comparison["verdict"] == "worse":
        return (f"<b>Colours got worse on your own photos.</b> On {photos}, which training never saw, the new "
                f"model's colours are further from the real ones than those of {base_name} ({change}). "
                f"Colorizer keeps using {base_name}; the new model was not added to your models.", "warning")
    if comparison["verdict"] == "same":
        return (f"Colours stayed about the same on your own photos: on {photos}, which training never saw, the "
                f"new model is as close to the real colours as {base_name}.", "success")
    return (f"<b>Colours got better on your own photos.</b> On {photos}, which training never saw, the new "
            f"model's colours are closer to the real ones than those of {base_name} ({change}).", "success")
