"""Reliability round 2 (issue 24): two runs never overwrite each other, no input ends a batch.

Real `colorize` processes on real files; no mocks.
"""

from __future__ import annotations

import json
import os
import signal
import struct
import subprocess
import sys
import time
import zlib
from pathlib import Path

import numpy as np
import pytest
import tifffile
from conftest import grey_gradient
from PIL import Image, PngImagePlugin

from engine.files import NameTaken, atomic_write

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}


def _colorize_cmd(*args: str | Path) -> list[str]:
    return [sys.executable, "-m", "engine.cli", *map(str, args)]


def _colorize(*args: str | Path, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(_colorize_cmd(*args), capture_output=True, text=True, env=ENV, timeout=timeout)


def _strength_of(path: Path) -> str:
    with Image.open(path) as im:
        xmp = im.info.get("xmp") or b""
    text = xmp.decode() if isinstance(xmp, bytes) else xmp
    return text.split('colorizer:Strength="', 1)[1].split('"', 1)[0]


def _scans(folder: Path, count: int) -> list[Path]:
    folder.mkdir()
    paths = []
    for i in range(count):
        path = folder / f"scan{i:02d}.png"
        Image.fromarray(grey_gradient(48, 32, seed=i), "L").save(path)
        paths.append(path)
    return paths


# --- item 1: concurrent runs into one folder ----------------------------------------------

def test_atomic_write_that_may_not_replace_leaves_the_file_there_untouched(tmp_path):
    dest = tmp_path / "a.txt"
    dest.write_text("first")
    with pytest.raises(NameTaken), atomic_write(dest, "w", exists="fail") as f:
        f.write("second")
    assert dest.read_text() == "first"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt"]  # no partial left


def test_atomic_write_numbered_takes_the_next_free_name(tmp_path):
    dest = tmp_path / "a.txt"
    dest.write_text("first")
    (tmp_path / "a-1.txt").write_text("second")
    placed: list[Path] = []
    with atomic_write(dest, "w", exists="number", placed=placed) as f:
        f.write("third")
    assert placed == [tmp_path / "a-2.txt"]
    assert [p.read_text() for p in (dest, tmp_path / "a-1.txt", tmp_path / "a-2.txt")] == ["first", "second", "third"]
    assert len(list(tmp_path.iterdir())) == 3


@pytest.mark.parametrize("mode", ["rename", "skip", "resume"])
def test_two_concurrent_runs_into_one_folder_never_replace_a_result(tmp_path, tiny_model_path, mode):
    """Two `colorize` at once with different strengths: every result written survives, and
    with skip each photo has exactly one result (issue 24 item 1: 8 of 480 were replaced)."""
    photos = _scans(tmp_path / "scans", 40)
    out = tmp_path / "out"
    runs = [subprocess.Popen(_colorize_cmd(tmp_path / "scans", "-o", out, "--model", tiny_model_path,
                                           "--render-size", "64", "--strength", strength, "--if-exists", mode,
                                           "--json", "-q"),
                             env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for strength in ("0.5", "1.5")]
    reports = []
    for run in runs:
        stdout, stderr = run.communicate(timeout=600)
        assert run.returncode == 0, stderr
        assert "Traceback" not in stderr
        reports.append(json.loads(stdout))
    written = [(r["output"], strength) for report, strength in zip(reports, ("0.50", "1.50"))
               for r in report["results"] if r["status"] == "done"]
    # Every result a run says it wrote is there, holding that run's strength: none was replaced.
    for output, strength in written:
        assert _strength_of(Path(output)) == strength, output
    assert len({o for o, _ in written}) == len(written)
    files = sorted(p.name for p in out.iterdir())
    assert len(files) == len(written)
    assert not [f for f in files if f.endswith(".partial")]
    if mode == "skip":
        assert len(written) == len(photos)
    elif mode == "rename":
        assert len(written) == 2 * len(photos)
    else:  # each photo done at least once; by both runs only when they reached it together
        assert {Path(r["input"]).name for report in reports for r in report["results"]
                if r["status"] == "done"} == {p.name for p in photos}


# --- item 2: a name too long for the file system --------------------------------------------

def test_a_name_too_long_once_suffixed_fails_only_that_photo(tmp_path, tiny_model_path):
    """A 250-byte name plus `_color` is over 255 bytes: that photo fails with one line, the
    other 19 are colorized and --json lists all 20 (at 540cf06 a traceback ended the batch)."""
    photos = _scans(tmp_path / "scans", 19)
    long_one = tmp_path / "scans" / ("é" * 123 + ".png")  # 250 bytes
    Image.fromarray(grey_gradient(48, 32), "L").save(long_one)
    run = _colorize(tmp_path / "scans", "-o", tmp_path / "out", "--model", tiny_model_path, "--render-size", "64",
                    "--json")
    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    report = json.loads(run.stdout)
    by_name = {Path(r["input"]).name: r for r in report["results"]}
    assert len(by_name) == 20 and report["summary"]["done"] == 19 and report["summary"]["failed"] == 1
    failure = by_name[long_one.name]
    assert failure["status"] == "failed" and "over the file system's limit of 255" in failure["message"]
    assert "\n" not in failure["message"]
    assert all(by_name[p.name]["status"] == "done" for p in photos)
    assert len([line for line in run.stderr.splitlines() if "limit of 255" in line]) == 2  # as it happens, summary


# --- item 5: metadata that cannot go along is dropped with a note --------------------------

_RDF = ('<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">{}</rdf:Description>'
        '</rdf:RDF></x:xmpmeta>')


def test_metadata_that_cannot_be_kept_is_dropped_with_a_note_and_the_photo_saved(tmp_path, tiny_model_path):
    """A TIFF with 70 KB of XMP saved as JPEG failed "EXIF data is too long"; a PNG with XMP
    nested 100,000 deep failed with RecursionError (issue 24 item 5)."""
    grey = grey_gradient(64, 48)
    big = _RDF.format(f"<dc:description>{'x' * 70_000}</dc:description>").encode()
    tifffile.imwrite(tmp_path / "big_xmp.tif", grey, extratags=[(700, 1, len(big), big, True)])
    info = PngImagePlugin.PngInfo()
    info.add_itxt("XML:com.adobe.xmp", _RDF.format("<a>" * 100_000 + "</a>" * 100_000))
    Image.fromarray(grey).save(tmp_path / "deep_xmp.png", pnginfo=info)
    run = _colorize(tmp_path / "big_xmp.tif", tmp_path / "deep_xmp.png", "--format", "jpg", "-o", tmp_path / "out",
                    "--model", tiny_model_path, "--render-size", "64", "--json")
    assert run.returncode == 0, run.stderr
    by_name = {Path(r["input"]).name: r for r in json.loads(run.stdout)["results"]}
    assert by_name["big_xmp.tif"]["notes"] == ["the photo's XMP data is too large for this format and was not copied"]
    assert by_name["deep_xmp.png"]["notes"] == [
        "the photo's XMP data is nested over 200 levels deep and was not copied"]
    for name in ("big_xmp_color.jpg", "deep_xmp_color.jpg"):
        with Image.open(tmp_path / "out" / name) as im:
            assert b"colorizer" in im.info["xmp"]   # the label is there all the same


# --- item 6: a model whose metadata is JSON nested too deeply ------------------------------

def _with_header(model: Path, dest: Path, change) -> Path:
    """A copy of a safetensors model with its JSON header changed by `change(header) -> str`."""
    data = model.read_bytes()
    n = int.from_bytes(data[:8], "little")
    header = json.loads(data[8:8 + n])
    text = change(header).encode()
    dest.write_bytes(len(text).to_bytes(8, "little") + text + data[8 + n:])
    return dest


def _deep_models(tiny: Path, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)

    def deep_training(header: dict) -> str:
        header["__metadata__"]["training"] = "[" * 100_000 + "]" * 100_000
        return json.dumps(header)

    def deep_header(header: dict) -> str:
        return json.dumps(header)[:-1] + ', "x": ' + "[" * 100_000 + "]" * 100_000 + "}"

    return [_with_header(tiny, folder / "deep_training.safetensors", deep_training),
            _with_header(tiny, folder / "deep_header.safetensors", deep_header)]


def test_a_model_with_deeply_nested_metadata_is_refused_in_one_line_everywhere(tmp_path, tiny_model_path,
                                                                                 make_photo):
    """--model gave a 29-line traceback; in the user models folder --list-models crashed
    (issue 24 item 6)."""
    from engine.catalog import user_models_dir
    from engine.errors import ModelRejected
    from engine.model_manager import import_model

    photo = make_photo("a.png")
    for model in _deep_models(tiny_model_path, tmp_path / "models"):
        run = _colorize(photo, "--model", model)
        assert run.returncode == 2 and "Traceback" not in run.stderr, run.stderr
        assert run.stderr.strip().count("\n") == 0 and "nested too deeply" in run.stderr
        with pytest.raises(ModelRejected, match="nested too deeply"):   # the app's Import…
            import_model(model)
    _deep_models(tiny_model_path, user_models_dir())
    listed = subprocess.run([sys.executable, "-m", "engine.cli", "--list-models", "--json"], capture_output=True,
                            text=True, env={**ENV, **os.environ}, timeout=120)  # now: the isolated user folders
    assert listed.returncode == 0, listed.stderr
    errors = {e["name"]: e["error"] for e in json.loads(listed.stdout)}
    assert "nested too deeply" in errors["deep_training"] and "nested too deeply" in errors["deep_header"]


def test_the_app_starts_with_a_deeply_nested_model_in_the_user_folder(qtbot, tiny_model_path):
    """The app hung at start-up with no window (issue 24 item 6)."""
    from colorizer_gui.qt_main_window import MainWindow
    from colorizer_gui.settings import load_settings
    from engine.catalog import user_models_dir

    _deep_models(tiny_model_path, user_models_dir())
    settings, _ = load_settings()
    settings.auto_start = False
    window = MainWindow(settings)
    qtbot.addWidget(window)
    window.show()
    controller = window.colorize_tab.controller
    qtbot.waitUntil(lambda: bool(controller.model_ready or controller.model_error), timeout=30_000)
    assert window.isVisible()
    window.close()


# --- item 7: small inputs that ask for unbounded work ----------------------------------------

def _png_claiming(path: Path, width: int, height: int) -> Path:
    """A tiny PNG whose header claims width x height (a decompression bomb's shape)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b""))
    return path


def test_huge_hint_files_and_huge_claimed_sizes_fail_one_photo_quickly(tmp_path, tiny_model_path):
    """100,000 hint points took 237 s and 5.9 GB; a 177-byte PNG claiming 100000x100000 with
    --allow-huge passed 10 GB until the kernel ended the batch (issue 24 item 7)."""
    scans = tmp_path / "scans"
    _scans(scans, 2)
    bomb = _png_claiming(scans / "bomb.png", 100_000, 100_000)
    assert bomb.stat().st_size < 200
    hints = tmp_path / "hints"
    hints.mkdir()
    points = [{"x": i % 48, "y": i % 32, "color": "#2a4f9e"} for i in range(100_000)]
    (hints / "scan00.json").write_text(json.dumps({"points": points}))
    start = time.monotonic()
    run = _colorize(scans, "-o", tmp_path / "out", "--model", tiny_model_path, "--render-size", "64",
                    "--hints-dir", hints, "--allow-huge", "--json")
    assert time.monotonic() - start < 60
    assert run.returncode == 1 and "Traceback" not in run.stderr
    by_name = {Path(r["input"]).name: r for r in json.loads(run.stdout)["results"]}
    assert by_name["scan01.png"]["status"] == "done"
    assert by_name["scan00.png"]["status"] == "failed"
    assert "100,000 colour hints for one photo; at most 1,000" in by_name["scan00.png"]["message"]
    assert by_name["bomb.png"]["status"] == "failed"
    assert "needs about" in by_name["bomb.png"]["message"] and "GB of memory" in by_name["bomb.png"]["message"]


# --- item 9: labels that tell the truth --------------------------------------------------------

def _label_hints(path: Path) -> str:
    with Image.open(path) as im:
        return im.info["xmp"].decode().split('colorizer:Hints="', 1)[1].split('"', 1)[0]


def test_hints_off_the_photo_are_not_counted_in_the_label(tmp_path, tiny_model_path):
    """Hints outside the photo or at NaN/Infinity were ignored but counted: Hints="2" on a
    photo pixel-identical to one without hints (issue 24 item 9)."""
    scans = tmp_path / "scans"
    _scans(scans, 2)
    hints = tmp_path / "hints"
    hints.mkdir()
    (hints / "scan00.json").write_text('{"points": [{"x": 500, "y": 10, "color": "#2a4f9e"}, '
                                       '{"x": NaN, "y": Infinity, "color": "#2a4f9e"}]}')
    (hints / "scan01.json").write_text('{"points": [{"x": 5, "y": 5, "color": "#2a4f9e"}, '
                                       '{"x": -1, "y": 5, "color": "#2a4f9e"}]}')
    common = ("--model", tiny_model_path, "--render-size", "64", "--json")
    run = _colorize(scans, "-o", tmp_path / "out", "--hints-dir", hints, *common)
    plain = _colorize(scans / "scan00.png", "-o", tmp_path / "plain", *common)
    assert run.returncode == 0 and plain.returncode == 0, run.stderr + plain.stderr
    by_name = {Path(r["input"]).name: r for r in json.loads(run.stdout)["results"]}
    assert _label_hints(tmp_path / "out" / "scan00_color.png") == "0"
    assert by_name["scan00.png"]["notes"] == ["2 colour hint(s) outside the photo were ignored"]
    assert np.array_equal(np.asarray(Image.open(tmp_path / "out" / "scan00_color.png")),
                          np.asarray(Image.open(tmp_path / "plain" / "scan00_color.png")))
    assert _label_hints(tmp_path / "out" / "scan01_color.png") == "1"
    assert by_name["scan01.png"]["notes"] == ["1 colour hint(s) outside the photo were ignored",
                                              "1 colour hint(s) used"]


# --- item 10: smaller ------------------------------------------------------------------------

def test_a_hint_file_saved_by_notepad_with_a_byte_order_mark_is_read(tmp_path, tiny_model_path):
    scans = tmp_path / "scans"
    _scans(scans, 1)
    hints = tmp_path / "hints"
    hints.mkdir()
    (hints / "scan00.json").write_bytes(b"\xef\xbb\xbf" + b'{"points": [{"x": 5, "y": 5, "color": "#2a4f9e"}]}')
    run = _colorize(scans, "-o", tmp_path / "out", "--hints-dir", hints, "--model", tiny_model_path,
                    "--render-size", "64", "--json")
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["results"][0]["notes"] == ["1 colour hint(s) used"]


# --- item 8: project files ---------------------------------------------------------------------

@pytest.fixture
def tab(qtbot, tiny_model_path):
    from colorizer_gui.settings import GuiSettings
    from colorizer_gui.workspace.qt_colorize_tab import ColorizeTab

    settings = GuiSettings()
    settings.auto_start = False
    t = ColorizeTab(settings)
    qtbot.addWidget(t)
    t.show()
    t.controller.load_model(str(tiny_model_path), "cpu")
    qtbot.waitUntil(lambda: t.controller.model_ready, timeout=30000)
    yield t
    t.close_down()


@pytest.mark.parametrize("photos", [
    [5], [{"path": None}], [{"path": "a.png", "strength": None}], [{"path": "a.png", "strength": "Infinity"}],
    [{"path": "a.png", "strength": 1e309}], [{"path": "a.png", "strength": -1}],
    [{"path": "a.png", "points": [{"x": 1}]}], "deep"])
def test_a_malformed_project_gives_one_message_and_changes_nothing(tab, tmp_path, make_photo, photos):
    """5 of 9 malformed projects raised exceptions no dialog caught; Infinity broke the row's
    painting (issue 24 item 8)."""
    from colorizer_gui.hints.project_files import ProjectError

    make_photo("a.png")
    project = tmp_path / "p.colorizer.json"
    if photos == "deep":
        project.write_text('{"colorizer_project": 1, "photos": ' + "[" * 100_000 + "]" * 100_000 + "}")
    else:  # json.dumps writes 1e309 as Infinity, as a hand-edited file may have it
        project.write_text(json.dumps({"colorizer_project": 1, "photos": photos}))
    with pytest.raises(ProjectError) as caught:
        tab.hints.open_project_from(project)
    assert "\n" not in str(caught.value) and len(str(caught.value)) < 200
    assert len(tab.queue) == 0


def test_a_project_naming_photos_outside_its_folder_asks_first(qtbot, tab, tmp_path, make_photo):
    """`../../elsewhere/private/victim.png` was followed and its result written there, with no
    word to the user (issue 24 item 8)."""
    victim = make_photo("victim.png", folder=tmp_path / "elsewhere" / "private")
    own = make_photo("own.png", folder=tmp_path / "shared" / "project")
    project = tmp_path / "shared" / "project" / "p.colorizer.json"
    project.write_text(json.dumps({"colorizer_project": 1, "photos": [
        {"path": "own.png", "strength": 1.2, "points": []},
        {"path": "../../elsewhere/private/victim.png", "strength": 1.0, "points": []}]}))
    asked: list[list[Path]] = []
    tab.hints.files.confirm_outside = lambda photos: asked.append(photos) or False
    assert tab.hints.open_project_from(project) == 1
    assert [i.path for i in tab.queue.items] == [own]
    assert [p.resolve() for p in asked[0]] == [victim.resolve()]
    assert "outside the project's folder not opened" in tab.log_panel.plain_text()
    tab.hints.files.confirm_outside = lambda photos: True
    assert tab.hints.open_project_from(project) == 2
    qtbot.waitUntil(lambda: all(i.thumbnail is not None for i in tab.queue.items), timeout=10_000)


def test_control_characters_in_names_give_valid_xmp_and_a_clean_terminal(tmp_path, tiny_model_path):
    """A file or model name with control characters made XMP that XML parsers reject and was
    echoed raw to the terminal, escape sequences and all (issue 24 item 9)."""
    import xml.etree.ElementTree as ET

    from conftest import make_tiny_model

    from engine.weights import ModelInfo, save_model

    model = tmp_path / "evil.safetensors"
    save_model(make_tiny_model(), ModelInfo(name="evil\x1b]0;pwned\x07\x01", description="x"), model)
    scans = tmp_path / "scans"
    scans.mkdir()
    name = "red\x1b[31m\x07\x01.png"
    Image.fromarray(grey_gradient(48, 32)).save(scans / name)
    (scans / "broken\x1b[2J.png").write_bytes(b"not a png")
    run = _colorize(scans, "-o", tmp_path / "out", "--model", model, "--render-size", "64")
    assert run.returncode == 1
    assert not any(ch in run.stderr for ch in "\x1b\x07\x01"), run.stderr
    assert "red\\x1b[31m\\x07\\x01.png" in run.stderr and "broken\\x1b[2J.png" in run.stderr
    with Image.open(tmp_path / "out" / "red\x1b[31m\x07\x01_color.png") as im:
        xmp = im.info["xmp"]
    body = xmp.decode().split("?>", 1)[1].rsplit("<?xpacket", 1)[0]
    ET.fromstring(body)   # a strict XML parser reads it
    assert "evil\\x1b]0;pwned\\x07\\x01" in body


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_in_the_first_moments_stops_with_one_line(tmp_path, tiny_model_path, sig):
    """Ctrl-C while torch loaded printed a KeyboardInterrupt traceback; SIGTERM then ended it
    with no word (issue 24 item 10)."""
    scans = tmp_path / "scans"
    _scans(scans, 3)
    proc = subprocess.Popen(_colorize_cmd(scans, "-o", tmp_path / "out", "--model", tiny_model_path), env=ENV,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(0.4)   # past Python's start, before torch has loaded (over a second here)
    proc.send_signal(sig)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 128 + sig, stderr
    assert "Traceback" not in stderr
    assert stderr.strip() == "colorize: cancelled before any photo was colorized; nothing was written"
    assert not (tmp_path / "out").exists()


def test_no_stray_library_line_and_animations_get_a_note(tmp_path, tiny_model_path):
    """Pillow's own log line ('More samples per pixel than can be decoded') came before
    'Colorizing'; an animated GIF colorized its first frame with no note (issue 24 item 10)."""
    from PIL import TiffImagePlugin

    scans = tmp_path / "scans"
    scans.mkdir()
    odd = TiffImagePlugin.ImageFileDirectory_v2()
    odd[277] = 100   # SamplesPerPixel over Pillow's limit: it logs, then refuses the file
    Image.fromarray(grey_gradient(48, 32)).save(scans / "odd.tif", tiffinfo=odd)
    frames = [Image.fromarray(grey_gradient(48, 32, seed=i)) for i in range(3)]
    frames[0].save(scans / "moving.gif", save_all=True, append_images=frames[1:], duration=100)
    run = _colorize(scans, "-o", tmp_path / "out", "--model", tiny_model_path, "--render-size", "64", "--json")
    assert run.stderr.startswith("Colorizing"), run.stderr
    assert "samples per pixel" not in run.stderr
    by_name = {Path(r["input"]).name: r for r in json.loads(run.stdout)["results"]}
    assert by_name["odd.tif"]["status"] == "failed"
    assert "an animation of 3 frames: only its first frame was colorized" in by_name["moving.gif"]["notes"]
