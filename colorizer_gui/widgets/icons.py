"""Icons: our own line-art SVGs in resources/icons, drawn in the palette's text colour.

Falls back to the Qt style's standard icons when an SVG is missing or cannot be rendered
(for example in a build without the SVG module).
"""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import QByteArray, QRectF, Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPainter, QPalette, QPixmap
from PySide6.QtWidgets import QApplication, QStyle

from engine.resources import resource_path

_INK = "#1f2328"  # the colour the SVG files are drawn in; replaced by the palette's
_FALLBACK = {
    "add-photos": QStyle.StandardPixmap.SP_DialogOpenButton,
    "add-folder": QStyle.StandardPixmap.SP_DirOpenIcon,
    "start": QStyle.StandardPixmap.SP_MediaPlay,
    "pause": QStyle.StandardPixmap.SP_MediaPause,
    "cancel": QStyle.StandardPixmap.SP_MediaStop,
    "save": QStyle.StandardPixmap.SP_DialogSaveButton,
    "save-all": QStyle.StandardPixmap.SP_DialogSaveButton,
    "remove": QStyle.StandardPixmap.SP_TrashIcon,
    "retry": QStyle.StandardPixmap.SP_BrowserReload,
    "up": QStyle.StandardPixmap.SP_ArrowUp,
    "down": QStyle.StandardPixmap.SP_ArrowDown,
    "show-folder": QStyle.StandardPixmap.SP_DirIcon,
    "open-output": QStyle.StandardPixmap.SP_FileIcon,
    "log": QStyle.StandardPixmap.SP_FileDialogDetailedView,
    "model": QStyle.StandardPixmap.SP_ComputerIcon,
    "app": QStyle.StandardPixmap.SP_DesktopIcon,
}
_SIZES = (16, 20, 24, 32, 48)


def _render_svg(data: bytes, size: int, dpr: float = 1.0) -> QPixmap | None:
    try:
        from PySide6.QtSvg import QSvgRenderer
    except ImportError:
        return None
    renderer = QSvgRenderer(QByteArray(data))
    if not renderer.isValid():
        return None
    px = max(1, round(size * dpr))
    pixmap = QPixmap(px, px)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter, QRectF(0, 0, px, px))
    painter.end()
    pixmap.setDevicePixelRatio(dpr)
    return pixmap


def _ink(role: QPalette.ColorRole = QPalette.ColorRole.WindowText) -> QColor:
    return QGuiApplication.palette().color(role)


@cache
def icon(name: str, *, keep_colours: bool = False) -> QIcon:
    """A named icon from resources/icons, recoloured to the palette unless `keep_colours`."""
    path = resource_path(f"icons/{name}.svg")
    result = QIcon()
    try:
        data = path.read_bytes()
    except OSError:
        data = b""
    if data:
        normal = data if keep_colours else data.replace(_INK.encode(), _ink().name().encode())
        disabled = data if keep_colours else data.replace(
            _INK.encode(), _ink_disabled().name().encode())
        for size in _SIZES:
            for dpr in (1.0, 2.0):
                pm = _render_svg(normal, size, dpr)
                if pm is not None:
                    result.addPixmap(pm, QIcon.Mode.Normal)
                pm = _render_svg(disabled, size, dpr)
                if pm is not None:
                    result.addPixmap(pm, QIcon.Mode.Disabled)
    if result.isNull():
        app = QApplication.instance()
        fallback = _FALLBACK.get(name)
        if app is not None and fallback is not None:
            return app.style().standardIcon(fallback)
    return result


def _ink_disabled() -> QColor:
    return QGuiApplication.palette().color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.WindowText)


def pixmap(name: str, size: int, *, keep_colours: bool = True, dpr: float = 1.0) -> QPixmap | None:
    """A single pixmap of an SVG (the empty state's illustration)."""
    try:
        data = resource_path(f"icons/{name}.svg").read_bytes()
    except OSError:
        return None
    if not keep_colours:
        data = data.replace(_INK.encode(), _ink().name().encode())
    return _render_svg(data, size, dpr)


def app_icon() -> QIcon:
    """The application icon (packaging's resources/icons/app.svg, or app.png)."""
    result = QIcon()
    png = resource_path("icons/app.png")
    svg_data = b""
    try:
        svg_data = resource_path("icons/app.svg").read_bytes()
    except OSError:
        pass
    for size in (16, 24, 32, 48, 64, 128, 256):
        pm = _render_svg(svg_data, size) if svg_data else None
        if pm is not None:
            result.addPixmap(pm)
    if result.isNull() and png.is_file():
        result = QIcon(str(png))
    return result
