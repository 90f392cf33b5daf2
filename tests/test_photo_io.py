"""Reading every kind of photo, writing safely, and one clear line for every kind of bad file."""

from __future__ import annotations

import errno
import io
import os
import struct
import subprocess
import sys
import textwrap
import zlib
from pathlib import Path

import numpy as np
import pytest
import tifffile
from conftest import can_mount_tmpfs
from PIL import Image, ImageCms
from skimage.color import rgb2lab

from engine.color import lightness_from_grey
from engine.errors import DiskFull
from engine.photo_io import Photo, PhotoError, _write_error, read_photo, write_photo

ROOT = Path(__file__).resolve().parents[1]
MAKE, DATETIME, ORIENTATION = 0x010F, 0x0132, 0x0112


def grey_with_corner(width: int, height: int) -> np.ndarray:
    """Dark grey with a bright 16x16 block in the top-left corner: shows which way is up."""
    grey = np.full((height, width), 40, np.uint8)
    grey[:16, :16] = 230
    return grey


def _exif(orientation: int | None = None) -> bytes:
    exif = Image.Exif()
    exif[MAKE] = "TestCam"
    exif[DATETIME] = "1931:12:15 10:00:00"
    if orientation is not None:
        exif[ORIENTATION] = orientation
    return exif.tobytes()


_SRGB_ICC = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()  # once: it holds a timestamp


def _srgb_icc() -> bytes:
    return _SRGB_ICC


def _rgb(size=(64, 48)) -> np.ndarray:
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)


# --- reading -------------------------------------------------------------------------------

def test_grey_jpeg(make_photo):
    path = make_photo("a.jpg", size=(96, 64), quality=95)
    photo = read_photo(path)
    assert photo.size == (96, 64) and photo.bit_depth == 8 and not photo.was_colour
    expected = lightness_from_grey(np.asarray(Image.open(path)))
    assert np.array_equal(photo.lightness, expected)
    assert photo.lightness.dtype == np.float32 and photo.source_format == "jpg"


def test_16_bit_grey_png(tmp_path):
    grey16 = (np.linspace(0, 65535, 80 * 60).reshape(60, 80)).astype(np.uint16)
    path = tmp_path / "deep.png"
    Image.fromarray(grey16).save(path)
    photo = read_photo(path)
    assert photo.bit_depth == 16 and photo.size == (80, 60)
    assert np.allclose(photo.lightness, lightness_from_grey(grey16, levels=65536))
    # finer than 8 bits: neighbouring 16-bit levels get distinct lightness
    assert len(np.unique(photo.lightness)) > 1000


def test_16_bit_grey_tiff(tmp_path):
    grey16 = (np.arange(40 * 30).reshape(30, 40) * 50).astype(np.uint16)
    path = tmp_path / "deep.tif"
    tifffile.imwrite(path, grey16)
    photo = read_photo(path)
    assert photo.bit_depth == 16 and photo.source_format == "tiff"
    assert np.allclose(photo.lightness, lightness_from_grey(grey16, levels=65536))


def test_exif_orientation_6_is_applied_and_reset(tmp_path):
    path = tmp_path / "turned.jpg"
    Image.fromarray(grey_with_corner(96, 64)).save(path, exif=_exif(orientation=6), quality=95)
    photo = read_photo(path)
    # stored 96 wide, 64 high; shown rotated 90 degrees clockwise: 64 wide, 96 high
    assert photo.size == (64, 96)
    L = photo.lightness
    assert L[:16, -16:].mean() > 80 and L[:16, :16].mean() < 50  # stored top-left is now top-right
    out = tmp_path / "out.jpg"
    write_photo(np.zeros((96, 64, 3), np.uint8), out, "jpg", photo)
    with Image.open(out) as im:
        assert im.size == (64, 96)
        exif = im.getexif()
        assert exif.get(ORIENTATION, 1) == 1 and exif.get(MAKE) == "TestCam"


@pytest.mark.parametrize("fmt, suffix", [("jpg", ".jpg"), ("png", ".png"), ("webp", ".webp"), ("tiff", ".tif")])
def test_exif_and_icc_are_kept(tmp_path, fmt, suffix):
    src = tmp_path / "colour.jpg"
    Image.fromarray(_rgb()).save(src, exif=_exif(), icc_profile=_srgb_icc())
    photo = read_photo(src)
    assert photo.icc_profile == _srgb_icc()
    out = tmp_path / f"out{suffix}"
    write_photo(_rgb(), out, fmt, photo)
    with Image.open(out) as im:
        assert im.getexif().get(MAKE) == "TestCam"
        assert im.info.get("icc_profile") == _srgb_icc()


