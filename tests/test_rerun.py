"""Running the same command twice finishes what is left and duplicates nothing (issue 23 item 2).

Real `colorize` processes, real files and a real Ctrl-C (SIGINT).
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from conftest import grey_gradient
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}


def _colorize(*args: str | Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "engine.cli", *map(str, args)], capture_output=True, text=True,
                          env=ENV, timeout=600)


def test_running_the_same_command_twice_writes_nothing_new(tmp_path, tiny_model_path):
    scans = tmp_path / "scans"
    scans.mkdir()
    for i in range(6):
        Image.fromarray(grey_gradient(48, 32, seed=i), "L").save(scans / f"scan{i}.png")
    (tmp_path / "out").mkdir()
    # Someone else's file with a result's name is kept, and the result numbered, both times.
    Image.fromarray(grey_gradient(48, 32, seed=9), "L").save(tmp_path / "out" / "scan0_color.png")
    args = (scans, "-o", tmp_path / "out", "--model", tiny_model_path, "--render-size", "64")
    first = _colorize(*args)
    assert first.returncode == 0, first.stderr
    after_first = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert len(after_first) == 7 and "scan0_color-1.png" in after_first
    second = _colorize(*args, "--json")
    assert second.returncode == 0, second.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == after_first
    report = json.loads(second.stdout)
    assert report["summary"]["skipped"] == 6 and report["summary"]["already_done"] == 6
    assert all(r["message"].startswith("already done") for r in report["results"])
    assert "6 already done, their results kept; --if-exists rename makes new copies" in second.stderr
    # A new copy only when asked.
    third = _colorize(*args, "--if-exists", "rename", "-q")
    assert third.returncode == 0, third.stderr
    assert len(list((tmp_path / "out").iterdir())) == 13


def test_after_ctrl_c_the_message_gives_the_command_that_finishes_the_rest(tmp_path, tiny_model_path):
    scans = tmp_path / "my scans"
    scans.mkdir()
    rng = np.random.default_rng(0)
    for i in range(30):  # noisy and large: slow to encode, so the batch is still running at the signal
        Image.fromarray(rng.integers(0, 256, (700, 900), dtype=np.uint8), "L").save(scans / f"s{i:02d}.png")
    out = tmp_path / "out"
    args = [str(scans), "-o", str(out), "--model", str(tiny_model_path), "--render-size", "64"]
    proc = subprocess.Popen([sys.executable, "-m", "engine.cli", *args], env=ENV, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 300
    while not (out.is_dir() and any(p.suffix == ".png" for p in out.iterdir())) and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 128 + signal.SIGINT, stderr
    done = len(list(out.glob("*.png")))
    assert 0 < done < 30, "the batch ended before Ctrl-C: make it longer"
    command = shlex.join(["colorize", *args])
    assert f"To finish the rest, run the same command again (photos already done are skipped):\n  {command}" \
        in stderr
    rest = _colorize(*shlex.split(command)[1:], "--json", "-q")
    assert rest.returncode == 0, rest.stderr
    summary = json.loads(rest.stdout)["summary"]
    assert (summary["done"], summary["already_done"]) == (30 - done, done)
    assert sorted(p.name for p in out.iterdir()) == [f"s{i:02d}_color.png" for i in range(30)]
