"""Shared fixtures: a real (tiny, untrained-but-valid) model, photo factories, isolated user folders."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from engine.model import ColorUNet, UNetConfig  # noqa: E402
from engine.weights import ModelInfo, save_model  # noqa: E402

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.fixture(autouse=True)
def isolated_user_dirs(tmp_path_factory, monkeypatch):
    """Never read or write the real user's models, settings, checkpoints or logs."""
    root = tmp_path_factory.mktemp("user")
    monkeypatch.setenv("COLORIZER_DATA_DIR", str(root / "data"))
    monkeypatch.setenv("COLORIZER_CONFIG_DIR", str(root / "config"))
    monkeypatch.setenv("COLORIZER_LOG_DIR", str(root / "logs"))
    return root


def make_tiny_model(seed: int = 0) -> ColorUNet:
    """A small real network whose output is clearly not grey, so colour checks can fail."""
    torch.manual_seed(seed)
    model = ColorUNet(UNetConfig(base_channels=8, depth=3, max_channels=32))
    with torch.no_grad():
        # Bias the head towards a saturated orange so outputs are measurably colourful.
        head = model.head[-1]
        target = torch.tensor([40.0, 50.0])
        head.bias.copy_(-0.02 * (model.bins - target).square().sum(dim=1))
    return model.eval()


@pytest.fixture(scope="session")
def tiny_model_path(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("models") / "tiny.safetensors"
    save_model(make_tiny_model(), ModelInfo(name="tiny", description="test model"), path)
    return path


def grey_gradient(width: int, height: int, seed: int = 0) -> np.ndarray:
    """A grey photo-like image: a smooth gradient plus noise (uint8, H x W)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width]
    base = 40 + 160 * (x / max(width - 1, 1)) * 0.6 + 160 * (y / max(height - 1, 1)) * 0.4
    return np.clip(base * 0.8 + rng.normal(0, 6, (height, width)), 0, 255).astype(np.uint8)


@pytest.fixture
def make_photo(tmp_path):
    """Write a test photo: make_photo("a.jpg", size=(w, h), mode="L") -> Path."""

    def _make(name: str, size: tuple[int, int] = (96, 64), mode: str = "L", folder: Path | None = None,
              **save_kw) -> Path:
        folder = folder or tmp_path
        folder.mkdir(parents=True, exist_ok=True)
        grey = grey_gradient(*size)
        im = Image.fromarray(grey, "L")
        if mode != "L":
            im = im.convert(mode)
        path = folder / name
        im.save(path, **save_kw)
        return path

    return _make


def can_mount_tmpfs() -> bool:
    """Root with mount namespaces: a test can save into a real 64 KiB disk and fill it."""
    return os.geteuid() == 0 and shutil.which("unshare") is not None and subprocess.run(
        ["unshare", "-m", "sh", "-c", "mount -t tmpfs -o size=64k tmpfs /mnt"], capture_output=True).returncode == 0


@pytest.fixture
def one_torch_thread(monkeypatch):
    """One thread per process (and per fine-tune child): the same numbers on every run, and
    room on two cores for a training run elsewhere."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    monkeypatch.setenv("COLORIZER_TRAIN_NICE", "0")
    yield
    torch.set_num_threads(before)
