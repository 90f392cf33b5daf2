"""Every error the engine raises on purpose, in one place.

Each message is one line meant for the user. Callers that must act on *what kind* of failure
happened (the app marks a photo it cannot read at all, or offers to pick another model when
the named one does not exist) catch or test the class, never the wording: messages are free
to improve without breaking anyone.

The older names stay importable from where they were defined before (`engine.photo_io.PhotoError`,
`engine.weights.ModelError`, `engine.batch.UsageError`, `engine.hints.HintError`,
`engine.infer.Cancelled`).
"""

from __future__ import annotations

__all__ = [
    "Cancelled",
    "ColorizerError",
    "DiskFull",
    "HintError",
    "ModelError",
    "ModelRejected",
    "NoSuchModel",
    "OutputWouldReplaceInput",
    "PhotoError",
    "UnreadablePhoto",
    "UsageError",
]


class ColorizerError(Exception):
    """Base of the engine's own errors; str(exc) is a plain-words reason."""


class PhotoError(ColorizerError):
    """A photo that cannot be read or written; the message is meant for the user."""


class UnreadablePhoto(PhotoError):
    """The file cannot be decoded as a photo at all: missing, empty, damaged, not an image.

    Retrying with other settings will not help (unlike a photo over the size limit, or one
    that ran out of memory, which stay plain `PhotoError`s).
    """


class OutputExists(PhotoError):
    """The output's name is taken (perhaps by another run, a moment ago); it was left as it is."""


class DiskFull(PhotoError):
    """No room left on the disk to write the result."""


class ModelError(ColorizerError):
    """A model file that cannot be used; the message says why in plain words."""


class ModelRejected(ModelError):
    """The file was read and refused: not a Colorizer model, damaged, implausible or unsafe."""


class NoSuchModel(ModelError):
    """No installed or bundled model has that name."""


class UsageError(ColorizerError, ValueError):
    """Settings that would be unsafe or impossible for the whole batch."""


class OutputWouldReplaceInput(UsageError):
    """A planned output path is one of the input photos."""


class HintError(ColorizerError, ValueError):
    """A colour hint (or hint file) that cannot be used."""


class Cancelled(Exception):
    """Raised when the cancel hook asks to stop; nothing has been written."""