def test_rgba_png_keeps_alpha(tmp_path):
    rgba = np.dstack([grey_with_corner(64, 48)] * 3 + [np.tile(np.arange(64, dtype=np.uint8) * 4, (48, 1))])
    src = tmp_path / "cutout.png"
    Image.fromarray(rgba, "RGBA").save(src)
    photo = read_photo(src)
    assert np.array_equal(photo.alpha, rgba[..., 3])
    out = tmp_path / "out.png"
    write_photo(_rgb(), out, "png", photo)
    with Image.open(out) as im:
        assert im.mode == "RGBA" and np.array_equal(np.asarray(im)[..., 3], rgba[..., 3])
    notes = write_photo(_rgb(), tmp_path / "out.jpg", "jpg", photo)
    assert any("transparency" in n for n in notes)


def test_palette_png_with_and_without_transparency(tmp_path):
    grey = grey_with_corner(64, 48)
    plain = tmp_path / "pal.png"
    Image.fromarray(grey).convert("P").save(plain)
    photo = read_photo(plain)
    assert photo.alpha is None and photo.size == (64, 48)
    assert np.abs(photo.lightness - lightness_from_grey(grey)).max() < 1.0
    clear = tmp_path / "pal_t.png"
    im = Image.fromarray(grey).convert("P")
    im.save(clear, transparency=int(np.asarray(im)[0, 0]))
    photo = read_photo(clear)
    assert photo.alpha is not None and photo.alpha[0, 0] == 0 and photo.alpha.max() == 255


def test_cmyk_jpeg(tmp_path):
    grey = grey_with_corner(64, 48)
    path = tmp_path / "print.jpg"
    Image.fromarray(grey).convert("CMYK").save(path, quality=95)
    with Image.open(path) as im:
        assert im.mode == "CMYK"
    photo = read_photo(path)
    assert photo.size == (64, 48) and photo.icc_profile is None
    assert np.abs(photo.lightness - lightness_from_grey(grey)).mean() < 1.5


def test_colour_photo_is_read_by_its_lightness(tmp_path):
    rgb = _rgb()
    path = tmp_path / "colour.png"
    Image.fromarray(rgb).save(path)
    photo = read_photo(path)
    assert photo.was_colour and any("already has colour" in n for n in photo.notes)
    assert np.abs(photo.lightness - rgb2lab(rgb / 255.0)[..., 0]).max() < 0.01


@pytest.mark.parametrize("mode, suffix", [("1", ".png"), ("LA", ".png"), ("I", ".tif")])
def test_other_grey_modes(tmp_path, mode, suffix):
    grey = grey_with_corner(40, 30)
    path = tmp_path / f"m{mode}{suffix}"
    Image.fromarray(grey).convert(mode).save(path)
    photo = read_photo(path)
    assert photo.size == (40, 30) and np.isfinite(photo.lightness).all()
    assert photo.lightness[:8, :8].mean() > photo.lightness[-8:, -8:].mean()


# --- bad input: one clear line each -----------------------------------------------------------

