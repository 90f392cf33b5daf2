"""Typed engine errors: callers test the class, never the wording (engine/errors.py)."""

from __future__ import annotations

import pickle

import pytest
import torch

from engine.batch import BatchSettings, InputFile, Job, colorize_job, plan_jobs
from engine.catalog import resolve_model
from engine.errors import (
    ColorizerError,
    DiskFull,
    ModelError,
    ModelRejected,
    NoSuchModel,
    OutputWouldReplaceInput,
    PhotoError,
    UnreadablePhoto,
    UsageError,
)
from engine.infer import Colorizer
from engine.photo_io import read_photo
from engine.weights import check_model_file


def test_old_names_are_the_same_classes():
    from engine import batch, hints, photo_io, weights

    assert photo_io.PhotoError is PhotoError
    assert weights.ModelError is ModelError
    assert batch.UsageError is UsageError
    assert issubclass(hints.HintError, ValueError) and issubclass(hints.HintError, ColorizerError)
    assert issubclass(UsageError, ValueError)  # `except ValueError` callers keep working


@pytest.mark.parametrize("content", [b"", b"not an image at all", b"\x89PNG\r\n\x1a\n" + b"\0" * 40])
def test_files_that_are_not_photos_are_unreadable(tmp_path, content):
    path = tmp_path / "bad.png"
    path.write_bytes(content)
    with pytest.raises(UnreadablePhoto):
        read_photo(path)


def test_missing_and_folder_are_unreadable(tmp_path):
    with pytest.raises(UnreadablePhoto, match="does not exist"):
        read_photo(tmp_path / "gone.jpg")
    (tmp_path / "dir.jpg").mkdir()
    with pytest.raises(UnreadablePhoto):
        read_photo(tmp_path / "dir.jpg")


def test_over_the_size_limit_is_not_unreadable(make_photo):
    """Allowing huge images makes it readable: the app must not give up on it."""
    path = make_photo("big.png", size=(200, 100))
    with pytest.raises(PhotoError) as info:
        read_photo(path, max_pixels=1000)
    assert not isinstance(info.value, UnreadablePhoto)


def test_job_result_carries_the_error_type(tmp_path, tiny_model_path, make_photo):
    colorizer = Colorizer(tiny_model_path, device="cpu")
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"garbage")
    result = colorize_job(Job(bad, tmp_path / "bad_color.jpg", "jpg"), colorizer, BatchSettings())
    assert result.status == "failed" and result.failed_with(UnreadablePhoto) and result.failed_with(PhotoError)
    assert not result.failed_with(DiskFull)
    good = make_photo("good.png")
    done = colorize_job(Job(good, tmp_path / "good_color.png", "png"), colorizer, BatchSettings(),
                        keep_result=True)
    assert done.status == "done" and done.error_type is None and not done.failed_with(PhotoError)
    assert done.colorized is not None and done.colorized.photo.size == (96, 64)
    plain = colorize_job(Job(good, tmp_path / "again.png", "png"), colorizer, BatchSettings())
    assert plain.colorized is None  # a CLI batch does not keep every photo's pixels


def test_output_replacing_input_is_typed(make_photo):
    photo = make_photo("a.png")
    with pytest.raises(OutputWouldReplaceInput):
        plan_jobs([InputFile(photo)], BatchSettings(suffix=""))


def test_unknown_model_name_and_rejected_file(tmp_path):
    with pytest.raises(NoSuchModel):
        resolve_model("no-such-model-anywhere")
    pickled = tmp_path / "evil.safetensors"
    with open(pickled, "wb") as f:
        torch.save({"w": torch.zeros(1)}, f)
    with pytest.raises(ModelRejected, match="pickle"):
        check_model_file(pickled)
    with pytest.raises(ModelError) as info:
        check_model_file(tmp_path / "absent.safetensors")
    assert not isinstance(info.value, (ModelRejected, NoSuchModel))


def test_errors_survive_pickling():
    """Errors cross process boundaries (Ray workers, multiprocessing)."""
    for cls in (UnreadablePhoto, DiskFull, ModelRejected, NoSuchModel, OutputWouldReplaceInput):
        again = pickle.loads(pickle.dumps(cls("why")))
        assert type(again) is cls and str(again) == "why"
