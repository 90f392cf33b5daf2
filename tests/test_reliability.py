"""Nothing left behind after a crash, and every valid photo saved faithfully (issue 12).

The odd files of Pillow's own test corpus are rebuilt here with Pillow, numpy and tifffile;
kills are real signals sent to a real `colorize` process while it is writing.
"""

from __future__ import annotations

import io
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import textwrap
import time
import zlib
from pathlib import Path

import numpy as np
import pytest
import tifffile
from conftest import can_mount_tmpfs
from PIL import Image, PngImagePlugin

from engine.color import lightness_from_rgb
from engine.photo_io import PhotoError, is_partial_name, read_photo, remove_stale_partials, write_photo

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}


def _colorize(*args: str | Path, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "engine.cli", *map(str, args)], capture_output=True, text=True,
                          env=ENV, timeout=timeout)


def _partials(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.name.endswith(".partial"))


def _noise(w: int, h: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (h, w), dtype=np.uint8)


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


# --- 1. temporary files after a kill ---------------------------------------------------------

def _start_batch_and_catch_a_partial(tmp_path: Path, model: Path) -> tuple[subprocess.Popen, Path, Path]:
    """A real batch of big noisy PNGs (slow to encode); returns once a .partial file exists."""
    src, out = tmp_path / "scans", tmp_path / "out"
    src.mkdir()
    for i in range(4):
        Image.fromarray(_noise(2400, 1800, i)).save(src / f"scan{i}.png", compress_level=0)
    proc = subprocess.Popen([sys.executable, "-m", "engine.cli", str(src), "-o", str(out), "--model", str(model),
                             "--render-size", "64", "-q"], env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and proc.poll() is None:
        if out.is_dir() and any(e.name.endswith(".partial") for e in os.scandir(out)):
            return proc, src, out
        time.sleep(0.002)
    proc.kill()
    pytest.fail(f"no partial file was ever seen (rc {proc.poll()}): {proc.communicate()[1][-2000:]}")


def test_sigkill_while_writing_leaves_a_partial_that_the_next_run_removes(tmp_path, tiny_model_path):
    proc, src, out = _start_batch_and_catch_a_partial(tmp_path, tiny_model_path)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=60)
    left = _partials(out)
    assert left and all(is_partial_name(p.name) for p in left)  # kill -9 cannot be cleaned up at once
    # Someone else's hidden files, and a partial of a writer still running, must survive.
    foreign = out / ".notes.abc12345.partial"
    foreign.write_bytes(b"not ours")
    live = out / f".scan9_color.colorizer-{_host()}-{os.getpid()}-abcdefgh.partial"
    live.write_bytes(b"being written")
    dead = out / f".scan8_color.colorizer-{_host()}-{_dead_pid()}-abcdefgh.partial"
    dead.write_bytes(b"left by a crash")

    rerun = _colorize(src, "-o", out, "--model", tiny_model_path, "--render-size", "64", "-q", "--skip-existing")
    assert rerun.returncode == 0, rerun.stderr
    assert sorted(p.name for p in _partials(out)) == sorted([foreign.name, live.name])
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == [
        f"scan{i}_color.png" for i in range(4)]
    for i in range(4):
        with Image.open(out / f"scan{i}_color.png") as im:
            im.load()  # complete files only
            assert im.size == (2400, 1800)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_sigterm_and_sighup_while_writing_leave_nothing_half_written(tmp_path, tiny_model_path, sig):
    proc, src, out = _start_batch_and_catch_a_partial(tmp_path, tiny_model_path)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 128 + sig, err
    assert "cancelled" in err and "Traceback" not in err
    assert _partials(out) == []
    # Whatever was finished is a complete photo; a folder made only for the abandoned one is gone too.
    for p in (out.iterdir() if out.is_dir() else []):
        with Image.open(p) as im:
            im.load()
    assert sorted(p.name for p in src.iterdir()) == [f"scan{i}.png" for i in range(4)]


def _host() -> str:
    return "".join(c for c in socket.gethostname() if c.isalnum())[:24] or "host"


def test_stale_partials_are_recognised_by_name_not_age(tmp_path):
    old_style = tmp_path / ".photo.k2j4h5g6.partial"  # could be anyone's: never guessed at
    dead = tmp_path / f".photo_color.colorizer-{_host()}-{_dead_pid()}-q1w2e3r4.partial"
    other_host = tmp_path / f".photo_color.colorizer-elsewhere{_host()}-{_dead_pid()}-q1w2e3r4.partial"
    for p in (old_style, dead, other_host):
        p.write_bytes(b"x")
        os.utime(p, (0, 0))  # ancient: age alone must not decide
    assert remove_stale_partials(tmp_path) == [dead]
    assert sorted(tmp_path.iterdir()) == sorted([old_style, other_host])


