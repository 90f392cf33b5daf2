"""Reliability over odd and broken files: build a folder of them, run `colorize` over it, count.

    python bench/bad_inputs.py [--keep DIR] [--model NAME_OR_FILE] [--render-size N]

Builds ~60 files like the odd ones in Pillow's own test corpus (LAB, BigTIFF, odd TIFF tags,
16-bit RGB/RGBA/CMYK, planar and tiled TIFFs, tRNS colour keys, every mode) and broken ones
(truncated, corrupt data, text bombs, far directories, empty, random bytes, FIFOs, symlink
loops, folders named like photos, non-UTF-8 names), runs the real CLI over the folder with
--json, and prints: outputs, clear errors, tracebacks, hangs, originals changed, leftovers,
plus whether each deep or transparent source kept its bit depth and transparency.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

import numpy as np
import tifffile
from PIL import Image, PngImagePlugin

ROOT = Path(__file__).resolve().parents[1]


def _grey(w: int = 96, h: int = 64, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w]
    return np.clip(40 + 1.2 * x + 0.8 * y + rng.normal(0, 6, (h, w)), 0, 255).astype(np.uint8)


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def _encoded(im: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    im.save(buf, fmt, **kw)
    return buf.getvalue()


def build(folder: Path) -> dict[str, dict]:
    """Write the corpus; returns name -> what a faithful output keeps ({"bits": 16, "alpha": True})."""
    folder.mkdir(parents=True, exist_ok=True)
    expect: dict[str, dict] = {}
    g = _grey()
    rgb = np.dstack((g, g // 2 + 60, 255 - g))
    rng = np.random.default_rng(1)
    rgb16 = rng.integers(0, 65536, (64, 96, 3), dtype=np.uint16)
    a16 = rng.integers(0, 65536, (64, 96), dtype=np.uint16)

    def put(name: str, data: bytes | None = None, **keeps) -> Path:
        path = folder / name
        if data is not None:
            path.write_bytes(data)
        expect[name] = keeps
        return path

    # valid, in every mode and layout
    Image.fromarray(g).save(put("grey.jpg"), quality=90)
    Image.fromarray(g).save(put("grey.png"))
    Image.fromarray(rgb).save(put("colour.webp"))
    Image.fromarray(g).convert("1").save(put("bilevel.tif"))
    Image.fromarray(g).convert("P").save(put("palette.gif"))
    Image.fromarray(g).convert("LA").save(put("grey_alpha.png", alpha=True))
    Image.fromarray(rgb).convert("RGBA").save(put("rgba.png", alpha=True))
    Image.fromarray(rgb).convert("CMYK").save(put("cmyk.jpg"))
    Image.fromarray(rgb).save(put("plain.bmp"))
    Image.fromarray(g.astype(np.uint16) * 257).save(put("grey16.png", bits=16))
    Image.fromarray(g.astype(np.float32) / 255).save(put("float.tif"))
    Image.fromarray(rgb).convert("LAB").save(put("hopper.Lab.tif"))
    Image.fromarray(rgb).save(put("tiff_adobe_deflate.tif"), compression="tiff_adobe_deflate")
    tifffile.imwrite(put("hopper_bigtiff.tif"), rgb, photometric="rgb", bigtiff=True, description="big")
    tifffile.imwrite(put("whitepoint_one_value.tif"), rgb, photometric="rgb",
                     extratags=[(318, 5, 1, (313, 1000), True)])
    tifffile.imwrite(put("primaries_three_values.tif"), rgb, photometric="rgb",
                     extratags=[(319, 5, 3, (1, 2, 3, 4, 5, 6), True)])
    tifffile.imwrite(put("tiff_16bit_RGB.tiff", bits=16), rgb16, photometric="rgb")
    tifffile.imwrite(put("tiff_strip_planar_16bit_RGB.tiff", bits=16), np.moveaxis(rgb16, 2, 0),
                     photometric="rgb", planarconfig="separate")
    tifffile.imwrite(put("tiff_16bit_RGBa.tiff", bits=16, alpha=True), np.dstack((rgb16, a16)), photometric="rgb",
                     extrasamples=["assocalpha"])
    tifffile.imwrite(put("tiff_tiled_planar_16bit_RGBa.tiff", bits=16, alpha=True),
                     np.moveaxis(np.dstack((rgb16, a16)), 2, 0), photometric="rgb", planarconfig="separate",
                     tile=(32, 32), extrasamples=["assocalpha"])
    tifffile.imwrite(put("tiff_16bit_CMYK.tiff", bits=16), np.dstack((rgb16, a16)), photometric="separated")
    key = int(g[0, 0])
    Image.fromarray(rgb).save(put("rgb_trns.png", alpha=True), transparency=tuple(int(v) for v in rgb[0, 0]))
    Image.fromarray(g).save(put("l_trns.png", alpha=True), transparency=key)
    Image.fromarray(g.astype(np.uint16) * 257).save(put("i_trns.png", alpha=True, bits=16), transparency=key * 257)
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x010F] = "TestCam"
    Image.fromarray(g).save(put("turned_exif.jpg"), exif=exif.tobytes())
    Image.fromarray(g).save(put("broken_exif.jpg"), exif=b"Exif\x00\x00MM\x00*\x00\x00\x00\x08\xff\xff")
    frames = [Image.fromarray(np.roll(g, i * 9, axis=1)).convert("P") for i in range(3)]
    frames[0].save(put("animated.gif"), save_all=True, append_images=frames[1:])
    Image.fromarray(g).save(put("name with spaces é ü.png"))
    Image.fromarray(g).save(put("n" * 180 + ".png"))
    Image.fromarray(g).save(os.path.join(os.fsencode(folder), b"latin1-caf\xe9.png"))
    expect[os.fsdecode(b"latin1-caf\xe9.png")] = {}

    # broken
    png = _encoded(Image.fromarray(g), "PNG")
    jpg = _encoded(Image.fromarray(g), "JPEG")
    put("empty.jpg", b"")
    put("random.jpg", rng.integers(0, 256, 4000, dtype=np.uint8).tobytes())
    put("text.png", b"this is not a photo\n" * 20)
    put("truncated.jpg", jpg[: len(jpg) // 2])
    put("truncated.png", png[: len(png) // 2])
    put("header_only.png", png[:33])
    bad_idat = bytearray(png)
    i = bad_idat.index(b"IDAT")
    bad_idat[i + 6:i + 40] = bytes(b ^ 0x33 for b in bad_idat[i + 6:i + 40])
    put("corrupt_idat.png", bytes(bad_idat))
    bad_jpg = bytearray(jpg)
    for k in range(400, len(bad_jpg) - 10, 7):
        bad_jpg[k] = 0xFF
    put("corrupt_scan.jpg", bytes(bad_jpg))
    bomb = _chunk(b"zTXt", b"Comment\0\0" + zlib.compress(b"a" * (PngImagePlugin.MAX_TEXT_CHUNK + 10)))
    put("text_chunk_bomb.png", png[:33] + bomb + png[33:])
    tif = bytearray(_encoded(Image.fromarray(g), "TIFF", compression="tiff_deflate"))
    tif[20:200] = bytes(b ^ 0x5A for b in tif[20:200])
    put("corrupt_strip.tif", bytes(tif))
    put("far_directory.tif", b"II+\x00\x08\x00\x00\x00" + struct.pack("<Q", 2**63 + 5) + bytes(64))
    ihdr = struct.pack(">IIBBBBB", 200_000, 200_000, 8, 0, 0, 0, 0)
    put("decompression_bomb.png", png[:8] + _chunk(b"IHDR", ihdr) + png[33:])
    put("wrong_suffix.png", jpg)  # a JPEG named .png: readable
    expect["wrong_suffix.png"] = {}

    # not files
    os.mkfifo(folder / "pipe.jpg")
    (folder / "loop.png").symlink_to(folder / "loop.png")
    (folder / "nowhere.tif").symlink_to(folder / "missing-target.tif")
    (folder / "album.jpg").mkdir()
    for name in ("pipe.jpg", "loop.png", "nowhere.tif", "album.jpg"):
        expect[name] = {"not_a_file": True}
    for name in list(expect):
        if name in ("empty.jpg", "random.jpg", "text.png", "truncated.jpg", "truncated.png", "header_only.png",
                    "corrupt_idat.png", "corrupt_scan.jpg", "text_chunk_bomb.png", "corrupt_strip.tif",
                    "far_directory.tif", "decompression_bomb.png"):
            expect[name] = {"broken": True}
    return expect


def _fingerprint(folder: Path) -> dict[str, str]:
    out = {}
    for entry in sorted(os.scandir(folder), key=lambda e: e.name):
        if entry.is_file(follow_symlinks=False):
            out[entry.name] = hashlib.sha256(Path(entry.path).read_bytes()).hexdigest()
        else:
            out[entry.name] = "not a file"
    return out


def _kept(output: Path, wanted: dict) -> list[str]:
    """What a faithful output should have kept but did not."""
    lost = []
    try:
        if output.suffix == ".tif":
            with tifffile.TiffFile(output) as tif:
                page = tif.pages[0]
                bits, samples = page.bitspersample, page.samplesperpixel
        else:
            with Image.open(output) as im:
                im.load()
                bits = 16 if im.mode.startswith("I;16") else 8
                samples = len(im.getbands())
    except Exception as exc:  # noqa: BLE001 - an output that does not open is the worst loss
        return [f"unreadable ({exc})"]
    if wanted.get("bits") == 16 and output.suffix == ".tif" and bits != 16:
        lost.append("bit depth")
    if wanted.get("alpha") and samples not in (2, 4):
        lost.append("transparency")
    return lost


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--keep", type=Path, help="build in this folder and keep it (default: a temporary one)")
    p.add_argument("--model", help="model for colorize (default: the bundled one)")
    p.add_argument("--render-size", type=int, default=128)
    p.add_argument("--timeout", type=float, default=900, help="seconds before the run counts as a hang")
    args = p.parse_args()

    work = args.keep or Path(tempfile.mkdtemp(prefix="bad-inputs-"))
    src, out = work / "in", work / "out"
    if src.exists() or out.exists():
        shutil.rmtree(src, ignore_errors=True)
        shutil.rmtree(out, ignore_errors=True)
    expect = build(src)
    before = _fingerprint(src)
    cmd = [sys.executable, "-m", "engine.cli", str(src), "-o", str(out), "--json", "-q",
           "--render-size", str(args.render_size)]
    if args.model:
        cmd += ["--model", args.model]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    start = time.monotonic()
    hangs = 0
    try:
        res = subprocess.run(cmd, capture_output=True, env=env, timeout=args.timeout)
        stdout, stderr = res.stdout.decode(), res.stderr.decode(errors="replace")
    except subprocess.TimeoutExpired as exc:
        hangs = 1
        stdout, stderr = (exc.stdout or b"").decode(), (exc.stderr or b"").decode(errors="replace")
    seconds = time.monotonic() - start
    report = json.loads(stdout) if stdout.strip() else {"results": [], "not_found": [], "skipped_inputs": []}

    results = report["results"]
    outputs = [r for r in results if r["status"] == "done" and r["output"] and Path(r["output"]).is_file()]
    failed = [r for r in results if r["status"] == "failed"]
    unexpected = [r for r in failed if r["message"].startswith("unexpected error")]
    tracebacks = stderr.count("Traceback") + len(unexpected)
    clear = [r for r in failed if r not in unexpected and "\n" not in r["message"]]
    reported_skips = report.get("skipped_inputs", []) + report.get("not_found", [])
    after = _fingerprint(src)
    changed = sorted(n for n in before if before[n] != after.get(n)) + sorted(set(after) - set(before))
    leftovers = []
    for folder in (src, out):
        for d, dirs, files in os.walk(folder):
            leftovers += [os.path.join(d, f) for f in files if f.endswith(".partial")]
            if folder == out and d != str(folder) and not dirs and not files:  # input folders are as built
                leftovers.append(d + "/ (empty folder)")
    losses = []
    for r in outputs:
        name = os.path.basename(r["input"])
        lost = _kept(Path(r["output"]), expect.get(name, {}))
        if lost:
            losses.append(f"{name}: {', '.join(lost)}")
    valid = [n for n, e in expect.items() if not e.get("broken") and not e.get("not_a_file")]
    done_names = {os.path.basename(r["input"]) for r in outputs}
    missing = sorted(n for n in valid if n not in done_names)

    print(f"corpus: {len(expect)} entries ({len(valid)} valid photos, "
          f"{sum(bool(e.get('broken')) for e in expect.values())} broken files, "
          f"{sum(bool(e.get('not_a_file')) for e in expect.values())} not files) in {src}")
    print(f"command: {' '.join(cmd)}")
    print(f"exit status {None if hangs else res.returncode} after {seconds:.1f} s")
    print(f"outputs:           {len(outputs)}")
    print(f"clear errors:      {len(clear)} (plus {len(reported_skips)} skipped or not-found entries reported)")
    print(f"tracebacks:        {tracebacks}")
    print(f"hangs:             {hangs}")
    print(f"originals changed: {len(changed)}")
    print(f"leftovers:         {len(leftovers)}")
    print(f"valid photos not saved: {len(missing)}{': ' + ', '.join(missing) if missing else ''}")
    print(f"outputs that lost bit depth or transparency: {len(losses)}{': ' + '; '.join(losses) if losses else ''}")
    for r in failed:
        print(f"  error  {os.path.basename(r['input'])}: {r['message']}")
    for s in reported_skips:
        print(f"  skip   {os.path.basename(s['input'])}: {s['message']}")
    for item in changed + leftovers:
        print(f"  PROBLEM {item}")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if not (tracebacks or hangs or changed or leftovers or missing or losses) else 1


if __name__ == "__main__":
    sys.exit(main())
