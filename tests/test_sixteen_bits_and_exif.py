"""Issue 24, items 3 and 4: 16-bit colour sources keep 16 bits in TIFF output (or say why not),
and TIFF outputs keep EXIF's Exif and GPS sub-IFDs; one malformed EXIF field costs only itself."""

from __future__ import annotations

import numpy as np
import pytest
import tifffile
from conftest import make_tiny_model
from PIL import Image, TiffImagePlugin

from engine.infer import Colorizer
from engine.photo_io import read_photo, write_photo

DATE_TAKEN = "1931:12:15 10:20:30"


@pytest.fixture(scope="module")
def colorizer() -> Colorizer:
    return Colorizer(make_tiny_model())


def _rgb16(h: int = 48, w: int = 64) -> np.ndarray:
    """A 16-bit colour photo whose low bytes matter: no 8-bit file can hold it."""
    y, x = np.mgrid[0:h, 0:w]
    r = (x * 65535 // (w - 1)).astype(np.uint16)
    g = (y * 65535 // (h - 1)).astype(np.uint16)
    b = ((x + y) * 997 % 65536).astype(np.uint16)
    return np.dstack([r, g, b])


def _sixteen_bit_source(kind: str, tmp_path) -> tuple:
    import imagecodecs

    rgb = _rgb16()
    if kind == "RGB TIFF, LZW":
        path = tmp_path / "scan-lzw.tif"
        tifffile.imwrite(path, rgb, photometric="rgb", compression="lzw")
    elif kind == "planar TIFF, LZW":
        path = tmp_path / "scan-planar.tif"
        tifffile.imwrite(path, np.ascontiguousarray(rgb.transpose(2, 0, 1)), photometric="rgb",
                         planarconfig="separate", compression="lzw")
    else:  # "RGB PNG"
        path = tmp_path / "scan.png"
        path.write_bytes(imagecodecs.png_encode(rgb))
    return path, rgb


@pytest.mark.parametrize("kind", ["RGB TIFF, LZW", "planar TIFF, LZW", "RGB PNG"])
def test_16_bit_colour_sources_keep_16_bits_in_tiff_output(kind, tmp_path, colorizer):
    path, rgb = _sixteen_bit_source(kind, tmp_path)
    photo = read_photo(path)
    assert photo.bit_depth == 16, photo.notes
    result = colorizer.colorize(photo)
    notes = write_photo(result.rgb, tmp_path / "out.tif", "tiff", photo)
    assert not any("8 bits" in n for n in notes + photo.notes)
    saved = tifffile.imread(tmp_path / "out.tif")
    assert saved.dtype == np.uint16 and saved.shape == rgb.shape
    assert (saved % 257 != 0).any()  # really 16 bits, not 8 bits scaled up


def test_16_bit_png_with_alpha_keeps_both(tmp_path, colorizer):
    import imagecodecs

    rgb = _rgb16()
    alpha = np.full(rgb.shape[:2], 65535, np.uint16)
    alpha[:, :10] = 1000
    (tmp_path / "a.png").write_bytes(imagecodecs.png_encode(np.dstack([rgb, alpha])))
    photo = read_photo(tmp_path / "a.png")
    assert photo.bit_depth == 16 and photo.alpha is not None and photo.alpha[0, 0] == 1000


def test_16_bits_that_cannot_be_decoded_are_named_in_a_note(tmp_path, monkeypatch):
    """Without the codec (a bundle that left it out), the photo is still read, at 8 bits, and says so."""
    import sys

    path, _ = _sixteen_bit_source("RGB PNG", tmp_path)
    monkeypatch.setitem(sys.modules, "imagecodecs", None)
    photo = read_photo(path)
    assert photo.bit_depth == 8
    assert any("8 bits per channel" in n for n in photo.notes)


def _exif(malformed_resolution: bool = False) -> bytes:
    """A camera's EXIF: IFD0 text, an Exif sub-IFD with the capture date, a GPS sub-IFD."""
    ifd = TiffImagePlugin.ImageFileDirectory_v2(prefix=b"II")
    ifd[271], ifd[272], ifd[33432], ifd[306] = "Nikon", "F3", "(c) City Archive", "2001:02:03 04:05:06"
    if malformed_resolution:  # an XResolution stored as text, as some scanner software writes it
        ifd.tagtype[282] = 2
        ifd[282] = "300 dpi"
    else:
        ifd[282] = TiffImagePlugin.IFDRational(300, 1)
    exif_ifd = TiffImagePlugin.ImageFileDirectory_v2(prefix=b"II", group=0x8769)
    exif_ifd[36867] = DATE_TAKEN
    gps = TiffImagePlugin.ImageFileDirectory_v2(prefix=b"II", group=0x8825)
    gps[1] = "N"
    gps[2] = (TiffImagePlugin.IFDRational(40, 1), TiffImagePlugin.IFDRational(42, 1), TiffImagePlugin.IFDRational(0, 1))
    ifd[0x8769], ifd[0x8825] = dict(exif_ifd), dict(gps)
    ifd.tagtype[0x8769] = ifd.tagtype[0x8825] = 4
    return b"Exif\x00\x00II*\x00\x08\x00\x00\x00" + ifd.tobytes(8)


def _source(kind: str, tmp_path, exif: bytes):
    grey = (np.arange(48 * 64).reshape(48, 64) % 251).astype(np.uint8)
    if kind == "JPEG":
        path = tmp_path / "scan.jpg"
        Image.fromarray(grey).save(path, exif=exif)
    else:  # "16-bit TIFF": the tags tifffile cannot write come from Pillow's EXIF bytes below
        path = tmp_path / "scan16.png"
        import imagecodecs

        path.write_bytes(imagecodecs.png_encode(_rgb16()))
        photo = read_photo(path)
        exif_obj = Image.Exif()
        exif_obj.load(exif[6:])
        photo.exif = exif_obj.tobytes()
        return photo
    return read_photo(path)


def _saved_exif(path) -> Image.Exif:
    with Image.open(path) as im:
        exif = im.getexif()
        exif.get_ifd(0x8769), exif.get_ifd(0x8825)
        return exif


@pytest.mark.parametrize("kind", ["JPEG", "16-bit TIFF"])
def test_tiff_output_keeps_capture_date_and_gps(kind, tmp_path, colorizer):
    photo = _source(kind, tmp_path, _exif())
    result = colorizer.colorize(photo)
    notes = write_photo(result.rgb, tmp_path / "out.tif", "tiff", photo)
    exif = _saved_exif(tmp_path / "out.tif")
    assert exif.get_ifd(0x8769).get(36867) == DATE_TAKEN, notes
    gps = exif.get_ifd(0x8825)
    assert gps.get(1) == "N" and tuple(float(v) for v in gps.get(2)) == (40.0, 42.0, 0.0)
    assert exif.get(271) == "Nikon" and exif.get(33432) == "(c) City Archive"
    assert not any("only its date" in n or "without its EXIF" in n for n in notes)
    if kind == "16-bit TIFF":
        assert tifffile.imread(tmp_path / "out.tif").dtype == np.uint16


@pytest.mark.parametrize("fmt", ["tiff", "jpg"])
def test_one_malformed_exif_field_drops_only_that_field(fmt, tmp_path, colorizer):
    photo = _source("JPEG", tmp_path, _exif(malformed_resolution=True))
    assert any("XResolution" in n for n in photo.notes), photo.notes
    result = colorizer.colorize(photo)
    write_photo(result.rgb, tmp_path / f"out.{fmt}", fmt, photo)
    exif = _saved_exif(tmp_path / f"out.{fmt}")
    assert exif.get(271) == "Nikon" and exif.get(272) == "F3" and exif.get(33432) == "(c) City Archive"
    assert exif.get_ifd(0x8769).get(36867) == DATE_TAKEN
    assert exif.get_ifd(0x8825).get(1) == "N"
