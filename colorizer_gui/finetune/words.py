"""What the Fine-tune tab says, in plain words (no Qt): training messages and the before/after verdict."""

from __future__ import annotations

# The training loop's messages (engine.train.StepReport.kind) in words for people: the loop
# itself reports raw metrics like `loss 2.18 psnr 26.2`, for logs.
_PLAIN_MESSAGES = {
    "baseline": "Measured how well the starting model colours the held-out photos; training starts now.",
    "extended": "The starting model gained the colour-hint layers; they are trained from scratch.",
    "checkpoint": "Progress saved.",
}


def plain_message(text: str, kind: str = "") -> str:
    """The status line for a training message: plain words for the kinds people need explained,
    else the message's last line."""
    if kind in _PLAIN_MESSAGES:
        return _PLAIN_MESSAGES[kind]
    return text.splitlines()[-1] if text else " "


def describe_comparison(comparison: dict | None, base_name: str = "the model you started from") -> tuple[str, str]:
    """(plain words, kind) for how fine-tuning changed the held-out photos' colours."""
    if not comparison:
        return "", "success"
    n = comparison.get("photos")
    photos = f"the {n} held-out photo{'s' if n != 1 else ''}" if n else "the held-out photos"
    numbers = f"{comparison['before']:.2f} → {comparison['after']:.2f} dB"
    change = abs(comparison["change"])
    if comparison["verdict"] == "worse":
        return (f"<b>Colours got worse on your own photos.</b> On {photos}, which training never saw, the new "
                f"model's colours are further from the real ones than those of {base_name} ({numbers}). "
                f"Colorizer keeps using {base_name}; the new model was not added to your models.", "warning")
    if comparison["verdict"] == "same":
        return (f"Colours stayed about the same on your own photos: on {photos}, which training never saw, the "
                f"new model is as close to the real colours as {base_name} ({numbers}).", "success")
    return (f"<b>Colours got better on your own photos.</b> On {photos}, which training never saw, the new "
            f"model's colours are {change:.1f} dB closer to the real ones than those of {base_name} "
            f"({numbers}).", "success")
