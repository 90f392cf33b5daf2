"""The user's own models: list, rename, delete, export and import model files.

Imported files are untrusted (downloaded, shared by e-mail), so an import is refused unless
the file is a safetensors model (`engine.weights` refuses pickles, which can run code when
opened, without opening them), of a plausible size and architecture, and loads completely
through `engine.weights.load_model`. Only then
is it copied into the user models folder, where the Colorize tab and `colorize
--list-models` find it.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
from pathlib import Path

from engine.catalog import ModelEntry, bundled_models_dir, list_models, user_models_dir
from engine.errors import NoSuchModel
from engine.files import atomic_write
from engine.weights import MODEL_SUFFIX, ModelError, check_model_file

log = logging.getLogger(__name__)

__all__ = ["check_model_file"]  # the one validation, in engine.weights; imported from here too

MAX_NAME_LENGTH = 64
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._()+-]*$")


def validate_name(name: str) -> str:
    """A model name that is also a safe file name on every system; raises ModelError."""
    name = (name or "").strip()
    if not name:
        raise ModelError("the model needs a name")
    if len(name) > MAX_NAME_LENGTH:
        raise ModelError(f"the name is too long (at most {MAX_NAME_LENGTH} characters)")
    if not _NAME_RE.match(name) or name.endswith((".", " ")) or ".." in name:
        raise ModelError("use letters, digits, spaces and . _ - ( ) + in the name (starting with a letter or digit)")
    return name


def user_model_path(name: str) -> Path:
    return user_models_dir() / f"{validate_name(name)}{MODEL_SUFFIX}"


def name_taken(name: str) -> bool:
    """True when a user or bundled model has this name (case-insensitively).

    Bundled names count: a user model named "colorizer-base" would silently stand in for the
    bundled one everywhere it is chosen by name (user models are looked up first).
    """
    wanted = f"{name}{MODEL_SUFFIX}".lower()
    for folder in (user_models_dir(), bundled_models_dir()):
        if folder.is_dir() and any(p.name.lower() == wanted for p in folder.iterdir()):
            return True
    return False


def is_bundled_name(name: str) -> bool:
    folder = bundled_models_dir()
    wanted = f"{name}{MODEL_SUFFIX}".lower()
    return folder.is_dir() and any(p.name.lower() == wanted for p in folder.iterdir())


def _taken_message(name: str) -> str:
    if is_bundled_name(name):
        return f"{name!r} is the name of a model that ships with the app; choose another name"
    return f"a model named {name!r} already exists"


def unique_name(name: str) -> str:
    """`name`, or `name-2`, `name-3` ... if a user model already has it."""
    name = validate_name(name)
    candidate, n = name, 1
    while name_taken(candidate):
        n += 1
        candidate = f"{name[: MAX_NAME_LENGTH - 4]}-{n}"
    return candidate


def list_all() -> list[ModelEntry]:
    """Bundled and user models (the same list as `colorize --list-models`)."""
    return list_models()


def find_user_model(name: str) -> Path:
    path = user_models_dir() / f"{name}{MODEL_SUFFIX}"
    if not path.is_file():
        if any(e.name == name and e.source == "bundled" for e in list_models()):
            raise ModelError(f"{name!r} ships with the app and cannot be changed; export a copy instead")
        raise ModelError(f"there is no user model named {name!r}")
    return path


def rename_model(name: str, new_name: str) -> Path:
    """Rename a user model: its file and the name stored inside it."""
    from safetensors import safe_open
    from safetensors.torch import load_file, save

    old = find_user_model(name)
    new_name = validate_name(new_name)
    dest = user_models_dir() / f"{new_name}{MODEL_SUFFIX}"
    if new_name == name:
        return old
    if name_taken(new_name) and new_name.lower() != name.lower():
        raise ModelError(_taken_message(new_name))
    try:
        with safe_open(str(old), framework="pt") as f:
            meta = dict(f.metadata() or {})
        tensors = load_file(str(old))
    except Exception as exc:  # noqa: BLE001 - any reading problem means "damaged"
        raise ModelError(f"the model file is damaged ({exc})") from exc
    meta["name"] = new_name
    with atomic_write(dest) as out:
        out.write(save(tensors, metadata=meta))
    # On a case-insensitive file system a case-only rename wrote over the same file: keep it.
    if old.exists() and not os.path.samefile(old, dest):
        old.unlink()
    return dest


def delete_model(name: str) -> None:
    find_user_model(name).unlink()


def export_model_file(name_or_path: str | Path, dest: Path) -> Path:
    """Copy a model (user or bundled, by name or path) to `dest` for sharing or backup."""
    src = Path(name_or_path)
    if not src.is_file():
        matches = [e.path for e in list_models() if e.name == str(name_or_path)]
        if not matches:
            raise NoSuchModel(f"there is no model named {name_or_path!r}")
        src = matches[-1]  # user models come after bundled ones and win, as in resolve_model
    dest = Path(dest)
    if dest.suffix != MODEL_SUFFIX:
        dest = dest.with_name(dest.name + MODEL_SUFFIX)
    if dest.exists() and dest.resolve() == src.resolve():
        return dest
    with atomic_write(dest) as out, open(src, "rb") as inp:
        shutil.copyfileobj(inp, out)
    return dest


def import_model(src: Path, name: str | None = None, *, replace: bool = False) -> Path:
    """Validate `src` and copy it into the user models folder; returns the new file's path."""
    src = Path(src)
    info = check_model_file(src)
    wanted = validate_name(name or info.name or src.stem)
    if is_bundled_name(wanted):
        if name:  # replace=True never covers a bundled model: that one is not the user's to replace
            raise ModelError(_taken_message(wanted))
        wanted = unique_name(wanted)
    elif not replace and name_taken(wanted):
        if name:
            raise ModelError(_taken_message(wanted))
        wanted = unique_name(wanted)
    dest = user_models_dir() / f"{wanted}{MODEL_SUFFIX}"
    with atomic_write(dest) as out, open(src, "rb") as inp:
        shutil.copyfileobj(inp, out)
    try:
        check_model_file(dest)  # the copy, not the original, is what will be loaded later
    except ModelError:
        dest.unlink(missing_ok=True)
        raise
    log.info("Imported model %s from %s as %s", info.name, src, dest)
    return dest
