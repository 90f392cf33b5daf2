"""Every output says what was done to it, read back from real files (issue 13).

Pillow reads the EXIF and XMP back, and exiftool too where it is installed (the tool
archivists use); a real `colorize` process then meets its own earlier results.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
import tifffile
from PIL import Image, ImageCms

from engine import __version__
from engine.cli import main
from engine.output_label import DIGITAL_SOURCE_TYPE, NS_COLORIZER

ROOT = Path(__file__).resolve().parents[1]
NS = {"rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#", "xmpMM": "http://ns.adobe.com/xap/1.0/mm/",
      "stRef": "http://ns.adobe.com/xap/1.0/sType/ResourceRef#", "dc": "http://purl.org/dc/elements/1.1/",
      "Iptc4xmpExt": "http://iptc.org/std/Iptc4xmpExt/2008-02-29/", "tiff": "http://ns.adobe.com/tiff/1.0/",
      "c": NS_COLORIZER}

SOURCE_XMP = b"""<?xpacket begin="\xef\xbb\xbf" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"
  xmlns:xmpMM="http://ns.adobe.com/xap/1.0/mm/" xmlns:tiff="http://ns.adobe.com/tiff/1.0/"
  xmpMM:DocumentID="xmp.did:scan-1921-04" xmpMM:InstanceID="xmp.iid:scan-1921-04-a" tiff:Orientation="1">
 <dc:title><rdf:Alt><rdf:li xml:lang="x-default">Grandmother at the mill, 1921</rdf:li></rdf:Alt></dc:title>
