"""`colorize` end to end with the real tiny model: mixed and broken folders, exit codes, options."""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest
import tifffile
from conftest import can_mount_tmpfs
from PIL import Image

from engine.cli import main

ROOT = Path(__file__).resolve().parents[1]


def grey(width: int, height: int) -> np.ndarray:
    g = np.tile(np.linspace(30, 220, width, dtype=np.float32), (height, 1))
    g[:16, :16] = 250  # top-left marker
    return g.astype(np.uint8)


def png_header_only(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


def snapshot(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def mixed_folder(tmp_path) -> Path:
    """Every supported kind of photo, a subfolder, and a folder of broken files."""
    root = tmp_path / "photos"
    (root / "sub").mkdir(parents=True)
    (root / "broken").mkdir()
    g = grey(96, 64)
    exif = Image.Exif()
    exif[0x010F] = "TestCam"
    exif[0x0112] = 6
    Image.fromarray(g).save(root / "grey.jpg", quality=90)
    Image.fromarray(g).save(root / "turned.jpg", exif=exif.tobytes())
    Image.fromarray(np.dstack([g, g, g, np.full_like(g, 128)]), "RGBA").save(root / "cutout.png")
    Image.fromarray(g.astype(np.uint16) * 257 + 100).save(root / "deep.png")
    Image.fromarray(g).convert("CMYK").save(root / "print.jpg")
    Image.fromarray(g).convert("P").save(root / "pal.gif")
    Image.fromarray(np.dstack([g, g // 2, g // 3])).save(root / "colour.webp")
    Image.fromarray(g).save(root / "scan.bmp")
    Image.fromarray(g).save(root / "sub" / "nested.tif")
    buf = io.BytesIO()
    Image.fromarray(g).save(buf, "JPEG")
    payload = b"Exif\x00\x00MM\x00\x2a" + struct.pack(">I", 99999)
    data = buf.getvalue()
    app1 = b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload
    (root / "odd_exif.jpg").write_bytes(data[:2] + app1 + data[2:])
    (root / "broken" / "notes.jpg").write_text("not a photo\n")
    (root / "broken" / "empty.png").touch()
    (root / "broken" / "cut.jpg").write_bytes(data[: len(data) // 2])
    (root / "broken" / "bomb.png").write_bytes(png_header_only(100_000, 100_000))
    return root


GOOD = {"grey_color.jpg", "turned_color.jpg", "cutout_color.png", "deep_color.png", "print_color.jpg",
        "pal_color.png", "colour_color.webp", "scan_color.png", "odd_exif_color.jpg", "sub/nested_color.tif"}
BROKEN = {"notes.jpg": "not an image", "empty.png": "empty (0 bytes)", "cut.jpg": "truncated",
          "bomb.png": "over the 150 MP safety limit"}


def test_mixed_folder_end_to_end(mixed_folder, tmp_path, tiny_model_path, capsys):
    before = snapshot(mixed_folder)
    out = tmp_path / "out"
    code = main([str(mixed_folder), "-r", "-o", str(out), "--model", str(tiny_model_path), "--json"])
    captured = capsys.readouterr()
    assert code == 1
    report = json.loads(captured.out)
    status = {Path(r["input"]).name: (r["status"], r["message"]) for r in report["results"]}
    for name, reason in BROKEN.items():
        assert status[name][0] == "failed" and reason in status[name][1], name
        assert f"broken/{name}: " in captured.err and reason in captured.err  # named in the summary
    assert report["summary"] == {**report["summary"], "done": len(GOOD), "failed": len(BROKEN), "skipped": 0}
    assert "Done: 10 colorized, 4 failed, 0 skipped" in captured.err

    assert snapshot(mixed_folder) == before  # every original byte-identical, nothing added beside them
    written = {str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()}
    assert written == GOOD  # mirrored tree, no partial files, nothing for the broken ones

    with Image.open(out / "turned_color.jpg") as im:  # EXIF orientation applied and reset, EXIF kept
        assert im.size == (64, 96) and im.getexif().get(0x0112, 1) == 1 and im.getexif().get(0x010F) == "TestCam"
        L = np.asarray(im.convert("L"))
        assert L[:16, -16:].mean() > L[:16, :16].mean() + 50  # the marker went top-right
    with Image.open(out / "cutout_color.png") as im:
        assert im.mode == "RGBA" and (np.asarray(im)[..., 3] == 128).all()
    for name in GOOD:
        with Image.open(out / name) as im:
            assert im.size in ((96, 64), (64, 96)), name
            rgb = np.asarray(im.convert("RGB")).astype(int)
            assert np.abs(rgb[..., 0] - rgb[..., 2]).mean() > 5, f"{name} is not colourful"
    notes = {Path(r["input"]).name: r["notes"] for r in report["results"]}
    assert any("8 bits" in n for n in notes["deep.png"])
    assert "damaged EXIF data was dropped" in notes["odd_exif.jpg"]
    assert any("toned (sepia or similar)" in n for n in notes["colour.webp"])

    # a re-run skips what is there, still names the broken files, and still changes nothing
    code = main([str(mixed_folder), "-r", "-o", str(out), "--model", str(tiny_model_path), "--skip-existing",
                 "--json", "--quiet"])
    captured = capsys.readouterr()
    assert code == 1
    assert json.loads(captured.out)["summary"]["skipped"] == len(GOOD)
    assert snapshot(mixed_folder) == before and {str(p.relative_to(out)) for p in out.rglob("*")
                                                 if p.is_file()} == GOOD


def test_all_good_exits_0_and_quiet_is_quiet(tmp_path, tiny_model_path, capsys):
    src = tmp_path / "a.png"
    Image.fromarray(grey(64, 48)).save(src)
    assert main([str(src), "--model", str(tiny_model_path), "--quiet"]) == 0
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""
    assert (tmp_path / "a_color.png").is_file()
    assert main([str(src), "--model", str(tiny_model_path), "--suffix", "", "--format", "jpg"]) == 0
    err = capsys.readouterr().err
    assert "Colorizing 1 photo(s) with tiny on CPU" in err and "100%" in err  # the progress bar
    assert (tmp_path / "a.jpg").is_file()


@pytest.mark.parametrize("fmt, suffix", [("png", ".png"), ("jpg", ".jpg"), ("tiff", ".tif"), ("webp", ".webp")])
def test_formats(tmp_path, tiny_model_path, fmt, suffix):
    src = tmp_path / "deep.png"
    Image.fromarray(grey(64, 48).astype(np.uint16) * 257).save(src)
    assert main([str(src), "--model", str(tiny_model_path), "--format", fmt, "-q", "--render-size", "64",
                 "--strength", "1.5"]) == 0
    out = tmp_path / f"deep_color{suffix}"
    with Image.open(out) as im:
        assert im.format == {"jpg": "JPEG", "tiff": "TIFF"}.get(fmt, fmt.upper()) and im.size == (64, 48)
    if fmt == "tiff":
        assert tifffile.imread(out).dtype == np.uint16


def test_hints_dir(tmp_path, tiny_model_path, capsys):
    src = tmp_path / "scan.png"
    Image.fromarray(grey(64, 48)).save(src)
    hints = tmp_path / "hints"
    hints.mkdir()
    (hints / "scan.json").write_text('{"points": [{"x": 30, "y": 20, "color": "#2a4f9e"}]}')
    assert main([str(src), "--model", str(tiny_model_path), "--hints-dir", str(hints), "--json", "-q"]) == 0
    (result,) = json.loads(capsys.readouterr().out)["results"]
    assert "1 colour hint(s) used" in result["notes"]


@pytest.mark.parametrize("args, message", [
    ([], "no photos given"),
    (["{src}", "--strength", "3"], "--strength must be between 0 and 2"),
    (["{src}", "--render-size", "10"], "--render-size must be at least 64"),
    (["{src}", "--suffix", ""], "which is one of the inputs"),
    (["{src}", "--suffix", "/x"], "folder separator"),
    (["{src}", "--hints-dir", "{tmp}/nope"], "is not a folder"),
    (["{src}", "--format", "gif"], "invalid choice"),
    (["{src}", "--quality", "0"], "--quality must be between 1 and 100"),
    (["{src}", "--threads", "-1"], "--threads must be 0 (all cores) or more"),
    (["{src}", "-o", "{src}"], "is a file"),
])
def test_usage_errors_exit_2(tmp_path, capsys, args, message):
    src = tmp_path / "a.png"
    Image.fromarray(grey(32, 32)).save(src)
    argv = [a.format(src=src, tmp=tmp_path) for a in args]
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    assert message in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.png"]


def test_unusable_model_or_device_exits_2(tmp_path, tiny_model_path, capsys):
    src = tmp_path / "a.png"
    Image.fromarray(grey(32, 32)).save(src)
    assert main([str(src), "--model", "nosuch"]) == 2
    assert "no model named 'nosuch'" in capsys.readouterr().err
    evil = tmp_path / "evil.pt"
    evil.write_bytes(b"PK\x03\x04 pretend zip")
    assert main([str(src), "--model", str(evil)]) == 2
    assert "refused" in capsys.readouterr().err
    if not __import__("torch").cuda.is_available():
        assert main([str(src), "--model", str(tiny_model_path), "--device", "cuda"]) == 2
        assert "not available" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.png", "evil.pt"]


def test_missing_input_is_a_usage_error(tmp_path, tiny_model_path, capsys):
    Image.fromarray(grey(32, 32)).save(tmp_path / "here.png")
    with pytest.raises(SystemExit) as info:  # before any photo is done: a typo must not cost a batch
        main([str(tmp_path / "here.png"), str(tmp_path / "gone.jpg"), "--model", str(tiny_model_path)])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err == f"colorize: error: no such file or folder: {tmp_path / 'gone.jpg'}\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["here.png"]


def test_list_models(tiny_model_path, capsys):
    from engine.catalog import user_models_dir

    user_models_dir().mkdir(parents=True)
    shutil.copy(tiny_model_path, user_models_dir() / "family.safetensors")
    (user_models_dir() / "junk.safetensors").write_bytes(b"junk")
    assert main(["--list-models"]) == 0
    out = capsys.readouterr().out
    assert "family" in out and "test model" in out and "UNUSABLE" in out and str(user_models_dir()) in out
    assert main(["--list-models", "--json"]) == 0
    entries = {e["name"]: e for e in json.loads(capsys.readouterr().out)}
    assert entries["family"]["source"] == "user" and entries["junk"]["error"]
    bundled = ROOT / "resources" / "models" / "colorizer-base.safetensors"
    assert ("colorizer-base" in entries) == bundled.is_file()


def _run_cli(args: list[str], **kw) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "engine.cli", *args], capture_output=True, text=True,
                          env=env, timeout=300, **kw)


def test_real_process_exit_codes(tmp_path, tiny_model_path):
    good = tmp_path / "good.jpg"
    Image.fromarray(grey(64, 48)).save(good)
    bad = tmp_path / "bad.jpg"
    bad.write_text("nope")
    run = _run_cli([str(good), str(bad), "--model", str(tiny_model_path), "--json", "--threads", "1"])
    assert run.returncode == 1, run.stderr
    assert [r["status"] for r in json.loads(run.stdout)["results"]] == ["done", "failed"]
    assert f"{bad}: not an image" in run.stderr
    assert _run_cli(["--strength", "9", str(good)]).returncode == 2



@pytest.mark.skipif(not can_mount_tmpfs(), reason="needs root and mount namespaces for a real tiny disk")
def test_disk_full_end_to_end(tmp_path, tiny_model_path):
    src = tmp_path / "big.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (300, 400), dtype=np.uint8)).save(src)
    disk = tmp_path / "disk"
    disk.mkdir()
    cli = f"{sys.executable} -m engine.cli {src} -o {disk} --model {tiny_model_path} --format png"
    script = f"mount -t tmpfs -o size=64k tmpfs {disk} && {{ {cli}; echo rc=$?; ls -A {disk}; }}"
    run = subprocess.run(["unshare", "-m", "sh", "-c", script], capture_output=True, text=True, timeout=300,
                         env={**os.environ, "PYTHONPATH": str(ROOT)}, cwd=ROOT)
    assert "rc=1" in run.stdout, run.stderr
    assert run.stdout.strip().endswith("rc=1")  # and `ls -A` of the full disk printed nothing
    assert f"{src}: the disk is full: no room to save in {disk}" in run.stderr
