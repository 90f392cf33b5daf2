"""What `colorize` tells a newcomer: counts that agree, one-line mistakes, notes, a quick start (issue 13).

Real `colorize` processes on real files, with the tiny test model.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]


def _colorize(*args: str | Path, env: dict | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1", **(env or {})}
    return subprocess.run([sys.executable, "-m", "engine.cli", *map(str, args)], capture_output=True, text=True,
                          env=env, timeout=300)


def _grey_photo(path: Path, size: tuple[int, int] = (64, 48)) -> Path:
    w, h = size
    Image.fromarray(np.tile(np.linspace(30, 220, w, dtype=np.float32), (h, 1)).astype(np.uint8)).save(path)
    return path


def test_json_and_stderr_give_the_same_counts(tmp_path, tiny_model_path):
    _grey_photo(tmp_path / "good.png")
    (tmp_path / "bad.jpg").write_text("not a photo")
    (tmp_path / "empty").mkdir()
    run = _colorize(tmp_path / "good.png", tmp_path / "bad.jpg", tmp_path / "empty", "--model", tiny_model_path,
                    "--json")
    assert run.returncode == 1
    summary = json.loads(run.stdout)["summary"]
    assert (summary["done"], summary["failed"], summary["skipped"], summary["inputs_without_photos"]) == (1, 1, 0, 1)
    assert "Done: 1 colorized, 1 failed, 0 skipped in" in run.stderr
    assert "; 1 input(s) gave no photos" in run.stderr


def test_a_missing_photo_is_a_usage_error(tmp_path, tiny_model_path):
    _grey_photo(tmp_path / "here.png")
    run = _colorize(tmp_path / "here.png", tmp_path / "typo.png", "--model", tiny_model_path)
    assert run.returncode == 2
    assert run.stderr == f"colorize: error: no such file or folder: {tmp_path / 'typo.png'}\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["here.png"]  # nothing was colorized


@pytest.mark.parametrize("args, expected", [
    (["--strenght", "1.2"], "colorize: error: unknown option --strenght (did you mean --strength?)"),
    (["--skip-exisitng"], "colorize: error: unknown option --skip-exisitng (did you mean --skip-existing?)"),
    (["--format", "pgn"], "did you mean 'png'?"),
    (["--device", "cdua"], "did you mean 'cuda'?"),
    (["--strength", "strong"], "colorize: error: argument --strength: invalid float value: 'strong'"),
    (["--strength", "3"], "colorize: error: --strength must be between 0 and 2"),
    (["--zzz"], "colorize: error: unknown option --zzz (colorize --help lists them)"),
])
def test_mistakes_are_one_line_with_a_suggestion(tmp_path, args, expected):
    photo = _grey_photo(tmp_path / "a.png")
    run = _colorize(photo, *args)
    assert run.returncode == 2
    assert run.stderr.count("\n") == 1 and "usage:" not in run.stderr, run.stderr
    assert expected in run.stderr, run.stderr


def test_help_explains_device_and_labels():
    run = _colorize("--help")
    assert run.returncode == 0
    text = " ".join(run.stdout.split())
    assert "where the network runs: auto (default) uses an NVIDIA GPU (cuda)" in text
    assert "--no-label" in text and "--include-colorized" in text
    assert "2 usage error (a mistyped option or value, a photo or folder that does not exist" in text


def test_progress_names_the_photo_and_notes_are_shown(tmp_path, tiny_model_path):
    Image.fromarray(np.dstack([np.full((48, 64), v, np.uint8) for v in (200, 120, 40)])).save(tmp_path / "sepia.png")
    _grey_photo(tmp_path / "sepia_color.png")  # an earlier result in the way: the new one is renamed
    run = _colorize(tmp_path / "sepia.png", "--model", tiny_model_path)
    assert run.returncode == 0, run.stderr
    assert "sepia.png: 100%" in run.stderr  # the progress line names the photo
    assert f"note: {tmp_path / 'sepia.png'}: the photo already has colour" in run.stderr
    assert f"note: {tmp_path / 'sepia.png'}: sepia_color.png already exists, so this was saved as " \
           "sepia_color-1.png" in run.stderr
    assert (tmp_path / "sepia_color-1.png").is_file()
    quiet = _colorize(tmp_path / "sepia.png", "--model", tiny_model_path, "-q")
    assert quiet.returncode == 0 and quiet.stderr == ""


_PROBE = """
import os, sys
from engine.cli import main
assert os.environ["OMP_WAIT_POLICY"] == "PASSIVE"  # set by the engine package before torch can load
try:
    main(sys.argv[1:])
except SystemExit:
    pass
print("LOADED", sorted(m for m in ("torch", "numpy", "PIL") if m in sys.modules))
"""


@pytest.mark.parametrize("args", [["--help"], ["--version"], ["--list-models"], ["a.png", "--strength", "9"],
                                  ["a.png", "--strenght", "1"]])
def test_quick_answers_do_not_load_torch(args, tiny_model_path):
    """--help, --version, --list-models and mistakes answer without torch or numpy (1 to 2.5 s to import)."""
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    run = subprocess.run([sys.executable, "-c", _PROBE, *args], capture_output=True, text=True, timeout=120,
                         env={**env, "PYTHONPATH": str(ROOT)})
    assert run.returncode == 0, run.stderr
    assert "LOADED []" in run.stdout, run.stdout
