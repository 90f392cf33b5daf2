"""One validation for every way a model is loaded (issue 12): CLI, app import, model manager,
training base model and resume all refuse the same hostile files with the same clear reason."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file

from engine import model_manager as mm
from engine.catalog import DEFAULT_MODEL, bundled_models_dir, list_models, resolve_model, user_models_dir
from engine.infer import Colorizer
from engine.weights import ModelError, check_checkpoint, load_model

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}


def _rewrite(src: Path, dest: Path, *, tensors: dict | None = None, **meta_changes: str) -> Path:
    with safe_open(str(src), framework="pt") as f:
        meta = dict(f.metadata())
    meta.update(meta_changes)
    save_file(tensors if tensors is not None else load_file(str(src)), str(dest), metadata=meta)
    return dest


def _with_tensor(src: Path, dest: Path, change) -> Path:
    tensors = load_file(str(src))
    key = next(k for k, v in tensors.items() if v.is_floating_point() and v.ndim == 4)
    tensors[key] = change(tensors[key].clone())
    return _rewrite(src, dest, tensors=tensors)


def _hostile_models(src: Path, folder: Path) -> dict[str, tuple[Path, str]]:
    """name -> (file, words the refusal must contain)."""
    tensors = load_file(str(src))
    int_bins = {**tensors, "bins": tensors["bins"].round().to(torch.int64)}
    zero_bins = {**tensors, "bins": torch.zeros_like(tensors["bins"])}
    huge = {k: (v.float() * 1e30 if v.is_floating_point() and v.ndim == 4 else v) for k, v in tensors.items()}
    return {
        "nan": (_with_tensor(src, folder / "nan.safetensors", lambda t: t.fill_(float("nan"))), "invalid numbers"),
        "inf": (_with_tensor(src, folder / "inf.safetensors", lambda t: t.fill_(float("inf"))), "invalid numbers"),
        "overflow": (_rewrite(src, folder / "overflow.safetensors", tensors=huge), "overflow"),
        "int-bins": (_rewrite(src, folder / "int_bins.safetensors", tensors=int_bins), "wrong kind of numbers"),
        "zero-bins": (_rewrite(src, folder / "zero_bins.safetensors", tensors=zero_bins), "not real colours"),
        "t=0": (_rewrite(src, folder / "t0.safetensors", temperature="0.0"), "temperature is implausible"),
        "t=-5": (_rewrite(src, folder / "tneg.safetensors", temperature="-5"), "temperature is implausible"),
        "t=1e308": (_rewrite(src, folder / "thuge.safetensors", temperature="1e308"), "temperature is implausible"),
        "t=nan": (_rewrite(src, folder / "tnan.safetensors", temperature="nan"), "temperature is implausible"),
    }


@pytest.fixture
def hostile(tiny_model_path, tmp_path) -> dict[str, tuple[Path, str]]:
    return _hostile_models(tiny_model_path, tmp_path)


def test_every_engine_entry_point_refuses_the_same_hostile_models(hostile):
    for path, words in hostile.values():
        for load in (load_model, Colorizer, mm.check_model_file, mm.import_model):
            with pytest.raises(ModelError, match=words):
                load(path)
    assert not user_models_dir().exists() or not list(user_models_dir().iterdir())


@pytest.mark.parametrize("name", ["nan", "int-bins", "t=1e308"])
def test_colorize_model_option_refuses_them_in_one_line(hostile, make_photo, name):
    path, words = hostile[name]
    photo = make_photo("p.png")
    res = subprocess.run([sys.executable, "-m", "engine.cli", str(photo), "--model", str(path)], capture_output=True,
                         text=True, env=ENV, timeout=300)
    assert res.returncode == 2
    assert words in res.stderr and "Traceback" not in res.stderr
    assert not (photo.parent / "p_color.png").exists()


def test_the_app_import_uses_the_same_checks(qtbot, hostile, tiny_model_path, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    from colorizer_gui.qt_main_window import MainWindow

    said: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _parent, _title, text, *a, **k: said.append(text))
    window = MainWindow(load_model=False)
    qtbot.addWidget(window)
    path, words = hostile["nan"]
    assert window.import_model_file(path) is None
    assert words in said[-1]
    path, words = hostile["t=0"]
    assert window.import_model_file(path) is None
    assert words in said[-1]
    assert not user_models_dir().exists() or not list(user_models_dir().iterdir())
    imported = window.import_model_file(tiny_model_path)  # a good one still goes in
    assert imported is not None and imported.parent == user_models_dir()


def test_an_import_named_like_a_bundled_model_never_replaces_it(tiny_model_path, tmp_path, monkeypatch):
    bundled = tmp_path / "bundled"
    bundled.mkdir()
    (bundled / f"{DEFAULT_MODEL}.safetensors").write_bytes(tiny_model_path.read_bytes())
    monkeypatch.setattr("engine.catalog.bundled_models_dir", lambda: bundled)
    monkeypatch.setattr("engine.model_manager.bundled_models_dir", lambda: bundled)
    impostor = _rewrite(tiny_model_path, tmp_path / "download.safetensors", name=DEFAULT_MODEL)
    dest = mm.import_model(impostor)
    assert dest.stem == f"{DEFAULT_MODEL}-2"
    assert resolve_model(DEFAULT_MODEL) == bundled / f"{DEFAULT_MODEL}.safetensors"
    assert resolve_model(None) == bundled / f"{DEFAULT_MODEL}.safetensors"
    with pytest.raises(ModelError, match="ships with the app"):
        mm.import_model(impostor, DEFAULT_MODEL)
    with pytest.raises(ModelError, match="ships with the app"):
        mm.import_model(impostor, DEFAULT_MODEL.upper(), replace=True)
    with pytest.raises(ModelError, match="ships with the app"):
        mm.rename_model(dest.stem, DEFAULT_MODEL)
    assert mm.unique_name(DEFAULT_MODEL) == f"{DEFAULT_MODEL}-3"
    assert [e.source for e in list_models() if e.name == DEFAULT_MODEL] == ["bundled"]


def test_the_real_bundled_model_passes_every_check():
    path = bundled_models_dir() / f"{DEFAULT_MODEL}.safetensors"
    if not path.is_file():
        pytest.skip("no bundled model in this checkout")
    assert mm.check_model_file(path).name == DEFAULT_MODEL


# --- training: base model and resume -----------------------------------------------------------

class _Hostile:
    """Unpickling this creates a file: proof that code ran."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (pathlib.Path.touch, (self.marker,))