# --- 2. TIFFs whose copied metadata the writer rejects ---------------------------------------

def _rgb(w: int = 48, h: int = 32) -> np.ndarray:
    return np.random.default_rng(1).integers(0, 256, (h, w, 3), dtype=np.uint8)


@pytest.mark.parametrize("kind", ["whitepoint", "primaries", "bigtiff"])
def test_tiff_saves_even_when_its_copied_metadata_is_rejected(tmp_path, kind):
    src = tmp_path / f"{kind}.tif"
    if kind == "whitepoint":   # one value where libtiff wants two: "does not match libtiff field definition"
        tifffile.imwrite(src, _rgb(), photometric="rgb", extratags=[(318, 5, 1, (313, 1000), True),
                                                                   (271, 2, 0, "TestCam", True)])
    elif kind == "primaries":
        tifffile.imwrite(src, _rgb(), photometric="rgb", extratags=[(319, 5, 3, (1, 2, 3, 4, 5, 6), True)])
    else:                      # BigTIFF directory: "unpack requires a buffer of 8 bytes"
        tifffile.imwrite(src, _rgb(), photometric="rgb", bigtiff=True, description="a bigtiff")
    photo = read_photo(src)
    out = tmp_path / "out.tif"
    notes = write_photo(_rgb(), out, "tiff", photo)
    assert any("metadata could not be written" in n for n in notes), notes
    with Image.open(out) as im:
        assert np.array_equal(np.asarray(im), _rgb())
        if kind == "whitepoint":
            assert im.getexif().get(271) == "TestCam"  # the readable fields are kept
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([src.name, "out.tif"])


# --- 3. 16-bit colour TIFFs keep 16 bits -----------------------------------------------------

def _rgb16(w: int = 40, h: int = 30, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 65536, (h, w, 3), dtype=np.uint16)


@pytest.mark.parametrize("layout", ["contig", "planar", "tiled-planar"])
def test_16_bit_rgb_tiff_is_read_at_16_bits_pixel_for_pixel(tmp_path, layout):
    rgb16 = _rgb16()
    src = tmp_path / "deep.tiff"
    if layout == "contig":
        tifffile.imwrite(src, rgb16, photometric="rgb")
    elif layout == "planar":
        tifffile.imwrite(src, np.moveaxis(rgb16, 2, 0), photometric="rgb", planarconfig="separate")
    else:
        tifffile.imwrite(src, np.moveaxis(rgb16, 2, 0), photometric="rgb", planarconfig="separate", tile=(16, 16))
    photo = read_photo(src)
    assert photo.bit_depth == 16 and photo.alpha is None
    assert np.array_equal(photo.lightness, lightness_from_rgb(rgb16, levels=65536))


