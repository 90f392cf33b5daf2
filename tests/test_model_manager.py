"""The model manager: rename, delete, export and import, refusing corrupt and hostile files."""

from __future__ import annotations

import json
import pickle
import struct
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save_file

from engine import model_manager as mm
from engine.catalog import list_models, user_models_dir
from engine.weights import ModelError, load_model, read_model_info


@pytest.fixture
def user_model(tiny_model_path) -> Path:
    return mm.import_model(tiny_model_path, "holiday")


def _rewrite(src: Path, dest: Path, *, tensors=None, **meta_changes) -> Path:
    from safetensors import safe_open

    with safe_open(str(src), framework="pt") as f:
        meta = dict(f.metadata())
    meta.update(meta_changes)
    save_file(tensors if tensors is not None else load_file(str(src)), str(dest), metadata=meta)
    return dest


def test_import_lists_the_model_for_app_and_cli(user_model):
    assert user_model == user_models_dir() / "holiday.safetensors"
    entries = {e.name: e for e in list_models()}
    assert entries["holiday"].source == "user" and entries["holiday"].error is None
    load_model(user_model)


def test_import_without_a_name_uses_the_models_own_and_never_overwrites(tiny_model_path):
    first = mm.import_model(tiny_model_path)
    second = mm.import_model(tiny_model_path)
    assert (first.stem, second.stem) == ("tiny", "tiny-2")
    with pytest.raises(ModelError, match="already exists"):
        mm.import_model(tiny_model_path, "tiny")


def test_rename_changes_file_and_stored_name(user_model):
    new = mm.rename_model("holiday", "Holiday 1962")
    assert new.name == "Holiday 1962.safetensors" and not user_model.exists()
    assert read_model_info(new).name == "Holiday 1962"
    load_model(new)
    with pytest.raises(ModelError, match="no user model"):
        mm.rename_model("holiday", "x")


def test_rename_refuses_taken_and_unsafe_names(user_model, tiny_model_path):
    mm.import_model(tiny_model_path, "other")
    with pytest.raises(ModelError, match="already exists"):
        mm.rename_model("holiday", "other")
    for bad in ("../escape", "a/b", "", " ", "dot.", "x" * 80, "con\x00"):
        with pytest.raises(ModelError):
            mm.rename_model("holiday", bad)
    assert user_model.exists()


def test_delete_and_export(user_model, tmp_path):
    out = mm.export_model_file("holiday", tmp_path / "share" / "for-grandma")
    assert out.name == "for-grandma.safetensors" and out.read_bytes() == user_model.read_bytes()
    mm.delete_model("holiday")
    assert not user_model.exists() and "holiday" not in [e.name for e in list_models()]
    with pytest.raises(ModelError):
        mm.delete_model("holiday")


def test_bundled_models_cannot_be_deleted(monkeypatch, tiny_model_path, tmp_path):
    bundled = tmp_path / "bundled"
    bundled.mkdir()
    (bundled / "colorizer-base.safetensors").write_bytes(tiny_model_path.read_bytes())
    monkeypatch.setattr("engine.catalog.bundled_models_dir", lambda: bundled)
    with pytest.raises(ModelError, match="ships with the app"):
        mm.delete_model("colorizer-base")
    assert mm.export_model_file("colorizer-base", tmp_path / "copy.safetensors").is_file()


class _Boom:
    def __reduce__(self):
        import os

        return (os.system, (f"touch {self.marker}",))


@pytest.mark.parametrize("suffix", [".pt", ".safetensors"])
def test_pickles_are_refused_without_being_opened(tmp_path, suffix):
    marker = tmp_path / "pwned"
    boom = _Boom()
    boom.marker = marker
    path = tmp_path / f"model{suffix}"
    path.write_bytes(pickle.dumps({"state_dict": boom}))
    with pytest.raises(ModelError) as err:
        mm.import_model(path)
    assert not marker.exists()
    assert "pickle" in str(err.value) or "damaged" in str(err.value)
    assert not list(user_models_dir().glob("*")) if user_models_dir().exists() else True


def test_corrupt_files_are_refused_with_a_reason(tiny_model_path, tmp_path):
    garbage = tmp_path / "garbage.safetensors"
    garbage.write_bytes(b"\x00" * 100)
    truncated = tmp_path / "truncated.safetensors"
    truncated.write_bytes(tiny_model_path.read_bytes()[:-500])
    huge_header = tmp_path / "header.safetensors"
    huge_header.write_bytes(struct.pack("<Q", 2**60) + b"{}")
    not_model = tmp_path / "other.safetensors"
    save_file({"w": torch.zeros(3)}, str(not_model), metadata={"format": "pt"})
    for path, reason in ((garbage, "damaged"), (truncated, "damaged"), (huge_header, "damaged"),
                         (not_model, "not a Colorizer model"), (tmp_path / "photo.jpg", "not found")):
        with pytest.raises(ModelError, match=reason):
            mm.import_model(path)
    assert not user_models_dir().exists() or not list(user_models_dir().iterdir())


def test_hostile_architecture_and_weights_are_refused(tiny_model_path, tmp_path):
    config = json.loads(read_model_info(tiny_model_path).to_metadata()["config"])
    giant = _rewrite(tiny_model_path, tmp_path / "giant.safetensors",
                     config=json.dumps({**config, "base_channels": 10**6, "max_channels": 10**7}))
    with pytest.raises(ModelError, match="implausible architecture"):
        mm.import_model(giant)
    wrong = _rewrite(tiny_model_path, tmp_path / "wrong.safetensors", config=json.dumps({**config, "depth": 4}))
    with pytest.raises(ModelError, match="do not fit"):
        mm.import_model(wrong)
    tensors = load_file(str(tiny_model_path))
    key = next(k for k, v in tensors.items() if v.is_floating_point() and v.ndim == 4)
    tensors[key] = torch.full_like(tensors[key], float("nan"))
    nan = _rewrite(tiny_model_path, tmp_path / "nan.safetensors", tensors=tensors)
    with pytest.raises(ModelError, match="invalid numbers"):
        mm.import_model(nan)
    assert not user_models_dir().exists() or not list(user_models_dir().iterdir())


def test_unique_names(tiny_model_path):
    assert mm.unique_name("new") == "new"
    mm.import_model(tiny_model_path, "new")
    assert mm.unique_name("new") == "new-2"
    assert mm.name_taken("NEW")