def _png_header_only(width: int, height: int) -> bytes:
    """A PNG that declares a huge size: what a decompression bomb looks like before decoding."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


def test_not_an_image(tmp_path):
    path = tmp_path / "notes.jpg"
    path.write_text("shopping list: milk, eggs\n")
    with pytest.raises(PhotoError, match="not an image"):
        read_photo(path)


def test_zero_bytes(tmp_path):
    path = tmp_path / "empty.png"
    path.touch()
    with pytest.raises(PhotoError, match="empty"):
        read_photo(path)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "TIFF"])
@pytest.mark.parametrize("keep", [0.1, 0.5, 0.9])
def test_truncated(tmp_path, fmt, keep):
    """Cut in the header or in the pixel data: either way, one line that says so."""
    buf = io.BytesIO()
    noise = np.random.default_rng(0).integers(0, 256, (150, 200), dtype=np.uint8)
    Image.fromarray(noise).save(buf, fmt)
    path = tmp_path / f"cut.{fmt.lower()}"
    path.write_bytes(buf.getvalue()[: int(len(buf.getvalue()) * keep)])
    with pytest.raises(PhotoError, match="^the file is truncated") as info:
        read_photo(path)
    assert "\n" not in str(info.value)


def test_missing_and_folder(tmp_path):
    with pytest.raises(PhotoError, match="does not exist"):
        read_photo(tmp_path / "nope.jpg")
    with pytest.raises(PhotoError, match="folder"):
        read_photo(tmp_path)


def _jpeg_with_app1(payload: bytes) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(grey_with_corner(96, 64)).save(buf, "JPEG")
    data = buf.getvalue()
    return data[:2] + b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload + data[2:]


@pytest.mark.parametrize("payload", [
    b"Exif\x00\x00" + b"\x13\x37" * 40,                                         # not TIFF at all
    b"Exif\x00\x00MM\x00\x2a" + struct.pack(">I", 99999),                        # IFD offset past the end
    b"Exif\x00\x00II\x2a\x00" + struct.pack("<IH", 8, 5000) + b"\x12\x01\x03\x00",  # 5000 entries, 1 there
])
def test_corrupt_exif_block_is_dropped_not_fatal(tmp_path, payload):
    path = tmp_path / "odd.jpg"
    path.write_bytes(_jpeg_with_app1(payload))
    photo = read_photo(path)
    assert photo.size == (96, 64) and photo.exif is None
    assert "damaged EXIF data was dropped" in photo.notes
    write_photo(np.zeros((64, 96, 3), np.uint8), tmp_path / "out.jpg", "jpg", photo)


def test_decompression_bomb_is_refused_with_override(tmp_path):
    path = tmp_path / "bomb.png"
    path.write_bytes(_png_header_only(100_000, 100_000))
    with pytest.raises(PhotoError, match="10000 megapixels.*allow it with --allow-huge"):
        read_photo(path)
    # the limit is a setting: a small real photo over a small limit is refused too, and allowed without one
    small = tmp_path / "small.png"
    Image.fromarray(grey_with_corner(100, 100)).save(small)
    with pytest.raises(PhotoError, match="safety limit"):
        read_photo(small, max_pixels=5000)
    assert read_photo(small, max_pixels=None).size == (100, 100)


_AS_NOBODY = textwrap.dedent("""
    import os, sys
    from engine.photo_io import PhotoError, read_photo, write_photo
    import numpy as np
    os.setgid(65534); os.setuid(65534)  # after the imports: the interpreter may live in root's home
    try:
        {call}
    except PhotoError as exc:
        print("PhotoError:", exc)
