"""`colorizer --self-test` against a fake bundle: resources under a sys._MEIPASS folder, as PyInstaller sets."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
import torch
from conftest import make_tiny_model

from colorizer_gui import self_test
from engine.weights import ModelInfo, save_model

ROOT = Path(__file__).resolve().parents[1]


def make_bundle(root: Path, model: torch.nn.Module | None) -> Path:
    """A folder laid out like the bundle's _internal/: resources/{models,samples,icons}."""
    res = root / "resources"
    (res / "models").mkdir(parents=True)
    shutil.copytree(ROOT / "resources" / "samples", res / "samples")
    shutil.copytree(ROOT / "resources" / "icons", res / "icons")
    if model is not None:
        save_model(model, ModelInfo(name="colorizer-base"), res / "models" / "colorizer-base.safetensors")
    return root


@pytest.fixture
def bundle(tmp_path, monkeypatch):
    def _make(model):
        root = make_bundle(tmp_path / "_internal", model)
        monkeypatch.setattr(sys, "_MEIPASS", str(root), raising=False)
        return root
    return _make


def grey_model() -> torch.nn.Module:
    model = make_tiny_model()
    with torch.no_grad():  # all probability on the bins nearest a = b = 0: a grey result
        model.head[-1].bias.copy_(-0.05 * model.bins.square().sum(dim=1))
    return model


def test_self_test_passes_and_prints_one_line(bundle, capsys, tmp_path):
    bundle(make_tiny_model())
    keep = tmp_path / "kept"
    code = self_test.main(["--self-test", "--device", "cpu", "--keep", str(keep), "--report", str(tmp_path / "r.txt")])
    out = capsys.readouterr().out.strip()
    assert code == 0, out
    assert out.startswith("self-test OK: Colorizer ") and "\n" not in out
    assert "cork-1905.jpg 775x800 -> colour (mean chroma" in out
    assert "fine-tune 2 steps OK" in out
    assert (tmp_path / "r.txt").read_text().strip() == out
    assert (keep / "cork-1905_color.jpg").is_file()


def test_missing_model_fails_with_a_clear_reason(bundle, capsys):
    root = bundle(None)
    assert self_test.main(["--self-test", "--no-train"]) == 1
    out = capsys.readouterr().out.strip()
    assert out.startswith("self-test FAILED: the bundled model is missing: ")
    assert str(root / "resources" / "models" / "colorizer-base.safetensors") in out


def test_grey_output_fails(bundle, capsys):
    bundle(grey_model())
    assert self_test.main(["--self-test", "--no-train", "--device", "cpu"]) == 1
    assert capsys.readouterr().out.startswith("self-test FAILED: output is not in colour: mean chroma")


def test_unknown_sample_and_options_fail(bundle, capsys):
    bundle(make_tiny_model())
    assert self_test.main(["--self-test", "--no-train", "--sample", "nope.jpg"]) == 1
    assert "the sample photo is missing" in capsys.readouterr().out
    assert self_test.main(["--self-test", "--bogus"]) == 1
    assert "unknown option(s): --bogus" in capsys.readouterr().out


def test_mean_chroma_grey_and_colour():
    import numpy as np

    grey = np.full((20, 30, 3), 120, dtype=np.uint8)
    assert self_test.mean_chroma(grey) < 0.5
    red = np.zeros((20, 30, 3), dtype=np.uint16)
    red[..., 0] = 50000
    assert self_test.mean_chroma(red) > 50


def test_app_entry_point_dispatches_self_test(bundle, capsys):
    app = pytest.importorskip("colorizer_gui.app")
    bundle(None)
    assert app.main(["--self-test", "--no-train"]) == 1
    assert capsys.readouterr().out.startswith("self-test FAILED: the bundled model is missing")
