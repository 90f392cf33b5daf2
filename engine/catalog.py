"""Where models live: the bundled default, and the user's own in the user data folder."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from engine.errors import NoSuchModel
from engine.resources import resource_path
from engine.weights import MODEL_SUFFIX, PICKLE_SUFFIXES, ModelError, ModelInfo, read_model_info

APP_NAME = "Colorizer"
DEFAULT_MODEL = "colorizer-base"


def user_data_dir() -> Path:
    """Overridable with COLORIZER_DATA_DIR (tests, portable installs)."""
    override = os.environ.get("COLORIZER_DATA_DIR")
    return Path(override) if override else platformdirs.user_data_path(APP_NAME, appauthor=False)


def user_config_dir() -> Path:
    override = os.environ.get("COLORIZER_CONFIG_DIR")
    return Path(override) if override else platformdirs.user_config_path(APP_NAME, appauthor=False)


def bundled_models_dir() -> Path:
    return resource_path("models")


def user_log_dir() -> Path:
    """Where the app keeps its log; overridable with COLORIZER_LOG_DIR (tests, portable installs)."""
    override = os.environ.get("COLORIZER_LOG_DIR")
    return Path(override) if override else platformdirs.user_log_path(APP_NAME, appauthor=False)


def user_models_dir() -> Path:
    return user_data_dir() / "models"


@dataclass
class ModelEntry:
    name: str
    path: Path
    source: str  # "bundled" or "user"
    info: ModelInfo | None = None
    error: str | None = None


def list_models() -> list[ModelEntry]:
    entries = []
    for source, folder in (("bundled", bundled_models_dir()), ("user", user_models_dir())):
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob(f"*{MODEL_SUFFIX}")):
            try:
                info = read_model_info(path)
                entries.append(ModelEntry(path.stem, path, source, info))
            except ModelError as exc:
                entries.append(ModelEntry(path.stem, path, source, None, str(exc)))
    return entries


def resolve_model(name_or_path: str | Path | None = None) -> Path:
    """A model name (user models first, then bundled) or a file path -> an existing file."""
    if name_or_path is None or str(name_or_path) == "":
        name_or_path = DEFAULT_MODEL
    candidate = Path(name_or_path).expanduser()
    looks_like_path = candidate.suffix.lower() in (MODEL_SUFFIX, *PICKLE_SUFFIXES) or "/" in str(name_or_path)
    if looks_like_path or os.sep in str(name_or_path):
        if candidate.is_file():
            return candidate
        raise ModelError(f"model file not found: {candidate}")
    for folder in (user_models_dir(), bundled_models_dir()):
        path = folder / f"{name_or_path}{MODEL_SUFFIX}"
        if path.is_file():
            return path
    known = ", ".join(sorted({e.name for e in list_models()})) or "none installed"
    raise NoSuchModel(f"no model named {name_or_path!r} (available: {known})")