def _train(*args: str | Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "engine.train_cli", *map(str, args)], capture_output=True, text=True,
                          env=ENV, timeout=300)


def _photos(folder: Path, n: int = 4) -> Path:
    """Colour photos a training accepts: sky over grass, with texture."""
    import numpy as np
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        rng = np.random.default_rng(i)
        img = np.zeros((144, 192, 3), np.float32)
        img[:70], img[70:] = [70, 130, 220], [60, 150, 50]
        img += rng.normal(0, 8, img.shape)
        Image.fromarray(np.clip(img, 0, 255).astype(np.uint8)).save(folder / f"c{i}.png")
    return folder


def test_train_base_model_refusals_are_one_line(tmp_path, hostile):
    photos = _photos(tmp_path / "photos")
    marker = tmp_path / "code-ran"
    evil = tmp_path / "evil.pt"
    torch.save({"payload": _Hostile(marker)}, evil)
    for base, words in ((evil, "pickle-based"), *(hostile[k] for k in ("nan", "t=0"))):
        res = _train(photos, "--out", tmp_path / "run", "--steps", "1", "--base-model", base)
        assert res.returncode == 2, res.stderr
        lines = [line for line in res.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and words in lines[0] and "Traceback" not in res.stderr, res.stderr
    assert not marker.exists()


def test_train_resume_refuses_a_hostile_checkpoint_in_one_line(tmp_path):
    photos = _photos(tmp_path / "photos")
    run = tmp_path / "run"
    run.mkdir()
    marker = tmp_path / "code-ran"
    cases = {
        "code": {"model": {}, "payload": _Hostile(marker)},
        "not a dict": [1, 2, 3],
        "missing parts": {"model": {}, "ema": {}},
        "nan weights": {"model": {"w": torch.tensor([float("nan")])}, "ema": {}, "optimizer": {}, "settings": {},
                        "history": [], "step": 1, "elapsed": 1.0, "prior": torch.ones(3),
                        "rng": torch.zeros(4, dtype=torch.uint8)},
    }
    for name, payload in cases.items():
        torch.save(payload, run / "checkpoint.pt")
        res = _train(photos, "--out", run, "--steps", "1", "--resume")
        assert res.returncode == 2, (name, res.stderr)
        lines = [line for line in res.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and "cannot resume from" in lines[0] and "Traceback" not in res.stderr, res.stderr
    (run / "checkpoint.pt").write_bytes(b"PK\x03\x04 damaged zip")
    res = _train(photos, "--out", run, "--steps", "1", "--resume")
    assert res.returncode == 2 and "cannot resume from" in res.stderr and "Traceback" not in res.stderr
    assert not marker.exists()


def test_check_checkpoint_accepts_a_real_one(tmp_path):
    from engine.train import TrainSettings, read_checkpoint, train

    photos = _photos(tmp_path / "photos")
    settings = TrainSettings(train_dirs=[str(photos)], out_dir=str(tmp_path / "run"), steps=2, batch_size=2,
                             crop_sizes=(64,), width=8, depth=3, val_every=1000, checkpoint_minutes=60,
                             short_side=128, device="cpu")
    for _ in train(settings):
        pass
    assert check_checkpoint(read_checkpoint(tmp_path / "run" / "checkpoint.pt"))["step"] == 2
