"""The bundle's manifest stays true to the source: Qt modules, excludes, names, version, resources.

Building the bundle takes minutes and runs in CI (.ci/run: packaging/build.sh, smoke_test.sh);
these checks are quick and catch what would otherwise only fail there, or only on a user's machine.
"""

from __future__ import annotations

import ast
import configparser
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "packaging"))

import bundle_manifest as m  # noqa: E402
import make_icons  # noqa: E402

from engine import __version__  # noqa: E402
from engine.catalog import APP_NAME  # noqa: E402

# Modules the bundle runs: the whole app, the command line and the fine-tuning worker, with
# everything they import from engine/ (colorize-eval and colorize-train are not bundled).
ENTRY_MODULES = ["engine.cli", "engine.finetune_worker", "engine.resources"] + [
    ".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
    for p in sorted((ROOT / "colorizer_gui").rglob("*.py"))]


def _module_file(name: str) -> Path | None:
    path = ROOT.joinpath(*name.split("."))
    for candidate in (path.with_suffix(".py"), path / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _imports(path: Path) -> set[str]:
    """Every module a file imports, at any depth (function-level imports included)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def bundled_imports() -> dict[str, set[str]]:
    """{imported module: our modules that import it}, over the import closure of ENTRY_MODULES."""
    seen, todo, found = set(), list(ENTRY_MODULES), {}
    while todo:
        mod = todo.pop()
        if mod in seen:
            continue
        seen.add(mod)
        path = _module_file(mod)
        if path is None:
            continue
        for name in _imports(path):
            found.setdefault(name, set()).add(mod)
            if name.split(".")[0] in ("engine", "colorizer_gui"):
                todo.append(name)
    return found


def test_only_the_listed_qt_modules_are_used():
    used = {name.split(".")[1] for name in bundled_imports() if name.startswith("PySide6.Qt")}
    missing = used - set(m.QT_MODULES)
    assert not missing, f"the app imports {sorted(missing)}: add them to QT_MODULES in packaging/bundle_manifest.py"
    for name in m.QT_MODULES:
        assert f"PySide6.{name}" not in m.unused_qt_modules()
    assert "PySide6.QtNetwork" in m.unused_qt_modules()


def test_excluded_packages_are_not_imported_by_the_app():
    imports = bundled_imports()
    for excluded in m.EXCLUDES:
        users = {mod for name, mods in imports.items()
                 if name == excluded or name.startswith(excluded + ".") for mod in mods}
        assert not users, (f"{sorted(users)} import {excluded}, which packaging/bundle_manifest.py excludes "
                           "from the bundle: drop it from EXCLUDES or avoid the import")


def test_names_and_version_come_from_the_package():
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["gui-scripts"][m.GUI_NAME] == "colorizer_gui.app:main"
    assert project["scripts"][m.CLI_NAME] == "engine.cli:main"
    assert "pyinstaller" in " ".join(project["optional-dependencies"]["package"]).lower()
    assert m.VERSION == __version__ and m.DIST_NAME == APP_NAME
    assert m.version_tuple()[:2] == tuple(int(p) for p in __version__.split(".")[:2])

    plist = m.info_plist()
    assert plist["CFBundleShortVersionString"] == __version__
    assert plist["CFBundleIdentifier"] == m.BUNDLE_ID
    assert plist["NSHighResolutionCapable"] is True
    assert "public.jpeg" in plist["CFBundleDocumentTypes"][0]["LSItemContentTypes"]


def test_windows_version_info_is_stamped_with_the_version(tmp_path):
    text = m.windows_version_text()
    assert f"filevers={m.version_tuple()}" in text and f"StringStruct('ProductVersion', '{__version__}')" in text
    # PyInstaller eval()s this text with its versioninfo classes (importable on Windows only):
    # evaluate it with stand-ins that record the calls.
    names = ("VSVersionInfo", "FixedFileInfo", "StringFileInfo", "StringTable", "StringStruct", "VarFileInfo",
             "VarStruct")
    def recorder(name):
        return lambda *args, **kwargs: (name, args, kwargs)

    info = eval(text, {n: recorder(n) for n in names})  # our own text
    assert info[0] == "VSVersionInfo" and info[2]["ffi"][2]["filevers"] == m.version_tuple()


def test_desktop_entry_matches_the_app():
    path = ROOT / "packaging" / "linux" / f"{m.DESKTOP_ID}.desktop"
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str
    parser.read(path, encoding="utf-8")
    entry = parser["Desktop Entry"]
    assert entry["Name"] == APP_NAME and entry["Type"] == "Application"
    assert entry["Exec"].split()[0] == m.GUI_NAME and entry["Icon"] == m.DESKTOP_ID
    assert entry["MimeType"] == ";".join(mime for _, mime in m.DOCUMENT_TYPES) + ";"
    app_py = ROOT / "colorizer_gui" / "app.py"
    if app_py.is_file() and "setDesktopFileName" in app_py.read_text():
        assert f'setDesktopFileName("{m.DESKTOP_ID}")' in app_py.read_text()


def test_resources_for_the_bundle_exist():
    found = {pattern: [p for p in ROOT.glob(pattern) if p.is_file()] for pattern, _ in m.DATAS}
    assert found["resources/samples/*"] and found["resources/icons/*"]
    assert (ROOT / "resources" / "samples" / "cork-1905.jpg").is_file()  # the self-test's sample
    for name in ("app.svg", "app.png"):
        assert (ROOT / "resources" / "icons" / name).is_file()
    for _, dest in m.DATAS:
        assert dest.startswith("resources/")  # where engine.resources.resource_path looks


def test_spec_and_scripts_are_well_formed():
    compile((ROOT / "packaging" / "colorizer.spec").read_text(), "colorizer.spec", "exec")
    for script in ("build.sh", "smoke_test.sh", "linux/install-desktop-entry.sh"):
        text = (ROOT / "packaging" / script).read_text()
        assert text.startswith("#!") and "set -e" in text


def test_dropped_files():
    assert m.dropped("torch/test/op_registration_test")
    assert m.dropped("torch/bin/protoc") and not m.dropped("torch/bin/torch_shm_manager")
    assert m.dropped("PySide6/Qt/translations/qt_de.qm")
    assert m.dropped("torch\\test\\x.exe")
    for kept in ("torch/lib/libtorch_cpu.so", "torch/lib/libc10.so", "PySide6/Qt/plugins/platforms/libqoffscreen.so",
                 "resources/models/colorizer-base.safetensors"):
        assert not m.dropped(kept)


def test_platform_icons_and_png_match_the_svg(tmp_path):
    ico, icns = make_icons.write_platform_icons(ROOT / "resources" / "icons" / "app.png", tmp_path)
    assert Image.open(ico).format == "ICO" and Image.open(icns).format == "ICNS"
    make_icons.render_png(ROOT / "resources" / "icons" / "app.svg", tmp_path / "app.png")
    fresh = np.asarray(Image.open(tmp_path / "app.png").convert("RGBA"), dtype=np.float32)
    committed = np.asarray(Image.open(ROOT / "resources" / "icons" / "app.png").convert("RGBA"), dtype=np.float32)
    assert fresh.shape == committed.shape
    assert np.abs(fresh - committed).mean() < 2, "app.png is out of date: run python packaging/make_icons.py"


def _readme_install_command(section: str) -> str:
    """The README section's command that installs torch (.ci/run runs the one of Install and test)."""
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    start = lines.index(f"## {section}")
    return next(lines[i + 1] for i in range(start, len(lines)) if lines[i] == "```bash" and "torch" in lines[i + 1])


def _simple_index(root: Path, version: str) -> str:
    """A package index (PEP 503) holding one empty `torch` wheel of `version`."""
    import zipfile

    name = f"torch-{version}-py3-none-any.whl"
    (root / "torch").mkdir(parents=True)
    info = f"torch-{version}.dist-info"
    with zipfile.ZipFile(root / "torch" / name, "w") as whl:
        whl.writestr(f"{info}/METADATA", f"Metadata-Version: 2.1\nName: torch\nVersion: {version}\n")
        whl.writestr(f"{info}/WHEEL", "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
        whl.writestr(f"{info}/RECORD", "")
    (root / "torch" / "index.html").write_text(f'<a href="{name}">{name}</a>')
    return root.as_uri()


@pytest.mark.parametrize("section", ["Install and run", "Install and test"])
def test_the_readme_installs_the_cpu_build_of_torch(tmp_path, section):
    """Issue 23: on Linux the package index's torch is the CUDA build (2-3 GB of NVIDIA libraries).
    The README's own pip arguments, with the two indexes stood in for by local ones offering
    2.13.0 (CUDA, the Python package index) and 2.13.0+cpu (PyTorch's CPU index), take the CPU build."""
    import shlex
    import subprocess

    command = _readme_install_command(section)
    torch_step = next(step.strip() for step in command.split("&&") if " torch==" in step)
    args = shlex.split(torch_step)
    assert args[:3] == ["pip", "install", "torch==2.13.0"], torch_step
    cpu_index = "https://download.pytorch.org/whl/cpu"
    assert "--index-url" not in args   # CI reaches only the Python package index: the rest must come from there
    pypi, cpu = _simple_index(tmp_path / "pypi", "2.13.0"), _simple_index(tmp_path / "cpu", "2.13.0+cpu")
    args = [cpu if a == cpu_index else a for a in args[2:]]
    report = tmp_path / "report.json"
    run = subprocess.run([sys.executable, "-m", "pip", "install", "--isolated", "--dry-run", "--no-deps",
                          "--ignore-installed", "--report", str(report), "--index-url", pypi, *args],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    import json

    chosen = json.loads(report.read_text())["install"]
    assert [i["metadata"]["version"] for i in chosen] == ["2.13.0+cpu"], run.stdout
