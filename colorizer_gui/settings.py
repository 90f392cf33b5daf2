"""The desktop app's settings: one small JSON file in the user config folder.

Plain Python (no Qt), so it is easy to test and to read by hand. Unknown or damaged values
fall back to their defaults instead of stopping the app from starting.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from engine.catalog import user_config_dir
from engine.files import atomic_write
from engine.options import DEFAULT_RENDER_SIZE, FORMATS, IF_EXISTS, MAX_STRENGTH, MIN_RENDER_SIZE

SETTINGS_FILE = "gui-settings.json"
COMPARE_MODES = ("split", "side_by_side", "after")
OUTPUT_MODES = ("beside", "folder")


@dataclass
class GuiSettings:
    # Model and device
    model: str = ""               # "" = the default model; otherwise a model file path
    device: str = "auto"
    render_size: int = DEFAULT_RENDER_SIZE
    # Colour
    strength: float = 1.0
    # Output
    output_mode: str = "beside"   # "beside" each original, or in "folder"
    output_dir: str = ""
    format: str = ""              # "" = same format as the original
    suffix: str = "_color"
    if_exists: str = "rename"
    quality: int = 95
    # Behaviour (Preferences dialog)
    auto_start: bool = True
    allow_huge: bool = False
    # Layout
    compare_mode: str = "split"
    last_open_dir: str = ""
    window_geometry: str = ""     # base64 of QWidget.saveGeometry()
    layout_state: dict = field(default_factory=dict)  # splitter states, base64

    def validated(self) -> GuiSettings:
        """A copy with every out-of-range value replaced by its default."""
        d = GuiSettings()
        s = GuiSettings(**asdict(self))
        if s.device not in ("auto", "cpu", "cuda", "mps"):
            s.device = d.device
        if not isinstance(s.render_size, int) or s.render_size < MIN_RENDER_SIZE or s.render_size > 4096:
            s.render_size = d.render_size
        if not isinstance(s.strength, (int, float)) or not 0.0 <= s.strength <= MAX_STRENGTH:
            s.strength = d.strength
        s.strength = float(s.strength)
        if s.output_mode not in OUTPUT_MODES:
            s.output_mode = d.output_mode
        if s.format not in ("", *FORMATS):
            s.format = d.format
        if s.if_exists not in IF_EXISTS:
            s.if_exists = d.if_exists
        if not isinstance(s.quality, int) or not 1 <= s.quality <= 100:
            s.quality = d.quality
        if s.compare_mode not in COMPARE_MODES:
            s.compare_mode = d.compare_mode
        if not isinstance(s.suffix, str) or any(c in s.suffix for c in '/\\:*?"<>|'):
            s.suffix = d.suffix
        if not isinstance(s.layout_state, dict):
            s.layout_state = {}
        for name in ("model", "output_dir", "last_open_dir", "window_geometry"):
            if not isinstance(getattr(s, name), str):
                setattr(s, name, "")
        for name in ("auto_start", "allow_huge"):
            if not isinstance(getattr(s, name), bool):
                setattr(s, name, getattr(d, name))
        return s


def settings_path() -> Path:
    return user_config_dir() / SETTINGS_FILE


def load_settings(path: Path | None = None) -> tuple[GuiSettings, str | None]:
    """Returns (settings, problem). A missing file is not a problem; a damaged one is reported."""
    path = path or settings_path()
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return GuiSettings(), None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        return GuiSettings(), f"the settings file {path} could not be read ({exc}); defaults are used"
    if not isinstance(raw, dict):
        return GuiSettings(), f"the settings file {path} is damaged; defaults are used"
    known = {f.name for f in fields(GuiSettings)}
    values = {k: v for k, v in raw.items() if k in known}
    try:
        return GuiSettings(**values).validated(), None
    except TypeError as exc:
        return GuiSettings(), f"the settings file {path} is damaged ({exc}); defaults are used"


def save_settings(settings: GuiSettings, path: Path | None = None) -> None:
    """Atomic write: a crash never leaves a half-written settings file."""
    with atomic_write(path or settings_path(), "w") as handle:
        json.dump(asdict(settings), handle, indent=2, sort_keys=True)
        handle.write("\n")
