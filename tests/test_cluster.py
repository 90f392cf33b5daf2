"""Large batches: shares of a batch for any job scheduler, manifests, and Ray (when installed).

Real photos, the real `colorize` command in subprocesses, and a real local Ray cluster."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from test_train import landscape

ROOT = Path(__file__).resolve().parents[1]


def colorize(*args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "-m", "engine.cli", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout)


@pytest.fixture
def scans(tmp_path) -> Path:
    """A small archive: greys and a 16-bit scan in two sub-folders, one name twice with two suffixes."""
    root = tmp_path / "scans"
    for sub in ("1890s", "1920s"):
        (root / sub).mkdir(parents=True)
    for i in range(7):
        grey = Image.fromarray(landscape(i, (96, 72))).convert("L")
        grey.save(root / ("1890s" if i % 2 else "1920s") / f"plate{i}.{'jpg' if i % 3 else 'png'}")
    Image.fromarray(landscape(9, (96, 72))).convert("L").save(root / "1890s" / "plate1.jpeg")  # clashes with plate1.jpg
    deep = (np.asarray(Image.fromarray(landscape(8, (96, 72))).convert("L"), np.uint16) * 257)
    Image.fromarray(deep).save(root / "1920s" / "plate16.png")
    return root


def results(proc: subprocess.CompletedProcess) -> list[dict]:
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout)["results"]


def test_shares_cover_every_photo_once_with_the_names_of_one_run(scans, tmp_path, tiny_model_path):
    common = [str(scans), "-r", "--model", str(tiny_model_path), "--render-size", "64", "--json", "-q"]
    whole = results(colorize(*common, "-o", str(tmp_path / "whole")))
    shares = [results(colorize(*common, "-o", str(tmp_path / "parts"), "--shard", f"{k}/3")) for k in (1, 2, 3)]
    seen = [r["input"] for share in shares for r in share]
    assert sorted(seen) == sorted(r["input"] for r in whole) and len(seen) == len(set(seen)) == 9
    assert all(len(share) < 9 for share in shares)
    names = {p.relative_to(tmp_path / "whole") for p in (tmp_path / "whole").rglob("*.*")}
    assert names == {p.relative_to(tmp_path / "parts") for p in (tmp_path / "parts").rglob("*.*")}
    # The share a photo lands in depends on its path below the folder, not where the folder is.
    moved = tmp_path / "elsewhere" / "scans"
    moved.parent.mkdir()
    scans.rename(moved)
    again = results(colorize(str(moved), "-r", "--model", str(tiny_model_path), "--render-size", "64", "--json",
                             "-q", "-o", str(tmp_path / "again"), "--shard", "2/3"))
    assert sorted(Path(r["input"]).relative_to(moved) for r in again) == \
        sorted(Path(r["input"]).relative_to(scans) for r in shares[1])


def test_inputs_from_a_list_file(scans, tmp_path, tiny_model_path):
    listing = scans / "todo.txt"
    listing.write_text("# tonight's plates\n1890s/plate1.jpg\n\n" + str(scans / "1920s" / "plate0.png") + "\n")
    done = results(colorize("--from-list", str(listing), "--model", str(tiny_model_path), "--render-size", "64",
                            "-o", str(tmp_path / "out"), "--json", "-q"))
    assert sorted(Path(r["output"]).name for r in done) == ["plate0_color.png", "plate1_color.jpg"]


@pytest.mark.parametrize("value", ["3", "0/2", "3/2", "a/b"])
def test_a_bad_share_is_one_line_and_a_usage_error(scans, value):
    proc = colorize(str(scans), "--shard", value)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "--shard" in proc.stderr


def _pixels_and_label(path: Path) -> tuple[np.ndarray, str]:
    with Image.open(path) as im:
        xmp = im.info.get("XML:com.adobe.xmp") or im.info.get("xmp", b"")
        xmp = xmp.decode() if isinstance(xmp, bytes) else xmp
        # A document's own XMP ids are new for every file written (as XMP asks); all else must match.
        for field in ("xmpMM:DocumentID", "xmpMM:InstanceID"):
            xmp = " ".join(part if field not in part else field for part in xmp.split(" "))
        return np.asarray(im), xmp.replace(str(path.parents[1].name), "")


def test_a_local_ray_run_writes_what_a_plain_run_writes_and_resumes(scans, tmp_path, tiny_model_path):
    pytest.importorskip("ray", reason='Ray is an optional extra: pip install -e ".[cluster]"')
    common = [str(scans), "-r", "--model", str(tiny_model_path), "--render-size", "64", "--json", "-q"]
    plain = results(colorize(*common, "-o", str(tmp_path / "plain")))
    ray_run = results(colorize(*common, "-o", str(tmp_path / "ray"), "--ray", "--workers", "2", timeout=600))

    def comparable(rows: list[dict], folder: str) -> list[dict]:
        return [{k: (v.replace(folder, "OUT") if isinstance(v, str) else v) for k, v in r.items() if k != "seconds"}
                for r in rows]

    assert comparable(ray_run, str(tmp_path / "ray")) == comparable(plain, str(tmp_path / "plain"))
    files = sorted(p.relative_to(tmp_path / "plain") for p in (tmp_path / "plain").rglob("*.*"))
    assert files == sorted(p.relative_to(tmp_path / "ray") for p in (tmp_path / "ray").rglob("*.*"))
    for rel in files:
        a, b = _pixels_and_label(tmp_path / "plain" / rel), _pixels_and_label(tmp_path / "ray" / rel)
        assert a[0].dtype == b[0].dtype and np.array_equal(a[0], b[0]), rel
        assert a[1] == b[1], rel
    again = results(colorize(*common, "-o", str(tmp_path / "ray"), "--ray", "--workers", "1", timeout=600))
    assert {r["status"] for r in again} == {"skipped"}
    assert sorted(p.relative_to(tmp_path / "ray") for p in (tmp_path / "ray").rglob("*")) == \
        sorted(p.relative_to(tmp_path / "ray") for p in (tmp_path / "ray").rglob("*"))
    assert not [p for p in (tmp_path / "ray").rglob(".*partial")]


def test_a_killed_ray_worker_is_replaced_and_its_photo_retried(tmp_path, tiny_model_path):
    """SIGKILL one of two Ray workers once photos are coming out: every photo still ends up done,
    stdout stays pure JSON (Ray's notices go to stderr), and no partial file is left."""
    pytest.importorskip("ray", reason='Ray is an optional extra: pip install -e ".[cluster]"')
    import signal
    import time

    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    rng = np.random.default_rng(0)
    base = rng.integers(0, 255, (60, 80), dtype=np.uint8)
    for i in range(40):
        Image.fromarray(np.roll(base, i, axis=1)).resize((2400, 1800), Image.Resampling.BICUBIC).save(
            src / f"plate{i:02d}.jpg", quality=90)
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "engine.cli", str(src), "-o", str(out), "--model",
                             str(tiny_model_path), "--ray", "--workers", "2", "--json", "-q"],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    killed = None
    deadline = time.monotonic() + 240
    while killed is None and time.monotonic() < deadline and proc.poll() is None:
        if out.is_dir() and any(p.suffix == ".jpg" for p in out.iterdir()):
            found = subprocess.run(["pgrep", "-f", "ray::MapWorker"], capture_output=True, text=True).stdout.split()
            if found:
                os.kill(int(found[0]), signal.SIGKILL)
                killed = int(found[0])
        time.sleep(0.2)
    stdout, stderr = proc.communicate(timeout=600)
    assert killed is not None, "the batch ended before a worker could be killed: make it longer"
    assert proc.returncode == 0, stderr[-3000:]
    rows = json.loads(stdout)["results"]
    # A worker killed after its photo was safely renamed into place, but before it reported,
    # has that photo retried; the retry finds the finished output and skips it (as a rerun would).
    assert len(rows) == 40 and {r["status"] for r in rows} <= {"done", "skipped"}
    assert all(r["message"].startswith("already done") for r in rows if r["status"] == "skipped")
    assert sorted(p.name for p in out.iterdir()) == [f"plate{i:02d}_color.jpg" for i in range(40)]
    for p in out.iterdir():
        with Image.open(p) as im:
            im.load()  # whole, not half-written
