"""What goes into the bundle, in one place: read by colorizer.spec and checked by tests/test_packaging.py.

Names and the version come from the package (engine.catalog.APP_NAME, engine.__version__), so they
are defined once; this file only adds what exists for packaging alone (the bundle identifier).
"""

from __future__ import annotations

import re
import sys
from fnmatch import fnmatch
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from engine import __version__  # noqa: E402
from engine.catalog import APP_NAME, DEFAULT_MODEL  # noqa: E402

VERSION = __version__
BUNDLE_ID = "org.colorizer.Colorizer"   # macOS CFBundleIdentifier
DESKTOP_ID = "colorizer"                # Linux: colorizer.desktop and icon name, as the app's setDesktopFileName
GUI_NAME = "colorizer"                  # the executables, as in pyproject's [project.gui-scripts]
CLI_NAME = "colorize"                   # and [project.scripts]
DIST_NAME = APP_NAME                    # dist/Colorizer/ (dist/Colorizer.app on macOS)
MODEL_FILE = f"models/{DEFAULT_MODEL}.safetensors"

# The only Qt modules the app imports. tests/test_packaging.py fails when the source imports another,
# so a new one is added here on purpose; every other installed PySide6 module is excluded.
QT_MODULES = ("QtCore", "QtGui", "QtWidgets", "QtSvg")

# Packages the app never imports at run time (measured: colorizing, fine-tuning and the CLI), which
# hooks or optional imports would otherwise drag in. scipy and scikit-image serve colorize-eval only.
EXCLUDES = (
    "tkinter", "_tkinter", "matplotlib", "IPython", "jupyter_client", "notebook",
    "scipy", "skimage", "networkx", "jinja2", "pandas",
    "pytest", "_pytest", "pytestqt", "pip", "setuptools", "pkg_resources", "distutils",
    "tensorboard", "torch.utils.tensorboard",
    "PIL.ImageTk", "PIL.ImageQt",
)

# Files that PyInstaller's hooks collect but the app never uses (paths inside the bundle, fnmatch
# patterns): PyTorch's C++ test programs and build tools (about 130 MB), and Qt's translations of
# its own dialogs (the app's interface is English only).
DROP = (
    "torch/test/*",
    "torch/bin/*",          # test programs and protoc; torch_shm_manager is kept (KEEP below)
    "torch/lib/*test*",
    "torch/include/*",
    "torch/share/*",
    "PySide6/Qt/translations/*",
)
KEEP = ("torch/bin/torch_shm_manager",)
# Linux: libraries whose symbol tables are stripped after the build (the dynamic symbols stay):
# about 100 MB. Only these: strip breaks the patchelf-edited libraries of other wheels.
STRIP = ("torch/lib/libtorch_cpu.so", "torch/lib/libtorch_python.so")

# (glob relative to the repository, folder in the bundle): read-only files found by engine.resources.
DATAS = (
    (f"resources/{MODEL_FILE}", "resources/models"),
    ("resources/models/*.md", "resources/models"),
    ("resources/samples/*", "resources/samples"),
    ("resources/icons/*", "resources/icons"),
)

# Image types the app opens: macOS CFBundleDocumentTypes (dropping photos on the app icon) and
# the Linux .desktop MimeType.
DOCUMENT_TYPES = (
    # (UTI, MIME type)
    ("public.jpeg", "image/jpeg"),
    ("public.png", "image/png"),
    ("public.tiff", "image/tiff"),
    ("org.webmproject.webp", "image/webp"),
    ("com.microsoft.bmp", "image/bmp"),
    ("com.compuserve.gif", "image/gif"),
)


def unused_qt_modules() -> list[str]:
    """Every installed PySide6 module except QT_MODULES (as PySide6.QtX names)."""
    import PySide6

    folder = Path(PySide6.__file__).parent
    names = {re.match(r"(Qt\w+?)\.", p.name).group(1) for p in folder.glob("Qt*.*") if re.match(r"Qt\w+?\.", p.name)}
    return sorted(f"PySide6.{n}" for n in names - set(QT_MODULES))


def dropped(dest: str) -> bool:
    """Whether a collected file (its path inside the bundle) is left out."""
    dest = dest.replace("\\", "/")
    return not any(fnmatch(dest, k) for k in KEEP) and any(fnmatch(dest, d) for d in DROP)


def version_tuple() -> tuple[int, int, int, int]:
    parts = [int(p) for p in re.findall(r"\d+", VERSION)[:4]]
    return tuple(parts + [0] * (4 - len(parts)))  # type: ignore[return-value]


def info_plist() -> dict:
    return {
        "CFBundleName": APP_NAME,
        "CFBundleDisplayName": APP_NAME,
        "CFBundleIdentifier": BUNDLE_ID,
        "CFBundleShortVersionString": VERSION,
        "CFBundleVersion": VERSION,
        "NSHighResolutionCapable": True,
        "NSRequiresAquaSystemAppearance": False,
        "LSMinimumSystemVersion": "11.0",
        "NSHumanReadableCopyright": f"{APP_NAME} {VERSION}",
        "CFBundleDocumentTypes": [{
            "CFBundleTypeName": "Image",
            "CFBundleTypeRole": "Viewer",
            "LSHandlerRank": "Alternate",
            "LSItemContentTypes": [uti for uti, _ in DOCUMENT_TYPES],
        }],
    }


def windows_version_text() -> str:
    """The Windows version resource (file and product version, names) in PyInstaller's version-file
    format, built from VERSION; the spec writes it to a file for EXE(version=...)."""
    v = version_tuple()
    strings = {
        "CompanyName": APP_NAME,
        "FileDescription": f"{APP_NAME}: colorize black-and-white photos",
        "FileVersion": VERSION,
        "InternalName": GUI_NAME,
        "LegalCopyright": f"{APP_NAME} contributors, MIT licence",
        "OriginalFilename": f"{GUI_NAME}.exe",
        "ProductName": APP_NAME,
        "ProductVersion": VERSION,
    }
    table = ",\n".join(f"          StringStruct({k!r}, {val!r})" for k, val in strings.items())
    return (
        "VSVersionInfo(\n"
        f"  ffi=FixedFileInfo(filevers={v}, prodvers={v}, mask=0x3f, flags=0x0, OS=0x40004,\n"
        "                    fileType=0x1, subtype=0x0, date=(0, 0)),\n"
        "  kids=[\n"
        "    StringFileInfo([StringTable('040904B0', [\n"
        f"{table}])]),\n"
        "    VarFileInfo([VarStruct('Translation', [1033, 1200])])\n"
        "  ]\n"
        ")\n"
    )