""")


def _run_as_nobody(call: str) -> str:
    code = _AS_NOBODY.format(call=call)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout


@pytest.fixture
def open_dir(tmp_path_factory):
    """A folder others may enter (pytest's own tmp folders are private to their owner)."""
    folder = tmp_path_factory.mktemp("shared")
    for p in [folder, *folder.parents]:
        if p == Path("/tmp") or p == Path("/"):
            break
        p.chmod(p.stat().st_mode | 0o711)
    return folder


def test_no_permission_to_read(open_dir):
    path = open_dir / "private.png"
    Image.fromarray(grey_with_corner(20, 20)).save(path)
    path.chmod(0o000)
    if os.geteuid() != 0:
        with pytest.raises(PhotoError, match="permission denied"):
            read_photo(path)
    else:  # root reads anything: drop to "nobody" in a child process, a real unprivileged read
        assert "PhotoError: permission denied" in _run_as_nobody(f"read_photo({str(path)!r})")


def test_no_permission_to_write(open_dir):
    folder = open_dir / "locked"
    folder.mkdir()
    folder.chmod(0o555)
    dest = folder / "out.png"
    if os.geteuid() != 0:
        with pytest.raises(PhotoError, match="permission denied"):
            write_photo(np.zeros((4, 4, 3), np.uint8), dest, "png")
    else:
        out = _run_as_nobody(f"write_photo(np.zeros((4, 4, 3), np.uint8), {str(dest)!r}, 'png')")
        assert "PhotoError: permission denied: cannot write in" in out
    assert list(folder.iterdir()) == []


# --- writing ---------------------------------------------------------------------------------

def test_16_bit_tiff_output_keeps_16_bits(tmp_path):
    rgb16 = np.random.default_rng(0).integers(0, 65536, (30, 40, 3), dtype=np.uint16)
    out = tmp_path / "deep.tif"
    assert write_photo(rgb16, out, "tiff") == []
    back = tifffile.imread(out)
    assert back.dtype == np.uint16 and np.array_equal(back, rgb16)
    # with what a 16-bit source carries: alpha, ICC profile and the main EXIF fields
    photo = Photo(lightness=np.zeros((30, 40), np.float32), bit_depth=16, exif=_exif(), icc_profile=_srgb_icc(),
                  alpha=np.full((30, 40), 200, np.uint8))
    write_photo(rgb16, tmp_path / "full.tif", "tiff", photo)
    with tifffile.TiffFile(tmp_path / "full.tif") as tif:
        page = tif.pages[0]
        assert page.dtype == np.uint16 and page.shape == (30, 40, 4)
        assert np.array_equal(page.asarray()[..., :3], rgb16) and (page.asarray()[..., 3] == 200 * 257).all()
        assert page.tags["Make"].value == "TestCam" and page.tags["InterColorProfile"].value == _srgb_icc()
    notes = write_photo(rgb16, tmp_path / "deep.png", "png")
    assert any("8 bits" in n for n in notes)
    with Image.open(tmp_path / "deep.png") as im:
        assert im.mode == "RGB"
        assert np.abs(np.asarray(im).astype(int) - np.round(rgb16 / 257).astype(int)).max() <= 1


def test_write_never_replaces_an_existing_file(tmp_path):
    dest = tmp_path / "keep.png"
    dest.write_bytes(b"precious")
    with pytest.raises(PhotoError, match="already exists"):
        write_photo(np.zeros((4, 4, 3), np.uint8), dest, "png")
    assert dest.read_bytes() == b"precious"
    write_photo(np.zeros((4, 4, 3), np.uint8), dest, "png", overwrite=True)
    assert dest.read_bytes() != b"precious"
    assert [p.name for p in tmp_path.iterdir()] == ["keep.png"]


def test_failed_encode_leaves_nothing(tmp_path):
    with pytest.raises(PhotoError, match="could not save"):
        write_photo(np.zeros((4, 4, 3), np.float64), tmp_path / "x.png", "png")  # Pillow refuses float RGB
    with pytest.raises(PhotoError, match="WebP cannot hold"):
        write_photo(np.zeros((2, 17000, 3), np.uint8), tmp_path / "wide.webp", "webp")
    assert list(tmp_path.iterdir()) == []


def test_disk_full_message_from_a_real_enospc():
    with pytest.raises(OSError) as info, open("/dev/full", "wb") as full:  # noqa: PT012
        full.write(b"x" * 100_000)
        full.flush()
    assert info.value.errno == errno.ENOSPC
    error = _write_error(info.value, Path("/media/card"))
    assert isinstance(error, DiskFull) and isinstance(error, PhotoError)
    assert str(error) == "the disk is full: no room to save in /media/card"



@pytest.mark.skipif(not can_mount_tmpfs(), reason="needs root and mount namespaces for a real tiny disk")
def test_disk_full_on_a_real_tiny_disk(tmp_path):
    """Save into a 64 KiB tmpfs (in a private mount namespace, gone when the child exits)."""
    disk = tmp_path / "disk"
    disk.mkdir()
    code = textwrap.dedent(f"""
        import os, numpy as np
        from engine.photo_io import PhotoError, write_photo
        noise = np.random.default_rng(0).integers(0, 256, (400, 400, 3), dtype=np.uint8)  # ~480 KB as PNG
        try:
            write_photo(noise, {str(disk / 'big.png')!r}, "png")
            print("saved?!")
        except PhotoError as exc:
            print("PhotoError:", exc)
        print("left:", sorted(os.listdir({str(disk)!r})))
    """)
    script = f"mount -t tmpfs -o size=64k tmpfs {disk} && {sys.executable} -c \"$CODE\""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CODE": code}
    out = subprocess.run(["unshare", "-m", "sh", "-c", script], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "PhotoError: the disk is full: no room to save in" in out.stdout
    assert "left: []" in out.stdout  # no partial file on the full disk


@pytest.mark.parametrize("fmt, suffix", [("tiff", ".tif"), ("jpg", ".jpg")])
def test_tiff_input_layout_tags_do_not_leak_into_outputs(tmp_path, fmt, suffix):
    """Pillow reports a TIFF's whole first directory as its EXIF; only real EXIF may be copied."""
    src = tmp_path / "scan.tif"
    Image.fromarray(grey_with_corner(96, 64)).save(src, exif=_exif())
    photo = read_photo(src)
    out = tmp_path / f"out{suffix}"
    write_photo(np.full((64, 96, 3), 90, np.uint8), out, fmt, photo)
    with Image.open(out) as im:  # a TIFF written with the source's strip tags could not be opened at all
        assert im.mode == "RGB" and im.size == (96, 64)
        assert (np.asarray(im).astype(int) - 90).__abs__().max() <= 2
        exif = im.getexif()
        assert exif.get(MAKE) == "TestCam"
        if fmt == "jpg":
            assert not {256, 257, 258, 273, 279} & set(exif)
