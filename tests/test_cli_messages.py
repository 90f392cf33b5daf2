"""What `colorize` tells a newcomer: counts that agree, one-line mistakes, notes, a quick start (issue 13).

Real `colorize` processes on real files, with the tiny test model.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
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
    assert f"note: {tmp_path / 'sepia.png'}: the photo is toned (sepia or similar)" in run.stderr
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


def _scene(seed: int = 0, size: tuple[int, int] = (160, 120)) -> np.ndarray:
    """A grey scene with lightness at every level: a gradient, a dark figure, a bright window."""
    rng = np.random.default_rng(seed)
    w, h = size
    grey = np.tile(np.linspace(40, 210, w, dtype=np.float32), (h, 1))
    grey[30:110, 60:100] = 35   # a dark coat
    grey[10:40, 110:150] = 235  # a window
    return grey + rng.normal(0, 3, grey.shape)


def _print(grey: np.ndarray, tint=(1.0, 0.85, 0.65)) -> np.ndarray:
    return np.clip(grey[..., None] * np.array(tint, np.float32), 0, 255).astype(np.uint8)


def test_a_colour_photo_is_skipped_unless_asked_but_toned_prints_are_colorized(tmp_path, tiny_model_path):
    folder = tmp_path / "scans"
    folder.mkdir()
    Image.fromarray(_print(_scene(0))).save(folder / "sepia.jpg", quality=90)
    aged = _print(_scene(1)).astype(np.float32)
    aged[:, :50] *= np.array([1.0, 0.93, 0.7], np.float32)  # a yellowed edge: not one tint per grey any more
    Image.fromarray(np.clip(aged, 0, 255).astype(np.uint8)).save(folder / "aged-sepia.jpg", quality=90)
    Image.fromarray(_print(_scene(2), (0.6, 0.8, 1.0))).save(folder / "cyanotype.png")
    tinted = _print(_scene(3))
    tinted[30:110, 60:100] = [40, 70, 150]  # hand-tinted: the coat painted blue
    Image.fromarray(tinted).save(folder / "hand-tinted.jpg", quality=90)
    colour = np.zeros((120, 160, 3), np.float32)
    colour[:] = [30, 128, 128]                 # a teal background
    colour[20:100, 50:110] = [225, 185, 150]   # a face
    colour += np.random.default_rng(4).normal(0, 4, colour.shape)
    Image.fromarray(np.clip(colour, 0, 255).astype(np.uint8)).save(folder / "colour.jpg", quality=90)

    run = _colorize(folder, "--model", tiny_model_path, "--json")
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    status = {Path(r["input"]).name: (r["status"], r["message"]) for r in report["results"]}
    why = "already a colour photo, so it was left as it is (colorizing would replace its colours)"
    assert status == {"sepia.jpg": ("done", ""), "aged-sepia.jpg": ("done", ""), "cyanotype.png": ("done", ""),
                      "hand-tinted.jpg": ("skipped", why), "colour.jpg": ("skipped", why)}
    assert report["summary"]["already_in_colour"] == 2 and report["summary"]["skipped"] == 2
    assert f"skipped: {folder / 'colour.jpg'}: already a colour photo, left as it is; --include-colour " \
           "colorizes it anyway" in run.stderr
    assert "Done: 3 colorized, 0 failed, 2 skipped (2 already in colour: --include-colour colorizes them)" \
        in run.stderr
    assert not (folder / "colour_color.jpg").exists() and (folder / "aged-sepia_color.jpg").is_file()

    again = _colorize(folder / "colour.jpg", folder / "hand-tinted.jpg", "--model", tiny_model_path,
                      "--include-colour", "--json")
    assert again.returncode == 0, again.stderr
    notes = {Path(r["input"]).name: (r["status"], r["notes"]) for r in json.loads(again.stdout)["results"]}
    assert notes["colour.jpg"][0] == notes["hand-tinted.jpg"][0] == "done"
    assert "the photo already has colour; it was re-colorized from its lightness" in notes["colour.jpg"][1]
    assert (folder / "colour_color.jpg").is_file()


def test_an_unquoted_name_with_spaces_gets_a_suggestion_to_quote_it(tmp_path):
    folder = tmp_path / "my scans" / "Grandma's photos"
    folder.mkdir(parents=True)
    _grey_photo(folder / "wedding.png")
    run = _colorize(*f"{tmp_path}/my scans/Grandma's photos".split(" "), "-o", tmp_path / "out")
    assert run.returncode == 2
    assert run.stderr == (f"colorize: error: no such file or folder: {tmp_path}/my, scans/Grandma's, photos. "
                          f"A name with spaces needs quotes around it: colorize \"{folder}\"\n")
    assert not (tmp_path / "out").exists()
    typo = _colorize(tmp_path / "my scans" / "nope.png")  # no name with spaces explains it: no suggestion
    assert typo.stderr == f"colorize: error: no such file or folder: {tmp_path / 'my scans' / 'nope.png'}\n"


def test_ctrl_c_while_the_model_loads_says_one_line(tmp_path, tiny_model_path):
    photo = _grey_photo(tmp_path / "scan.png")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    # As from a terminal: Ctrl-C's signal not ignored, as it is for a job a script put in the background.
    proc = subprocess.Popen([sys.executable, "-m", "engine.cli", str(photo), "--model", str(tiny_model_path)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        # PyTorch's library mapped: the command is loading torch and the model, and has not begun.
        maps = Path(f"/proc/{proc.pid}/maps")
        deadline = time.monotonic() + 60
        while "libtorch" not in maps.read_text() and time.monotonic() < deadline:
            time.sleep(0.005)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert proc.returncode == 130, err
    assert err == "\ncolorize: cancelled before any photo was colorized; nothing was written\n"
    assert not (tmp_path / "scan_color.png").exists()
