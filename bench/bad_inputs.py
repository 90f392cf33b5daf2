"""Reliability over odd and broken files: build a folder of them, run `colorize` over it, count.

    python bench/bad_inputs.py [--keep DIR] [--model NAME_OR_FILE] [--render-size N] [--code DIR]

Builds ~60 files like the odd ones in Pillow's own test corpus (LAB, BigTIFF, odd TIFF tags,
16-bit RGB/RGBA/CMYK, planar and tiled TIFFs, tRNS colour keys, every mode) and broken ones
(truncated, corrupt data, text bombs, far directories, empty, random bytes, FIFOs, symlink
loops, folders named like photos, non-UTF-8 names), runs the real CLI over the folder with
--json, and prints: outputs, clear errors, tracebacks, hangs, originals changed, leftovers,
plus whether each deep or transparent source kept its bit depth and transparency.

Then the scenarios of issue 24 that one run over a folder cannot show, each a real run:
two `colorize` at once into one folder (results replaced = data lost), the same command run
twice (duplicates), --allow-huge on a small file claiming 100000x100000, a model with JSON
nested 100,000 deep (--model and --list-models), Ctrl-C 0.4 s after start, and a TIFF with
70 KB of XMP saved as JPEG. `--code DIR` runs another checkout's engine (e.g. an older
commit in a `git worktree`) for before/after figures.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
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

    # issue 24: a name too long once suffixed, XMP too deep to write, hint files (--hints-dir)
    put("é" * 123 + ".png", png, refused=True)   # 250 bytes: _color makes it 256
    deep_xmp = PngImagePlugin.PngInfo()
    deep_xmp.add_itxt("XML:com.adobe.xmp", '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf='
                      '"http://www.w3.org/1999/02/22-rdf-syntax-ns#">' + "<a>" * 100_000 + "</a>" * 100_000
                      + "</rdf:RDF></x:xmpmeta>")
    Image.fromarray(g).save(put("deep_xmp.png"), pnginfo=deep_xmp)
    Image.fromarray(g).save(put("ctrl\x1b[31m\x07name.png"))
    hints = folder.parent / "hints"
    hints.mkdir(exist_ok=True)
    Image.fromarray(g).save(put("hinted_huge.png", refused=True))
    (hints / "hinted_huge.json").write_text(json.dumps({"points": [{"x": i % 96, "y": i % 64, "color": "#2a4f9e"}
                                                                   for i in range(100_000)]}))
    Image.fromarray(g).save(put("hinted_bom.png"))
    (hints / "hinted_bom.json").write_bytes(b"\xef\xbb\xbf" + b'{"points": [{"x": 5, "y": 5, "color": "#2a4f9e"}]}')
    Image.fromarray(g).save(put("hinted_outside.png", hints=0))
    (hints / "hinted_outside.json").write_text('{"points": [{"x": 500, "y": 5, "color": "#2a4f9e"}, '
                                               '{"x": NaN, "y": 5, "color": "#2a4f9e"}]}')

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
    xmp = _xmp_body(output)
    if xmp is not None:
        try:
            ET.fromstring(xmp)
        except ET.ParseError:
            lost.append("XMP no XML reader accepts")
        hints = re.search(r'colorizer:Hints="(\d+)"', xmp)
        if "hints" in wanted and hints and int(hints.group(1)) != wanted["hints"]:
            lost.append(f"label counts {hints.group(1)} hints, {wanted['hints']} were used")
    return lost


def _xmp_body(output: Path) -> str | None:
    try:
        with Image.open(output) as im:
            xmp = im.info.get("xmp")
    except Exception:  # noqa: BLE001 - counted by _kept already
        return None
    if not xmp:
        return None
    text = xmp.decode("utf-8", "replace") if isinstance(xmp, bytes) else xmp
    return re.sub(r"<\?xpacket[^>]*\?>", "", text).strip()


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--keep", type=Path, help="build in this folder and keep it (default: a temporary one)")
    p.add_argument("--model", help="model for colorize (default: the bundled one)")
    p.add_argument("--render-size", type=int, default=128)
    p.add_argument("--timeout", type=float, default=900, help="seconds before the run counts as a hang")
    p.add_argument("--code", type=Path, default=ROOT,
                   help="the checkout whose engine runs (default: this one); e.g. an older commit's worktree")
    p.add_argument("--only-scenarios", action="store_true", help="skip the corpus run")
    args = p.parse_args()
    env = {**os.environ, "PYTHONPATH": str(args.code.resolve()),
           "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1")}
    code = 0 if args.only_scenarios else _corpus(args, env)
    rows = _scenarios(args, env)
    print("\nscenario                         tried saved clear tracebacks hangs changed leftovers lost")
    for name, row in rows:
        print(f"{name:32s} " + " ".join(f"{row.get(k, 0):>{w}}" for k, w in
                                        (("tried", 5), ("saved", 5), ("clear", 5), ("tracebacks", 10), ("hangs", 5),
                                         ("changed", 7), ("leftovers", 9), ("lost", 4))))
    bad = any(row.get(k) for _, row in rows for k in ("tracebacks", "hangs", "changed", "leftovers", "lost"))
    return 1 if code or bad else 0


def _corpus(args, env: dict) -> int:

    work = args.keep or Path(tempfile.mkdtemp(prefix="bad-inputs-"))
    src, out = work / "in", work / "out"
    if src.exists() or out.exists():
        shutil.rmtree(src, ignore_errors=True)
        shutil.rmtree(out, ignore_errors=True)
    expect = build(src)
    before = _fingerprint(src)
    cmd = [sys.executable, "-m", "engine.cli", str(src), "-o", str(out), "--json", "-q",
           "--render-size", str(args.render_size), "--hints-dir", str(work / "hints")]
    if args.model:
        cmd += ["--model", args.model]
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
    valid = [n for n, e in expect.items() if not e.get("broken") and not e.get("not_a_file") and not e.get("refused")]
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
    raw = len(re.findall(r"[\x00-\x08\x0b-\x1f\x7f]", stderr))
    print(f"raw control characters echoed to the terminal: {raw}")
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
    return 0 if not (tracebacks or hangs or changed or leftovers or missing or losses or raw) else 1


def _cli(env: dict, *args: object, timeout: float = 600) -> tuple[int | None, str, str]:
    """(exit status or None for a hang, stdout, stderr) of one real `colorize` run."""
    try:
        res = subprocess.run([sys.executable, "-m", "engine.cli", *map(str, args)], capture_output=True, env=env,
                             timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        return None, (exc.stdout or b"").decode(errors="replace"), (exc.stderr or b"").decode(errors="replace")
    return res.returncode, res.stdout.decode(errors="replace"), res.stderr.decode(errors="replace")


def _json(stdout: str) -> list[dict]:
    try:
        return json.loads(stdout)["results"]
    except (ValueError, KeyError):
        return []


def _count(results: list[dict], stderr: str, tried: int, hang: bool) -> dict[str, int]:
    failed = [r for r in results if r["status"] == "failed"]
    unexpected = [r for r in failed if r["message"].startswith("unexpected error")]
    return {"tried": tried, "saved": sum(r["status"] == "done" for r in results),
            "clear": len(failed) - len(unexpected), "tracebacks": stderr.count("Traceback") + len(unexpected),
            "hangs": int(hang)}


def _strength(path: Path) -> str | None:
    body = _xmp_body(path) or ""
    found = re.search(r'colorizer:Strength="([^"]*)"', body)
    return found.group(1) if found else None


def _scenarios(args, env: dict) -> list[tuple[str, dict]]:
    model = ["--model", args.model] if args.model else []
    work = Path(tempfile.mkdtemp(prefix="bad-inputs-2-"))
    rows: list[tuple[str, dict]] = []
    scans = work / "scans"
    scans.mkdir()
    for i in range(40):
        Image.fromarray(_grey(48, 32, seed=i)).save(scans / f"scan{i:02d}.png")
    before = _fingerprint(scans)

    # Two runs at once into one folder, with different strengths: every result must survive.
    for mode in ("rename", "skip"):
        out = work / f"two-{mode}"
        runs = [subprocess.Popen([sys.executable, "-m", "engine.cli", str(scans), "-o", str(out), "--json", "-q",
                                  "--render-size", "64", "--strength", strength, "--if-exists", mode, *model],
                                 env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                for strength in ("0.5", "1.5")]
        row = {"tried": 80}
        lost = 0
        for run, strength in zip(runs, ("0.50", "1.50")):
            stdout, stderr = (b.decode(errors="replace") for b in run.communicate(timeout=args.timeout))
            results = _json(stdout)
            for key, value in _count(results, stderr, 0, False).items():
                row[key] = row.get(key, 0) + value
            lost += sum(1 for r in results if r["status"] == "done" and _strength(Path(r["output"])) != strength)
        row["lost"] = lost
        row["leftovers"] = sum(1 for f in out.iterdir() if f.name.endswith(".partial")) if out.is_dir() else 0
        rows.append((f"two runs at once ({mode})", row))

    # The same command twice: the second must write nothing new.
    out = work / "twice"
    for _ in range(2):
        status, stdout, stderr = _cli(env, scans, "-o", out, "--json", "-q", "--render-size", "64", *model)
    row = _count(_json(stdout), stderr, 40, status is None)
    row["lost"] = max(0, len(list(out.iterdir())) - 40)   # duplicates
    rows.append(("same command twice (duplicates)", row))

    # --allow-huge: a 177-byte PNG claiming 100000x100000 beside a good photo.
    huge = work / "huge"
    huge.mkdir()
    Image.fromarray(_grey()).save(huge / "good.png")
    ihdr = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 0, 0, 0, 0)
    (huge / "bomb.png").write_bytes(b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr)
                                    + _chunk(b"IDAT", zlib.compress(b"\0" * 64)) + _chunk(b"IEND", b""))
    # The address space is bounded so that an unbounded run fails here rather than the machine.
    limited = [sys.executable, "-c", "import resource, runpy, sys; resource.setrlimit(resource.RLIMIT_AS, "
               "(8 << 30, 8 << 30)); sys.argv = ['colorize'] + sys.argv[1:]; runpy.run_module('engine.cli', "
               "run_name='__main__')", str(huge), "-o", str(work / "huge-out"), "--allow-huge", "--json", "-q", *model]
    try:
        res = subprocess.run(limited, capture_output=True, env=env, timeout=args.timeout)
        row = _count(_json(res.stdout.decode()), res.stderr.decode(errors="replace"), 2, False)
        row["lost"] = int(not _json(res.stdout.decode()))   # the run itself ended: the good photo's result too
    except subprocess.TimeoutExpired:
        row = {"tried": 2, "hangs": 1}
    rows.append(("--allow-huge, 100000x100000", row))

    # A model whose metadata is JSON nested 100,000 deep.
    tiny = Path(args.model) if args.model and Path(args.model).is_file() else \
        next(iter(sorted((ROOT / "resources" / "models").glob("*.safetensors"))), None)
    if tiny is not None:
        data = tiny.read_bytes()
        n = int.from_bytes(data[:8], "little")
        header = json.loads(data[8:8 + n])
        header["__metadata__"]["training"] = "[" * 100_000 + "]" * 100_000
        text = json.dumps(header).encode()
        deep = work / "models" / "deep.safetensors"
        deep.parent.mkdir()
        deep.write_bytes(len(text).to_bytes(8, "little") + text + data[8 + n:])
        status, _, stderr = _cli(env, scans / "scan00.png", "-o", work / "deep-out", "--model", deep)
        row = {"tried": 2, "tracebacks": stderr.count("Traceback"), "hangs": int(status is None),
               "clear": int(status == 2 and "Traceback" not in stderr)}
        (work / "data" / "models").mkdir(parents=True, exist_ok=True)
        shutil.copy(deep, work / "data" / "models" / "deep.safetensors")
        status, stdout, stderr = _cli({**env, "COLORIZER_DATA_DIR": str(work / "data")}, "--list-models", "--json")
        row["tracebacks"] += stderr.count("Traceback")
        row["clear"] += int(status == 0 and "deep" in stdout)
        rows.append(("model with deep JSON (2 ways)", row))

    # Ctrl-C 0.4 s after start (while torch loads).
    proc = subprocess.Popen([sys.executable, "-m", "engine.cli", str(scans), "-o", str(work / "early"), *model],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(0.4)
    proc.send_signal(signal.SIGINT)
    _, stderr_b = proc.communicate(timeout=120)
    stderr = stderr_b.decode(errors="replace")
    rows.append(("Ctrl-C 0.4 s after start", {"tried": 1, "tracebacks": stderr.count("Traceback"),
                                               "clear": int("cancelled" in stderr and "Traceback" not in stderr)}))

    # 70 KB of XMP in a TIFF, saved as JPEG.
    big = work / "bigxmp"
    big.mkdir()
    xmp = ('<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
           '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:description>'
           + "x" * 70_000 + "</dc:description></rdf:Description></rdf:RDF></x:xmpmeta>").encode()
    tifffile.imwrite(big / "big_xmp.tif", _grey(), extratags=[(700, 1, len(xmp), xmp, True)])
    status, stdout, stderr = _cli(env, big, "-o", work / "bigxmp-out", "--format", "jpg", "--json", "-q", *model)
    rows.append(("70 KB XMP TIFF as JPEG", _count(_json(stdout), stderr, 1, status is None)))

    changed = sum(before[n] != h for n, h in _fingerprint(scans).items())
    for _, row in rows:
        row.setdefault("changed", 0)
    rows[0][1]["changed"] = changed
    shutil.rmtree(work, ignore_errors=True)
    return rows


if __name__ == "__main__":
    sys.exit(main())
