"""What the Fine-tune form's choices mean, with no Qt: the new model's name, the learning rate
typed, when two choices share one time estimate, and the smaller settings to resume with after
running out of memory.

The form (`qt_finetune_form.py`) only holds the widgets; keeping these rules out of it lets them
be tested in plain Python.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import TYPE_CHECKING

from engine.model_manager import name_taken, validate_name
from engine.weights import ModelError

if TYPE_CHECKING:  # engine.finetune imports torch; these rules need only its dataclass's fields
    from engine.finetune import FinetuneOptions

__all__ = ["FEW_PHOTOS", "MIN_PHOTOS", "estimate_key", "measured_while_busy", "name_problem", "parse_learning_rate",
           "sentence", "smaller_settings", "suggest_name"]

MIN_PHOTOS = 2          # fewer cannot be split into training and held-out photos
FEW_PHOTOS = 100        # below this, warn that results will be modest


def sentence(problem: str | Exception) -> str:
    """An error's words ("the name is too long") as a sentence to show ("The name is too long.")."""
    text = str(problem)
    return f"{text[0].upper()}{text[1:]}."


def suggest_name(folder_name: str) -> str:
    """A free model name made from the photo folder's name ("family photos", then "family photos-2")."""
    cleaned = "".join(c if c.isalnum() or c in " ._-" else "-" for c in folder_name).strip(" .-_")
    base = (cleaned or "my-photos")[:50]
    candidate, n = base, 1
    while name_taken(candidate):
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def name_problem(name: str) -> str:
    """Why `name` cannot be the new model's name, as a sentence; "" when it can."""
    name = name.strip()
    if not name:
        return "Give the new model a name."
    try:
        validate_name(name)
    except ModelError as exc:
        return sentence(exc)
    if name_taken(name):
        return f"You already have a model named “{name}”: choose another name (or rename that one)."
    return ""


def parse_learning_rate(text: str) -> float | None:
    """The learning rate in the box ("1e-4", or "5e-05 (recommended)" from the list); None when
    empty (the preset's). Raises ValueError with a message when it is not usable."""
    lr_text = text.split()[0] if text.strip() else ""
    try:
        lr = float(lr_text) if lr_text else None
    except ValueError as exc:
        raise ValueError(f"the learning rate {lr_text!r} is not a number") from exc
    if lr is not None and not 0 < lr < 1:
        raise ValueError("the learning rate must be between 0 and 1")
    return lr


# The presets' promises ("minutes on a laptop CPU") rest on this speed, measured on a 2-core
# laptop-class CPU (engine.finetune, PRESETS): 128 px training crops a second.
LAPTOP_CROPS_PER_SECOND = 25.0
# A CPU measurement this many times slower was most likely taken while the computer was busy
# (issue 23: 1 h 03 min for Quick, 10 min when measured again): measure once more by itself.
BUSY_FACTOR = 3.0


def measured_while_busy(estimate: dict, crop_sizes: tuple[int, ...]) -> bool:
    """A time estimate (the worker's "estimate" event) far slower than its preset promises on a CPU."""
    if not str(estimate.get("device", "")).startswith("CPU"):
        return False
    # The speed in 128 px crops, whatever the crop sizes: the work grows with the pixels.
    mean_pixels = sum(c * c for c in crop_sizes) / max(1, len(crop_sizes))
    speed = float(estimate.get("images_per_second", 0.0)) * mean_pixels / (128 * 128)
    return speed * BUSY_FACTOR < LAPTOP_CROPS_PER_SECOND


def estimate_key(options: FinetuneOptions) -> str:
    """What a time estimate depends on: every choice but the name, so renaming does not measure again."""
    key_data = asdict(options)
    key_data.pop("name")
    return json.dumps(key_data, sort_keys=True)


def smaller_settings(settings: dict) -> dict:
    """After running out of memory: half the batch (at least 2), and once the batch is that small,
    half the crops (at least 64 px, a multiple of 16). The changes to a session's settings."""
    batch = int(settings.get("batch_size", 16))
    if batch > 2:
        return {"batch_size": max(2, batch // 2)}
    crops = [int(c) for c in settings.get("crop_sizes", [128])]
    return {"crop_sizes": [max(64, c // 2 // 16 * 16) for c in crops]}