def test_16_bit_rgba_and_cmyk_tiffs_keep_depth_and_alpha_through_the_cli(tmp_path, tiny_model_path):
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    rgb16 = _rgb16(seed=2)
    alpha = np.random.default_rng(3).integers(0, 65536, rgb16.shape[:2], dtype=np.uint16)
    tifffile.imwrite(src / "rgba.tiff", np.dstack((rgb16, alpha)), photometric="rgb", extrasamples=["unassalpha"])
    premultiplied = (rgb16.astype(np.uint32) * alpha[..., None] // 65535).astype(np.uint16)
    tifffile.imwrite(src / "rgba_assoc_tiled_planar.tiff", np.moveaxis(np.dstack((premultiplied, alpha)), 2, 0),
                     photometric="rgb", planarconfig="separate", tile=(16, 16), extrasamples=["assocalpha"])
    tifffile.imwrite(src / "cmyk.tiff", np.dstack((rgb16, alpha)), photometric="separated")
    # Colour sources on purpose (the formats are what is tested): colorized as asked.
    res = _colorize(src, "-o", out, "--model", tiny_model_path, "--render-size", "64", "-q", "--include-colour")
    assert res.returncode == 0, res.stderr
    for name, has_alpha in (("rgba", True), ("rgba_assoc_tiled_planar", True), ("cmyk", False)):
        back = tifffile.imread(out / f"{name}_color.tif")
        assert back.dtype == np.uint16, name
        assert back.shape == (30, 40, 4 if has_alpha else 3), name
        if has_alpha:
            assert np.array_equal(back[..., 3], alpha), name
        assert len(np.unique(back[..., :3])) > 256  # really 16-bit levels, not 8-bit ones times 257
    # the unpremultiplied colours give the same lightness as the straight-alpha original
    straight, assoc = read_photo(src / "rgba.tiff"), read_photo(src / "rgba_assoc_tiled_planar.tiff")
    visible = alpha > 4096
    assert np.abs(straight.lightness - assoc.lightness)[visible].max() < 0.1


def test_16_bit_tiff_orientation_is_applied(tmp_path):
    rgb16 = _rgb16(20, 10)
    src = tmp_path / "turned.tiff"
    tifffile.imwrite(src, rgb16, photometric="rgb", extratags=[(274, 3, 1, 6, True)])  # rotate 90 clockwise
    photo = read_photo(src)
    assert photo.size == (10, 20) and photo.bit_depth == 16
    assert np.array_equal(photo.lightness, lightness_from_rgb(np.rot90(rgb16, -1).copy(), levels=65536))


# --- 4. PNG colour-key transparency ----------------------------------------------------------

def _trns_pngs(folder: Path) -> dict[str, np.ndarray]:
    """rgb_trns.png, l_trns.png and i_trns.png as in Pillow's corpus; returns the expected masks."""
    grey = _noise(48, 32, 5) // 16 * 16  # few levels, so the key colour occurs often
    key = int(grey[0, 0])
    rgb = np.dstack((grey, grey, 255 - grey))
    Image.fromarray(rgb).save(folder / "rgb_trns.png", transparency=(key, key, 255 - key))
    Image.fromarray(grey).save(folder / "l_trns.png", transparency=key)
    Image.fromarray(grey.astype(np.uint16) * 257).save(folder / "i_trns.png", transparency=key * 257)
    return {"rgb_trns": grey != key, "l_trns": grey != key, "i_trns": grey != key}


def test_png_colour_key_transparency_is_kept(tmp_path, tiny_model_path):
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    masks = _trns_pngs(src)
    res = _colorize(src, "-o", out, "--model", tiny_model_path, "--render-size", "64", "-q", "--include-colour")
    assert res.returncode == 0, res.stderr
    for name, opaque in masks.items():
        assert 0 < opaque.sum() < opaque.size
        with Image.open(out / f"{name}_color.png") as im:
            assert im.mode == "RGBA", name
            assert np.array_equal(np.asarray(im)[..., 3] > 0, opaque), name
    tiff = _colorize(src / "i_trns.png", "-o", out, "--model", tiny_model_path, "--render-size", "64", "-q",
                     "--format", "tiff")
    assert tiff.returncode == 0, tiff.stderr
    back = tifffile.imread(out / "i_trns_color.tif")  # 16-bit grey with a key: 16-bit alpha
    assert back.dtype == np.uint16 and np.array_equal(back[..., 3], np.where(masks["i_trns"], 65535, 0))


# --- should-fix: library noise and plain words -----------------------------------------------

def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def _broken_files(folder: Path) -> dict[str, str]:
    """Files whose decoder errors say nothing to a user; returns name -> expected words."""
    grey = _noise(64, 48, 7)
    buf = io.BytesIO()
    Image.fromarray(grey).save(buf, "PNG")
    png = buf.getvalue()
    text_bomb = _chunk(b"zTXt", b"Comment\0\0" + zlib.compress(b"a" * (PngImagePlugin.MAX_TEXT_CHUNK + 10)))
    (folder / "text_bomb.png").write_bytes(png[:33] + text_bomb + png[33:])
    buf = io.BytesIO()
    Image.fromarray(grey).save(buf, "TIFF", compression="tiff_deflate")
    tif = bytearray(buf.getvalue())
    for i in range(20, 200):  # the deflate stream right after the 8-byte header
        tif[i] ^= 0x5A
    (folder / "bad_strip.tif").write_bytes(bytes(tif))  # libtiff: "decoder error -2" + its own stderr line
    (folder / "far_ifd.tif").write_bytes(b"II+\x00\x08\x00\x00\x00" + struct.pack("<Q", 2**63 + 5) + bytes(64))
    return {"text_bomb.png": "text block too large",
            "bad_strip.tif": "compressed pixels cannot be decoded",
            "far_ifd.tif": "first image cannot be found"}


def test_decoder_errors_are_said_in_plain_words_and_libtiff_noise_is_attached(tmp_path, tiny_model_path):
    expected = _broken_files(tmp_path)
    for name, words in expected.items():
        with pytest.raises(PhotoError, match=words):
            read_photo(tmp_path / name)
    res = _colorize(*(tmp_path / n for n in expected), "-o", tmp_path / "out", "--model", tiny_model_path, "-q")
    assert res.returncode == 1
    for line in res.stderr.splitlines():
        assert "decoder error" not in line and "Unable to seek" not in line and "MAX_TEXT_CHUNK" not in line
        if "ZIPDecode" in line:  # libtiff's own words appear only inside the photo's error line
            assert "bad_strip.tif" in line
    assert "ZIPDecode" in res.stderr


# --- should-fix: folders, FIFOs, odd names, full disks ---------------------------------------

@pytest.mark.parametrize("spelling", ["same", "symlink", "dotdot"])
def test_output_folder_equal_to_the_input_folder_colorizes_beside_the_photos(tmp_path, make_photo, tiny_model_path,
                                                                             spelling):
    folder = tmp_path / "in"
    make_photo("a.png", folder=folder)
    (tmp_path / "link").symlink_to(folder)
    out = {"same": folder, "symlink": tmp_path / "link", "dotdot": Path(f"{folder}/../in")}[spelling]
    res = _colorize(folder, "-o", out, "--model", tiny_model_path, "--render-size", "64", "-q")
    assert res.returncode == 0, res.stderr
    assert sorted(p.name for p in folder.iterdir()) == ["a.png", "a_color.png"]


def test_folder_scan_reports_what_it_skipped(tmp_path, make_photo, tiny_model_path):
    folder = tmp_path / "in"
    make_photo("good.png", folder=folder)
    os.mkfifo(folder / "pipe.png")
    (folder / "loop.jpg").symlink_to(folder / "loop.jpg")
    (folder / "album.tif").mkdir()
    res = _colorize(folder, "-o", tmp_path / "out", "--model", tiny_model_path, "--render-size", "64", "--json",
                    timeout=120)
    assert res.returncode == 0, res.stderr
    report = json.loads(res.stdout)
    skipped = {Path(s["input"]).name: s["message"] for s in report["skipped_inputs"]}
    assert "named pipe" in skipped["pipe.png"]
    assert "link" in skipped["loop.jpg"]
    assert "folder" in skipped["album.tif"]
    assert [Path(r["output"]).name for r in report["results"]] == ["good_color.png"]
    assert "pipe.png" in res.stderr and "loop.jpg" in res.stderr
    named = _colorize(folder / "pipe.png", "--model", tiny_model_path, timeout=120)
    assert named.returncode == 1 and "named pipe" in named.stderr and "no such file" not in named.stderr


@pytest.mark.skipif(sys.platform != "linux", reason="Linux file names are bytes")
def test_non_utf8_names_round_trip_in_json(tmp_path, tiny_model_path):
    folder = tmp_path / "in"
    folder.mkdir()
    raw = b"caf\xe9-1931.png"  # Latin-1, not UTF-8
    Image.fromarray(_noise(32, 24)).save(os.path.join(os.fsencode(folder), raw))
    res = subprocess.run([sys.executable, "-m", "engine.cli", str(folder), "--model", str(tiny_model_path),
                          "--render-size", "64", "--json", "-q"], capture_output=True, env=ENV, timeout=300)
    assert res.returncode == 0, res.stderr
    (result,) = json.loads(res.stdout)["results"]
    assert os.fsencode(result["input"]) == os.path.join(os.fsencode(folder), raw)  # surrogateescape
    assert bytes.fromhex(result["input_bytes"]) == os.path.join(os.fsencode(folder), raw)
    assert os.path.exists(bytes.fromhex(result["output_bytes"]))



@pytest.mark.skipif(not can_mount_tmpfs(), reason="needs root and mount namespaces for a real tiny disk")
def test_full_disk_removes_the_mirrored_folders_it_made(tmp_path):
    disk = tmp_path / "disk"
    disk.mkdir()
    code = textwrap.dedent(f"""
        import os, numpy as np
        from engine.photo_io import PhotoError, write_photo
        noise = np.random.default_rng(0).integers(0, 256, (400, 400, 3), dtype=np.uint8)
        os.mkdir({str(disk / 'out')!r})
        try:
            write_photo(noise, {str(disk / 'out' / '1931' / 'march' / 'big.png')!r}, "png")
        except PhotoError as exc:
            print("PhotoError:", exc)
        print("left:", sorted(os.path.relpath(os.path.join(d, n), {str(disk)!r})
                               for d, ds, fs in os.walk({str(disk)!r}) for n in ds + fs))
    """)
    script = f"mount -t tmpfs -o size=64k tmpfs {disk} && {sys.executable} -c \"$CODE\""
    out = subprocess.run(["unshare", "-m", "sh", "-c", script], capture_output=True, text=True,
                         env={**ENV, "CODE": code}, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "PhotoError: the disk is full" in out.stdout
    assert "left: ['out']" in out.stdout  # the folder that was there stays; the two made for it are gone