</rdf:Description></rdf:RDF></x:xmpmeta>
<?xpacket end="w"?>"""


def _iim(*records: tuple[int, str]) -> bytes:
    """IPTC-IIM datasets of record 2 (caption 120, keyword 25, by-line 80), UTF-8 declared."""
    data = b"\x1c\x01\x5a\x00\x03\x1b%G"
    for number, text in records:
        value = text.encode()
        data += b"\x1c\x02" + bytes([number]) + struct.pack(">H", len(value)) + value
    return data


SOURCE_IPTC = _iim((120, "Grandmother at the mill, 1921"), (25, "mill"), (80, "A. Photographer"))


def _app13(iim: bytes) -> bytes:
    resource = b"8BIM\x04\x04\x00\x00" + struct.pack(">I", len(iim)) + iim + b"\x00" * (len(iim) % 2)
    block = b"Photoshop 3.0\x00" + resource
    return b"\xff\xed" + struct.pack(">H", len(block) + 2) + block


def _grey(w: int = 64, h: int = 48) -> np.ndarray:
    return np.tile(np.linspace(30, 220, w, dtype=np.float32), (h, 1)).astype(np.uint8)


def _archive_scan(path: Path) -> Path:
    """A grey JPEG as an archive has it: camera EXIF, IPTC caption, titled XMP with a document ID, ICC profile."""
    exif = Image.Exif()
    exif[0x010F] = "TestCam"          # Make
    exif[0x013B] = "A. Archivist"     # Artist
    exif[0x0131] = "ScanSoft 2.0"     # Software: the scanner's, replaced by ours
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    Image.fromarray(_grey()).convert("RGB").save(path, exif=exif.tobytes(), xmp=SOURCE_XMP, icc_profile=icc,
                                                 extra=_app13(SOURCE_IPTC))
    return path


def _xmp(path: Path) -> ET.Element:
    with Image.open(path) as im:
        xmp = im.info.get("xmp")
    assert xmp, f"{path.name} has no XMP"
    text = xmp.decode("utf-8") if isinstance(xmp, bytes) else xmp
    return ET.fromstring(text[text.index("<x:xmpmeta"): text.rindex("</x:xmpmeta>") + len("</x:xmpmeta>")])


def _prop(root: ET.Element, prefix: str, name: str) -> list[str]:
    """Every value of a simple property, written as an attribute or as an element, at any depth."""
    tag = f"{{{NS[prefix]}}}{name}"
    return [e.attrib[tag] for e in root.iter() if tag in e.attrib] + [(e.text or "").strip() for e in root.iter(tag)]


def _exiftool(path: Path) -> dict:
    run = subprocess.run(["exiftool", "-json", "-G1", "-a", str(path)], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)[0]


@pytest.mark.parametrize("fmt, suffix", [("jpg", ".jpg"), ("png", ".png"), ("tiff", ".tif"), ("webp", ".webp")])
def test_every_format_says_it_was_colorized(tmp_path, tiny_model_path, fmt, suffix, capsys):
    src = _archive_scan(tmp_path / "scan.jpg")
    hints = tmp_path / "hints"
    hints.mkdir()
    (hints / "scan.json").write_text('{"points": [{"x": 30, "y": 20, "color": "#2a4f9e"}]}')
    assert main([str(src), "--model", str(tiny_model_path), "--format", fmt, "--strength", "1.3",
                 "--hints-dir", str(hints), "--render-size", "64", "-q", "--json"]) == 0
    (result,) = json.loads(capsys.readouterr().out)["results"]
    out = tmp_path / f"scan_color{suffix}"

    with Image.open(out) as im:
        exif = im.getexif()
        assert exif.get(0x0131) == f"Colorizer {__version__}"  # Software
        assert exif.get(0x010F) == "TestCam" and exif.get(0x013B) == "A. Archivist"  # the original's EXIF kept
        assert im.info.get("icc_profile")  # and its ICC profile
        if fmt == "jpg":  # and its IPTC captions, where the format has a place for them
            assert im.info["photoshop"][0x0404] == SOURCE_IPTC
        elif fmt == "tiff":
            assert bytes(im.tag_v2[33723]) == SOURCE_IPTC
        else:
            assert any(f"has no place in {fmt.upper()}" in n for n in result["notes"]), result["notes"]
    root = _xmp(out)
    assert _prop(root, "Iptc4xmpExt", "DigitalSourceType") == [DIGITAL_SOURCE_TYPE]
    assert _prop(root, "c", "Model") == ["tiny"] and _prop(root, "c", "Strength") == ["1.30"]
    assert _prop(root, "c", "Hints") == ["1"] and _prop(root, "c", "RenderSize") == ["64"]
    assert len(_prop(root, "c", "ModelSHA256")[0]) == 64
    assert "generated by a machine-learning model" in _prop(root, "c", "Note")[0]
    # Its own identity, and a link to the file it was made from (by name and by the source's ID)
    (document,) = _prop(root, "xmpMM", "DocumentID")
    assert document.startswith("xmp.did:") and document != "xmp.did:scan-1921-04"
    assert _prop(root, "xmpMM", "OriginalDocumentID") == ["xmp.did:scan-1921-04"]
    assert _prop(root, "stRef", "filePath") == ["scan.jpg"]
    assert _prop(root, "stRef", "documentID") == ["xmp.did:scan-1921-04"]
    assert _prop(root, "stRef", "instanceID") == ["xmp.iid:scan-1921-04-a"]
    # What the archive wrote about the photo is still there
    title = root.find(".//dc:title/rdf:Alt/rdf:li", NS)
    assert title is not None and title.text == "Grandmother at the mill, 1921"

    if shutil.which("exiftool"):  # what an archivist's tool reports, years later
        tags = _exiftool(out)
        assert tags["IFD0:Software"] == f"Colorizer {__version__}"
        assert tags["XMP-iptcExt:DigitalSourceType"] == DIGITAL_SOURCE_TYPE
        assert tags["XMP-xmpMM:DerivedFromFilePath"] == "scan.jpg"
        assert tags["XMP-xmpMM:DerivedFromDocumentID"] == "xmp.did:scan-1921-04"
        assert tags["XMP-dc:Title"] == "Grandmother at the mill, 1921"
        if fmt in ("jpg", "tiff"):
            assert tags["IPTC:Caption-Abstract"] == "Grandmother at the mill, 1921"
            assert tags["IPTC:By-line"] == "A. Photographer"
        assert tags["XMP-colorizer:Model"] == "tiny" and str(tags["XMP-colorizer:Strength"]) in ("1.3", "1.30")
        assert "Warning" not in tags, tags.get("Warning")


def test_16_bit_tiff_is_labelled_too(tmp_path, tiny_model_path):
    src = tmp_path / "deep.png"
    Image.fromarray(_grey().astype(np.uint16) * 257).save(src)
    assert main([str(src), "--model", str(tiny_model_path), "--format", "tiff", "-q"]) == 0
    out = tmp_path / "deep_color.tif"
    with tifffile.TiffFile(out) as tif:
        page = tif.pages[0]
        assert page.dtype == np.uint16
        assert page.tags["Software"].value == f"Colorizer {__version__}"
        xmp = bytes(page.tags[700].value)
    assert NS_COLORIZER.encode() in xmp and b"deep.png" in xmp
    assert _prop(_xmp(out), "stRef", "filePath") == ["deep.png"]


def test_no_label_keeps_only_the_originals_metadata(tmp_path, tiny_model_path):
    src = _archive_scan(tmp_path / "scan.jpg")
    assert main([str(src), "--model", str(tiny_model_path), "--no-label", "-q"]) == 0
    out = tmp_path / "scan_color.jpg"
    with Image.open(out) as im:
        assert im.getexif().get(0x0131) == "ScanSoft 2.0" and im.getexif().get(0x010F) == "TestCam"
        assert NS_COLORIZER.encode() not in im.info["xmp"]
    assert _prop(_xmp(out), "xmpMM", "DocumentID") == ["xmp.did:scan-1921-04"]  # copied as it was


def _colorize(*args: str | Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "-m", "engine.cli", *map(str, args)], capture_output=True, text=True,
                          env=env, timeout=300)


def test_a_later_run_skips_our_own_results(tmp_path, tiny_model_path):
    folder = tmp_path / "family"
    folder.mkdir()
    Image.fromarray(_grey()).save(folder / "x.jpg")
    Image.fromarray(_grey(48, 64)).save(folder / "y.png")
    model = ["--model", tiny_model_path, "--threads", "1"]
    first = _colorize(folder, *model)  # as the app does: results saved beside the originals
    assert first.returncode == 0, first.stderr
    assert sorted(p.name for p in folder.iterdir()) == ["x.jpg", "x_color.jpg", "y.png", "y_color.png"]

    second = _colorize(folder, "-o", tmp_path / "out", "--json", *model)
    assert second.returncode == 0, second.stderr
    report = json.loads(second.stdout)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["x_color.jpg", "y_color.png"]  # no x_color_color
    assert report["summary"]["done"] == 2 and report["summary"]["already_colorized"] == 2
    assert report["summary"]["skipped"] == 2
    skipped = sorted(Path(r["input"]).name for r in report["results"] if r["status"] == "skipped")
    assert skipped == ["x_color.jpg", "y_color.png"]
    assert "2 skipped (2 already Colorizer results)" in second.stderr
    assert "skipped 2 photo(s) that are already Colorizer results (--include-colorized" in second.stderr

    only_ours = _colorize(folder / "x_color.jpg", *model)  # named on its own: still skipped, and said why
    assert only_ours.returncode == 0 and "nothing to do" in only_ours.stderr
    assert "already Colorizer results" in only_ours.stderr

    again = _colorize(folder, "-o", tmp_path / "again", "--include-colorized", *model)
    assert again.returncode == 0, again.stderr
    assert sorted(p.name for p in (tmp_path / "again").iterdir()) == [
        "x_color.jpg", "x_color_color.jpg", "y_color.png", "y_color_color.png"]
    with Image.open(tmp_path / "again" / "x_color_color.jpg") as im:  # derived from the result it was made from
        assert b"<stRef:filePath>x_color.jpg</stRef:filePath>" in im.info["xmp"]

    unlabelled = tmp_path / "plain"
    _colorize(folder / "x.jpg", "-o", unlabelled, "--no-label", *model)
    rerun = _colorize(unlabelled, "-o", tmp_path / "plain-out", "--json", *model)  # --no-label: not recognised
    assert json.loads(rerun.stdout)["summary"]["already_colorized"] == 0


def test_the_apps_saves_are_labelled(tmp_path, tiny_model_path, qapp):
    """The app saves through the engine thread: both a batch job and a re-save after a strength change."""
    from colorizer_gui.workspace.engine_worker import EngineWorker, JobTask, LoadModelTask, PreviewTask, SaveTask
    from engine.batch import BatchSettings, Job
    from engine.hints import Hint

    src = tmp_path / "photo.png"
    Image.fromarray(_grey()).save(src)
    worker = EngineWorker()
    outcomes: list = []
    worker.finished.connect(outcomes.append)
    worker.execute(LoadModelTask(str(tiny_model_path), "cpu"))
    assert outcomes[-1].ok, outcomes[-1].message

    hints = [Hint(10, 10, "#aa3322"), Hint(50, 30, "#2244aa")]
    settings = BatchSettings(strength=0.7)
    worker.execute(JobTask(1, Job(src, tmp_path / "photo_color.png", "png", hints=hints), settings))
    assert outcomes[-1].result.status == "done", outcomes[-1].result.message
    root = _xmp(tmp_path / "photo_color.png")
    assert _prop(root, "c", "Strength") == ["0.70"] and _prop(root, "c", "Hints") == ["2"]

    worker.execute(PreviewTask(2, src, hints[:1], 256, None))
    chroma = outcomes[-1].chroma
    worker.execute(SaveTask(3, src, chroma, 1.6, tmp_path / "photo_bold.jpg", "jpg", 90, False, None,
                            hints=tuple(hints[:1])))
    assert outcomes[-1].ok, outcomes[-1].message
    root = _xmp(tmp_path / "photo_bold.jpg")
    assert _prop(root, "c", "Strength") == ["1.60"] and _prop(root, "c", "Hints") == ["1"]
    assert _prop(root, "stRef", "filePath") == ["photo.png"]
    with Image.open(tmp_path / "photo_bold.jpg") as im:
        assert im.getexif().get(0x0131) == f"Colorizer {__version__}"


def test_the_label_survives_a_tiff_whose_copied_metadata_is_rejected(tmp_path):
    """When libtiff refuses the source's EXIF and the save retries with less, the label stays."""
    from engine.output_label import OutputLabel
    from engine.photo_io import read_photo, write_photo

    src = tmp_path / "odd.tif"  # a white point of one value where libtiff wants two
    rgb = np.random.default_rng(1).integers(0, 256, (32, 48, 3), dtype=np.uint8)
    tifffile.imwrite(src, rgb, photometric="rgb", extratags=[(318, 5, 1, (313, 1000), True)])
    notes = write_photo(rgb, tmp_path / "out.tif", "tiff", read_photo(src), label=OutputLabel("tiny", "1"))
    assert any("metadata could not be written" in n for n in notes), notes
    with Image.open(tmp_path / "out.tif") as im:
        assert im.getexif().get(0x0131) == f"Colorizer {__version__}"
    assert _prop(_xmp(tmp_path / "out.tif"), "stRef", "filePath") == ["odd.tif"]


def test_a_result_whose_xmp_was_stripped_is_still_recognised(tmp_path, tiny_model_path):
    """Some tools drop XMP but keep EXIF: Software still says the file is ours."""
    from engine.batch import collect_inputs, split_own_outputs

    Image.fromarray(_grey()).save(tmp_path / "a.png")
    assert main([str(tmp_path / "a.png"), "--model", str(tiny_model_path), "-q"]) == 0
    with Image.open(tmp_path / "a_color.png") as im:
        im.load()
        exif = im.info["exif"]
        im.save(tmp_path / "resaved.jpg", exif=exif)  # EXIF only
        im.save(tmp_path / "resaved.tif", exif=exif)
    with Image.open(tmp_path / "resaved.jpg") as im:
        assert "xmp" not in im.info
    inputs, _ = collect_inputs([tmp_path])
    keep, ours = split_own_outputs(inputs)
    assert [i.path.name for i in keep] == ["a.png"]
    assert sorted(i.path.name for i in ours) == ["a_color.png", "resaved.jpg", "resaved.tif"]
