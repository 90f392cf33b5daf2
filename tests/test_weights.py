"""Model files are untrusted data: damaged, mismatched or hostile files get a clear ModelError."""

from __future__ import annotations

import json
import pathlib
import time
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save_file

from engine.catalog import list_models, resolve_model, user_models_dir
from engine.model import ColorUNet, UNetConfig
from engine.weights import ModelError, ModelInfo, load_model, read_model_info, save_model


def _tensors_and_meta(path: Path) -> tuple[dict, dict]:
    from safetensors import safe_open

    with safe_open(str(path), framework="pt") as f:
        meta = f.metadata()
    return load_file(str(path)), meta


def test_round_trip(tiny_model_path, tmp_path):
    model, info = load_model(tiny_model_path)
    assert info.name == "tiny" and info.config.base_channels == 8 and not model.training
    x = torch.randn(1, 4, 32, 32)
    out = tmp_path / "again.safetensors"
    save_model(model, info, out, half=False)
    again, _ = load_model(out)
    with torch.no_grad():
        assert torch.allclose(model(x), again(x))
    assert [p.name for p in tmp_path.iterdir()] == ["again.safetensors"]  # no temporary left


def test_random_bytes(tmp_path):
    path = tmp_path / "noise.safetensors"
    path.write_bytes(bytes(range(256)) * 40)
    with pytest.raises(ModelError, match="damaged or not a model"):
        load_model(path)


def test_truncated(tiny_model_path, tmp_path):
    data = tiny_model_path.read_bytes()
    path = tmp_path / "cut.safetensors"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelError, match="damaged"):
        load_model(path)


def test_not_a_colorizer_model(tmp_path):
    path = tmp_path / "other.safetensors"
    save_file({"w": torch.zeros(3)}, str(path), metadata={"format": "something-else"})
    with pytest.raises(ModelError, match="not a Colorizer model"):
        load_model(path)


def test_wrong_architecture_shapes(tiny_model_path, tmp_path):
    tensors, meta = _tensors_and_meta(tiny_model_path)
    meta["config"] = json.dumps({**json.loads(meta["config"]), "base_channels": 16})
    path = tmp_path / "mismatch.safetensors"
    save_file(tensors, str(path), metadata=meta)
    with pytest.raises(ModelError, match=r"do not fit the model's architecture: .* is \(\d+, \d+, 3, 3\), expected"):
        load_model(path)


def test_wrong_architecture_keys(tiny_model_path, tmp_path):
    tensors, meta = _tensors_and_meta(tiny_model_path)
    tensors.pop(sorted(tensors)[0])
    tensors["surprise.weight"] = torch.zeros(2)
    path = tmp_path / "keys.safetensors"
    save_file(tensors, str(path), metadata=meta)
    with pytest.raises(ModelError, match="1 missing, 1 unexpected"):
        load_model(path)


def test_absurd_architecture_is_refused_without_building_it(tiny_model_path, tmp_path):
    tensors, meta = _tensors_and_meta(tiny_model_path)
    meta["config"] = json.dumps({"base_channels": 200_000, "depth": 3, "max_channels": 400_000, "n_bins": 0})
    path = tmp_path / "huge.safetensors"
    save_file(tensors, str(path), metadata=meta)
    start = time.monotonic()
    with pytest.raises(ModelError, match=r"implausible architecture \(base_channels=200000\)"):
        load_model(path)  # building it for real would need terabytes
    assert time.monotonic() - start < 20


def test_damaged_metadata(tiny_model_path, tmp_path):
    tensors, meta = _tensors_and_meta(tiny_model_path)
    meta["config"] = "{not json"
    path = tmp_path / "meta.safetensors"
    save_file(tensors, str(path), metadata=meta)
    with pytest.raises(ModelError, match="metadata is damaged"):
        load_model(path)


def test_invalid_numbers(tiny_model_path, tmp_path):
    tensors, meta = _tensors_and_meta(tiny_model_path)
    key = next(k for k, v in tensors.items() if v.is_floating_point() and v.numel() > 1)
    tensors[key] = tensors[key].clone()
    tensors[key].view(-1)[0] = float("nan")
    path = tmp_path / "nan.safetensors"
    save_file(tensors, str(path), metadata=meta)
    with pytest.raises(ModelError, match="invalid numbers"):
        load_model(path)


class _Hostile:
    """Unpickling this creates a file: proof that code ran."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (pathlib.Path.touch, (self.marker,))


@pytest.mark.parametrize("name", ["evil.pt", "evil.safetensors", "evil.ckpt"])
def test_pickle_checkpoints_are_refused_without_running_them(tmp_path, name):
    marker = tmp_path / "code-ran"
    path = tmp_path / name
    torch.save({"state_dict": ColorUNet(UNetConfig(8, 3, 32)).state_dict(), "payload": _Hostile(marker)}, path)
    for attempt in (lambda: load_model(path), lambda: read_model_info(path), lambda: load_model(resolve_model(path))):
        with pytest.raises(ModelError, match="pickle-based .* refused"):
            attempt()
    assert not marker.exists()


def test_catalog_lists_and_resolves(tiny_model_path):
    folder = user_models_dir()
    folder.mkdir(parents=True)
    (folder / "mine.safetensors").write_bytes(tiny_model_path.read_bytes())
    (folder / "broken.safetensors").write_bytes(b"\0" * 100)
    entries = {e.name: e for e in list_models() if e.source == "user"}
    assert entries["mine"].info.name == "tiny" and entries["mine"].error is None
    assert "damaged" in entries["broken"].error
    assert resolve_model("mine") == folder / "mine.safetensors"
    assert resolve_model(str(tiny_model_path)) == tiny_model_path
    with pytest.raises(ModelError, match=r"no model named 'nosuch' \(available: .*mine"):
        resolve_model("nosuch")
    with pytest.raises(ModelError, match="not found"):
        resolve_model(folder / "gone.safetensors")
    bundled = [e for e in list_models() if e.source == "bundled"]
    assert all(e.path.parent.name == "models" for e in bundled)


def test_model_info_metadata_round_trip():
    info = ModelInfo(name="x", description="d", temperature=0.5, training={"steps": 3}, metrics={"psnr": 20.0})
    back = ModelInfo.from_metadata(info.to_metadata())
    assert back == info
